//! The console's failures and how each is shown: on a page, an HTML error page with the
//! status and message; on a script call, Lambda's `{"Type","Message"}` JSON with the status,
//! so the script can show it inline beside the form that caused it.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use lamina_model::LambdaError;

use crate::html::{Section, esc, page};

/// What went wrong while answering a console request.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The control layer or engine refused or failed, with Lambda's error.
    #[error("{}: {}", .0.kind.code(), .0.message)]
    Lambda(#[from] LambdaError),
}

impl ConsoleError {
    fn status(&self) -> StatusCode {
        match self {
            ConsoleError::Lambda(e) => {
                StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    fn parts(&self) -> (&'static str, &str) {
        match self {
            ConsoleError::Lambda(e) => (e.kind.code(), e.message.as_str()),
        }
    }
}

/// A failed page load: an error page in the console's frame.
#[derive(Debug)]
pub struct PageError(pub ConsoleError);

impl<E: Into<ConsoleError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (kind, message) = self.0.parts();
        let body = format!(
            "<h1>Something went wrong</h1><div class=\"alert error\" role=\"alert\"><strong>{}</strong> {}</div>\
<p><a href=\"/console/functions\">Back to functions</a></p>",
            esc(kind),
            esc(message)
        );
        (
            self.0.status(),
            Html(page("Error", Section::Functions, &body)),
        )
            .into_response()
    }
}

/// A failed script call: Lambda's JSON error shape.
#[derive(Debug)]
pub struct ApiError(pub ConsoleError);

impl<E: Into<ConsoleError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (kind, message) = self.0.parts();
        (
            self.0.status(),
            Json(serde_json::json!({ "Type": kind, "Message": message })),
        )
            .into_response()
    }
}
