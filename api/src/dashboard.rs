//! The web dashboard: `/` and its assets from `web/`, embedded in the binary at compile time, so
//! `doraboard serve` needs no front-end server and no files beside it.
//!
//! The page is plain HTML, CSS and JavaScript modules (no build step). It reads the JSON API like
//! any other client; the only thing the server adds to it is the web address of the code host
//! (`https://github.com`, or `https://HOST` for GitHub Enterprise), so pull requests link to the
//! right place. Assets carry an ETag of their content and are revalidated on every load, which on
//! a LAN costs one 304 each.

use crate::error::ApiError;
use crate::etag;
use crate::params::Path;
use crate::server::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

#[expect(
    clippy::disallowed_methods,
    reason = "the dashboard's page and assets are not API routes: they stay out of the OpenAPI document"
)]
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/assets/{file}", get(asset))
}

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const INDEX: &str = include_str!("../../web/index.html");

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../web/app.js"),
    },
    Asset {
        name: "views.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../web/views.js"),
    },
    Asset {
        name: "score.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../web/score.js"),
    },
    Asset {
        name: "format.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../web/format.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../web/app.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../../web/favicon.svg"),
    },
];

/// The web address of the code host, from the REST API base URL of `[github] api_url`:
/// `https://api.github.com` -> `https://github.com`; GitHub Enterprise `https://HOST/api/v3` ->
/// `https://HOST`.
pub fn code_host_url(api_url: &str) -> String {
    let trimmed = api_url.trim_end_matches('/');
    if let Some(rest) = trimmed.strip_prefix("https://api.") {
        return format!("https://{}", rest.split('/').next().unwrap_or(rest));
    }
    if let Some(rest) = trimmed.strip_prefix("http://api.") {
        return format!("http://{}", rest.split('/').next().unwrap_or(rest));
    }
    trimmed
        .strip_suffix("/api/v3")
        .unwrap_or(trimmed)
        .to_string()
}

/// The web address of a pull request, or of a commit when the change has no number.
pub fn change_url(host: &str, repo: &str, number: Option<i64>) -> Option<String> {
    number.map(|n| format!("{host}/{repo}/pull/{n}"))
}

fn escape_attribute(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn respond(headers: &HeaderMap, content_type: &'static str, body: Vec<u8>) -> Response {
    let tag = etag::of_bytes(&body);
    let cache = etag::cache_headers(&tag, etag::REVALIDATE);
    let mut response = if etag::not_modified(headers, &tag) {
        (StatusCode::NOT_MODIFIED, cache).into_response()
    } else {
        (cache, [(header::CONTENT_TYPE, content_type)], body).into_response()
    };
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The page, with the code host's address filled in.
async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let host = code_host_url(&state.config.github.api_url);
    respond(
        &headers,
        "text/html; charset=utf-8",
        render_index(&host).into_bytes(),
    )
}

fn render_index(host: &str) -> String {
    INDEX.replace("{{code_host}}", &escape_attribute(host))
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match ASSETS.iter().find(|a| a.name == file) {
        Some(a) => respond(&headers, a.content_type, a.body.to_vec()),
        None => ApiError::NotFound(format!("no asset {file}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_host_of_github_and_github_enterprise() {
        assert_eq!(
            code_host_url("https://api.github.com"),
            "https://github.com"
        );
        assert_eq!(
            code_host_url("https://api.github.com/"),
            "https://github.com"
        );
        assert_eq!(
            code_host_url("https://git.acme.example/api/v3"),
            "https://git.acme.example"
        );
    }

    #[test]
    fn pull_request_links() {
        assert_eq!(
            change_url("https://github.com", "acme/shop", Some(42)).as_deref(),
            Some("https://github.com/acme/shop/pull/42")
        );
        assert_eq!(change_url("https://github.com", "acme/shop", None), None);
    }

    #[test]
    fn every_module_the_page_imports_is_embedded() {
        for name in [
            "app.js",
            "views.js",
            "score.js",
            "format.js",
            "app.css",
            "favicon.svg",
        ] {
            assert!(ASSETS.iter().any(|a| a.name == name), "{name}");
        }
        assert!(INDEX.contains("{{code_host}}"));
    }
}
