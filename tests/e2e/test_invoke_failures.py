"""Invoke acceptance: every failure a function can meet, with Lambda's exact errorType and
message, and the invoke after it working. One server for the module, started with a short
init timeout so the init-timeout case is quick."""

import json
import time

import pytest

from conftest import Server, deploy, invoke, make_zip, raw_call, report_fields

INIT_TIMEOUT_MS = 1500


@pytest.fixture(scope="module")
def fsrv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("failures") / "data", extra_args=["--init-timeout-ms", str(INIT_TIMEOUT_MS)]).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def flam(fsrv):
    return fsrv.client()


def platform_message(request_id, text):
    return f"RequestId: {request_id} Error: {text}"


# A Python custom runtime (standard library only) for provided.al2023 functions.
PY_CUSTOM_RUNTIME = '''#!/usr/bin/python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read() or b"null")
    body = json.dumps({"custom": True, "event": event}).encode()
    urllib.request.urlopen(urllib.request.Request(api + rid + "/response", data=body, method="POST")).read()
'''

TIMEOUT_APP = '''
import os, subprocess, time
GLOBAL = {"invokes": 0}
def handler(event, context):
    GLOBAL["invokes"] += 1
    if event.get("action") == "hang":
        with open("/tmp/kept", "w") as f:
            f.write("still here")
        # A grandchild in its own session, detached from the runtime.
        child = subprocess.Popen(["sh", "-c", "sleep 60 & echo $! > /tmp/grandchild; wait"], start_new_session=True)
        for _ in range(100):
            if os.path.exists("/tmp/grandchild") and open("/tmp/grandchild").read().strip():
                break
            time.sleep(0.01)
        time.sleep(30)
    pid = int(open("/tmp/grandchild").read()) if os.path.exists("/tmp/grandchild") else None
    return {
        "invokes": GLOBAL["invokes"],
        "kept": open("/tmp/kept").read() if os.path.exists("/tmp/kept") else None,
        "grandchild_alive": pid is not None and os.path.exists("/proc/%d" % pid),
        "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    }
'''


def test_timeout_kills_the_tree_keeps_tmp_and_resets_globals(flam):
    deploy(flam, "f-timeout", {"app.py": TIMEOUT_APP}, Timeout=1)
    assert invoke(flam, "f-timeout", {}).payload["invokes"] == 1
    began = time.monotonic()
    r = invoke(flam, "f-timeout", {"action": "hang"})
    elapsed = time.monotonic() - began
    assert r.status == 200 and r.function_error == "Unhandled"
    assert r.payload == {"errorType": "Sandbox.Timedout",
                         "errorMessage": platform_message(r.request_id, "Task timed out after 1.00 seconds")}
    assert elapsed < 10
    assert "Task timed out after 1.00 seconds" in r.log
    assert report_fields(r.log)["Status"] == "timeout"

    after = invoke(flam, "f-timeout", {})
    assert after.function_error is None, after.payload
    assert after.payload["kept"] == "still here"
    assert after.payload["invokes"] == 1, "globals must be reset: the runtime was started again"
    assert after.payload["grandchild_alive"] is False, after.payload
    assert "Init Duration" in report_fields(after.log)


OOM_APP = '''
def handler(event, context):
    if event.get("mb"):
        hog = b"\\x01" * (event["mb"] << 20)
        return len(hog)
    return "small"
'''


def test_out_of_memory_is_signal_killed(flam):
    deploy(flam, "f-oom", {"app.py": OOM_APP}, MemorySize=128, Timeout=10)
    r = invoke(flam, "f-oom", {"mb": 300})
    assert r.function_error == "Unhandled"
    assert r.payload == {"errorType": "Runtime.ExitError",
                         "errorMessage": platform_message(r.request_id, "Runtime exited with error: signal: killed")}
    fields = report_fields(r.log)
    assert fields["Status"] == "error" and fields["Error Type"] == "Runtime.ExitError"
    assert fields["Max Memory Used"] >= 120
    ok = invoke(flam, "f-oom", {})
    assert ok.function_error is None and ok.payload == "small"


EXIT_APP = '''
import sys
def handler(event, context):
    if "code" in event:
        sys.exit(event["code"])
    return "alive"
'''


@pytest.mark.parametrize("code,text", [(0, "Runtime exited without providing a reason"),
                                       (3, "Runtime exited with error: exit status 3")])
def test_runtime_exit(flam, code, text):
    name = f"f-exit{code}"
    deploy(flam, name, {"app.py": EXIT_APP})
    r = invoke(flam, name, {"code": code})
    assert r.function_error == "Unhandled"
    assert r.payload == {"errorType": "Runtime.ExitError", "errorMessage": platform_message(r.request_id, text)}
    assert report_fields(r.log)["Error Type"] == "Runtime.ExitError"
    assert invoke(flam, name, {}).payload == "alive"


def test_missing_bootstrap_is_invalid_entrypoint(flam):
    deploy(flam, "f-nobootstrap", {"README.txt": "no bootstrap here"}, runtime="provided.al2023", handler="x")
    r = invoke(flam, "f-nobootstrap", {})
    assert r.function_error == "Unhandled"
    assert r.payload == {"errorType": "Runtime.InvalidEntrypoint",
                         "errorMessage": platform_message(r.request_id, "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]")}
    flam.update_function_code(FunctionName="f-nobootstrap", ZipFile=make_zip({"bootstrap": PY_CUSTOM_RUNTIME}))
    r = invoke(flam, "f-nobootstrap", {"x": 1})
    assert r.function_error is None, r.payload
    assert r.payload == {"custom": True, "event": {"x": 1}}


FLAKY_IMPORT = '''
import os
if not os.path.exists("/tmp/imported-once"):
    open("/tmp/imported-once", "w").close()
    import a_module_that_is_not_there
def handler(event, context):
    return "initialised"
'''


def test_import_error_then_init_is_retried(flam):
    deploy(flam, "f-import", {"app.py": "import missing_dependency\ndef handler(e, c):\n    return 1\n"})
    r = invoke(flam, "f-import", {})
    assert r.function_error == "Unhandled"
    assert r.payload == {"errorType": "Runtime.ImportModuleError",
                         "errorMessage": "Unable to import module 'app': No module named 'missing_dependency'",
                         "requestId": "", "stackTrace": []}
    assert report_fields(r.log)["Error Type"] == "Runtime.ImportModuleError"
    # Still broken: init is tried again, and fails again the same way.
    assert invoke(flam, "f-import", {}).payload["errorType"] == "Runtime.ImportModuleError"
    flam.update_function_code(FunctionName="f-import", ZipFile=make_zip({"app.py": "def handler(e, c):\n    return 'fixed'\n"}))
    assert invoke(flam, "f-import", {}).payload == "fixed"

    # Init retried in the same environment (its /tmp survives): the second init succeeds.
    deploy(flam, "f-import-once", {"app.py": FLAKY_IMPORT})
    first = invoke(flam, "f-import-once", {})
    assert first.payload["errorType"] == "Runtime.ImportModuleError", first.payload
    second = invoke(flam, "f-import-once", {})
    assert second.function_error is None and second.payload == "initialised", second.payload


def test_missing_handler_is_handler_not_found(flam):
    deploy(flam, "f-nohandler", {"app.py": "def handler(e, c):\n    return 1\n"}, handler="app.nope")
    r = invoke(flam, "f-nohandler", {})
    assert r.function_error == "Unhandled"
    assert r.payload == {"errorType": "Runtime.HandlerNotFound", "errorMessage": "Handler 'nope' missing on module 'app'",
                         "requestId": "", "stackTrace": []}
    flam.update_function_configuration(FunctionName="f-nohandler", Handler="app.handler")
    assert invoke(flam, "f-nohandler", {}).payload == 1


# Sleeps instead of calling /next for its first two starts (counted in /tmp, which survives
# restarts), then runs the custom runtime.
NEVER_NEXT_BOOTSTRAP = '''#!/bin/sh
n=$(cat /tmp/starts 2>/dev/null || echo 0)
echo $((n + 1)) > /tmp/starts
if [ "$n" -lt 2 ]; then exec sleep 60; fi
exec /usr/bin/python3 /var/task/runtime.py
'''


def test_runtime_that_never_calls_next_times_out_init(flam):
    deploy(flam, "f-initwait", {"bootstrap": NEVER_NEXT_BOOTSTRAP, "runtime.py": PY_CUSTOM_RUNTIME},
           runtime="provided.al2023", handler="x", Timeout=1)
    began = time.monotonic()
    r = invoke(flam, "f-initwait", {})
    elapsed = time.monotonic() - began
    assert r.function_error == "Unhandled"
    assert r.payload == {"errorType": "Sandbox.Timedout",
                         "errorMessage": platform_message(r.request_id, "Task timed out after 1.00 seconds")}
    # The init timeout, then the init retried under the function's 1 s timeout.
    assert INIT_TIMEOUT_MS / 1000 + 1 <= elapsed < 10, elapsed
    ok = invoke(flam, "f-initwait", {"y": 2})
    assert ok.function_error is None, ok.payload
    assert ok.payload == {"custom": True, "event": {"y": 2}}


BIG_APP = '''
def handler(event, context):
    if event.get("big"):
        return "x" * (7 << 20)
    if event.get("near"):
        return "y" * 6_000_000
    return {"size": len(str(event))}
'''


def test_response_too_large(flam):
    deploy(flam, "f-big", {"app.py": BIG_APP}, MemorySize=512)
    r = invoke(flam, "f-big", {"big": True})
    assert r.function_error == "Unhandled"
    assert r.payload == {"errorType": "Function.ResponseSizeTooLarge",
                         "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes)."}
    assert invoke(flam, "f-big", {"n": 1}).payload == {"size": len(str({"n": 1}))}
    # Just under the limit is delivered whole.
    near = invoke(flam, "f-big", {"near": True}, LogType="None")
    assert near.function_error is None and near.payload == "y" * 6_000_000


EXC_APP = '''
class PaymentDeclined(Exception):
    pass
def charge(amount):
    raise PaymentDeclined("card declined for %d" % amount)
def handler(event, context):
    charge(event["amount"])
'''


def test_handler_exception_payload(flam):
    deploy(flam, "f-exc", {"app.py": EXC_APP})
    r = invoke(flam, "f-exc", {"amount": 42})
    assert r.status == 200 and r.function_error == "Unhandled"
    assert r.payload["errorType"] == "PaymentDeclined"
    assert r.payload["errorMessage"] == "card declined for 42"
    assert r.payload["requestId"] == r.request_id
    trace = r.payload["stackTrace"]
    assert isinstance(trace, list) and len(trace) == 2
    assert trace[0].startswith('  File "/var/task/app.py", line 7, in handler')
    assert trace[1].startswith('  File "/var/task/app.py", line 5, in charge')
    assert "[ERROR] PaymentDeclined: card declined for 42" in r.log
    # An exception does not kill the environment: no init on the next invoke.
    r = invoke(flam, "f-exc", {"amount": "x"})
    assert r.payload["errorType"] == "TypeError"
    assert "Init Duration" not in report_fields(r.log)


def test_request_over_6mb_is_413_and_non_json_is_400(fsrv, flam):
    deploy(flam, "f-size", {"app.py": "def handler(e, c):\n    return len(e)\n"}, MemorySize=512)
    path = "/2015-03-31/functions/f-size/invocations"
    limit = 6291456
    exact = json.dumps("a" * (limit - 2)).encode()
    assert len(exact) == limit
    status, _, body = raw_call(fsrv, "POST", path, exact)
    assert status == 200 and body == limit - 2
    status, headers, body = raw_call(fsrv, "POST", path, json.dumps("a" * (limit - 1)).encode())
    assert status == 413
    assert headers["x-amzn-errortype"].startswith("RequestEntityTooLargeException")
    assert body["message" if "message" in body else "Message"] == "Request must be smaller than 6291456 bytes for the InvokeFunction operation"

    status, headers, body = raw_call(fsrv, "POST", path, b"{not json")
    assert status == 400
    assert headers["x-amzn-errortype"].startswith("InvalidRequestContentException")
    msg = body.get("message") or body.get("Message")
    assert msg.startswith("Could not parse request body into json"), body
    # Nothing of the above broke the function.
    status, _, body = raw_call(fsrv, "POST", path, b'"ok"')
    assert status == 200 and body == 2


def test_runtime_exiting_during_init_names_the_request(flam):
    # Exits at once for its first start, then serves (the count lives in /tmp).
    bootstrap = ('#!/bin/sh\nn=$(cat /tmp/starts 2>/dev/null || echo 0)\necho $((n + 1)) > /tmp/starts\n'
                 'if [ "$n" -lt 1 ]; then echo dying; exit 1; fi\nexec /usr/bin/python3 /var/task/runtime.py\n')
    deploy(flam, "f-initexit", {"bootstrap": bootstrap, "runtime.py": PY_CUSTOM_RUNTIME}, runtime="provided.al2023", handler="x")
    r = invoke(flam, "f-initexit", {})
    assert r.function_error == "Unhandled"
    assert r.payload == {"errorType": "Runtime.ExitError",
                         "errorMessage": platform_message(r.request_id, "Runtime exited with error: exit status 1")}
    assert "dying" in r.log
    ok = invoke(flam, "f-initexit", {"z": 3})
    assert ok.payload == {"custom": True, "event": {"z": 3}}, ok.payload


# A custom runtime that reports its own failures through the Runtime API.
REPORTING_RUNTIME = '''#!/usr/bin/python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/"
def post(path, body, error_type=None):
    headers = {"Lambda-Runtime-Function-Error-Type": error_type} if error_type else {}
    req = urllib.request.Request(api + path, data=json.dumps(body).encode(), method="POST", headers=headers)
    return urllib.request.urlopen(req).status
if os.path.exists("/var/task/fail-init"):
    post("init/error", {"errorMessage": "config missing", "errorType": "Custom.InitFailed", "stackTrace": []}, "Custom.InitFailed")
    raise SystemExit(1)
while True:
    with urllib.request.urlopen(api + "invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
    post("invocation/" + rid + "/error", {"errorMessage": "nope", "errorType": "Custom.Failure", "stackTrace": ["at here"]}, "Custom.Failure")
'''


def test_provided_runtime_reports_errors_through_the_api(flam):
    deploy(flam, "f-rerr", {"bootstrap": REPORTING_RUNTIME}, runtime="provided.al2023", handler="x")
    r = invoke(flam, "f-rerr", {})
    assert r.function_error == "Unhandled"
    assert r.payload == {"errorMessage": "nope", "errorType": "Custom.Failure", "stackTrace": ["at here"]}
    # The platform keeps only (Runtime|Function).Name types from the header, as the RIE does;
    # the body goes to the caller verbatim.
    assert report_fields(r.log)["Error Type"] == "Runtime.Unknown"
    deploy(flam, "f-rinit", {"bootstrap": REPORTING_RUNTIME, "fail-init": ""}, runtime="provided.al2023", handler="x")
    r = invoke(flam, "f-rinit", {})
    assert r.function_error == "Unhandled"
    assert r.payload == {"errorMessage": "config missing", "errorType": "Custom.InitFailed", "stackTrace": []}
    flam.update_function_code(FunctionName="f-rinit", ZipFile=make_zip({"bootstrap": REPORTING_RUNTIME}))
    assert invoke(flam, "f-rinit", {}).payload["errorType"] == "Custom.Failure"


def test_event_payload_over_1mb_is_413(fsrv, flam):
    deploy(flam, "f-event-size", {"app.py": "def handler(e, c):\n    return 1\n"})
    path = "/2015-03-31/functions/f-event-size/invocations"
    over = json.dumps("a" * (1048576 - 1)).encode()
    status, headers, body = raw_call(fsrv, "POST", path, over, {"X-Amz-Invocation-Type": "Event"})
    assert status == 413
    assert headers["x-amzn-errortype"].startswith("RequestEntityTooLargeException")
    assert (body.get("message") or body.get("Message")) == "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)"
    exact = json.dumps("a" * (1048576 - 2)).encode()
    assert raw_call(fsrv, "POST", path, exact, {"X-Amz-Invocation-Type": "Event"})[0] == 202
