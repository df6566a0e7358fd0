"""Asynchronous invocation through the durable queue, with the real binary and boto3:
Lambda's retry rules (function errors retried per MaximumRetryAttempts, timeouts alike, an
event aging out while its function is at reserved concurrency 0), the invocation records
destinations receive (a Lamina function invoked with the record; a queue Lamina does not run
fails visibly and keeps the record), failed events listed and replayed, and accepted events
surviving `kill -9` at random moments under load.

The server runs with `--async-retry-delay-ms 300`: Lambda's 1 and 2 minute retry delays
become 300 and 600 ms, and every other asynchronous timing (back-off, event age) scales by
the same factor, so each test takes seconds."""

import json
import random
import threading
import time

import pytest

from conftest import Server, deploy, raw_call

ACCOUNT = "us-east-1:000000000000"
SQS = f"arn:aws:sqs:{ACCOUNT}:records"
DELAY_MS = 300

ALWAYS_FAILS = "def handler(event, context):\n    raise Exception('boom')\n"
OK = "def handler(event, context):\n    return {'got': event}\n"
FAILS_TWICE = '''
import os
def handler(event, context):
    path = "/tmp/" + context.aws_request_id
    n = int(open(path).read()) if os.path.exists(path) else 0
    open(path, "w").write(str(n + 1))
    if n < 2:
        raise Exception("attempt %d fails" % (n + 1))
    return {"attempt": n + 1}
'''
SLEEPS = "import time\ndef handler(event, context):\n    time.sleep(5)\n"


def fn_arn(name, qualifier=None):
    arn = f"arn:aws:lambda:{ACCOUNT}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


@pytest.fixture(scope="module")
def asrv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("async") / "data", ["--async-retry-delay-ms", str(DELAY_MS)]).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def alam(asrv):
    return asrv.client()


def events(server, name, status=None):
    path = f"/lamina/functions/{name}/events" + (f"?status={status}" if status else "")
    code, _, body = raw_call(server, "GET", path)
    assert code == 200, body
    return body


def show(server, name, event_id):
    code, _, body = raw_call(server, "GET", f"/lamina/functions/{name}/events/{event_id}")
    assert code == 200, body
    return body


def wait_failed(server, name, count=1, seconds=30):
    """The function's failed events once there are `count` of them (with their records)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        listed = events(server, name, "failed")
        if len(listed["Events"]) >= count:
            return [show(server, name, e["Id"]) for e in listed["Events"]]
        time.sleep(0.1)
    raise AssertionError(f"{name}: fewer than {count} failed events after {seconds}s: {events(server, name)}")


def send(lam, name, payload, **kw):
    resp = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(payload), **kw)
    assert resp["StatusCode"] == 202
    assert resp["Payload"].read() == b""
    return resp["ResponseMetadata"]["RequestId"]


def starts(server, name, request_id):
    _, _, body = raw_call(server, "GET", f"/lamina/logs/{name}")
    return [m["message"] for m in body["events"] if m["message"].startswith(f"START RequestId: {request_id}")]


def test_always_failing_function_is_tried_three_times_then_kept_with_its_record(asrv, alam):
    deploy(alam, "always-fails", {"app.py": ALWAYS_FAILS})
    alam.put_function_event_invoke_config(FunctionName="always-fails", DestinationConfig={"OnFailure": {"Destination": SQS}})
    accepted = time.time()
    rid = send(alam, "always-fails", {"n": 1})
    [kept] = wait_failed(asrv, "always-fails")
    took = time.time() - accepted
    record = kept["Record"]
    assert record["version"] == "1.0"
    assert record["requestContext"] == {
        "requestId": rid,
        "functionArn": fn_arn("always-fails", "$LATEST"),
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == {"n": 1}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorMessage"] == "boom"
    assert record["responsePayload"]["errorType"] == "Exception"
    assert record["timestamp"].endswith("Z") and len(record["timestamp"]) == len("2019-11-14T18:16:05.568Z")
    # The SQS queue is not something Lamina runs: the delivery failed, visibly.
    assert kept["Condition"] == "RetriesExhausted"
    assert SQS in kept["Reason"] and "failed" in kept["Reason"]
    assert kept["RequestId"] == rid and kept["Attempts"] == 3
    # Retries wait one delay, then two: at least 3 delays in all.
    assert took >= 3 * DELAY_MS / 1000
    # Every attempt is a real invocation under the same request id.
    assert len(starts(asrv, "always-fails", rid)) == 3


def test_fails_twice_then_succeeds_reports_success_after_three_attempts(asrv, alam):
    deploy(alam, "fails-twice", {"app.py": FAILS_TWICE})
    alam.put_function_concurrency(FunctionName="fails-twice", ReservedConcurrentExecutions=1)
    alam.put_function_event_invoke_config(FunctionName="fails-twice", DestinationConfig={"OnSuccess": {"Destination": SQS}})
    rid = send(alam, "fails-twice", {"k": "v"})
    [kept] = wait_failed(asrv, "fails-twice")
    record = kept["Record"]
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["requestId"] == rid
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"attempt": 3}


def test_timeout_is_retried_per_maximum_retry_attempts(asrv, alam):
    deploy(alam, "sleeps", {"app.py": SLEEPS}, Timeout=1)
    alam.put_function_event_invoke_config(
        FunctionName="sleeps", MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": SQS}}
    )
    rid = send(alam, "sleeps", {})
    [kept] = wait_failed(asrv, "sleeps")
    record = kept["Record"]
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "Sandbox.Timedout"
    assert len(starts(asrv, "sleeps", rid)) == 2


def test_maximum_retry_attempts_zero_tries_once(asrv, alam):
    deploy(alam, "once", {"app.py": ALWAYS_FAILS})
    alam.put_function_event_invoke_config(FunctionName="once", MaximumRetryAttempts=0)
    rid = send(alam, "once", {"x": 1})
    [kept] = wait_failed(asrv, "once")
    # No destination: the failed event is kept with its record all the same.
    assert kept["Record"]["requestContext"]["approximateInvokeCount"] == 1
    assert kept["Record"]["requestContext"]["condition"] == "RetriesExhausted"
    assert kept["Reason"].startswith("Exception: boom")
    time.sleep(3 * DELAY_MS / 1000)
    assert len(starts(asrv, "once", rid)) == 1


def test_event_ages_out_at_reserved_concurrency_zero_and_replay_runs_it(asrv, alam):
    deploy(alam, "parked", {"app.py": OK})
    alam.put_function_concurrency(FunctionName="parked", ReservedConcurrentExecutions=0)
    alam.put_function_event_invoke_config(FunctionName="parked", MaximumEventAgeInSeconds=60)
    rid = send(alam, "parked", {"late": True})
    # Waiting, never run, while the function is at 0.
    listed = events(asrv, "parked")
    assert listed["Queued"] == 1 and listed["Events"][0]["Status"] == "queued"
    [kept] = wait_failed(asrv, "parked")
    record = kept["Record"]
    assert record["requestContext"] == {
        "requestId": rid,
        "functionArn": fn_arn("parked", "$LATEST"),
        "condition": "EventAgeExceeded",
        "approximateInvokeCount": 0,
    }
    assert "responseContext" not in record and "responsePayload" not in record
    assert starts(asrv, "parked", rid) == []
    assert events(asrv, "parked")["Queued"] == 0

    # Replay puts it back; once the function may run, it runs under the same request id.
    alam.delete_function_concurrency(FunctionName="parked")
    code, _, out = raw_call(asrv, "POST", "/lamina/functions/parked/events/replay")
    assert (code, out) == (200, {"Replayed": 1})
    deadline = time.time() + 20
    while time.time() < deadline and events(asrv, "parked")["Events"]:
        time.sleep(0.1)
    assert events(asrv, "parked")["Events"] == []
    assert len(starts(asrv, "parked", rid)) == 1


def test_lamina_function_destination_receives_the_record(asrv, alam):
    deploy(alam, "sink", {"app.py": OK})
    deploy(alam, "src", {"app.py": ALWAYS_FAILS})
    alam.put_function_event_invoke_config(
        FunctionName="src", MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": fn_arn("sink")}}
    )
    alam.put_function_event_invoke_config(FunctionName="sink", DestinationConfig={"OnSuccess": {"Destination": SQS}})
    rid = send(alam, "src", {"order": 42})
    # The sink ran with src's record as its event; its own success record (kept, since its
    # SQS destination cannot be reached) carries that event as requestPayload.
    [sink_kept] = wait_failed(asrv, "sink")
    delivered = sink_kept["Record"]["requestPayload"]
    assert delivered["requestContext"] == {
        "requestId": rid,
        "functionArn": fn_arn("src", "$LATEST"),
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 1,
    }
    assert delivered["requestPayload"] == {"order": 42}
    assert delivered["responsePayload"]["errorMessage"] == "boom"
    assert sink_kept["Record"]["responsePayload"] == {"got": delivered}
    # src's event left the queue with the hand-over.
    assert events(asrv, "src")["Events"] == []


def test_purge_and_bad_requests(asrv, alam):
    deploy(alam, "purged", {"app.py": ALWAYS_FAILS})
    alam.put_function_event_invoke_config(FunctionName="purged", MaximumRetryAttempts=0)
    send(alam, "purged", {})
    send(alam, "purged", {})
    wait_failed(asrv, "purged", count=2)
    code, _, out = raw_call(asrv, "DELETE", "/lamina/functions/purged/events")
    assert (code, out) == (200, {"Purged": 2})
    assert events(asrv, "purged")["Events"] == []
    code, head, out = raw_call(asrv, "GET", "/lamina/functions/nope/events")
    assert code == 404 and head["x-amzn-errortype"] == "ResourceNotFoundException"
    code, _, out = raw_call(asrv, "GET", "/lamina/functions/purged/events?status=bogus")
    assert code == 400
    # Over 1 MB is Lambda's 413 for the Event type, and nothing is queued.
    code, head, out = raw_call(
        asrv, "POST", "/2015-03-31/functions/purged/invocations", b'"' + b"a" * (1024 * 1024) + b'"',
        {"X-Amz-Invocation-Type": "Event"},
    )
    assert code == 413 and head["x-amzn-errortype"] == "RequestEntityTooLargeException"
    assert events(asrv, "purged")["Events"] == []


def test_accepted_events_survive_kill_9_at_random_moments(tmp_path):
    """Under load, the server is killed with SIGKILL at random moments and restarted; every
    event that got its 202 runs at least once. Runs are recorded durably by the function's
    on-success destination (an SQS ARN: each success is kept as a failed delivery carrying
    the record with the request id), not in server memory."""
    server = Server(tmp_path / "data", ["--async-retry-delay-ms", str(DELAY_MS)]).start()
    try:
        lam = server.client()
        deploy(lam, "durable", {"app.py": OK})
        lam.put_function_event_invoke_config(FunctionName="durable", DestinationConfig={"OnSuccess": {"Destination": SQS}})
        accepted = set()
        rng = random.Random(12)
        for round_ in range(3):
            stop = threading.Event()
            lock = threading.Lock()

            def load():
                client = server.client()
                while not stop.is_set():
                    try:
                        rid = send(client, "durable", {"round": round_})
                    except Exception:
                        return  # the server died under us: this one was not acknowledged
                    with lock:
                        accepted.add(rid)

            threads = [threading.Thread(target=load) for _ in range(4)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.3, 1.5))
            server.kill()
            stop.set()
            for t in threads:
                t.join()
            server.start()
        assert len(accepted) > 20, len(accepted)
        print(f"{len(accepted)} events accepted across 3 kills")
        deadline = time.time() + 120
        ran = set()
        while time.time() < deadline:
            listed = events(server, "durable")
            if listed["Queued"] == 0 and not any(e["Status"] == "queued" for e in listed["Events"]):
                ids = [e["Id"] for e in listed["Events"]]
                ran = {show(server, "durable", i)["Record"]["requestContext"]["requestId"] for i in ids}
                if accepted <= ran:
                    break
            time.sleep(0.5)
        missing = accepted - ran
        assert not missing, f"{len(missing)} of {len(accepted)} accepted events never ran"
    finally:
        server.stop()
