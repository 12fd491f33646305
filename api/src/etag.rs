//! ETags of every answer that carries one: the dashboard's page and assets (a tag of their
//! bytes) and the charts and the report (a tag of what shapes them: the parameters, the store's
//! data version, the configuration, the annotations drawn). One hash, one reading of
//! `If-None-Match`, one pair of cache headers, so a `304` means the same on every route.

use axum::http::{HeaderMap, HeaderValue, header};

/// `Cache-Control` of the charts and the report: a client may reuse them for a minute.
pub const REUSE_FOR_A_MINUTE: &str = "public, max-age=60";
/// `Cache-Control` of the dashboard: asked again on every load, a `304` while unchanged.
pub const REVALIDATE: &str = "no-cache";

/// A strong ETag over `parts`, in order: a quoted SHA-1 prefix (96 bits). A separator follows
/// each part, so `["ab", "c"]` and `["a", "bc"]` differ.
pub fn of(parts: &[&str]) -> String {
    digest(parts.iter().map(|part| part.as_bytes()))
}

/// A strong ETag of some bytes (a page or an asset).
pub fn of_bytes(bytes: &[u8]) -> String {
    digest([bytes])
}

fn digest<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut hasher = sha1_smol::Sha1::new();
    for part in parts {
        hasher.update(part);
        hasher.update(&[0x1f]);
    }
    let hex = hasher.digest().to_string();
    format!("\"{}\"", &hex[..24])
}

/// Whether `If-None-Match` names `etag`, or is `*` (weak comparison, as RFC 9110 asks for GET:
/// `W/"x"` matches `"x"`). Several headers and comma-separated lists are read alike.
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_string();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || strip(t) == strip(etag))
}

/// The headers an answer with `etag` carries, its `304` too: the tag and `cache_control`.
pub fn cache_headers(
    etag: &str,
    cache_control: &'static str,
) -> [(header::HeaderName, HeaderValue); 2] {
    [
        (
            header::ETAG,
            HeaderValue::from_str(etag).unwrap_or_else(|_| HeaderValue::from_static("\"-\"")),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                header::IF_NONE_MATCH,
                HeaderValue::from_str(value).expect("ASCII"),
            );
        }
        headers
    }

    #[test]
    fn tags_are_quoted_and_tell_their_parts_apart() {
        let tag = of(&["ab", "c"]);
        assert_eq!(tag.len(), 26);
        assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");
        assert_ne!(tag, of(&["a", "bc"]));
        assert_eq!(tag, of(&["ab", "c"]));
        assert_eq!(of_bytes(b"ab"), of(&["ab"]));
    }

    #[test]
    fn if_none_match_compares_weakly_and_reads_every_list() {
        let tag = of(&["chart"]);
        assert!(not_modified(&asking(&[&tag]), &tag));
        assert!(not_modified(
            &asking(&[&format!("\"other\", W/{tag}")]),
            &tag
        ));
        assert!(not_modified(&asking(&["\"other\"", &tag]), &tag));
        assert!(not_modified(&asking(&["*"]), &tag));
        assert!(!not_modified(&asking(&["\"other\""]), &tag));
        assert!(!not_modified(&HeaderMap::new(), &tag));
    }
}
