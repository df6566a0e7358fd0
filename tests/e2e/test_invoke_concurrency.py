"""Invoke acceptance: reserved and account concurrency (429 TooManyRequestsException with
Reason and Retry-After) and parallel invokes in parallel sandboxes. The module's server has
Lambda's defaults; the account-limit test starts a second server beside it with a limit of 4 (each
server reaps only its own sandboxes, so the two coexist)."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

import botocore.exceptions
import pytest

from conftest import Server, deploy, invoke, raw_call

ACCOUNT_LIMIT = 4

SLEEPER = '''
import os, time
def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"pidns": os.readlink("/proc/self/ns/pid"), "stream": context.log_stream_name}
'''


@pytest.fixture(scope="module")
def csrv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("concurrency") / "data").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def clam(csrv):
    return csrv.client()


def parallel_raw(server, name, n, event):
    path = f"/2015-03-31/functions/{name}/invocations"
    body = json.dumps(event).encode()
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: raw_call(server, "POST", path, body), range(n)))


def assert_throttled(result, reason):
    status, headers, body = result
    assert status == 429, result
    assert headers["x-amzn-errortype"].startswith("TooManyRequestsException"), headers
    assert headers["retry-after"].isdigit(), headers
    assert body["Reason"] == reason, body
    assert (body.get("message") or body.get("Message")) == "Rate Exceeded."


@pytest.mark.parametrize("reserved,extra", [(1, 2), (2, 1)])
def test_reserved_concurrency_throttles_exactly_the_excess(csrv, clam, reserved, extra):
    name = f"c-reserved-{reserved}"
    deploy(clam, name, {"app.py": SLEEPER}, Timeout=10)
    clam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)
    results = parallel_raw(csrv, name, reserved + extra, {"sleep": 1.5})
    ok = [r for r in results if r[0] == 200]
    throttled = [r for r in results if r[0] != 200]
    assert len(ok) == reserved, results
    assert len(throttled) == extra, results
    for r in throttled:
        assert_throttled(r, "ReservedFunctionConcurrentInvocationLimitExceeded")
    # Capacity comes back once they finish.
    assert invoke(clam, name, {}).function_error is None


def test_reserved_zero_blocks_every_invoke(csrv, clam):
    deploy(clam, "c-zero", {"app.py": SLEEPER})
    clam.put_function_concurrency(FunctionName="c-zero", ReservedConcurrentExecutions=0)
    for result in parallel_raw(csrv, "c-zero", 3, {}):
        assert_throttled(result, "ReservedFunctionConcurrentInvocationLimitExceeded")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        clam.invoke(FunctionName="c-zero", Payload=b"{}")
    assert err.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert err.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    clam.delete_function_concurrency(FunctionName="c-zero")
    assert invoke(clam, "c-zero", {}).function_error is None


@pytest.fixture
def limited(tmp_path):
    s = Server(tmp_path / "data", extra_args=["--account-concurrency", str(ACCOUNT_LIMIT)]).start()
    yield s
    s.stop()


def test_account_limit_throttles_across_functions(csrv, clam, limited):
    # The module's server is warm beside this one: starting `limited` must not reap it.
    deploy(clam, "c-neighbour", {"app.py": SLEEPER})
    neighbour = invoke(clam, "c-neighbour", {}).payload
    lam = limited.client()
    deploy(lam, "c-acct-a", {"app.py": SLEEPER}, Timeout=10)
    deploy(lam, "c-acct-b", {"app.py": SLEEPER}, Timeout=10)
    with ThreadPoolExecutor(ACCOUNT_LIMIT + 2) as pool:
        futures = [pool.submit(raw_call, limited, "POST", f"/2015-03-31/functions/{name}/invocations", b'{"sleep": 1.5}')
                   for name in ["c-acct-a"] * 3 + ["c-acct-b"] * 3]
        results = [f.result() for f in futures]
    assert sum(1 for r in results if r[0] == 200) == ACCOUNT_LIMIT, results
    throttled = [r for r in results if r[0] != 200]
    assert len(throttled) == 2
    for r in throttled:
        assert_throttled(r, "ConcurrentInvocationLimitExceeded")
    # The other server's warm environment survived: same environment, no new init.
    again = invoke(clam, "c-neighbour", {})
    assert again.payload == neighbour and "Init Duration" not in again.log


def test_parallel_invokes_run_in_parallel_sandboxes(csrv, clam):
    deploy(clam, "c-parallel", {"app.py": SLEEPER}, Timeout=10)
    n, sleep = 3, 1.5
    began = time.monotonic()
    results = parallel_raw(csrv, "c-parallel", n, {"sleep": sleep})
    wall = time.monotonic() - began
    assert all(r[0] == 200 for r in results), results
    # Three environments, each with its own PID namespace and log stream.
    assert len({r[2]["pidns"] for r in results}) == n
    assert len({r[2]["stream"] for r in results}) == n
    # Run one after another they would take n * sleep.
    assert wall < (n - 1) * sleep, wall


def test_reserved_concurrency_spans_versions_and_aliases(csrv, clam):
    deploy(clam, "c-versions", {"app.py": SLEEPER}, Timeout=10)
    clam.publish_version(FunctionName="c-versions")
    clam.create_alias(FunctionName="c-versions", Name="prod", FunctionVersion="1")
    clam.put_function_concurrency(FunctionName="c-versions", ReservedConcurrentExecutions=1)
    body = b'{"sleep": 1.5}'
    targets = ["/2015-03-31/functions/c-versions/invocations",
               "/2015-03-31/functions/c-versions:1/invocations",
               "/2015-03-31/functions/c-versions/invocations?Qualifier=prod"]
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda p: raw_call(csrv, "POST", p, body), targets))
    assert sorted(r[0] for r in results) == [200, 429, 429], results
