//! `--static-dir`: files under one folder served at the server's root, for requests no route
//! matches. Paths never leave the folder.

use std::path::{Component, Path, PathBuf};

use axum::response::{IntoResponse, Response};

/// The response for `path` if it names a file under `dir` (`/` serves `index.html`).
pub(super) async fn serve(dir: &Path, path: &str) -> Option<Response> {
    let mut target = PathBuf::from(dir);
    for part in Path::new(path.trim_start_matches('/')).components() {
        match part {
            Component::Normal(p) => target.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if target.is_dir() {
        target.push("index.html");
    }
    let bytes = tokio::fs::read(&target).await.ok()?;
    Some(([("content-type", content_type(&target))], bytes).into_response())
}

fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}
