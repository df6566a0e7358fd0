//! Reading a runtime's request body with a hard bound: bytes are counted as frames arrive and
//! reading stops at the limit, so a runtime that posts 7 MiB (or streams forever) never makes
//! the platform hold more than the limit.

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http_body_util::BodyExt;

/// Why a body could not be read in full.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BodyError {
    /// More than the limit was declared or received.
    #[error("body exceeds {limit} bytes")]
    TooLarge { limit: usize },
    /// The connection failed or ended before the body was complete.
    #[error("body truncated")]
    Truncated,
}

/// Reads `body` into memory, refusing it as soon as it would exceed `limit` bytes.
pub(crate) async fn read_bounded(
    headers: &HeaderMap,
    body: &mut Body,
    limit: usize,
) -> Result<Bytes, BodyError> {
    // A declared length over the limit is refused before reading anything.
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }

    // Most responses arrive as one frame; keep it without copying and only start a buffer
    // when a second data frame shows up.
    let mut first: Option<Bytes> = None;
    let mut buf: Option<BytesMut> = None;
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyError::Truncated)?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers carry nothing we use
        };
        total = total.saturating_add(data.len());
        if total > limit {
            return Err(BodyError::TooLarge { limit });
        }
        match (&mut first, &mut buf) {
            (None, None) => first = Some(data),
            (Some(head), None) => {
                let mut b = BytesMut::with_capacity(
                    declared.map_or(head.len() + data.len(), |d| d as usize),
                );
                b.extend_from_slice(head);
                b.extend_from_slice(&data);
                first = None;
                buf = Some(b);
            }
            (_, Some(b)) => b.extend_from_slice(&data),
        }
    }
    Ok(match (first, buf) {
        (_, Some(b)) => b.freeze(),
        (Some(head), None) => head,
        (None, None) => Bytes::new(),
    })
}

/// Most bytes read and thrown away after a refusal before giving up on the connection.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// Reads and discards the rest of a refused body, so a client that sends its whole body
/// before reading the answer (Python's `http.client`, Node's `http`) gets the 413 instead of
/// a broken pipe, and the keep-alive connection survives. Memory stays constant; past
/// [`DRAIN_LIMIT`] the connection is left to be closed.
pub(crate) async fn drain(body: &mut Body) {
    let mut discarded = 0usize;
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            discarded = discarded.saturating_add(data.len());
            if discarded > DRAIN_LIMIT {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    /// A body that yields the given chunks as separate frames, to exercise the multi-frame path.
    struct Chunks(std::collections::VecDeque<&'static [u8]>);

    impl axum::body::HttpBody for Chunks {
        type Data = Bytes;
        type Error = std::io::Error;
        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
            std::task::Poll::Ready(
                self.0
                    .pop_front()
                    .map(|c| Ok(hyper::body::Frame::data(Bytes::from_static(c)))),
            )
        }
    }

    fn stream_body(chunks: Vec<&'static [u8]>) -> Body {
        Body::new(Chunks(chunks.into()))
    }

    #[tokio::test]
    async fn multi_frame_body_is_joined() {
        let b = read_bounded(
            &HeaderMap::new(),
            &mut stream_body(vec![b"ab", b"cd", b"e"]),
            5,
        )
        .await
        .unwrap();
        assert_eq!(&b[..], b"abcde");
    }

    #[tokio::test]
    async fn limit_is_enforced_while_streaming() {
        let err = read_bounded(
            &HeaderMap::new(),
            &mut stream_body(vec![b"ab", b"cd", b"ef"]),
            5,
        )
        .await
        .unwrap_err();
        assert_eq!(err, BodyError::TooLarge { limit: 5 });
    }

    #[tokio::test]
    async fn declared_length_over_limit_is_refused_before_reading() {
        let mut h = HeaderMap::new();
        h.insert(http::header::CONTENT_LENGTH, HeaderValue::from_static("6"));
        let err = read_bounded(&h, &mut Body::from("abcdef"), 5)
            .await
            .unwrap_err();
        assert_eq!(err, BodyError::TooLarge { limit: 5 });
    }

    #[tokio::test]
    async fn exactly_the_limit_is_accepted() {
        let b = read_bounded(&HeaderMap::new(), &mut Body::from("abcde"), 5)
            .await
            .unwrap();
        assert_eq!(&b[..], b"abcde");
        let empty = read_bounded(&HeaderMap::new(), &mut Body::empty(), 5)
            .await
            .unwrap();
        assert!(empty.is_empty());
    }
}
