//! The Runtime API as a hostile runtime sees it: raw bytes (one or several HTTP requests on
//! one connection) sent to a real server while the platform side keeps handing out an
//! invocation whose id is `fuzz-request` (so answers to it reach the state machine). The
//! server never panics and keeps answering new connections.

#![no_main]

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use lamina_runtime_api::{Invocation, RuntimeApi, RuntimeApiConfig};
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;

struct Harness {
    runtime: Runtime,
    addr: SocketAddr,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let api = {
            let _guard = runtime.enter();
            // A small payload bound keeps the fuzzer's large bodies cheap.
            Arc::new(
                RuntimeApi::serve(
                    listener,
                    RuntimeApiConfig {
                        max_payload_bytes: 4096,
                        ..RuntimeApiConfig::default()
                    },
                )
                .expect("the Runtime API serves"),
            )
        };
        let addr = api.local_addr();
        runtime.spawn(platform(api));
        Harness { runtime, addr }
    })
}

/// The engine's side: one invocation at a time, withdrawn and reset when no runtime answers.
async fn platform(api: Arc<RuntimeApi>) {
    loop {
        let inv = Invocation {
            request_id: "fuzz-request".into(),
            payload: bytes_of(b"{\"key\":\"value\"}"),
            deadline_ms: 4_102_444_800_000,
            invoked_function_arn: "arn:aws:lambda:us-east-1:000000000000:function:fuzz".into(),
            trace_id: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
                .into(),
            client_context: None,
            cognito_identity: None,
        };
        if tokio::time::timeout(Duration::from_millis(20), api.invoke(inv))
            .await
            .is_err()
        {
            api.reset();
        }
    }
}

fn bytes_of(b: &'static [u8]) -> bytes::Bytes {
    bytes::Bytes::from_static(b)
}

/// Sends `request` and reads until the server closes or `wait` passes. With `half_close`
/// the client shuts its write side first, as a runtime may; the server is then free to
/// drop the connection without answering (hyper does when it reads EOF early).
async fn exchange(
    addr: SocketAddr,
    request: &[u8],
    half_close: bool,
    wait: Duration,
) -> Option<Vec<u8>> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    stream.write_all(request).await.ok()?;
    if half_close {
        stream.shutdown().await.ok()?;
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await;
    Some(answer)
}

fuzz_target!(|data: &[u8]| {
    let h = harness();
    h.runtime.block_on(async {
        let _ = exchange(h.addr, data, true, Duration::from_millis(100)).await;
        let probe = b"GET /2018-06-01/fuzz-probe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        let answer = exchange(h.addr, probe, false, Duration::from_secs(10))
            .await
            .expect("the Runtime API accepts a new connection");
        assert!(
            answer.starts_with(b"HTTP/1.1 404"),
            "the Runtime API stopped answering: {:?}",
            String::from_utf8_lossy(&answer)
        );
    });
});
