"""Durable function logs and the CloudWatch Logs API subset, through real clients: boto3's
`logs` client and AWS CLI v2's `aws logs tail --follow` (Debian's `awscli`; v1 has no tail)."""

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server, deploy, invoke

AWS_V2 = "/usr/bin/aws"


def logs_client(server):
    return boto3.client(
        "logs",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, read_timeout=120),
    )


def now_ms():
    return int(time.time() * 1000)


def all_filtered(logs, **kw):
    out = []
    for page in logs.get_paginator("filter_log_events").paginate(**kw):
        out.extend(page["events"])
    return out


PRINTER = '''
def handler(event, context):
    for line in event["lines"]:
        print(line)
    return "ok"
'''


@pytest.fixture(scope="module")
def logs(invoke_server):
    return logs_client(invoke_server)


def test_function_logs_are_a_log_group_readable_by_boto3(ilam, logs):
    deploy(ilam, "lg-basic", {"app.py": PRINTER})
    out = invoke(ilam, "lg-basic", {"lines": ["hello durable", "second line"]})
    assert out.payload == "ok"
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/lg-basic")["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/aws/lambda/lg-basic"]
    assert groups[0]["arn"].endswith(":log-group:/aws/lambda/lg-basic:*")
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/lg-basic")["logStreams"]
    assert len(streams) == 1
    name = streams[0]["logStreamName"]
    assert "/[$LATEST]" in name and len(name.split("]")[1]) == 32
    page = logs.get_log_events(logGroupName="/aws/lambda/lg-basic", logStreamName=name, startFromHead=True)
    messages = [e["message"] for e in page["events"]]
    assert messages[0].startswith("INIT_START Runtime Version:")
    assert messages[1].startswith("START RequestId: " + out.request_id)
    assert "hello durable" in messages and "second line" in messages
    assert messages[-1].startswith("REPORT RequestId: " + out.request_id)
    # The end of the stream: the same forward token comes back.
    again = logs.get_log_events(logGroupName="/aws/lambda/lg-basic", logStreamName=name, nextToken=page["nextForwardToken"], startFromHead=True)
    assert again["events"] == [] and again["nextForwardToken"] == page["nextForwardToken"]
    with pytest.raises(ClientError) as e:
        logs.get_log_events(logGroupName="/aws/lambda/nope", logStreamName=name)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_each_filter_pattern_kind_returns_exactly_the_matching_events(logs):
    g, s = "/lamina/test/filters", "s1"
    logs.create_log_group(logGroupName=g)
    logs.create_log_stream(logGroupName=g, logStreamName=s)
    lines = [
        "ERROR disk full",
        "WARN disk slow",
        "INFO all good",
        "ERROR will retry later",
        "the request failed badly",
        '{"level": "ERROR", "latency": 250}',
        '{"level": "INFO", "latency": 12}',
    ]
    t = now_ms()
    logs.put_log_events(logGroupName=g, logStreamName=s, logEvents=[{"timestamp": t + i, "message": m} for i, m in enumerate(lines)])

    def matching(pattern):
        return [e["message"] for e in all_filtered(logs, logGroupName=g, filterPattern=pattern)]

    assert matching("") == lines
    assert matching("ERROR") == ["ERROR disk full", "ERROR will retry later", '{"level": "ERROR", "latency": 250}']
    assert matching("ERROR disk") == ["ERROR disk full"]
    assert matching('"request failed"') == ["the request failed badly"]
    assert matching("?WARN ?INFO") == ["WARN disk slow", "INFO all good", '{"level": "INFO", "latency": 12}']
    assert matching("ERROR -retry") == ["ERROR disk full", '{"level": "ERROR", "latency": 250}']
    assert matching('{ $.level = "ERROR" }') == ['{"level": "ERROR", "latency": 250}']
    assert matching("{ $.latency < 100 }") == ['{"level": "INFO", "latency": 12}']
    with pytest.raises(ClientError) as e:
        logs.filter_log_events(logGroupName=g, filterPattern="{ $.level = }")
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        logs.create_log_group(logGroupName=g)
    assert e.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"


def test_pagination_over_12000_events_returns_each_once(logs):
    g = "/lamina/test/pages"
    logs.create_log_group(logGroupName=g)
    t = now_ms() - 60_000
    for stream in ("a", "b"):
        logs.create_log_stream(logGroupName=g, logStreamName=stream)
        logs.put_log_events(logGroupName=g, logStreamName=stream, logEvents=[{"timestamp": t + i, "message": f"{stream} {i}"} for i in range(6000)])
    events = all_filtered(logs, logGroupName=g, PaginationConfig={"PageSize": 1000})
    assert len(events) == 12_000
    assert len({e["eventId"] for e in events}) == 12_000
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    # GetLogEvents forward through one stream, 1000 at a time, until the token repeats.
    seen, token = [], None
    while True:
        kw = {"nextToken": token} if token else {}
        page = logs.get_log_events(logGroupName=g, logStreamName="a", startFromHead=True, limit=1000, **kw)
        seen.extend(e["message"] for e in page["events"])
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    assert seen == [f"a {i}" for i in range(6000)]


def test_retention_removes_old_segments(invoke_server, logs):
    g = "/lamina/test/retention"
    logs.create_log_group(logGroupName=g)
    logs.create_log_stream(logGroupName=g, logStreamName="s")
    old = now_ms() - 5 * 86_400_000
    logs.put_log_events(logGroupName=g, logStreamName="s", logEvents=[{"timestamp": old + i, "message": f"old {i}"} for i in range(3)])
    logs.put_log_events(logGroupName=g, logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "new"}])
    segments = lambda: list((invoke_server.data_dir / "logs").rglob("*.seg"))
    before = len(segments())
    logs.put_retention_policy(logGroupName=g, retentionInDays=3)
    assert [e["message"] for e in all_filtered(logs, logGroupName=g)] == ["new"]
    assert len(segments()) == before - 1
    assert logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"][0]["retentionInDays"] == 3
    logs.delete_log_group(logGroupName=g)
    assert logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"] == []


@pytest.mark.skipif(not os.path.exists(AWS_V2), reason="AWS CLI v2 (Debian awscli) not installed")
def test_aws_logs_tail_follow_shows_a_new_invoke(invoke_server, ilam):
    deploy(ilam, "lg-tail", {"app.py": PRINTER})
    invoke(ilam, "lg-tail", {"lines": ["before tail"]})
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")
    proc = subprocess.Popen(
        [AWS_V2, "logs", "tail", "/aws/lambda/lg-tail", "--follow", "--endpoint-url", invoke_server.url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    lines = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    try:
        deadline = time.time() + 20
        while time.time() < deadline and not any("before tail" in l for l in lines):
            time.sleep(0.2)
        assert any("before tail" in l for l in lines), (lines, proc.poll())
        invoke(ilam, "lg-tail", {"lines": ["after tail started"]})
        deadline = time.time() + 15  # tail polls every 5 s
        while time.time() < deadline and not any("after tail started" in l for l in lines):
            time.sleep(0.2)
        assert any("after tail started" in l for l in lines), lines
        time.sleep(6)  # one more poll: nothing is printed twice
        assert sum("after tail started" in l for l in lines) == 1
        assert sum("before tail" in l for l in lines) == 1
    finally:
        proc.kill()
        proc.wait()


def test_logs_survive_kill_9(tmp_path):
    s = Server(tmp_path / "data").start()
    try:
        lam = s.client()
        deploy(lam, "lg-crash", {"app.py": PRINTER})
        out = invoke(lam, "lg-crash", {"lines": [f"kept {i}" for i in range(100)]})
        assert out.payload == "ok"
        time.sleep(0.2)
        s.kill()
        s.start()
        messages = [e["message"] for e in all_filtered(logs_client(s), logGroupName="/aws/lambda/lg-crash")]
        assert [m for m in messages if m.startswith("kept ")] == [f"kept {i}" for i in range(100)]
        assert any(m.startswith("REPORT RequestId: " + out.request_id) for m in messages)
    finally:
        s.stop()


LOUD = '''
import sys
def handler(event, context):
    line = ("x" * 999 + "\\n") * 1024  # 1 MB
    for _ in range(event["mb"]):
        sys.stdout.write(line)
    sys.stdout.flush()
    return "done"
'''


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_200_mb_of_logs_keep_server_rss_within_16_mb(invoke_server, ilam, logs):
    deploy(ilam, "lg-loud", {"app.py": LOUD}, Timeout=300, MemorySize=512)
    invoke(ilam, "lg-loud", {"mb": 1})  # warm: the environment and the store's first segment
    pid = invoke_server.proc.pid
    base = rss_kb(pid)
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kb(pid))
            time.sleep(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out = invoke(ilam, "lg-loud", {"mb": 200}, LogType="None")
    done.set()
    t.join()
    assert out.payload == "done"
    grown_mb = (peak[0] - base) / 1024
    print(f"server RSS {base / 1024:.1f} MB before, peak {peak[0] / 1024:.1f} MB (+{grown_mb:.1f} MB)")
    assert grown_mb <= 16, grown_mb
    stored = sum(g["storedBytes"] for g in logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/lg-loud")["logGroups"])
    assert stored > 200 * 1024 * 999  # every line of the 200 MB (999 bytes each) is on disk
