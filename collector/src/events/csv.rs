//! Generic events as CSV, for tools that export spreadsheets: a header row of field names (the
//! JSON schema's), then one event per row.
//!
//! Each row becomes the JSON object of its non-empty cells and goes through the same validation
//! as JSON events (and is logged in that form). List fields (`commits`, `labels`, `changes`,
//! `paths`) hold their items separated by `;`; `number` is read as a number. Columns the schema
//! does not know are ignored, like unknown JSON fields.

use super::EventError;
use super::ndjson::RawItem;
use serde_json::{Map, Value};
use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};

/// Fields whose cells hold `;`-separated lists.
pub const LIST_FIELDS: &[&str] = &["commits", "labels", "changes", "paths"];

/// Reads a CSV file one row at a time.
pub struct CsvReader<R> {
    reader: csv::Reader<LineTracker<R>>,
    lines: Arc<Mutex<Seen>>,
    headers: Vec<String>,
    record: csv::StringRecord,
}

impl<R: Read> CsvReader<R> {
    /// Reads the header row; it must name the `type` column.
    pub fn new(input: R) -> Result<Self, EventError> {
        let lines = Arc::new(Mutex::new(Seen {
            base: 0,
            line_at_base: 1,
            bytes: Vec::new(),
        }));
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(LineTracker {
                inner: input,
                seen: Arc::clone(&lines),
            });
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(&e, 1))?
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        if !headers.iter().any(|h| h == "type") {
            return Err(EventError::general(format!(
                "the header row has no `type` column (found: {}); the first row of a CSV file \
                 names the fields, e.g. `type,id,repo,environment,sha,status,finished_at`",
                headers.join(", ")
            ))
            .at_line(1));
        }
        if let Some(dup) = headers
            .iter()
            .enumerate()
            .find(|(i, h)| !h.is_empty() && headers[..*i].contains(h))
        {
            return Err(
                EventError::general(format!("the header row names `{}` twice", dup.1)).at_line(1),
            );
        }
        Ok(CsvReader {
            reader,
            lines,
            headers,
            record: csv::StringRecord::new(),
        })
    }
}

impl<R: Read> Iterator for CsvReader<R> {
    type Item = std::io::Result<RawItem>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let start = self.reader.position().byte();
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) if e.is_io_error() => {
                    return Some(Err(std::io::Error::other(e.to_string())));
                }
                Err(e) => {
                    let line = self.line_of(e.position().map_or(start, csv::Position::byte));
                    return Some(Ok(RawItem {
                        line,
                        raw: String::new(),
                        value: Err(csv_error(&e, line)),
                    }));
                }
            }
            let line = self.line_of(self.record.position().map_or(start, csv::Position::byte));
            if self.record.iter().all(str::is_empty) {
                continue;
            }
            let object = row_object(&self.headers, &self.record);
            let raw = serde_json::to_string(&object).unwrap_or_default();
            return Some(Ok(RawItem {
                line,
                raw,
                value: Ok(object),
            }));
        }
    }
}

impl<R> CsvReader<R> {
    fn line_of(&self, byte: u64) -> u64 {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .line_of(byte)
    }
}

/// The csv crate does not count the blank lines it skips in its line numbers, and its byte
/// offset of a record points at the blank lines before it: this reader keeps the bytes read
/// since the last record, so the true line of a record can be counted.
struct LineTracker<R> {
    inner: R,
    seen: Arc<Mutex<Seen>>,
}

struct Seen {
    /// Absolute offset of `bytes[0]`.
    base: u64,
    /// The line `base` is on.
    line_at_base: u64,
    bytes: Vec<u8>,
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .bytes
            .extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl Seen {
    /// The line of the first non-blank line at or after `byte`; forgets the bytes before `byte`
    /// (records come in order).
    fn line_of(&mut self, byte: u64) -> u64 {
        let upto = usize::try_from(byte.saturating_sub(self.base))
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        self.line_at_base += self.bytes[..upto].iter().filter(|b| **b == b'\n').count() as u64;
        self.bytes.drain(..upto);
        self.base += upto as u64;
        let mut line = self.line_at_base;
        let mut rest = self.bytes.as_slice();
        loop {
            if let Some(after) = rest.strip_prefix(b"\r\n") {
                rest = after;
            } else if let Some(after) = rest.strip_prefix(b"\n") {
                rest = after;
            } else {
                break;
            }
            line += 1;
        }
        line
    }
}

/// The JSON object a row stands for.
fn row_object(headers: &[String], record: &csv::StringRecord) -> Value {
    let mut object = Map::new();
    for (header, cell) in headers.iter().zip(record.iter()) {
        if header.is_empty() || cell.is_empty() {
            continue;
        }
        let value = if LIST_FIELDS.contains(&header.as_str()) {
            Value::Array(
                cell.split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            )
        } else if header == "number"
            && let Ok(n) = cell.parse::<i64>()
        {
            Value::from(n)
        } else {
            Value::String(cell.to_string())
        };
        object.insert(header.clone(), value);
    }
    Value::Object(object)
}

fn csv_error(e: &csv::Error, line: u64) -> EventError {
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("the row has {len} cells but the header names {expected_len} columns"),
        csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8".to_string(),
        _ => format!("not valid CSV: {e}"),
    };
    EventError::general(message).at_line(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<RawItem> {
        CsvReader::new(text.as_bytes())
            .expect("a header")
            .collect::<Result<_, _>>()
            .expect("readable")
    }

    #[test]
    fn rows_become_event_objects() {
        let items = read(
            "type,id,repo,number,labels,first_commit_at,merged_at\n\
             change,acme/shop#42,acme/shop,42,hotfix; urgent,2026-03-01T09:00:00Z,2026-03-01T10:00:00Z\n\
             \n\
             deployment,d1,acme/shop,,,,\n",
        );
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].line, 2);
        let first = items[0].value.as_ref().expect("an object");
        assert_eq!(first["number"], 42);
        assert_eq!(first["labels"], serde_json::json!(["hotfix", "urgent"]));
        assert_eq!(items[1].line, 4);
        assert!(
            items[1]
                .value
                .as_ref()
                .expect("an object")
                .get("number")
                .is_none()
        );
    }

    #[test]
    fn a_short_row_is_an_error_on_its_line() {
        let items = read("type,id,repo\nchange,a,acme/shop\nchange,b\n");
        let error = items[1].value.as_ref().expect_err("short");
        assert_eq!(error.line, Some(3), "{error}");
    }

    #[test]
    fn the_header_must_name_the_type() {
        let error = CsvReader::new("id,repo\n".as_bytes())
            .err()
            .expect("no type column");
        assert_eq!(error.line, Some(1));
    }
}
