"""Lambda extensions end to end: an external extension shipped in a layer at
`/opt/extensions/<name>` (Python, standard library only, `tests/fixtures/py-extension`)
registers before the runtime starts, gets one INVOKE per invoke and SHUTDOWN when its
environment is reclaimed; its Telemetry API listener receives `platform.start`,
`platform.runtimeDone` and `platform.report` with the invoke's request id and durations; an
extension that lingers after the runtime answered lengthens the invoke as Lambda's
post-runtime phase does, and one that never comes back is killed at the timeout. The same
with an extension built on the real `lambda-extension` crate (`tests/fixtures/rust-extension`)
beside a function built on `lambda_runtime`."""

import json
import os
import subprocess
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from conftest import E2E_CACHE, FIXTURES, Server, deploy, invoke, make_zip, report_fields
from test_invoke_runtimes import rust_echo_zip  # noqa: F401 (a session fixture shared with that module)

EXTENSION = (Path(__file__).parents[1] / "fixtures/py-extension/extension.py").read_text()

READER = '''
import json, os, time
def read(path):
    if not os.path.exists(path):
        return []
    return [json.loads(l) for l in open(path)]
def handler(event, context):
    if event.get("read"):
        return {"events": read("/tmp/ext-events.jsonl"), "telemetry": read("/tmp/ext-telemetry.jsonl")}
    if event.get("sleep"):
        time.sleep(event["sleep"])
    print("function says hi")
    return {"request_id": context.aws_request_id}
'''


def layer(lam):
    return lam.publish_layer_version(
        LayerName="py-ext", Content={"ZipFile": make_zip({"extensions/py-ext": EXTENSION})}
    )["LayerVersionArn"]


def logs_client(server):
    return boto3.client("logs", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))


def wait_for(fn, timeout=10):
    deadline = time.time() + timeout
    while True:
        got = fn()
        if got or time.time() > deadline:
            return got
        time.sleep(0.1)


def test_extension_registers_gets_invoke_telemetry_and_shutdown(invoke_server, ilam):
    deploy(ilam, "ext-fn", {"app.py": READER}, Layers=[layer(ilam)], Timeout=10)
    first = invoke(ilam, "ext-fn")
    assert first.function_error is None, first.payload
    rid = first.payload["request_id"]
    # Init Duration covers the extension's registration and the runtime's init.
    assert "Init Duration" in report_fields(first.log)

    def seen():
        r = invoke(ilam, "ext-fn", {"read": True}).payload
        types = {(t["type"], t["record"].get("requestId")) for t in r["telemetry"]}
        return r if ("platform.report", rid) in types else None

    read = wait_for(seen)
    assert read, "no platform.report for the first invoke"
    registered = read["events"][0]
    assert registered["name"] == "py-ext"
    assert registered["registered"] == {"functionName": "ext-fn", "functionVersion": "$LATEST", "handler": "app.handler"}
    assert registered["hidden_handler"] is None, "Lambda hides _HANDLER from extensions"
    invokes = [e for e in read["events"][1:] if e.get("eventType") == "INVOKE"]
    assert invokes[0]["requestId"] == rid
    assert invokes[0]["invokedFunctionArn"].endswith(":function:ext-fn")
    assert invokes[0]["tracing"]["type"] == "X-Amzn-Trace-Id"
    assert invokes[0]["deadlineMs"] > time.time() * 1000 - 60_000
    # One INVOKE per invoke, each with its own request id.
    assert len({e["requestId"] for e in invokes}) == len(invokes) >= 2

    by_type = {}
    for t in read["telemetry"]:
        if t["record"].get("requestId") == rid:
            by_type[t["type"]] = t["record"]
    assert set(by_type) >= {"platform.start", "platform.runtimeDone", "platform.report"}
    assert by_type["platform.start"]["version"] == "$LATEST"
    done = by_type["platform.runtimeDone"]
    assert done["status"] == "success" and done["metrics"]["durationMs"] >= 0
    report = by_type["platform.report"]
    assert report["status"] == "success"
    line = report_fields(first.log)
    assert abs(report["metrics"]["durationMs"] - line["Duration"]) < 0.01
    assert report["metrics"]["billedDurationMs"] == line["Billed Duration"]
    assert report["metrics"]["memorySizeMB"] == 128
    assert abs(report["metrics"]["initDurationMs"] - line["Init Duration"]) < 0.01
    types = [t["type"] for t in read["telemetry"]]
    assert "platform.initStart" in types, "init's records reach a subscriber that subscribed during init"
    assert "platform.telemetrySubscription" in types

    # A configuration change reclaims the environment: the extension gets SHUTDOWN.
    ilam.update_function_configuration(FunctionName="ext-fn", Description="drain")
    logs = logs_client(invoke_server)

    def shutdown_line():
        events = logs.filter_log_events(logGroupName="/aws/lambda/ext-fn", filterPattern='"SHUTDOWN"')["events"]
        return [e["message"] for e in events]

    assert wait_for(shutdown_line) == ["EXT py-ext SHUTDOWN SPINDOWN"]


def test_lingering_extension_lengthens_the_invoke_and_a_stuck_one_is_killed_at_timeout(invoke_server, ilam):
    ext = layer(ilam)
    deploy(ilam, "ext-slow", {"app.py": READER}, Layers=[ext], Environment={"Variables": {"EXT_DELAY_MS": "800"}})
    invoke(ilam, "ext-slow")  # cold start
    warm = invoke(ilam, "ext-slow")
    assert warm.function_error is None
    # The function answers at once; the extension's 800 ms after it are part of the invoke.
    assert report_fields(warm.log)["Duration"] >= 800

    # A function timeout resets the environment as a shutdown: the extension hears TIMEOUT.
    timed_out = invoke(ilam, "ext-slow", {"sleep": 10})
    assert timed_out.function_error == "Unhandled"
    assert timed_out.payload["errorType"] == "Sandbox.Timedout"
    logs = logs_client(invoke_server)

    def shutdown_line():
        events = logs.filter_log_events(logGroupName="/aws/lambda/ext-slow", filterPattern='"SHUTDOWN"')["events"]
        return [e["message"] for e in events]

    assert wait_for(shutdown_line) == ["EXT py-ext SHUTDOWN TIMEOUT"]

    deploy(ilam, "ext-stuck", {"app.py": READER}, Layers=[ext], Timeout=2,
           Environment={"Variables": {"EXT_DELAY_MS": "600000"}})
    stuck = invoke(ilam, "ext-stuck")
    # The caller still gets the runtime's answer; REPORT says the invoke timed out.
    assert stuck.function_error is None and "request_id" in stuck.payload
    fields = report_fields(stuck.log)
    assert fields["Status"] == "timeout"
    assert 2000 <= fields["Duration"] < 4000
    # The environment was reset: the next invoke initialises again and works.
    again = invoke(ilam, "ext-stuck")
    assert again.function_error is None
    assert "Init Duration" in report_fields(again.log)


@pytest.fixture(scope="session")
def rust_extension_layer_zip():
    """The `rust-extension` fixture (the real `lambda-extension` crate) built once per session
    (cached across sessions) and zipped as `extensions/rust-ext`."""
    target = E2E_CACHE / "rust-ext-target"
    manifest = FIXTURES / "rust-extension" / "Cargo.toml"
    env = {k: v for k, v in os.environ.items() if k != "CARGO_TARGET_DIR"}
    out = subprocess.run(
        ["cargo", "build", "--release", "--manifest-path", str(manifest), "--target-dir", str(target)],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert out.returncode == 0, out.stderr[-4000:]
    return make_zip({"extensions/rust-ext": (target / "release" / "rust-ext").read_bytes()})


def test_lambda_extension_crate_with_a_lambda_runtime_function(invoke_server, ilam, rust_echo_zip,
                                                               rust_extension_layer_zip):
    ext = ilam.publish_layer_version(LayerName="rust-ext", Content={"ZipFile": rust_extension_layer_zip})
    deploy(ilam, "rust-ext-fn", rust_echo_zip, runtime="provided.al2023", handler="bootstrap",
           Layers=[ext["LayerVersionArn"]])
    first = invoke(ilam, "rust-ext-fn", {"n": 1})
    assert first.function_error is None, first.payload
    rid = first.payload["request_id"]
    invoke(ilam, "rust-ext-fn", {"n": 2})
    logs = logs_client(invoke_server)

    def printed():
        events = logs.filter_log_events(logGroupName="/aws/lambda/rust-ext-fn", filterPattern='"RUSTEXT"')["events"]
        lines = [e["message"].split(" ", 2) for e in events]
        got = {(kind, rest.split(" ")[0] if kind == "INVOKE" else json.loads(rest)["record"]["requestId"])
               for _, kind, rest in lines if kind != "SHUTDOWN"}
        want = {("INVOKE", rid), ("start", rid), ("runtimeDone", rid), ("report", rid)}
        return [l for l in lines] if want <= got else None

    lines = wait_for(printed)
    assert lines, "the crate's extension did not see INVOKE, platform.start, runtimeDone and report"
    parsed = {kind: json.loads(rest) for _, kind, rest in lines
              if kind != "INVOKE" and kind != "SHUTDOWN" and json.loads(rest)["record"]["requestId"] == rid}
    report = parsed["report"]["record"]
    assert report["status"] == "success"
    line = report_fields(first.log)
    assert report["metrics"]["billedDurationMs"] == line["Billed Duration"]
    assert report["metrics"]["memorySizeMB"] == 128
    assert parsed["runtimeDone"]["record"]["status"] == "success"
    assert parsed["start"]["record"]["tracing"]["type"] == "X-Amzn-Trace-Id"

    ilam.update_function_configuration(FunctionName="rust-ext-fn", Description="drain")

    def shutdown():
        events = logs.filter_log_events(logGroupName="/aws/lambda/rust-ext-fn", filterPattern='"RUSTEXT SHUTDOWN"')["events"]
        return [e["message"] for e in events]

    assert wait_for(shutdown) == ["RUSTEXT SHUTDOWN SPINDOWN"]


def test_lambda_extension_crate_on_the_logs_api(invoke_server, ilam, rust_echo_zip, rust_extension_layer_zip):
    ext = ilam.publish_layer_version(LayerName="rust-ext-logs", Content={"ZipFile": rust_extension_layer_zip})
    deploy(ilam, "rust-logs-fn", rust_echo_zip, runtime="provided.al2023", handler="bootstrap",
           Layers=[ext["LayerVersionArn"]], Environment={"Variables": {"RUST_EXT_LOGS_API": "1"}})
    first = invoke(ilam, "rust-logs-fn", {"n": 1})
    assert first.function_error is None, first.payload
    rid = first.payload["request_id"]
    invoke(ilam, "rust-logs-fn", {"n": 2})
    logs = logs_client(invoke_server)

    def printed():
        events = logs.filter_log_events(logGroupName="/aws/lambda/rust-logs-fn", filterPattern='"RUSTEXT logs"')["events"]
        got = {tuple(e["message"].split(" ")[2:4]) for e in events}
        return got if {("start", rid), ("end", rid), ("report", rid)} <= got else None

    assert wait_for(printed), "the crate's Logs API processor did not parse start, end and report"


def test_server_stop_sends_shutdown_to_extensions(tmp_path):
    server = Server(tmp_path / "data").start()
    try:
        lam = server.client()
        deploy(lam, "ext-stop", {"app.py": READER}, Layers=[layer(lam)])
        assert invoke(lam, "ext-stop").function_error is None
        began = time.time()
        server.stop()
        # The extension finished at once, so stopping did not wait its whole 2 s budget out.
        assert time.time() - began < 10
        server.start()
        logs = logs_client(server)
        events = logs.filter_log_events(logGroupName="/aws/lambda/ext-stop", filterPattern='"SHUTDOWN"')["events"]
        assert [e["message"] for e in events] == ["EXT py-ext SHUTDOWN SPINDOWN"]
    finally:
        server.stop()
