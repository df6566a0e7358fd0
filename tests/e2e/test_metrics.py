"""Metrics acceptance: a known workload (N successes, M errors, T timeouts, K throttles) on
the real server gives exactly those counts in `GET /metrics` (Prometheus), in the
CloudWatch metrics API through boto3 and both AWS CLIs, and after a restart; durations
agree with the REPORT lines the invocations wrote."""

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from conftest import LAMINA_BIN, ACCOUNT, AUTH, Server, create_key, deploy, invoke, raw_call, report_fields

N, M, T, K = 5, 3, 2, 4
NAME = "m-work"

APP = '''
import time
def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    time.sleep(event.get("sleep", 0))
    return {"ok": True}
'''


@pytest.fixture(scope="module")
def msrv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("metrics") / "data").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def workload(msrv):
    """Runs the workload once; returns the REPORT fields of every invocation that ran."""
    lam = msrv.client()
    deploy(lam, NAME, {"app.py": APP}, Timeout=1)
    reports = []
    for _ in range(N):
        r = invoke(lam, NAME, {})
        assert r.function_error is None, r.payload
        reports.append(report_fields(r.log))
    for _ in range(M):
        r = invoke(lam, NAME, {"fail": True})
        assert r.function_error == "Unhandled", r.payload
        reports.append(report_fields(r.log))
    for _ in range(T):
        r = invoke(lam, NAME, {"sleep": 3})
        assert r.payload["errorType"] == "Sandbox.Timedout", r.payload
        reports.append(report_fields(r.log))
    lam.put_function_concurrency(FunctionName=NAME, ReservedConcurrentExecutions=0)
    # Raw requests: boto3 retries a 429 itself, and each retry is one more throttle.
    for _ in range(K):
        status, headers, _ = raw_call(msrv, "POST", f"/2015-03-31/functions/{NAME}/invocations", b"{}")
        assert status == 429 and headers["x-amzn-errortype"].startswith("TooManyRequestsException")
    lam.delete_function_concurrency(FunctionName=NAME)
    return reports


def scrape(server) -> str:
    """`GET /metrics` unsigned, as a Prometheus on the same machine scrapes it."""
    with urllib.request.urlopen(server.url + "/metrics", timeout=30) as resp:
        assert resp.status == 200
        assert resp.headers["content-type"].startswith("application/openmetrics-text")
        return resp.read().decode()


def samples(text: str, name: str, **labels) -> float:
    """The sum of `name`'s samples whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        m = re.match(r"^([a-z_]+)\{(.*)\} (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(m.group(3))
    return total


def test_prometheus_shows_exactly_the_workload(msrv, workload):
    text = scrape(msrv)
    f = {"function": NAME}
    assert samples(text, "lamina_invocations_total", outcome="success", **f) == N
    assert samples(text, "lamina_invocations_total", outcome="error", **f) == M
    assert samples(text, "lamina_invocations_total", outcome="timeout", **f) == T
    assert samples(text, "lamina_throttles_total", **f) == K
    assert samples(text, "lamina_cold_starts_total", **f) == sum(1 for r in workload if "Init Duration" in r)
    assert samples(text, "lamina_invocation_duration_seconds_count", **f) == N + M + T
    # The histogram's sum is the REPORT durations' sum (REPORT rounds each to 10 µs).
    report_sum_s = sum(r["Duration"] for r in workload) / 1000
    assert samples(text, "lamina_invocation_duration_seconds_sum", **f) == pytest.approx(report_sum_s, abs=1e-5 * len(workload))
    assert samples(text, "lamina_invocation_duration_seconds_bucket", le="+Inf", **f) == N + M + T
    # Labels say where it ran: the unqualified invoke's resource, $LATEST, the host image.
    assert f'resource="{NAME}",version="$LATEST",image="host"' in text
    assert text.rstrip().endswith("# EOF")


def test_metrics_scrape_needs_no_signature_on_loopback_even_with_auth_required(tmp_path):
    data = tmp_path / "data"
    extra = []
    if not AUTH:  # (under LAMINA_E2E_AUTH every server already requires it)
        create_key(data, ACCOUNT)
        extra = ["--auth", "required"]
    s = Server(data, extra).start()
    try:
        assert "lamina_account_concurrent_executions" in scrape(s)
        # Every other route still needs a signature.
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(s.url + "/2015-03-31/functions", timeout=30)
        assert e.value.code == 403
    finally:
        s.stop()


def test_no_metrics_switch_turns_recording_off(tmp_path):
    s = Server(tmp_path / "data", ["--no-metrics"]).start()
    try:
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(s.url + "/metrics", timeout=30)
        assert e.value.code == 404
        assert json.loads(e.value.read())["Message"] == "This Lamina server records no metrics (--no-metrics)"
        assert not (tmp_path / "data" / "metrics").exists()
    finally:
        s.stop()


# --- the CloudWatch metrics API (same port) ---

def cloudwatch(server):
    """boto3's CloudWatch client (JSON 1.0 protocol in current botocore)."""
    key = server.key or {"AccessKeyId": "test", "SecretAccessKey": "test"}
    return boto3.client(
        "cloudwatch", endpoint_url=server.url, region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}),
    )


def window():
    now = datetime.now(timezone.utc)
    return now - timedelta(hours=1), now + timedelta(minutes=5)


def stats(cw, metric, statistics=("Sum",), extended=(), namespace="AWS/Lambda", dims=None):
    start, end = window()
    kw = {"Statistics": list(statistics)} if statistics else {"ExtendedStatistics": list(extended)}
    return cw.get_metric_statistics(
        Namespace=namespace, MetricName=metric,
        Dimensions=dims if dims is not None else [{"Name": "FunctionName", "Value": NAME}],
        StartTime=start, EndTime=end, Period=60, **kw)


def total(cw, metric, stat="Sum", **kw) -> float:
    return sum(d[stat] for d in stats(cw, metric, statistics=(stat,), **kw)["Datapoints"])


def test_get_metric_statistics_counts_the_workload_through_boto3(msrv, workload):
    cw = cloudwatch(msrv)
    assert total(cw, "Invocations") == N + M + T
    assert total(cw, "Errors") == M + T
    assert total(cw, "Throttles") == K
    # Account-wide (no dimensions) is the same here: one function ran.
    assert total(cw, "Invocations", dims=[]) == N + M + T
    assert total(cw, "Invocations", dims=[{"Name": "FunctionName", "Value": "nothing-here"}]) == 0
    r = stats(cw, "Duration", statistics=("SampleCount", "Sum", "Minimum", "Maximum"))
    assert r["Label"] == "Duration"
    points = r["Datapoints"]
    assert all(p["Unit"] == "Milliseconds" and isinstance(p["Timestamp"], datetime) for p in points)
    durations = [w["Duration"] for w in workload]
    assert sum(p["SampleCount"] for p in points) == len(durations)
    # REPORT prints each duration rounded to 10 µs.
    assert max(p["Maximum"] for p in points) == pytest.approx(max(durations), abs=0.01)
    assert min(p["Minimum"] for p in points) == pytest.approx(min(durations), abs=0.01)
    assert sum(p["Sum"] for p in points) == pytest.approx(sum(durations), abs=0.01 * len(durations))
    # Percentiles from the histogram lie within each minute's exact range.
    pct = stats(cw, "Duration", statistics=(), extended=("p50", "p99"))["Datapoints"]
    by_minute = {p["Timestamp"]: p for p in points}
    for p in pct:
        lo, hi = by_minute[p["Timestamp"]]["Minimum"], by_minute[p["Timestamp"]]["Maximum"]
        assert lo - 0.01 <= p["ExtendedStatistics"]["p50"] <= p["ExtendedStatistics"]["p99"] <= hi + 0.01
    # Lamina's namespace has cold starts and the image each invocation ran on.
    cold = sum(1 for w in workload if "Init Duration" in w)
    assert cold >= 1
    assert total(cw, "ColdStarts", namespace="Lamina") == cold
    image_dims = [{"Name": "FunctionName", "Value": NAME}, {"Name": "Image", "Value": "host"}]
    assert total(cw, "Invocations", namespace="Lamina", dims=image_dims) == N + M + T
    inits = [w["Init Duration"] for w in workload if "Init Duration" in w]
    assert total(cw, "InitDuration", namespace="Lamina") == pytest.approx(sum(inits), abs=0.01 * len(inits))


def test_get_metric_data_and_list_metrics_through_boto3(msrv, workload):
    cw = cloudwatch(msrv)
    start, end = window()
    metric = {"Namespace": "AWS/Lambda", "MetricName": "Errors",
              "Dimensions": [{"Name": "FunctionName", "Value": NAME}]}
    r = cw.get_metric_data(
        MetricDataQueries=[
            {"Id": "errors", "MetricStat": {"Metric": metric, "Period": 3600, "Stat": "Sum"}},
            {"Id": "rate", "Label": "error rate", "MetricStat": {"Metric": metric, "Period": 3600, "Stat": "Average"}},
        ],
        StartTime=start, EndTime=end, ScanBy="TimestampAscending")
    results = {x["Id"]: x for x in r["MetricDataResults"]}
    assert sum(results["errors"]["Values"]) == M + T
    assert results["errors"]["Label"] == "Errors" and results["errors"]["StatusCode"] == "Complete"
    assert results["rate"]["Label"] == "error rate"
    # Errors are published per invocation as 0 or 1: their average is the error rate.
    if len(results["rate"]["Values"]) == 1:
        assert results["rate"]["Values"][0] == pytest.approx((M + T) / (N + M + T))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_metric_data(MetricDataQueries=[{"Id": "m", "Expression": "SUM(METRICS())"}], StartTime=start, EndTime=end)
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"

    listed = cw.list_metrics(Namespace="AWS/Lambda", Dimensions=[{"Name": "FunctionName", "Value": NAME}])["Metrics"]
    names = {m["MetricName"] for m in listed}
    assert {"Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"} <= names
    assert "ColdStarts" not in names  # Lamina's own, in namespace Lamina
    assert {"Namespace": "AWS/Lambda", "MetricName": "Invocations",
            "Dimensions": [{"Name": "FunctionName", "Value": NAME}, {"Name": "Resource", "Value": NAME}]} in listed


def test_bad_requests_get_cloudwatch_errors_and_change_nothing(msrv, workload):
    cw = cloudwatch(msrv)
    start, end = window()
    cases = [
        (dict(Period=61, Statistics=["Sum"]), "InvalidParameterValue", "The parameter Period must be a multiple of 60."),
        (dict(Period=60), "InvalidParameterCombination", "Must specify either Statistics or ExtendedStatistics, but not both."),
        (dict(Period=60, Statistics=["Median"]), "InvalidParameterValue", "The parameter Statistics contains invalid value Median."),
    ]
    for kw, code, message in cases:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            cw.get_metric_statistics(Namespace="AWS/Lambda", MetricName="Invocations", StartTime=start, EndTime=end, **kw)
        assert (e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]) == (code, message)
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_metric_statistics(Namespace="AWS/Lambda", MetricName="Invocations", StartTime=end, EndTime=start, Period=60, Statistics=["Sum"])
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert total(cw, "Invocations") == N + M + T


def _walk(shape, value, path="$"):
    """Checks a raw JSON answer against botocore's model: every member is one the shape has,
    with the shape's type."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), path
        for k, v in value.items():
            assert k in shape.members, f"{path}.{k} is not in {shape.name}"
            _walk(shape.members[k], v, f"{path}.{k}")
    elif kind == "list":
        assert isinstance(value, list), path
        for i, v in enumerate(value):
            _walk(shape.member, v, f"{path}[{i}]")
    elif kind == "map":
        assert isinstance(value, dict), path
        for k, v in value.items():
            _walk(shape.value, v, f"{path}.{k}")
    elif kind in ("double", "timestamp"):
        assert isinstance(value, (int, float)), path
    elif kind in ("integer", "long"):
        assert isinstance(value, int), path
    else:
        assert isinstance(value, str), (path, kind)


def test_raw_json_answers_match_botocores_model(msrv, workload):
    model = boto3.session.Session().client("cloudwatch", region_name="us-east-1").meta.service_model
    start, end = (int(t.timestamp()) for t in window())
    metric = {"Namespace": "AWS/Lambda", "MetricName": "Duration", "Dimensions": [{"Name": "FunctionName", "Value": NAME}]}
    requests = {
        "GetMetricStatistics": dict(metric, StartTime=start, EndTime=end, Period=60,
                                    Statistics=["SampleCount", "Average", "Sum", "Minimum", "Maximum"]),
        "GetMetricData": {"StartTime": start, "EndTime": end, "MetricDataQueries": [
            {"Id": "d", "MetricStat": {"Metric": metric, "Period": 60, "Stat": "p90"}}]},
        "ListMetrics": {"Namespace": "AWS/Lambda"},
    }
    for operation, body in requests.items():
        status, headers, answer = raw_call(msrv, "POST", "/", json.dumps(body).encode(), headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"GraniteServiceVersion20100801.{operation}"})
        assert status == 200, answer
        assert headers["content-type"] == "application/x-amz-json-1.0"
        _walk(model.operation_model(operation).output_shape, answer)
        assert answer[{"GetMetricStatistics": "Datapoints", "GetMetricData": "MetricDataResults",
                       "ListMetrics": "Metrics"}[operation]], answer


def aws_cli(server, binary, *args):
    key = server.key or {"AccessKeyId": "test", "SecretAccessKey": "test"}
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"],
               AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")
    env.pop("AWS_SESSION_TOKEN", None)
    return subprocess.run([binary, "cloudwatch", *args, "--endpoint-url", server.url, "--output", "json"],
                          capture_output=True, text=True, env=env, timeout=120)


CLIS = {
    # Debian's AWS CLI v2 bundles an older botocore that speaks the query protocol (XML).
    "debian-cli-v2-query": "/usr/bin/aws",
    # The venv's CLI v1 runs the installed botocore: JSON 1.0.
    "venv-cli-v1-json": str(Path(LAMINA_BIN).resolve().parents[2] / ".venv/bin/aws"),
}


@pytest.mark.parametrize("cli", sorted(CLIS))
def test_aws_cli_get_metric_statistics(msrv, workload, cli):
    binary = CLIS[cli]
    if not Path(binary).exists():
        pytest.skip(f"{binary} is not installed")
    start, end = (t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in window())
    common = ["--namespace", "AWS/Lambda", "--dimensions", f"Name=FunctionName,Value={NAME}",
              "--start-time", start, "--end-time", end]
    out = aws_cli(msrv, binary, "get-metric-statistics", "--metric-name", "Invocations", "--period", "60",
                  "--statistics", "Sum", "SampleCount", *common)
    assert out.returncode == 0, out.stderr
    points = json.loads(out.stdout)["Datapoints"]
    assert sum(p["Sum"] for p in points) == N + M + T
    out = aws_cli(msrv, binary, "get-metric-statistics", "--metric-name", "Duration", "--period", "3600",
                  "--extended-statistics", "p99", *common)
    assert out.returncode == 0, out.stderr
    assert all(p["ExtendedStatistics"]["p99"] > 0 for p in json.loads(out.stdout)["Datapoints"])
    out = aws_cli(msrv, binary, "list-metrics", "--namespace", "AWS/Lambda", "--metric-name", "Throttles")
    assert out.returncode == 0, out.stderr
    assert {"Name": "FunctionName", "Value": NAME} in [d for m in json.loads(out.stdout)["Metrics"] for d in m["Dimensions"]]
    out = aws_cli(msrv, binary, "get-metric-statistics", "--metric-name", "Invocations", "--period", "90",
                  "--statistics", "Sum", *common)
    assert out.returncode != 0
    assert "InvalidParameterValue" in out.stderr and "must be a multiple of 60" in out.stderr


def test_history_survives_restart_and_kill_9(msrv, workload):
    """Runs last in this module: restarts its server."""
    cw = cloudwatch(msrv)
    msrv.restart()
    assert total(cw, "Invocations") == N + M + T
    assert total(cw, "Throttles") == K
    # One more, then kill -9 after the flush interval (5 s): nothing is lost.
    invoke(msrv.client(), NAME, {})
    time.sleep(7)
    msrv.kill()
    msrv.start()
    assert total(cw, "Invocations") == N + M + T + 1
    assert total(cw, "Errors") == M + T
