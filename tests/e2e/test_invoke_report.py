"""Invoke acceptance: the REPORT line's figures are real (Max Memory Used from the cgroup
peak, billed duration rounded up to the configured granularity), Tail returns the last 4 KB,
log streams are framed START/END/REPORT, and idle environments expire."""

import base64
import json
import re
import subprocess
import threading
import time

import pytest

from conftest import LAMINA_BIN, Server, deploy, invoke, raw_call, report_fields

MEMORY_APP = '''
def handler(event, context):
    mb = event.get("mb", 0)
    hog = b"\\x01" * (mb << 20)
    return len(hog)
'''


def test_max_memory_used_is_the_real_peak(ilam):
    deploy(ilam, "r-mem", {"app.py": MEMORY_APP}, MemorySize=256)
    tiny = report_fields(invoke(ilam, "r-mem", {"mb": 0}).log)
    big = report_fields(invoke(ilam, "r-mem", {"mb": 60}).log)
    assert big["Memory Size"] == 256
    assert big["Max Memory Used"] > 60, big
    assert big["Max Memory Used"] < 200, big
    assert 1 <= tiny["Max Memory Used"] < 40, tiny
    assert big["Max Memory Used"] - tiny["Max Memory Used"] >= 55


def test_billed_duration_rounds_up_to_1ms(ilam):
    deploy(ilam, "r-bill", {"app.py": "import time\ndef handler(e, c):\n    time.sleep(e['s'])\n"})
    for s in (0, 0.0123):
        f = report_fields(invoke(ilam, "r-bill", {"s": s}).log)
        assert f["Billed Duration"] == max(1, -(-f["Duration"] // 1)), f
    assert f["Duration"] >= 12.3


def test_tail_is_the_last_4kb_and_streams_are_framed(ilam, invoke_server):
    deploy(ilam, "r-tail", {"app.py": "def handler(e, c):\n    for i in range(200):\n        print('line %03d ' % i + 'x' * 40)\n    return 1\n"})
    r = invoke(ilam, "r-tail", {})
    assert len(r.log.encode()) <= 4096
    assert r.log.rstrip("\n").splitlines()[-1].startswith("REPORT RequestId: " + r.request_id)
    assert "line 199" in r.log and "line 000" not in r.log
    status, _, body = raw_call(invoke_server, "GET", "/lamina/logs/r-tail")
    assert status == 200 and body["logGroupName"] == "/aws/lambda/r-tail"
    messages = [e["message"] for e in body["events"]]
    start = messages.index(f"START RequestId: {r.request_id} Version: $LATEST")
    end = messages.index(f"END RequestId: {r.request_id}")
    assert start < end and messages[end + 1].startswith(f"REPORT RequestId: {r.request_id}\t")
    assert sum(1 for m in messages[start:end] if "line " in m) == 200
    streams = {e["logStreamName"] for e in body["events"]}
    assert len(streams) == 1
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", streams.pop())


@pytest.fixture
def coarse(tmp_path):
    s = Server(tmp_path / "data", extra_args=["--billing-granularity-ms", "100", "--idle-timeout", "1"]).start()
    yield s
    s.stop()


def test_billing_granularity_and_idle_timeout(coarse):
    lam = coarse.client()
    deploy(lam, "r-coarse", {"app.py": "def handler(e, c):\n    return 1\n"})
    cold = report_fields(invoke(lam, "r-coarse", {}).log)
    warm = report_fields(invoke(lam, "r-coarse", {}).log)
    assert "Init Duration" in cold and "Init Duration" not in warm
    for f in (cold, warm):
        assert f["Billed Duration"] == 100, f
    # Idle for longer than --idle-timeout 1: the environment is gone, the next start is cold.
    time.sleep(2.6)
    assert "Init Duration" in report_fields(invoke(lam, "r-coarse", {}).log)


def test_lamina_logs_prints_and_follows(ilam, invoke_server):
    deploy(ilam, "r-cli", {"app.py": "def handler(e, c):\n    print('hello', e['n'])\n    return 1\n"})
    first = invoke(ilam, "r-cli", {"n": 1})
    out = subprocess.run([LAMINA_BIN, "logs", "r-cli", "--endpoint-url", invoke_server.url],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(l.endswith(f"START RequestId: {first.request_id} Version: $LATEST") for l in lines), lines
    assert any("hello 1" in l for l in lines), lines
    assert any(f"REPORT RequestId: {first.request_id}" in l for l in lines), lines

    follow = subprocess.Popen([LAMINA_BIN, "logs", "r-cli", "--follow", "--endpoint-url", invoke_server.url],
                              stdout=subprocess.PIPE, text=True)
    try:
        seen = []
        done = threading.Event()

        def read():
            for line in follow.stdout:
                seen.append(line)
                if "hello 2" in line:
                    done.set()
                    return

        threading.Thread(target=read, daemon=True).start()
        time.sleep(0.5)
        invoke(ilam, "r-cli", {"n": 2})
        assert done.wait(15), seen
    finally:
        follow.kill()
        follow.wait()


def test_aws_cli_invoke(ilam, invoke_server, tmp_path):
    deploy(ilam, "r-awscli", {"app.py": "def handler(e, c):\n    return {'got': e}\n"})
    outfile = tmp_path / "out.json"
    meta = invoke_server.aws("invoke", "--function-name", "r-awscli", "--payload", '{"a": 1}', "--log-type", "Tail", str(outfile))
    assert meta["StatusCode"] == 200 and meta["ExecutedVersion"] == "$LATEST"
    assert "REPORT RequestId:" in base64.b64decode(meta["LogResult"]).decode()
    assert json.loads(outfile.read_text()) == {"got": {"a": 1}}
