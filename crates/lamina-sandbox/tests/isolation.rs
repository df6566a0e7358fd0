//! End-to-end isolation tests (reliability-reference §8 cases 9, 11, 13, 14): a real sandbox
//! runs a /bin/sh script and the test asserts on what the script saw. Needs root.

mod common;

use common::Harness;
use lamina_sandbox::Sandbox;

#[tokio::test]
async fn runtime_sees_its_own_pid_namespace_user_and_no_privileges() {
    let Some(h) = Harness::new() else { return };
    let (spec, logs, _l) = h.spec(
        "privs",
        "echo pid=$$; id -u; id -g; hostname; grep -E '^(NoNewPrivs|CapEff|CapPrm|CapBnd|CapAmb):' /proc/self/status; ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '; echo; env | sort",
    );
    let uid = spec.uid;
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    let status = sb.wait().await.unwrap();
    let out = logs.take();
    eprintln!("{out}");
    assert_eq!(status.to_string(), "exit status 0", "{out}");
    assert!(out.contains("pid=2\n"), "{out}");
    assert!(out.contains(&format!("\n{uid}\n{uid}\nlamina\n")), "{out}");
    assert!(out.contains("NoNewPrivs:\t1"), "{out}");
    for cap in ["CapEff", "CapPrm", "CapBnd", "CapAmb"] {
        assert!(out.contains(&format!("{cap}:\t0000000000000000")), "{cap}: {out}");
    }
    sb.destroy().unwrap();
}
