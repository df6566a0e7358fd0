//! `GET /2020-01-01/extension/event/next`: an extension's long poll for its next event
//! (INVOKE or SHUTDOWN). Calling it says the extension is done with the previous event, which
//! is what ends an invocation's post-runtime phase. No timeout: it waits as long as there is
//! no event.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, StatusCode};

use crate::endpoints::extension_register::identifier;
use crate::extensions::new_id;
use crate::state::Core;

/// Route path of the extension next-event endpoint.
pub(crate) const PATH: &str = "/2020-01-01/extension/event/next";

const EVENT_ID_HEADER: &str = "lambda-extension-event-identifier";

/// The next event for one extension.
pub(crate) struct NextEvent {
    event: Bytes,
}

impl IntoResponse for NextEvent {
    fn into_response(self) -> Response {
        let mut response = (StatusCode::OK, self.event).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        // The emulator names each event; AWS's docs don't list it, clients ignore it.
        if let Ok(v) = HeaderValue::from_str(&new_id()) {
            headers.insert(EVENT_ID_HEADER, v);
        }
        response
    }
}

pub(crate) async fn handle(State(core): State<Arc<Core>>, headers: HeaderMap) -> Response {
    let id = match identifier(&headers) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match core.extensions.next(&id).await {
        Ok(event) => NextEvent { event }.into_response(),
        Err(e) => e.into_response(),
    }
}
