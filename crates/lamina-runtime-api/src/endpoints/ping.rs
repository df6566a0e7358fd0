//! `GET /2018-06-01/ping`: liveness probe the emulator keeps "to respect Hyrum's Law".

use axum::response::{IntoResponse, Response};

/// Route path of the ping endpoint.
pub(crate) const PATH: &str = "/2018-06-01/ping";

/// `GET /2018-06-01/ping`: the answer, a plain `pong`.
pub(crate) struct Pong;

impl IntoResponse for Pong {
    fn into_response(self) -> Response {
        "pong".into_response()
    }
}

pub(crate) async fn handle() -> Pong {
    Pong
}
