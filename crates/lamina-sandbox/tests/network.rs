//! End-to-end network isolation (reliability-reference §8 case 13): an isolated sandbox
//! reaches its own Runtime API listener at 127.0.0.1:9001 and nothing on the host; a
//! Host-network sandbox (the opt-in) reaches the host. Needs root.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

mod common;

use std::io::Read;
use std::net::TcpListener;

use common::Harness;
use lamina_sandbox::{Network, Sandbox};

#[tokio::test]
async fn isolated_sandbox_reaches_its_runtime_api_but_not_the_host() {
    let Some(h) = Harness::new() else { return };
    let host = TcpListener::bind("127.0.0.1:0").unwrap();
    let host_port = host.local_addr().unwrap().port();
    host.set_nonblocking(true).unwrap();
    let script = format!(
        "if (echo x > /dev/tcp/127.0.0.1/{host_port}) 2>/dev/null; then echo HOST REACHED; else echo host refused; fi
         echo hello-runtime-api > /dev/tcp/127.0.0.1/9001 && echo api ok
         cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '"
    );
    let (mut spec, logs, api) = h.spec("net", "");
    // bash, for /dev/tcp.
    spec.argv = vec!["/bin/bash".into(), "-c".into(), script];
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    let (mut conn, _) = api.accept().unwrap();
    let mut got = String::new();
    conn.read_to_string(&mut got).unwrap();
    assert_eq!(sb.wait().await.unwrap().to_string(), "exit status 0");
    let out = logs.take();
    assert_eq!(got, "hello-runtime-api\n");
    assert_eq!(out, "host refused\napi ok\nlo\n");
    // Nothing ever connected to the host listener.
    assert!(host.accept().is_err());
}

#[tokio::test]
async fn host_network_opt_in_reaches_the_host() {
    let Some(h) = Harness::new() else { return };
    let host = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = host.local_addr().unwrap().port();
    let (mut spec, logs) = h.spec_with_network("hostnet", "", Network::Host);
    spec.argv = vec![
        "/bin/bash".into(),
        "-c".into(),
        format!("echo from-sandbox > /dev/tcp/127.0.0.1/{port} && echo sent"),
    ];
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    let (mut conn, _) = host.accept().unwrap();
    let mut got = String::new();
    conn.read_to_string(&mut got).unwrap();
    assert_eq!(sb.wait().await.unwrap().to_string(), "exit status 0");
    assert_eq!(got, "from-sandbox\n");
    assert_eq!(logs.take(), "sent\n");
}
