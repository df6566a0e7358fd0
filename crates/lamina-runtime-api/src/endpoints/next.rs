//! `GET /2018-06-01/runtime/invocation/next`: the runtime's long poll for its next event.
//! "Do not set a timeout on the GET": the call waits as long as there is no invocation.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use http::{HeaderName, HeaderValue};

use crate::invocation::PreparedInvocation;
use crate::state::Core;

/// Route path of the next-invocation endpoint.
pub(crate) const PATH: &str = "/2018-06-01/runtime/invocation/next";

/// `GET /2018-06-01/runtime/invocation/next`: the request carries nothing; the answer is the
/// event body plus the `Lambda-Runtime-*` headers.
pub(crate) struct NextInvocation {
    prepared: PreparedInvocation,
}

impl IntoResponse for NextInvocation {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.prepared.payload));
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for (name, value) in self.prepared.headers {
            headers.insert(HeaderName::from_static(name), value);
        }
        response
    }
}

pub(crate) async fn handle(State(core): State<Arc<Core>>) -> Response {
    match core.next().await {
        Ok(prepared) => NextInvocation { prepared }.into_response(),
        Err(e) => e.into_response(),
    }
}
