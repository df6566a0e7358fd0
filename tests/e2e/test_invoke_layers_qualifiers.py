"""Invoke acceptance: layers merged into /opt, qualifiers (versions, aliases, weighted
routing, $LATEST, partial and full ARNs), draining on code updates, Event and DryRun
invocations, and the client context reaching the function."""

import base64
import json
import time
import uuid
from collections import Counter

import pytest

from conftest import deploy, invoke, make_zip, raw_call, report_fields

OPT_READER = '''
import os
def handler(event, context):
    out = {}
    for name in event.get("files", []):
        p = os.path.join("/opt", name)
        out[name] = open(p).read() if os.path.exists(p) else None
    if event.get("import"):
        import layered_helper
        out["helper"] = layered_helper.greet("layer")
        out["helper_file"] = layered_helper.__file__
    return out
'''


def publish(lam, name, files):
    return lam.publish_layer_version(LayerName=name, Content={"ZipFile": make_zip(files)})["LayerVersionArn"]


def test_later_layer_wins_in_opt(ilam):
    first = publish(ilam, "layer-first", {"shared.txt": "from first", "only-first.txt": "1", "conf/app.ini": "first"})
    second = publish(ilam, "layer-second", {"shared.txt": "from second", "only-second.txt": "2", "conf/app.ini": "second"})
    deploy(ilam, "layers-order", {"app.py": OPT_READER}, Layers=[first, second])
    files = ["shared.txt", "only-first.txt", "only-second.txt", "conf/app.ini"]
    r = invoke(ilam, "layers-order", {"files": files})
    assert r.payload == {"shared.txt": "from second", "only-first.txt": "1", "only-second.txt": "2", "conf/app.ini": "second"}
    # Reversed order, reversed winner (and the configuration change drains the old environment).
    ilam.update_function_configuration(FunctionName="layers-order", Layers=[second, first])
    r = invoke(ilam, "layers-order", {"files": files})
    assert r.payload["shared.txt"] == "from first" and r.payload["conf/app.ini"] == "first"
    assert r.payload["only-first.txt"] == "1" and r.payload["only-second.txt"] == "2"


def test_python_module_from_a_layer_is_importable(ilam):
    helper = publish(ilam, "py-helper", {"python/layered_helper.py": "def greet(who):\n    return 'hello from ' + who\n"})
    deploy(ilam, "layers-import", {"app.py": OPT_READER}, Layers=[helper])
    r = invoke(ilam, "layers-import", {"import": True})
    assert r.function_error is None, r.payload
    assert r.payload["helper"] == "hello from layer"
    assert r.payload["helper_file"] == "/opt/python/layered_helper.py"


VERSIONED = '''
CODE = "%s"
def handler(event, context):
    return {"code": CODE, "version": context.function_version, "arn": context.invoked_function_arn}
'''


@pytest.fixture(scope="module")
def versioned(ilam):
    """`q-fn` with versions 1 (code v1) and 2 (code v2), $LATEST at v2, alias `live` → 1."""
    cfg = deploy(ilam, "q-fn", {"app.py": VERSIONED % "v1"})
    ilam.publish_version(FunctionName="q-fn")
    ilam.update_function_code(FunctionName="q-fn", ZipFile=make_zip({"app.py": VERSIONED % "v2"}))
    ilam.publish_version(FunctionName="q-fn")
    ilam.create_alias(FunctionName="q-fn", Name="live", FunctionVersion="1")
    return cfg["FunctionArn"]


def test_qualifiers_name_alias_latest_and_arns(ilam, versioned):
    arn = versioned
    cases = [
        (dict(FunctionName="q-fn"), "$LATEST", "v2", arn),
        (dict(FunctionName="q-fn:1"), "1", "v1", arn + ":1"),
        (dict(FunctionName="q-fn", Qualifier="2"), "2", "v2", arn + ":2"),
        (dict(FunctionName="q-fn:live"), "1", "v1", arn + ":live"),
        (dict(FunctionName="q-fn", Qualifier="live"), "1", "v1", arn + ":live"),
        (dict(FunctionName="q-fn", Qualifier="$LATEST"), "$LATEST", "v2", arn + ":$LATEST"),
        (dict(FunctionName="000000000000:function:q-fn"), "$LATEST", "v2", arn),
        (dict(FunctionName="000000000000:function:q-fn:1"), "1", "v1", arn + ":1"),
        (dict(FunctionName=arn), "$LATEST", "v2", arn),
        (dict(FunctionName=arn + ":live"), "1", "v1", arn + ":live"),
        (dict(FunctionName=arn, Qualifier="2"), "2", "v2", arn + ":2"),
    ]
    for kw, executed, code, invoked_arn in cases:
        name = kw.pop("FunctionName")
        r = invoke(ilam, name, {}, **kw)
        assert r.status == 200 and r.function_error is None, (name, kw, r.payload)
        assert r.executed_version == executed, (name, kw)
        assert r.payload["code"] == code, (name, kw)
        assert r.payload["version"] == executed, (name, kw)
        assert r.payload["arn"] == invoked_arn, (name, kw, r.payload)


def test_weighted_alias_hits_both_versions(ilam, versioned):
    # Invoked first, so the alias below is created while Invoke's cache holds the function
    # (regression: a new alias was unknown to Invoke until the next change).
    invoke(ilam, "q-fn", {})
    ilam.create_alias(FunctionName="q-fn", Name="canary", FunctionVersion="1",
                      RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    seen = Counter()
    for _ in range(40):
        r = invoke(ilam, "q-fn:canary", {}, LogType="None")
        assert r.payload["code"] == {"1": "v1", "2": "v2"}[r.executed_version]
        seen[r.executed_version] += 1
    assert set(seen) == {"1", "2"}, seen
    # Both halves get a real share (binomial(40, 0.5) stays in 8..32 with overwhelming odds).
    assert 8 <= seen["1"] <= 32, seen


def test_update_code_drains_warm_environments(ilam):
    deploy(ilam, "q-drain", {"app.py": VERSIONED % "old"})
    assert invoke(ilam, "q-drain", {}).payload["code"] == "old"
    warm = invoke(ilam, "q-drain", {})
    assert "Init Duration" not in report_fields(warm.log)
    ilam.update_function_code(FunctionName="q-drain", ZipFile=make_zip({"app.py": VERSIONED % "new"}))
    r = invoke(ilam, "q-drain", {})
    assert r.payload["code"] == "new"
    assert "Init Duration" in report_fields(r.log)
    ilam.update_function_configuration(FunctionName="q-drain", Environment={"Variables": {"XX": "1"}})
    assert "Init Duration" in report_fields(invoke(ilam, "q-drain", {}).log)


def log_messages(server, name):
    status, _, body = raw_call(server, "GET", f"/lamina/logs/{name}")
    assert status == 200, body
    return [e["message"] for e in body["events"]]


def test_event_invocation_is_accepted_and_runs(ilam, invoke_server):
    deploy(ilam, "q-event", {"app.py": "def handler(event, context):\n    print('EVENT-RAN', event['marker'])\n    return 1\n"})
    marker = uuid.uuid4().hex
    resp = ilam.invoke(FunctionName="q-event", InvocationType="Event", Payload=json.dumps({"marker": marker}))
    assert resp["StatusCode"] == 202
    assert resp["Payload"].read() == b""
    deadline = time.time() + 20
    while time.time() < deadline:
        if any(f"EVENT-RAN {marker}" in m for m in log_messages(invoke_server, "q-event")):
            break
        time.sleep(0.1)
    else:
        pytest.fail("the Event invocation never ran")
    assert any(m.startswith("REPORT RequestId:") for m in log_messages(invoke_server, "q-event"))


def test_dry_run_is_204_and_runs_nothing(ilam, invoke_server):
    deploy(ilam, "q-dry", {"app.py": "def handler(event, context):\n    print('DRY-RAN')\n    return 1\n"})
    resp = ilam.invoke(FunctionName="q-dry", InvocationType="DryRun", Payload=b"{}")
    assert resp["StatusCode"] == 204
    assert resp["Payload"].read() == b""
    time.sleep(0.3)
    assert not any("DRY-RAN" in m or m.startswith("START") for m in log_messages(invoke_server, "q-dry"))
    with pytest.raises(ilam.exceptions.ResourceNotFoundException):
        ilam.invoke(FunctionName="q-dry-missing", InvocationType="DryRun", Payload=b"{}")


CLIENT_CONTEXT_APP = '''
def handler(event, context):
    cc = context.client_context
    return {"custom": cc.custom, "env": cc.env, "installation_id": cc.client.installation_id}
'''


def test_client_context_reaches_the_function(ilam):
    deploy(ilam, "q-cc", {"app.py": CLIENT_CONTEXT_APP})
    cc = {"client": {"installation_id": "inst-1", "app_title": "t", "app_version_name": "1", "app_version_code": "1", "app_package_name": "p"},
          "custom": {"tenant": "acme"}, "env": {"platform": "linux"}}
    r = invoke(ilam, "q-cc", {}, ClientContext=base64.b64encode(json.dumps(cc).encode()).decode())
    assert r.function_error is None, r.payload
    assert r.payload == {"custom": {"tenant": "acme"}, "env": {"platform": "linux"}, "installation_id": "inst-1"}


BOOTSTRAP_IN_LAYER = '''#!/usr/bin/python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
    body = json.dumps({"from": "layer", "handler": os.environ["_HANDLER"], "task": sorted(os.listdir("/var/task"))}).encode()
    urllib.request.urlopen(urllib.request.Request(api + rid + "/response", data=body, method="POST")).read()
'''


def test_bootstrap_from_a_layer(ilam):
    runtime_layer = publish(ilam, "custom-runtime", {"bootstrap": BOOTSTRAP_IN_LAYER})
    deploy(ilam, "layers-bootstrap", {"handler.txt": "code"}, runtime="provided.al2023", handler="my.handler", Layers=[runtime_layer])
    r = invoke(ilam, "layers-bootstrap", {})
    assert r.function_error is None, r.payload
    assert r.payload == {"from": "layer", "handler": "my.handler", "task": ["handler.txt"]}


def test_unknown_function_version_or_alias_is_404(ilam, versioned):
    for name, kw, arn_suffix in [("q-nope", {}, "q-nope"), ("q-fn:9", {}, "q-fn:9"), ("q-fn", {"Qualifier": "ghost"}, "q-fn:ghost")]:
        with pytest.raises(ilam.exceptions.ResourceNotFoundException) as err:
            ilam.invoke(FunctionName=name, Payload=b"{}", **kw)
        assert err.value.response["Error"]["Message"] == f"Function not found: arn:aws:lambda:us-east-1:000000000000:function:{arn_suffix}"


def test_update_during_a_busy_invoke_finishes_old_then_runs_new(ilam):
    slow = 'import time\nCODE = "%s"\ndef handler(e, c):\n    time.sleep(e.get("s", 0))\n    return CODE\n'
    deploy(ilam, "q-busy", {"app.py": slow % "old"}, Timeout=10)
    assert invoke(ilam, "q-busy", {}).payload == "old"
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        busy = pool.submit(invoke, ilam, "q-busy", {"s": 1.5})
        time.sleep(0.5)
        ilam.update_function_code(FunctionName="q-busy", ZipFile=make_zip({"app.py": slow % "new"}))
        assert invoke(ilam, "q-busy", {}).payload == "new"
        assert busy.result().payload == "old"
    # The old environment was not put back in the pool: still the new code, warm.
    again = invoke(ilam, "q-busy", {})
    assert again.payload == "new" and "Init Duration" not in report_fields(again.log)


def test_throttled_event_runs_once_capacity_returns(ilam, invoke_server):
    deploy(ilam, "q-event-held", {"app.py": "def handler(event, context):\n    print('HELD-RAN', event['marker'])\n"})
    ilam.put_function_concurrency(FunctionName="q-event-held", ReservedConcurrentExecutions=0)
    marker = uuid.uuid4().hex
    resp = ilam.invoke(FunctionName="q-event-held", InvocationType="Event", Payload=json.dumps({"marker": marker}))
    assert resp["StatusCode"] == 202
    time.sleep(1)
    assert not any(marker in m for m in log_messages(invoke_server, "q-event-held"))
    ilam.delete_function_concurrency(FunctionName="q-event-held")
    deadline = time.time() + 15
    while time.time() < deadline:
        if any(f"HELD-RAN {marker}" in m for m in log_messages(invoke_server, "q-event-held")):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the accepted event never ran after its function's concurrency came back")
