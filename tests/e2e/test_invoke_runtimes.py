"""Invoke acceptance: functions deployed and invoked with boto3 through each kind of runtime
client a user brings: the real `lambda_runtime` crate (provided.al2023), Lamina's own
Python and Node clients, and the real `awslambdaric` as a custom runtime."""

import io
import json
import os
import subprocess
import sys
import time
import zipfile

import pytest

from conftest import E2E_CACHE, FIXTURES, deploy, invoke, make_zip, report_fields

AWSLAMBDARIC = "awslambdaric==4.2.2"


@pytest.fixture(scope="session")
def rust_echo_zip():
    """The `rust-echo` fixture built once per session (cached across sessions) and zipped as
    `bootstrap`."""
    target = E2E_CACHE / "rust-echo-target"
    manifest = FIXTURES / "rust-echo" / "Cargo.toml"
    env = {k: v for k, v in os.environ.items() if k != "CARGO_TARGET_DIR"}
    out = subprocess.run(
        ["cargo", "build", "--release", "--manifest-path", str(manifest), "--target-dir", str(target)],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert out.returncode == 0, out.stderr[-4000:]
    binary = (target / "release" / "bootstrap").read_bytes()
    return make_zip({"bootstrap": binary})


@pytest.fixture(scope="session")
def awslambdaric_layer_zip():
    """awslambdaric from PyPI, installed with pip --target under `python/` (so it lands in
    /opt/python), zipped as a layer. Cached across sessions."""
    root = E2E_CACHE / ("layer-" + AWSLAMBDARIC.replace("==", "-"))
    pkg = root / "python"
    if not (pkg / "awslambdaric").is_dir():
        out = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(pkg), AWSLAMBDARIC],
            capture_output=True, text=True, timeout=600,
        )
        assert out.returncode == 0, out.stderr[-4000:]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(pkg.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                info = zipfile.ZipInfo(str(path.relative_to(root)))
                mode = path.stat().st_mode & 0o777
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, path.read_bytes())
    return buf.getvalue()


def test_lambda_runtime_crate_echoes_event_and_context(ilam, rust_echo_zip):
    cfg = deploy(ilam, "rust-echo", rust_echo_zip, runtime="provided.al2023", handler="bootstrap", MemorySize=128, Timeout=5)
    arn = cfg["FunctionArn"]
    cold = invoke(ilam, "rust-echo", {"hello": "world", "n": [1, 2, 3]})
    assert cold.status == 200 and cold.function_error is None, cold.payload
    body = cold.payload
    assert body["event"] == {"hello": "world", "n": [1, 2, 3]}
    assert body["request_id"] == cold.request_id
    assert body["invoked_function_arn"] == arn
    # The deadline is the invoke's start plus the 5 s timeout, in epoch ms.
    assert 4000 < body["deadline_ms"] - body["now_ms"] <= 5000
    assert body["xray_trace_id"].startswith("Root=1-")
    assert body["function_name"] == "rust-echo"
    assert body["memory"] == 128
    assert body["version"] == "$LATEST"
    assert body["log_group"] == "/aws/lambda/rust-echo"
    assert "Init Duration" in report_fields(cold.log)

    warm = invoke(ilam, "rust-echo", {"second": True})
    assert warm.payload["event"] == {"second": True}
    assert warm.payload["request_id"] == warm.request_id != cold.request_id
    # Same environment: same log stream, no init on the warm invoke.
    assert warm.payload["log_stream"] == body["log_stream"]
    assert "Init Duration" not in report_fields(warm.log)

    failed = invoke(ilam, "rust-echo", {"fail": 1})
    assert failed.function_error == "Unhandled"
    assert failed.payload["errorMessage"] == "asked to fail"
    assert failed.payload["errorType"] == "&alloc::boxed::Box<dyn core::error::Error + core::marker::Send + core::marker::Sync>"
    assert invoke(ilam, "rust-echo", {"after": 1}).payload["event"] == {"after": 1}


PY_CONTEXT = '''
import os, time
def handler(event, context):
    return {
        "event": event,
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "greeting": os.environ.get("GREETING"),
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
        "client_context": context.client_context.custom if context.client_context else None,
    }
'''


def test_python_runtime_context_env_and_remaining_time(ilam):
    cfg = deploy(ilam, "py-context", {"app.py": PY_CONTEXT}, MemorySize=192, Timeout=7,
                 Environment={"Variables": {"GREETING": "bonjour"}})
    first = invoke(ilam, "py-context", {"k": "v"})
    assert first.status == 200 and first.function_error is None, first.payload
    p = first.payload
    assert p["event"] == {"k": "v"}
    assert p["aws_request_id"] == first.request_id
    assert p["function_name"] == "py-context"
    assert p["function_version"] == "$LATEST"
    assert p["invoked_function_arn"] == cfg["FunctionArn"]
    assert p["memory_limit_in_mb"] == "192"
    assert p["log_group_name"] == "/aws/lambda/py-context"
    assert p["log_stream_name"].endswith("]" + p["log_stream_name"].split("]")[-1])
    assert "[$LATEST]" in p["log_stream_name"]
    assert 6000 < p["remaining"] <= 7000
    assert p["greeting"] == "bonjour"
    assert p["trace"].startswith("Root=1-")
    second = invoke(ilam, "py-context", {})
    # _X_AMZN_TRACE_ID is set per invoke.
    assert second.payload["trace"] != p["trace"]


NODE_HANDLERS = {
    "async.mjs": '''
export const handler = async (event, context) => {
  await new Promise((r) => setTimeout(r, 5));
  return {
    kind: "async", event,
    awsRequestId: context.awsRequestId,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    invokedFunctionArn: context.invokedFunctionArn,
    memoryLimitInMB: context.memoryLimitInMB,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    remaining: context.getRemainingTimeInMillis(),
    greeting: process.env.GREETING,
  };
};
''',
    "callback.js": '''
exports.handler = function (event, context, callback) {
  setTimeout(() => callback(null, { kind: "callback", event, awsRequestId: context.awsRequestId }), 5);
};
exports.fails = function (event, context, callback) {
  callback(new TypeError("bad input"));
};
''',
}


def test_node_runtime_async_and_callback_handlers(ilam):
    cfg = deploy(ilam, "node-async", NODE_HANDLERS, runtime="nodejs20.x", handler="async.handler", Timeout=4,
                 Environment={"Variables": {"GREETING": "hola"}})
    r = invoke(ilam, "node-async", {"a": 1})
    assert r.function_error is None, r.payload
    p = r.payload
    assert p["kind"] == "async" and p["event"] == {"a": 1}
    assert p["awsRequestId"] == r.request_id
    assert p["functionName"] == "node-async"
    assert p["functionVersion"] == "$LATEST"
    assert p["invokedFunctionArn"] == cfg["FunctionArn"]
    assert str(p["memoryLimitInMB"]) == "128"
    assert p["logGroupName"] == "/aws/lambda/node-async"
    assert "[$LATEST]" in p["logStreamName"]
    assert 3000 < p["remaining"] <= 4000
    assert p["greeting"] == "hola"

    deploy(ilam, "node-callback", NODE_HANDLERS, runtime="nodejs20.x", handler="callback.handler")
    r = invoke(ilam, "node-callback", [1, 2])
    assert r.payload == {"kind": "callback", "event": [1, 2], "awsRequestId": r.request_id}

    deploy(ilam, "node-cb-error", NODE_HANDLERS, runtime="nodejs20.x", handler="callback.fails")
    r = invoke(ilam, "node-cb-error", {})
    assert r.function_error == "Unhandled"
    assert r.payload["errorType"] == "TypeError"
    assert r.payload["errorMessage"] == "bad input"
    # Node's runtime names the stack `trace`, as Lambda's does.
    assert r.payload["trace"][0] == "TypeError: bad input"


AWSLAMBDARIC_APP = '''
import os
import awslambdaric
def handler(event, context):
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "arn": context.invoked_function_arn,
        "remaining": context.get_remaining_time_in_millis(),
        "ric_file": awslambdaric.__file__,
        "function_name": context.function_name,
    }
def broken(event, context):
    raise KeyError("missing")
'''


def test_awslambdaric_as_custom_runtime(ilam, awslambdaric_layer_zip):
    layer = ilam.publish_layer_version(LayerName="awslambdaric", Content={"ZipFile": awslambdaric_layer_zip},
                                       CompatibleRuntimes=["provided.al2023"])
    code = {"app.py": AWSLAMBDARIC_APP, "bootstrap": "#!/bin/sh\nexec python3 -m awslambdaric \"$_HANDLER\"\n"}
    common = dict(runtime="provided.al2023", Layers=[layer["LayerVersionArn"]], Timeout=6,
                  Environment={"Variables": {"PYTHONPATH": "/opt/python"}})
    cfg = deploy(ilam, "ric", code, handler="app.handler", **common)
    r = invoke(ilam, "ric", {"via": "awslambdaric"})
    assert r.status == 200 and r.function_error is None, (r.payload, r.log)
    assert r.payload["event"] == {"via": "awslambdaric"}
    assert r.payload["request_id"] == r.request_id
    assert r.payload["arn"] == cfg["FunctionArn"]
    assert r.payload["ric_file"].startswith("/opt/python/awslambdaric/")
    assert r.payload["function_name"] == "ric"
    assert 5000 < r.payload["remaining"] <= 6000
    assert invoke(ilam, "ric", {"n": 2}).payload["event"] == {"n": 2}

    deploy(ilam, "ric-broken", code, handler="app.broken", **common)
    r = invoke(ilam, "ric-broken", {})
    assert r.function_error == "Unhandled"
    assert r.payload["errorType"] == "KeyError"
    assert r.payload["errorMessage"] == "'missing'"
    assert r.payload["requestId"] == r.request_id


def test_node_init_errors(ilam):
    deploy(ilam, "node-noimport", {"index.js": "require('not-installed');\nexports.handler = async () => 1;\n"},
           runtime="nodejs20.x", handler="index.handler")
    r = invoke(ilam, "node-noimport", {})
    assert r.function_error == "Unhandled"
    assert r.payload["errorType"] == "Runtime.ImportModuleError", r.payload
    assert "Cannot find module 'not-installed'" in r.payload["errorMessage"]
    deploy(ilam, "node-nohandler", {"index.js": "exports.other = async () => 1;\n"}, runtime="nodejs20.x", handler="index.handler")
    r = invoke(ilam, "node-nohandler", {})
    assert r.payload["errorType"] == "Runtime.HandlerNotFound", r.payload
    assert r.payload["errorMessage"] == "index.handler is undefined or not exported"
    ilam.update_function_configuration(FunctionName="node-nohandler", Handler="index.other")
    assert invoke(ilam, "node-nohandler", {}).payload == 1


def test_awslambdaric_init_error(ilam, awslambdaric_layer_zip):
    layer = ilam.publish_layer_version(LayerName="awslambdaric-2", Content={"ZipFile": awslambdaric_layer_zip})
    code = {"app.py": AWSLAMBDARIC_APP, "bootstrap": "#!/bin/sh\nexec python3 -m awslambdaric \"$_HANDLER\"\n"}
    deploy(ilam, "ric-noimport", code, handler="missing.handler", runtime="provided.al2023",
           Layers=[layer["LayerVersionArn"]], Environment={"Variables": {"PYTHONPATH": "/opt/python"}})
    r = invoke(ilam, "ric-noimport", {})
    assert r.function_error == "Unhandled"
    assert r.payload["errorType"] == "Runtime.ImportModuleError", r.payload
    assert r.payload["errorMessage"] == "Unable to import module 'missing': No module named 'missing'"
    ilam.update_function_configuration(FunctionName="ric-noimport", Handler="app.handler")
    assert invoke(ilam, "ric-noimport", {"k": 1}).payload["event"] == {"k": 1}
