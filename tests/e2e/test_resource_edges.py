"""Resource edges (reliability reference §8): a function that exhausts its file descriptors,
floods its log pipe, answers exactly at the 6 MB boundary or one byte over it, or is sent a
deeply nested event. Each gets Lambda's answer, the next invoke of the same function works,
and the server's own file descriptors and memory come back to where they were."""

import json
import os

import pytest

from conftest import Server, deploy, invoke

LIMIT = 6_291_556  # Lambda's synchronous response limit: 6 MiB + 100 bytes

EDGE_APP = r'''
import json, os, sys

def handler(event, context):
    action = event.get("action") if isinstance(event, dict) else None
    if action == "fds":
        held = []
        try:
            while True:
                held.append(os.open("/dev/null", os.O_RDONLY))
        except OSError as e:
            count = len(held)
            for fd in held:
                os.close(fd)
            return {"opened": count, "errno": e.errno}
    if action == "flood":
        chunk = "x" * 1023 + "\n"
        for _ in range(event["kib"]):
            sys.stdout.write(chunk)
        sys.stdout.flush()
        return {"flooded": event["kib"]}
    if action == "size":
        # json.dumps of a str of n - 2 characters is exactly n bytes.
        return "y" * (event["bytes"] - 2)
    if isinstance(event, list):
        return {"nested": True}
    return {"ok": True}
'''


@pytest.fixture(scope="module")
def esrv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("edges") / "data").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def elam(esrv):
    lam = esrv.client()
    deploy(lam, "edges", {"app.py": EDGE_APP}, MemorySize=1024, Timeout=60)
    assert invoke(lam, "edges", {}).payload == {"ok": True}
    return lam


def server_usage(server):
    pid = server.proc.pid
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    rss_kib = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
    return fds, rss_kib


def works(lam):
    r = invoke(lam, "edges", {}, LogType="None")
    assert r.function_error is None and r.payload == {"ok": True}, r.payload


def test_fd_exhaustion_is_the_functions_alone(elam):
    r = invoke(elam, "edges", {"action": "fds"}, LogType="None")
    # EMFILE at the sandbox's RLIMIT_NOFILE (Lambda's is 1024), not at some host limit.
    assert r.payload["errno"] == 24, r.payload
    assert 900 <= r.payload["opened"] <= 1024, r.payload
    works(elam)


def test_a_flooded_log_pipe_does_not_stall_the_invoke(elam):
    r = invoke(elam, "edges", {"action": "flood", "kib": 32 * 1024}, LogType="Tail")
    assert r.function_error is None and r.payload == {"flooded": 32 * 1024}
    # The Tail is the last 4 KB of the log, ending with the REPORT line.
    assert "REPORT RequestId:" in r.log
    works(elam)


@pytest.mark.parametrize("size,fits", [(LIMIT, True), (LIMIT + 1, False)])
def test_response_at_the_6mb_boundary(elam, size, fits):
    r = invoke(elam, "edges", {"action": "size", "bytes": size}, LogType="None")
    if fits:
        assert r.function_error is None
        assert len(r.raw) == size
    else:
        assert r.function_error == "Unhandled"
        assert r.payload == {
            "errorType": "Function.ResponseSizeTooLarge",
            "errorMessage": f"Response payload size exceeded maximum allowed payload size ({LIMIT} bytes).",
        }
    works(elam)


def test_deeply_nested_event(elam):
    # 100,000 levels of arrays: valid JSON that recursive parsers cannot read. Lambda passes
    # the bytes to the runtime, whose JSON reader refuses them; the platform stays up.
    depth = 100_000
    r = invoke(elam, "edges", "[" * depth + "]" * depth, LogType="None")
    assert r.status == 200
    assert r.function_error == "Unhandled", r.payload
    assert r.payload["errorType"] == "Runtime.UnmarshalError", r.payload
    assert r.payload["errorMessage"].startswith("Unable to unmarshal input: maximum recursion depth"), r.payload
    works(elam)


def test_server_resources_return_to_baseline(esrv, elam):
    works(elam)
    fds0, rss0 = server_usage(esrv)
    for _ in range(3):
        invoke(elam, "edges", {"action": "fds"}, LogType="None")
        invoke(elam, "edges", {"action": "flood", "kib": 8 * 1024}, LogType="None")
        invoke(elam, "edges", {"action": "size", "bytes": LIMIT + 1}, LogType="None")
        works(elam)
    fds1, rss1 = server_usage(esrv)
    assert fds1 <= fds0 + 4, (fds0, fds1)
    # Three 6 MB responses passed through; the server must not keep them.
    assert rss1 - rss0 < 24 * 1024, (rss0, rss1)
