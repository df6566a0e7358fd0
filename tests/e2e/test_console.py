"""The web console in a real browser: headless Chromium (Debian's `chromium`) driven by
playwright-core through tests/console/console.test.mjs, against the real server. The
script's own checks are listed in its header; this side creates the function with boto3,
checks what the browser changed through the Lambda API and the test-events API, and
restarts the server between the two browser phases."""

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROLE, make_zip, raw_call

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests/console/console.test.mjs"
ARTIFACTS = ROOT / "tests/artifacts/console"
CHROMIUM = "/usr/bin/chromium"

HANDLER = make_zip(
    {
        "app.py": (
            "def handler(event, context):\n"
            "    if isinstance(event, dict) and event.get('fail'):\n"
            "        raise ValueError('asked to fail: ' + str(event['fail']))\n"
            "    record = event['Records'][0]['s3']\n"
            "    print('console-test saw key ' + record['object']['key'])\n"
            "    return {'bucket': record['bucket']['name'], 'key': record['object']['key']}\n"
        )
    }
)


def run_browser(server, phase: str, function: str):
    out = subprocess.run(
        ["node", str(SCRIPT), server.url, str(ARTIFACTS), phase, function],
        capture_output=True,
        text=True,
        timeout=300,
    )
    print(out.stdout)
    print(out.stderr)
    assert out.returncode == 0, f"browser phase {phase} failed:\n{out.stdout}\n{out.stderr}\nserver log:\n{server.log_path.read_text(errors='replace')[-4000:]}"
    assert " passed, 0 failed" in out.stdout


def wait_active(lam, name):
    deadline = time.time() + 30
    while time.time() < deadline:
        if lam.get_function_configuration(FunctionName=name)["State"] == "Active":
            return
        time.sleep(0.2)
    raise AssertionError(f"{name} never became Active")


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)")
@pytest.mark.skipif(shutil.which("node") is None or not (ROOT / "tests/console/node_modules/playwright-core").exists(), reason="run `npm ci --prefix tests/console` first")
def test_console_test_events_results_configuration_and_restart(server, lam):
    name = "console-fn"
    lam.create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler", Code={"ZipFile": HANDLER}, Description="console browser test"
    )
    wait_active(lam, name)
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")

    run_browser(server, "main", name)

    # What the browser did is what the API sees.
    assert lam.get_function_configuration(FunctionName=name)["MemorySize"] == 512
    status, _, listed = raw_call(server, "GET", f"/lamina/functions/{name}/test-events")
    assert status == 200
    assert sorted(e["Name"] for e in listed["TestEvents"]) == ["always-fails", "photo-upload"]
    status, head, event = raw_call(server, "GET", f"/lamina/functions/{name}/test-events/photo-upload")
    assert status == 200 and head["content-type"] == "application/json"
    assert event["Records"][0]["s3"]["object"]["key"] == "photos/cat on the mat.jpg"
    assert event["Records"][0]["eventName"] == "ObjectCreated:Put"

    server.restart()
    run_browser(server, "restarted", name)


def test_test_events_api_shares_validates_and_limits(server, lam):
    """The sharing endpoint: PUT a file's JSON, GET it back byte for byte, ten at most,
    invalid JSON and bad names refused with Lambda's error shape, DELETE."""
    name = "shared-events"
    lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler", Code={"ZipFile": HANDLER})
    body = b'{\n  "Records": [],\n  "note": "kept as written"\n}'
    status, _, saved = raw_call(server, "PUT", f"/lamina/functions/{name}/test-events/mine", body=body)
    assert status == 200 and saved["Name"] == "mine" and saved["Size"] == len(body)
    status, _, got = raw_call(server, "GET", f"/lamina/functions/{name}/test-events/mine")
    assert status == 200 and got == json.loads(body)

    status, head, err = raw_call(server, "PUT", f"/lamina/functions/{name}/test-events/broken", body=b'{"a": ')
    assert status == 400 and head["x-amzn-errortype"] == "InvalidParameterValueException"
    assert "not valid JSON" in err["Message"]
    status, _, _ = raw_call(server, "PUT", f"/lamina/functions/{name}/test-events/has%20space", body=b"{}")
    assert status == 400

    for i in range(9):
        status, _, _ = raw_call(server, "PUT", f"/lamina/functions/{name}/test-events/e{i}", body=b"{}")
        assert status == 200
    status, _, err = raw_call(server, "PUT", f"/lamina/functions/{name}/test-events/eleventh", body=b"{}")
    assert status == 400, err
    # Replacing one of the ten is fine.
    status, _, _ = raw_call(server, "PUT", f"/lamina/functions/{name}/test-events/e0", body=b"[1]")
    assert status == 200

    status, _, _ = raw_call(server, "DELETE", f"/lamina/functions/{name}/test-events/mine")
    assert status == 204
    status, head, _ = raw_call(server, "GET", f"/lamina/functions/{name}/test-events/mine")
    assert status == 404 and head["x-amzn-errortype"] == "ResourceNotFoundException"
    status, _, _ = raw_call(server, "GET", "/lamina/functions/no-such-fn/test-events")
    assert status == 404


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)")
@pytest.mark.skipif(shutil.which("node") is None or not (ROOT / "tests/console/node_modules/playwright-core").exists(), reason="run `npm ci --prefix tests/console` first")
def test_console_environments_timeline_and_flag_buttons(tmp_path):
    """A second image (an os-release is all the catalog needs; nothing runs on it here) and
    a plan whose T1 has passed: the console draws the plan and adds the delay flag through
    the same UpdateFunctionConfiguration path as the API."""
    from datetime import datetime, timedelta, timezone

    from conftest import Server

    root = tmp_path / "next-os"
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").write_text('ID=debian\nVERSION_ID="13"\n')
    server = Server(tmp_path / "data", ["--image-root", f"next-os={root}"]).start()
    try:
        lam = server.client()
        now = datetime.now(timezone.utc).replace(microsecond=0)
        at = lambda days: (now + timedelta(days=days)).isoformat().replace("+00:00", "Z")
        plan = {
            "name": "to-next-os",
            "description": "move everything to next-os",
            "from_image": "host",
            "to_image": "next-os",
            "opt_in_layer_arn": "arn:aws:lambda:::awslayer:NextOsOptIn",
            "delay_layer_arn": "arn:aws:lambda:::awslayer:NextOsDelay",
            "phases": {"t0": at(-2), "t1": at(-1), "t2": at(5), "t3": at(10), "t4": at(15)},
        }
        status, _, body = raw_call(server, "POST", "/lamina/plans", body=plan)
        assert status == 201, body
        name = "plan-fn"
        # A provided runtime: next-os is a bare root with no interpreter, and a plan moves only
        # the runtimes its target image can serve.
        bootstrap = make_zip({"bootstrap": "#!/bin/sh\nexit 1\n"})
        lam.create_function(FunctionName=name, Runtime="provided.al2023", Role=ROLE, Handler="x", Code={"ZipFile": bootstrap})

        run_browser(server, "plans", name)

        layers = [l["Arn"] for l in lam.get_function_configuration(FunctionName=name).get("Layers", [])]
        assert layers == ["arn:aws:lambda:::awslayer:NextOsDelay"]
    finally:
        server.stop()


PRINTER = make_zip({"app.py": "def handler(event, context):\n    for line in event['lines']:\n        print(line)\n    return 'ok'\n"})


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)")
@pytest.mark.skipif(shutil.which("node") is None or not (ROOT / "tests/console/node_modules/playwright-core").exists(), reason="run `npm ci --prefix tests/console` first")
def test_console_logs_filter_box_and_follow_mode(server, lam):
    name = "console-logs"
    lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler", Code={"ZipFile": PRINTER})
    wait_active(lam, name)
    lam.invoke(FunctionName=name, Payload=json.dumps({"lines": ["alpha one", "beta one", "alpha ERROR two"]}))
    proc = subprocess.Popen(["node", str(SCRIPT), server.url, str(ARTIFACTS), "logs", name],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if line.strip() == "FOLLOWING":
                lam.invoke(FunctionName=name, Payload=json.dumps({"lines": ["beta live three", "alpha live three"]}))
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = "".join(seen)
    print(out)
    assert proc.returncode == 0, f"browser phase logs failed:\n{out}\n{proc.stderr.read()}"
    assert " passed, 0 failed" in out and "FOLLOWING" in out
