//! The real server on a loopback socket, driven with raw HTTP/1.1: lifecycle (serve,
//! shutdown, reset), garbage on the wire, and the keep-alive connection surviving a refused
//! oversized body.

// Harness helpers outside #[test] fns: a failed set-up step should panic the test.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use lamina_runtime_api::{
    InitOutcome, InvokeError, InvokeOutcome, MAX_RESPONSE_BYTES, RuntimeApi, RuntimeApiConfig,
    RuntimeApiError,
};

/// A minimal blocking HTTP/1.1 client over one keep-alive connection.
struct Conn {
    reader: BufReader<TcpStream>,
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Conn {
    fn open(api: &RuntimeApi) -> Conn {
        let stream = TcpStream::connect(api.local_addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Conn {
            reader: BufReader::new(stream),
        }
    }

    fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let stream = self.reader.get_mut();
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        self.read_answer()
    }

    fn read_answer(&mut self) -> Answer {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (k, v) = l.split_once(':').unwrap();
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(0);
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body).unwrap();
        Answer {
            status,
            headers,
            body,
        }
    }
}

fn serve() -> RuntimeApi {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    RuntimeApi::serve(listener, RuntimeApiConfig::default()).unwrap()
}

const NEXT: &str = "/2018-06-01/runtime/invocation/next";

#[test]
fn serve_outside_tokio_is_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let err = RuntimeApi::serve(listener, RuntimeApiConfig::default()).err();
    assert!(matches!(err, Some(RuntimeApiError::NoTokioRuntime)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_cycle_over_one_connection_with_an_oversized_body_in_between() {
    let api = std::sync::Arc::new(serve());
    let runtime = {
        let api = api.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = Conn::open(&api);
            let a = c.send("GET", NEXT, &[], b"");
            assert_eq!(a.status, 200);
            let id = a
                .header("lambda-runtime-aws-request-id")
                .unwrap()
                .to_owned();
            assert_eq!(a.body, br#"{"n":1}"#);
            // Over the limit: the server reads and discards the rest, answers 413, and the
            // same connection carries on.
            let big = vec![b'x'; MAX_RESPONSE_BYTES + 1];
            let a = c.send(
                "POST",
                &format!("/2018-06-01/runtime/invocation/{id}/response"),
                &[],
                &big,
            );
            assert_eq!(a.status, 413);
            let a = c.send("GET", NEXT, &[], b"");
            assert_eq!(a.status, 200);
            let id = a
                .header("lambda-runtime-aws-request-id")
                .unwrap()
                .to_owned();
            let a = c.send(
                "POST",
                &format!("/2018-06-01/runtime/invocation/{id}/response"),
                &[],
                b"\"fine\"",
            );
            assert_eq!(a.status, 202);
            assert_eq!(a.body, br#"{"status":"OK"}"#);
        })
    };
    assert_eq!(
        api.wait_init(Instant::now() + Duration::from_secs(10))
            .await,
        InitOutcome::Ready
    );
    let first = api
        .invoke(common::invocation("one", r#"{"n":1}"#, 30))
        .await;
    assert_eq!(first, Ok(InvokeOutcome::ResponseTooLarge));
    let second = api
        .invoke(common::invocation("two", r#"{"n":2}"#, 30))
        .await;
    assert_eq!(
        second,
        Ok(InvokeOutcome::Response(bytes::Bytes::from_static(
            b"\"fine\""
        )))
    );
    runtime.await.unwrap();
    assert_eq!(api.connections_accepted(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_on_the_wire_does_not_hurt_the_server() {
    let api = serve();
    let garbage: [&[u8]; 4] = [
        b"\x00\x01\x02\xff\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"POST /2018-06-01/runtime/init/error HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
        b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n",
    ];
    for g in garbage {
        let mut s = TcpStream::connect(api.local_addr()).unwrap();
        s.write_all(g).unwrap();
        drop(s);
    }
    let addr = api.local_addr();
    let answer = tokio::task::spawn_blocking(move || {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut c = Conn {
            reader: BufReader::new(stream),
        };
        c.send("GET", "/2018-06-01/ping", &[], b"")
    })
    .await
    .unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, b"pong");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_fails_pending_invokes_and_closes_the_port() {
    let api = std::sync::Arc::new(serve());
    let addr = api.local_addr();
    let pending = {
        let api = api.clone();
        tokio::spawn(async move { api.invoke(common::invocation("x", "{}", 30)).await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    api.shutdown();
    assert_eq!(pending.await.unwrap(), Err(InvokeError::Closed));
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(TcpStream::connect(addr).is_err(), "listener must be closed");
    // Later invokes fail the same way instead of waiting forever.
    assert_eq!(
        api.invoke(common::invocation("y", "{}", 30)).await,
        Err(InvokeError::Closed)
    );
}

/// A `provided` runtime as Lambda's custom-runtime tutorial writes it: bash and curl (which
/// sends `Expect: 100-continue` for bodies over 1 KiB).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bash_and_curl_custom_runtime() {
    let dir = common::fixtures().join("provided");
    let bootstrap = dir.join("bootstrap");
    let sb = common::Sandbox::start(bootstrap.to_str().unwrap(), &[], "unused", &dir);
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let started = Instant::now();
    let got = common::response_json(
        sb.invoke(common::invocation("sh-1", r#""hello""#, 30))
            .await,
    );
    assert_eq!(got["upper"], "HELLO");
    assert_eq!(got["padding"].as_str().unwrap().len(), 4096);
    // No one-second stall waiting for `100 Continue`.
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    let (error_type, body) =
        common::error_json(sb.invoke(common::invocation("sh-2", r#""fail""#, 30)).await);
    assert_eq!(error_type, "Function.BashFailure");
    assert_eq!(
        body,
        serde_json::json!({"errorMessage": "asked to fail", "errorType": "BashFailure"})
    );
}

/// A runtime that hangs up during its long poll must not swallow the next invocation: the
/// abandoned `/next` is dropped with its connection, and the invocation goes to a live one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_long_poll_does_not_take_the_invocation() {
    let api = std::sync::Arc::new(serve());
    {
        let mut dead = TcpStream::connect(api.local_addr()).unwrap();
        dead.write_all(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        assert_eq!(
            api.wait_init(Instant::now() + Duration::from_secs(10))
                .await,
            InitOutcome::Ready
        );
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let live = {
        let api = api.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = Conn::open(&api);
            let a = c.send("GET", NEXT, &[], b"");
            let id = a
                .header("lambda-runtime-aws-request-id")
                .unwrap()
                .to_owned();
            let a = c.send(
                "POST",
                &format!("/2018-06-01/runtime/invocation/{id}/response"),
                &[],
                b"1",
            );
            assert_eq!(a.status, 202);
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let outcome = tokio::time::timeout(
        Duration::from_secs(5),
        api.invoke(common::invocation("after-hangup", "{}", 30)),
    )
    .await
    .expect("the invocation went to the dead connection");
    assert_eq!(
        outcome,
        Ok(InvokeOutcome::Response(bytes::Bytes::from_static(b"1")))
    );
    live.await.unwrap();
}
