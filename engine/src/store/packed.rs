//! The raw event log's bodies, compressed: a received event is kept for replay, but most of its
//! bytes are JSON keys and values repeated from event to event.
//!
//! - A batch of events (an import's, an API request's) is packed as one **block**: the zstd
//!   frame of each event's delivery id and body one after the other, kept once in `raw_block`,
//!   which shrinks them to about a fifth; each event's row holds a [`BlockRef`] to its place in
//!   the block, and no delivery id (the one copy outside the block is `raw_delivery`'s, which
//!   makes redeliveries harmless). Blocks logged before zstd are deflate streams, which read
//!   back the same; blocks logged before those held bodies only, their rows the delivery ids.
//! - A single event (a webhook) is packed alone: the byte [`PACKED`] followed by the raw deflate
//!   stream of its text (about 60 % of it).
//! - Bodies logged before compression are their UTF-8 text, which never holds either marker
//!   byte, so all of them read back the same.

use super::StoreError;
use flate2::read::DeflateDecoder;
use flate2::{Compress, Compression, FlushCompress, Status};
use std::cell::RefCell;
use std::io::Read;

/// Marks a packed body: never part of UTF-8 text.
const PACKED: u8 = 0xFF;
/// Marks a reference to a body in a block: never part of UTF-8 text.
const IN_BLOCK: u8 = 0xFE;

/// Where an event's body is kept in a block: the block's id in `raw_block`, and the body's rank
/// in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockRef {
    pub block: i64,
    pub rank: u32,
}

impl BlockRef {
    /// The event's stored body: [`IN_BLOCK`], the block id and the rank, little-endian.
    pub(crate) fn encode(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(13);
        out.push(IN_BLOCK);
        out.extend_from_slice(&self.block.to_le_bytes());
        out.extend_from_slice(&self.rank.to_le_bytes());
        out
    }

    /// The reference a stored body holds, if it is one.
    pub(crate) fn decode(stored: &[u8]) -> Option<Self> {
        let (&IN_BLOCK, rest) = stored.split_first()? else {
            return None;
        };
        let block = i64::from_le_bytes(rest.get(..8)?.try_into().ok()?);
        let rank = u32::from_le_bytes(rest.get(8..12)?.try_into().ok()?);
        (rest.len() == 12).then_some(Self { block, rank })
    }
}

thread_local! {
    /// A compressor's state is hundreds of kilobytes: one per thread, reset for each body,
    /// rather than one allocated per event of a million-event import. The fastest level: on
    /// bodies of a few hundred bytes the others shrink them hardly more.
    static COMPRESSOR: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
}

/// The body as stored.
pub(crate) fn pack(body: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() / 2 + 64);
    out.push(PACKED);
    match deflate(body.as_bytes(), out) {
        Some(out) => out,
        // Stored plain it still reads back.
        None => body.as_bytes().to_vec(),
    }
}

/// zstd's level for blocks: its fastest, which on the benchmark's blocks of 2,000 events packed
/// them 2 % smaller than its default (3) in two thirds of the time; level 9 shrinks them 6 % more
/// at a fifth of the speed, on the thread that reads an import's file.
const BLOCK_LEVEL: i32 = 1;

/// The first bytes of every zstd frame. No raw deflate stream starts with them: their first
/// byte opens a stored block, whose length `b5 2f` would have to be followed by its complement
/// `4a d0`, not `fd`.
pub(crate) const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// A block as stored in `raw_block`: the zstd frame of each field's length (4 bytes,
/// little-endian) and bytes, in order (an event's delivery id then its body, event by event).
pub(crate) fn pack_block(fields: &[&str]) -> Result<Vec<u8>, StoreError> {
    zstd::bulk::compress(&framed(fields)?, BLOCK_LEVEL)
        .map_err(|e| StoreError::corrupt("raw event block", "new", e.to_string()))
}

/// Each field's length (4 bytes, little-endian) and bytes, in order: a block before compression.
fn framed(fields: &[&str]) -> Result<Vec<u8>, StoreError> {
    let mut plain = Vec::with_capacity(fields.iter().map(|b| b.len() + 4).sum());
    for body in fields {
        let len = u32::try_from(body.len()).map_err(|_| StoreError::Invalid {
            what: "raw event body",
            value: format!("{} bytes", body.len()),
            detail: "more than a block holds".into(),
        })?;
        plain.extend_from_slice(&len.to_le_bytes());
        plain.extend_from_slice(body.as_bytes());
    }
    Ok(plain)
}

/// The fields of a block, in order.
pub(crate) fn unpack_block(stored: &[u8], block: i64) -> Result<Vec<String>, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        what: "raw event block",
        key: block.to_string(),
        detail,
    };
    let mut plain = Vec::with_capacity(stored.len() * 5);
    let decoded = if stored.starts_with(&ZSTD_MAGIC) {
        zstd::stream::copy_decode(stored, &mut plain)
    } else {
        DeflateDecoder::new(stored)
            .read_to_end(&mut plain)
            .map(drop)
    };
    decoded.map_err(|e| corrupt(e.to_string()))?;
    let mut bodies = Vec::new();
    let mut rest = plain.as_slice();
    while let Some((len, tail)) = rest.split_first_chunk::<4>() {
        let len = u32::from_le_bytes(*len) as usize;
        let body = tail
            .get(..len)
            .ok_or_else(|| corrupt("a body runs past the end".into()))?;
        bodies.push(String::from_utf8(body.to_vec()).map_err(|e| corrupt(e.to_string()))?);
        rest = &tail[len..];
    }
    if !rest.is_empty() {
        return Err(corrupt("trailing bytes".into()));
    }
    Ok(bodies)
}

/// `out` followed by the raw deflate stream of `input`; None if deflate fails (it does not, on
/// bytes in memory).
fn deflate(input: &[u8], mut out: Vec<u8>) -> Option<Vec<u8>> {
    COMPRESSOR.with(|compressor| {
        let mut compressor = compressor.borrow_mut();
        compressor.reset();
        let start = compressor.total_in();
        loop {
            let read = (compressor.total_in() - start) as usize;
            let rest = input.get(read..).unwrap_or_default();
            match compressor.compress_vec(rest, &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => return Some(out),
                // Out of room: compression goes on into more.
                Ok(_) => out.reserve(out.capacity().max(64)),
                Err(_) => return None,
            }
        }
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
    fn a_block_reads_back_each_body_in_rank_order_and_is_smaller() {
        let bodies: Vec<String> = (0..200)
            .map(|n| format!(r#"{{"type":"change","id":"acme/shop#{n}","repo":"acme/shop","title":"Ünïcode {n}"}}"#))
            .chain([String::new()])
            .collect();
        let refs: Vec<&str> = bodies.iter().map(String::as_str).collect();
        let block = pack_block(&refs).unwrap();
        let plain: usize = bodies.iter().map(String::len).sum();
        assert!(block.len() < plain / 4, "{} of {plain} bytes", block.len());
        assert_eq!(unpack_block(&block, 1).unwrap(), bodies);
        assert_eq!(
            unpack_block(&pack_block(&[]).unwrap(), 1).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_deflate_block_of_earlier_versions_reads_back_and_new_blocks_are_zstd() {
        let old = deflate(&framed(&["d-1", r#"{"n":1}"#]).unwrap(), Vec::new()).unwrap();
        assert_eq!(unpack_block(&old, 3).unwrap(), ["d-1", r#"{"n":1}"#]);
        assert!(
            pack_block(&["d-1", r#"{"n":1}"#])
                .unwrap()
                .starts_with(&ZSTD_MAGIC)
        );
    }

    #[test]
    fn a_damaged_block_is_reported_not_guessed() {
        let block = pack_block(&["abc", "def"]).unwrap();
        assert!(matches!(
            unpack_block(&block[..block.len() - 2], 7),
            Err(StoreError::Corrupt { .. })
        ));
        // A length running past the end of the block.
        let mut plain = 9u32.to_le_bytes().to_vec();
        plain.extend_from_slice(b"abc");
        let truncated = deflate(&plain, Vec::new()).unwrap();
        assert!(unpack_block(&truncated, 7).is_err());
    }

    #[test]
    fn a_block_reference_reads_back_and_is_never_text_or_a_packed_body() {
        let at = BlockRef {
            block: 1 << 40,
            rank: 1999,
        };
        assert_eq!(BlockRef::decode(&at.encode()), Some(at));
        assert_eq!(BlockRef::decode(&pack("{}")), None);
        assert_eq!(BlockRef::decode(b"{}"), None);
        assert_eq!(BlockRef::decode(&at.encode()[..12]), None);
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
