//! The raw event log's bodies, compressed: a received event is kept for replay, but most of its
//! bytes are JSON keys and values repeated from event to event, which deflate shrinks to about
//! 60 % one event at a time.
//!
//! A packed body is the byte [`PACKED`] followed by the raw deflate stream of the text. Bodies
//! logged before compression are their UTF-8 text, which never holds that byte, so both read
//! back the same.

use super::StoreError;
use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use std::io::{Read, Write};

/// Marks a packed body: never part of UTF-8 text.
const PACKED: u8 = 0xFF;

/// The body as stored.
pub(crate) fn pack(body: &str) -> Vec<u8> {
    let mut encoder = DeflateEncoder::new(vec![PACKED], Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(body.as_bytes());
    encoder.finish().unwrap_or_default()
}

/// The body as it arrived, from its stored form (packed, or text logged before packing).
pub(crate) fn unpack(stored: &[u8], delivery_id: &str) -> Result<String, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        what: "raw event body",
        key: delivery_id.to_string(),
        detail,
    };
    match stored.split_first() {
        Some((&PACKED, deflated)) => {
            let mut text = String::with_capacity(deflated.len() * 3);
            DeflateDecoder::new(deflated)
                .read_to_string(&mut text)
                .map_err(|e| corrupt(e.to_string()))?;
            Ok(text)
        }
        _ => String::from_utf8(stored.to_vec()).map_err(|e| corrupt(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_body_reads_back_as_it_arrived_and_is_smaller() {
        let body = r#"{"type":"change","id":"acme/shop#1","repo":"acme/shop","title":"Add a cart","labels":["feature"],"commits":["aaaaaaa","bbbbbbb"]}"#
            .repeat(3);
        let packed = pack(&body);
        assert!(packed.len() < body.len() / 2, "{} bytes", packed.len());
        assert_eq!(unpack(&packed, "d").unwrap(), body);
    }

    #[test]
    fn a_body_logged_as_text_reads_back_unchanged() {
        assert_eq!(
            unpack("{\"ünï\":1}".as_bytes(), "d").unwrap(),
            "{\"ünï\":1}"
        );
        assert_eq!(unpack(b"", "d").unwrap(), "");
    }

    #[test]
    fn a_damaged_body_is_reported_not_guessed() {
        assert!(matches!(
            unpack(&[PACKED, 0xde, 0xad], "d"),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(unpack(&[0xc3, 0x28], "d").is_err());
    }
}
