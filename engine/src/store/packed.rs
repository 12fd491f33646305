//! The raw event log's bodies, compressed: a received event is kept for replay, but most of its
//! bytes are JSON keys and values repeated from event to event, which deflate shrinks to about
//! 60 % one event at a time.
//!
//! A packed body is the byte [`PACKED`] followed by the raw deflate stream of the text. Bodies
//! logged before compression are their UTF-8 text, which never holds that byte, so both read
//! back the same.

use super::StoreError;
use flate2::read::DeflateDecoder;
use flate2::{Compress, Compression, FlushCompress, Status};
use std::cell::RefCell;
use std::io::Read;

/// Marks a packed body: never part of UTF-8 text.
const PACKED: u8 = 0xFF;

thread_local! {
    /// A compressor's state is hundreds of kilobytes: one per thread, reset for each body,
    /// rather than one allocated per event of a million-event import. The fastest level: on
    /// bodies of a few hundred bytes the others shrink them hardly more.
    static COMPRESSOR: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
}

/// The body as stored.
pub(crate) fn pack(body: &str) -> Vec<u8> {
    COMPRESSOR.with(|compressor| {
        let mut compressor = compressor.borrow_mut();
        compressor.reset();
        let input = body.as_bytes();
        let mut out = Vec::with_capacity(input.len() / 2 + 64);
        out.push(PACKED);
        let start = compressor.total_in();
        loop {
            let read = (compressor.total_in() - start) as usize;
            let rest = input.get(read..).unwrap_or_default();
            match compressor.compress_vec(rest, &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => break,
                // Out of room: compression goes on into more.
                Ok(_) => out.reserve(out.capacity().max(64)),
                // Deflating bytes into memory does not fail; stored plain it still reads back.
                Err(_) => return input.to_vec(),
            }
        }
        out
    })
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
        // The compressor is reused: the next body is packed on its own.
        let other = "x".repeat(10_000);
        assert_eq!(unpack(&pack(&other), "d").unwrap(), other);
        assert_eq!(unpack(&pack(&body), "d").unwrap(), body);
        assert_eq!(unpack(&pack(""), "d").unwrap(), "");
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
