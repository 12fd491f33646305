//! Generic events as JSON text: a request body holding one object (pretty-printed or not) or
//! NDJSON (one object per line), and files read line by line in bounded memory.

use super::schema::parse_event;
use super::{EventContext, EventError};
use engine::store::events::EventRecord;
use serde_json::Value;
use std::io::BufRead;

/// At most this many errors are reported for one body or file: enough to fix a batch of
/// mistakes at once, few enough to read.
pub const MAX_ERRORS: usize = 20;

/// One event read from a file, before validation.
#[derive(Debug, Clone, PartialEq)]
pub struct RawItem {
    /// 1-based line it starts on.
    pub line: u64,
    /// The event as received (for the raw log).
    pub raw: String,
    /// The parsed JSON, or why it is not JSON.
    pub value: Result<Value, EventError>,
}

/// Parses and validates a request body: one JSON object, or several (NDJSON). All or nothing:
/// the events with their raw text, or the errors (each naming its line, at most
/// [`MAX_ERRORS`]).
pub fn parse_body<'b>(
    body: &'b str,
    ctx: &EventContext,
) -> Result<Vec<(EventRecord, &'b str)>, Vec<EventError>> {
    let mut events = Vec::new();
    let mut errors = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(body).into_iter::<Value>();
    let (mut end, mut line) = (0_usize, 1_u64);
    loop {
        let next = stream.next();
        let start = end;
        let Some(next) = next else { break };
        match next {
            Ok(value) => {
                end = stream.byte_offset();
                let text = &body[start..end];
                let leading = text.len() - text.trim_start().len();
                line += newlines(&text[..leading]);
                match parse_event(&value, ctx) {
                    Ok(record) => events.push((record, text.trim())),
                    Err(e) => errors.push(e.at_line(line)),
                }
                line += newlines(&text[leading..]);
            }
            Err(e) => {
                // The stream cannot resume after a syntax error: report it and stop.
                errors.push(syntax_error(&e, None));
                break;
            }
        }
        if errors.len() >= MAX_ERRORS {
            break;
        }
    }
    if events.is_empty() && errors.is_empty() {
        errors.push(EventError::general(
            "the body holds no event: expected a JSON object or NDJSON (one object per line)",
        ));
    }
    if errors.is_empty() {
        Ok(events)
    } else {
        Err(errors)
    }
}

/// Reads an NDJSON file one line at a time; blank lines are skipped.
pub struct LineReader<R> {
    reader: R,
    line: u64,
    buf: Vec<u8>,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(reader: R) -> Self {
        LineReader {
            reader,
            line: 0,
            buf: Vec::new(),
        }
    }
}

impl<R: BufRead> Iterator for LineReader<R> {
    type Item = std::io::Result<RawItem>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(e)),
            }
            self.line += 1;
            let Ok(text) = std::str::from_utf8(&self.buf) else {
                let error = EventError::general("the line is not valid UTF-8").at_line(self.line);
                return Some(Ok(RawItem {
                    line: self.line,
                    raw: String::new(),
                    value: Err(error),
                }));
            };
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let value =
                serde_json::from_str::<Value>(text).map_err(|e| syntax_error(&e, Some(self.line)));
            return Some(Ok(RawItem {
                line: self.line,
                raw: text.to_string(),
                value,
            }));
        }
    }
}

/// A JSON syntax error at its line (`line`: the file line the text is on, when it is one line).
fn syntax_error(e: &serde_json::Error, line: Option<u64>) -> EventError {
    let mut message = e.to_string();
    // serde_json appends "at line L column C"; keep only the column when the line is reported.
    if let Some(at) = message.rfind(" at line ") {
        message.truncate(at);
    }
    let column = e.column();
    EventError {
        line: Some(line.unwrap_or(e.line() as u64)),
        field: None,
        message: format!("not valid JSON: {message} (column {column})"),
    }
}

fn newlines(text: &str) -> u64 {
    text.bytes().filter(|b| *b == b'\n').count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::model::Source;

    fn ctx() -> EventContext {
        EventContext {
            source: Source::Webhook,
            teams: Default::default(),
            tribes: Default::default(),
            owned: Default::default(),
        }
    }

    const DEPLOY: &str = r#"{"type": "deployment", "id": "d1", "repo": "acme/shop", "environment": "production", "sha": "abc1234", "status": "success", "finished_at": "2026-03-02T11:06:00Z"}"#;

    #[test]
    fn a_pretty_printed_object_is_one_event() {
        let body = "{\n  \"type\": \"incident\",\n  \"id\": \"i1\",\n  \"repo\": \"acme/shop\",\n  \
                    \"opened_at\": \"2026-03-02T13:00:00Z\"\n}\n";
        let events = parse_body(body, &ctx()).expect("valid");
        assert_eq!(events.len(), 1);
        assert!(events[0].1.starts_with('{') && events[0].1.ends_with('}'));
    }

    #[test]
    fn ndjson_errors_name_their_line() {
        let bad = DEPLOY.replace(r#""status": "success", "#, "");
        let body = format!("{DEPLOY}\n\n{bad}\n{DEPLOY}\n");
        let errors = parse_body(&body, &ctx()).expect_err("refused");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].line, Some(3));
        assert_eq!(errors[0].field.as_deref(), Some("status"));
        assert_eq!(
            errors[0].to_string(),
            "line 3: `status`: missing: required for a deployment event"
        );
    }

    #[test]
    fn broken_json_names_its_line() {
        let body = format!("{DEPLOY}\n{{\"type\": \"deployment\",\n");
        let errors = parse_body(&body, &ctx()).expect_err("refused");
        assert_eq!(errors[0].line, Some(3), "{errors:?}");
        assert!(errors[0].message.contains("not valid JSON"), "{errors:?}");
    }

    #[test]
    fn an_empty_body_is_refused() {
        assert!(parse_body(" \n", &ctx()).is_err());
    }

    #[test]
    fn files_are_read_line_by_line() {
        let mut text = format!("{DEPLOY}\n\n  \n{{oops\n").into_bytes();
        text.extend(b"{\"type\": \"\xff\"}\r\n");
        let items: Vec<RawItem> = LineReader::new(text.as_slice())
            .collect::<Result<_, _>>()
            .expect("readable");
        assert_eq!(items.len(), 3);
        assert_eq!(items[1].line, 4);
        assert_eq!(items[1].value.as_ref().expect_err("bad").line, Some(4));
        let not_utf8 = items[2].value.as_ref().expect_err("bad");
        assert_eq!(not_utf8.to_string(), "line 5: the line is not valid UTF-8");
    }
}
