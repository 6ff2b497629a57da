//! The web client's files (`--web`), served by tower-http's `ServeDir` with gzip twins, and the
//! page a join link opens when the server has no web client.

use super::{Shared, error};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// A web root, resolved once: files are served only if they resolve inside it.
#[derive(Debug)]
pub(super) struct WebRoot {
    /// As given (for serving).
    root: PathBuf,
    /// Resolved (for the containment check); `None` while the folder does not exist yet.
    canonical: Option<PathBuf>,
}

impl WebRoot {
    pub(super) fn new(root: PathBuf) -> Result<WebRoot, String> {
        let canonical = std::fs::canonicalize(&root).ok();
        Ok(WebRoot { root, canonical })
    }

    /// Whether the decoded request path names something that stays inside the root: no `..`,
    /// no absolute parts, and every existing candidate (the file, its `.gz` twin, a folder's
    /// `index.html`) resolves — symlinks followed — to a path under the root.
    fn contains(&self, decoded: &str) -> bool {
        let relative = Path::new(decoded.trim_start_matches('/'));
        if relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            return false;
        }
        let Some(canonical_root) = self
            .canonical
            .clone()
            .or_else(|| std::fs::canonicalize(&self.root).ok())
        else {
            return false;
        };
        let file = self.root.join(relative);
        let mut candidates = vec![
            file.clone(),
            PathBuf::from(format!("{}.gz", file.display())),
            file.join("index.html"),
            file.join("index.html.gz"),
        ];
        candidates.retain(|p| p.symlink_metadata().is_ok());
        candidates
            .iter()
            .all(|p| std::fs::canonicalize(p).is_ok_and(|real| real.starts_with(&canonical_root)))
    }
}

/// Percent-decodes a URL path; `None` if it is not UTF-8 once decoded.
fn decode(path: &str) -> Option<String> {
    percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// `GET /`: the web client's page, or (without `--web`) a page saying how to join.
pub(super) async fn index(State(s): State<Arc<Shared>>, request: Request) -> Response {
    match &s.web_root {
        Some(root) => {
            if !root.root.join("index.html").exists() {
                // The host was told where and how at start; strangers learn nothing of paths.
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The web client is not built on this server yet: ask the host to build it \
                     (`emberkeep-tools web-bundle`).",
                )
                    .into_response();
            }
            serve(root, request).await
        }
        None => join_page(request.uri().query().unwrap_or("")),
    }
}

/// Any other GET: a file of the web root, or 404.
pub(super) async fn file(State(s): State<Arc<Shared>>, request: Request) -> Response {
    match &s.web_root {
        Some(root)
            if request.method() == axum::http::Method::GET
                || request.method() == axum::http::Method::HEAD =>
        {
            serve(root, request).await
        }
        Some(_) => error(StatusCode::METHOD_NOT_ALLOWED, "only GET is supported"),
        None => error(StatusCode::NOT_FOUND, "not found"),
    }
}

async fn serve(root: &WebRoot, request: Request) -> Response {
    let Some(decoded) = decode(request.uri().path()) else {
        return error(StatusCode::BAD_REQUEST, "bad path");
    };
    if !root.contains(&decoded) {
        return error(StatusCode::NOT_FOUND, "not found");
    }
    let served = ServeDir::new(&root.root)
        .precompressed_gzip()
        .oneshot(request)
        .await;
    let mut response = match served {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The page a join link opens on a server that does not serve the web client.
fn join_page(query: &str) -> Response {
    let code = super::code_param(query)
        .map(crate::seats::normalise_code)
        .filter(|c| crate::seats::is_well_formed_code(c));
    let code_line = match &code {
        Some(code) => format!("<p>Your join code: <code>{code}</code></p>"),
        None => String::new(),
    };
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Join an Emberkeep table</title></head><body>\
         <h1>Emberkeep</h1>{code_line}\
         <p>This server does not serve the browser version of the game. Join from the \
         Emberkeep app: enter this server's address (as in this link, with its port) and \
         your join code in the connect screen, or run \
         <code>emberkeep-client --server HOST:PORT --code YOUR-CODE</code>.</p>\
         <p>To play in a browser, ask the host for a link from a server started with \
         <code>--web</code>.</p></body></html>"
    ))
    .into_response()
}
