"""Lambda@Edge: distributions through CloudFront's own API (boto3's `cloudfront` client and
AWS CLI v2), served by `lamina server --edge-listen` with the four triggers (a Python and a
Node function), CloudFront's rules and limits, and the cache, in front of a local origin
server written with Python's http.server."""

import base64
import http.client
import json
import os
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT, Server, deploy, free_port

PY_TRIGGER = r'''
import base64, json, time

def seen(event):
    """The event without the x-seen-* headers earlier triggers added, base64 JSON."""
    cf = json.loads(json.dumps(event))["Records"][0]["cf"]
    for part in ("request", "response"):
        if part in cf:
            cf[part]["headers"] = {k: v for k, v in cf[part]["headers"].items() if not k.startswith("x-seen")}
    return base64.b64encode(json.dumps({"Records": [{"cf": cf}]}).encode()).decode()

def handler(event, context):
    cf = event["Records"][0]["cf"]
    kind = cf["config"]["eventType"]
    if kind == "viewer-request":
        req = cf["request"]
        uri = req["uri"]
        if uri.startswith("/gen/"):
            size = int(uri.split("/")[2]) * 1024
            return {"status": "200", "statusDescription": "OK",
                    "headers": {"content-type": [{"key": "Content-Type", "value": "text/plain"}]},
                    "body": "a" * size}
        if uri == "/bad/x-forwarded-proto":
            req["headers"]["x-forwarded-proto"] = [{"key": "X-Forwarded-Proto", "value": "https"}]
            return req
        if uri == "/bad/host":
            req["headers"]["host"] = [{"key": "Host", "value": "elsewhere.example"}]
            return req
        if uri == "/bad/status":
            return {"status": "999"}
        if uri == "/sleep":
            time.sleep(6)
        if uri == "/throw":
            raise RuntimeError("thrown on purpose")
        if uri == "/rewrite":
            req["uri"] = "/rewritten"
            req["querystring"] = "changed=yes"
        req["headers"]["x-seen-viewer-request"] = [{"key": "X-Seen-Viewer-Request", "value": seen(event)}]
        return req
    if kind == "origin-response":
        resp = cf["response"]
        resp["headers"]["x-seen-origin-response"] = [{"key": "X-Seen-Origin-Response", "value": seen(event)}]
        return resp
    raise RuntimeError("unexpected event " + kind)
'''

NODE_TRIGGER = r'''
const seen = (event) => {
  const cf = JSON.parse(JSON.stringify(event)).Records[0].cf;
  for (const part of ["request", "response"]) {
    if (cf[part]) {
      for (const k of Object.keys(cf[part].headers)) if (k.startsWith("x-seen")) delete cf[part].headers[k];
    }
  }
  return Buffer.from(JSON.stringify({ Records: [{ cf }] })).toString("base64");
};
exports.handler = async (event) => {
  const cf = event.Records[0].cf;
  if (cf.config.eventType === "origin-request") {
    const req = cf.request;
    if (req.uri === "/made-at-origin-request") {
      return { status: "200", statusDescription: "OK",
               headers: { "cache-control": [{ key: "Cache-Control", value: "max-age=60" }] },
               body: "made by origin-request" };
    }
    req.headers["x-seen-origin-request"] = [{ key: "X-Seen-Origin-Request", value: seen(event) }];
    return req;
  }
  if (cf.config.eventType === "viewer-response") {
    const resp = cf.response;
    resp.headers["x-seen-viewer-response"] = [{ key: "X-Seen-Viewer-Response", value: seen(event) }];
    return resp;
  }
  throw new Error("unexpected event " + cf.config.eventType);
};
'''


class Origin:
    """A small HTTP origin: records every request; answers by path."""

    def __init__(self):
        self.requests = []
        origin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                origin.requests.append({"method": self.command, "path": self.path,
                                        "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                status, headers, out = 200, {"Content-Type": "text/plain"}, f"origin says {self.path}".encode()
                if self.path.startswith("/large/"):
                    # 12 MiB: over an eighth of the 64 MiB memory tier, so kept on disk.
                    headers["Cache-Control"] = "max-age=60"
                    out = bytes(range(256)) * (12 * 4096)
                elif self.path.startswith("/cached/"):
                    headers["Cache-Control"] = "max-age=60"
                elif self.path.startswith("/short/"):
                    headers["Cache-Control"] = "max-age=1"
                elif self.path.startswith("/missing"):
                    status = 404
                else:
                    headers["Cache-Control"] = "no-store"
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(out)

            do_GET = do_POST = do_HEAD = do_PUT = answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def last(self, path):
        return next(r for r in reversed(self.requests) if r["path"].startswith(path))


@pytest.fixture(scope="module")
def origin():
    o = Origin()
    yield o
    o.server.shutdown()


@pytest.fixture(scope="module")
def edge_server(tmp_path_factory):
    port = free_port()
    base = tmp_path_factory.mktemp("edge")
    s3 = base / "buckets"
    (s3 / "site/css").mkdir(parents=True)
    (s3 / "site/index.html").write_text("<h1>from the bucket</h1>")
    (s3 / "site/css/app.css").write_text("body{}")
    (base / "secret.txt").write_text("outside the buckets")
    s = Server(base / "data", ["--edge-listen", f"127.0.0.1:{port}", "--edge-s3-root", str(s3)])
    s.edge_port = port
    s.start()
    yield s
    s.stop()


def client(server, service):
    key = server.key or {"AccessKeyId": "test", "SecretAccessKey": "test"}
    return boto3.client(service, endpoint_url=server.url, region_name="us-east-1",
                        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                        config=Config(retries={"max_attempts": 1}, read_timeout=120))


@pytest.fixture(scope="module")
def cf(edge_server):
    return client(edge_server, "cloudfront")


@pytest.fixture(scope="module")
def elam(edge_server):
    return client(edge_server, "lambda")


@pytest.fixture(scope="module")
def triggers(elam):
    """Version 1 of the Python and the Node trigger (128 MB, 5 s)."""
    deploy(elam, "edge-py", {"app.py": PY_TRIGGER}, runtime="python3.11", Timeout=5, MemorySize=128)
    deploy(elam, "edge-node", {"index.js": NODE_TRIGGER}, runtime="nodejs20.x", handler="index.handler",
           Timeout=5, MemorySize=128)
    py = elam.publish_version(FunctionName="edge-py")["FunctionArn"]
    node = elam.publish_version(FunctionName="edge-node")["FunctionArn"]
    return {"py": py, "node": node}


def items(xs):
    return {"Quantity": len(xs), "Items": xs} if xs else {"Quantity": 0}


def distribution_config(origin_port, associations=(), aliases=(), ref=None, enabled=True, **ttl):
    forwarded = {"QueryString": True, "Cookies": {"Forward": "none"}}
    return {
        "CallerReference": ref or str(uuid.uuid4()),
        "Aliases": items(list(aliases)),
        "Origins": items([{
            "Id": "local",
            "DomainName": "localhost",
            "CustomOriginConfig": {"HTTPPort": origin_port, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"},
        }]),
        "DefaultCacheBehavior": {
            "TargetOriginId": "local",
            "ViewerProtocolPolicy": "allow-all",
            "LambdaFunctionAssociations": items([
                {"LambdaFunctionARN": arn, "EventType": event, "IncludeBody": body} for arn, event, body in associations
            ]),
            "ForwardedValues": forwarded,
            "MinTTL": ttl.get("min", 0),
            "DefaultTTL": ttl.get("default", 0),
            "MaxTTL": ttl.get("max", 3600),
        },
        "Comment": "lamina e2e",
        "Enabled": enabled,
    }


@pytest.fixture(scope="module")
def four(cf, triggers, origin):
    """A distribution with all four triggers (viewer-request and origin-response in Python,
    origin-request and viewer-response in Node)."""
    config = distribution_config(origin.port, [
        (triggers["py"], "viewer-request", True),
        (triggers["node"], "origin-request", True),
        (triggers["py"], "origin-response", False),
        (triggers["node"], "viewer-response", False),
    ], aliases=["www.edge.test"])
    return cf.create_distribution(DistributionConfig=config)["Distribution"]


def get(server, host, path, method="GET", body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.edge_port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        conn.close()


def decode(value):
    return json.loads(base64.b64decode(value))["Records"][0]["cf"]


def expect_error(code, fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    assert e.value.response["Error"]["Code"] == code, e.value.response
    return e.value.response


# --- the API ---------------------------------------------------------------------------------


def test_distribution_lifecycle_through_boto3(cf, origin):
    config = distribution_config(origin.port, aliases=["life.edge.test"])
    created = cf.create_distribution(DistributionConfig=config)
    d = created["Distribution"]
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["Location"].endswith("/2020-05-31/distribution/" + d["Id"])
    assert d["Id"].startswith("E") and len(d["Id"]) == 14
    assert d["DomainName"].endswith(".cloudfront.net") and len(d["DomainName"]) == len("d111111abcdef8.cloudfront.net")
    assert d["ARN"] == f"arn:aws:cloudfront::{ACCOUNT}:distribution/{d['Id']}"
    assert d["Status"] == "Deployed"
    assert d["DistributionConfig"]["Aliases"]["Items"] == ["life.edge.test"]
    # The same CallerReference and configuration: the same distribution.
    assert cf.create_distribution(DistributionConfig=config)["Distribution"]["Id"] == d["Id"]
    # The alias is taken by this distribution.
    expect_error("CNAMEAlreadyExists", cf.create_distribution, DistributionConfig=distribution_config(origin.port, aliases=["life.edge.test"]))

    got = cf.get_distribution_config(Id=d["Id"])
    assert got["ETag"] == created["ETag"]
    assert got["DistributionConfig"] == cf.get_distribution(Id=d["Id"])["Distribution"]["DistributionConfig"]
    new = dict(got["DistributionConfig"], Comment="changed")
    expect_error("InvalidIfMatchVersion", cf.update_distribution, Id=d["Id"], DistributionConfig=new)
    expect_error("PreconditionFailed", cf.update_distribution, Id=d["Id"], DistributionConfig=new, IfMatch="E0000000000000")
    updated = cf.update_distribution(Id=d["Id"], DistributionConfig=new, IfMatch=got["ETag"])
    assert updated["ETag"] != got["ETag"]
    assert updated["Distribution"]["DistributionConfig"]["Comment"] == "changed"

    listed = cf.list_distributions()["DistributionList"]
    summary = next(s for s in listed["Items"] if s["Id"] == d["Id"])
    assert summary["Comment"] == "changed" and summary["DomainName"] == d["DomainName"]

    expect_error("DistributionNotDisabled", cf.delete_distribution, Id=d["Id"], IfMatch=updated["ETag"])
    disabled = cf.update_distribution(Id=d["Id"], DistributionConfig=dict(new, Enabled=False), IfMatch=updated["ETag"])
    expect_error("PreconditionFailed", cf.delete_distribution, Id=d["Id"], IfMatch=updated["ETag"])
    cf.delete_distribution(Id=d["Id"], IfMatch=disabled["ETag"])
    expect_error("NoSuchDistribution", cf.get_distribution, Id=d["Id"])
    expect_error("NoSuchDistribution", cf.get_distribution_config, Id="ENOTHERE000000")


def test_aws_cli_v2_reads_distributions_and_invalidates(edge_server, cf, origin):
    d = cf.create_distribution(DistributionConfig=distribution_config(origin.port))["Distribution"]
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")
    if edge_server.key:
        env.update(AWS_ACCESS_KEY_ID=edge_server.key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=edge_server.key["SecretAccessKey"])

    def aws(*args):
        out = subprocess.run(["/usr/bin/aws", "cloudfront", *args, "--endpoint-url", edge_server.url, "--output", "json"],
                             capture_output=True, text=True, env=env)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    got = aws("get-distribution-config", "--id", d["Id"])
    assert got["DistributionConfig"]["Origins"]["Items"][0]["DomainName"] == "localhost"
    assert got["ETag"]
    listed = aws("list-distributions")
    assert d["Id"] in [s["Id"] for s in listed["DistributionList"]["Items"]]
    inv = aws("create-invalidation", "--distribution-id", d["Id"], "--paths", "/cached/*", "/other")
    assert inv["Invalidation"]["Status"] == "Completed"
    assert inv["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] == ["/cached/*", "/other"]
    assert cf.get_invalidation(DistributionId=d["Id"], Id=inv["Invalidation"]["Id"])["Invalidation"]["Id"] == inv["Invalidation"]["Id"]


def test_associations_are_refused_as_cloudfront_refuses_them(cf, elam, origin, triggers):
    before = len(cf.list_distributions()["DistributionList"].get("Items", []))
    layer = elam.publish_layer_version(LayerName="edge-layer", Content={"ZipFile": _zip({"x.txt": "x"})})["LayerVersionArn"]
    made = {}
    for name, extra in {
        "edge-env": {"Environment": {"Variables": {"MODE": "edge"}}},
        "edge-layers": {"Layers": [layer]},
        "edge-slow": {"Timeout": 6},
        "edge-big": {"MemorySize": 256},
        "edge-arm": {"Architectures": ["arm64"]},
    }.items():
        deploy(elam, name, {"app.py": "def handler(e, c):\n    return e['Records'][0]['cf']['request']\n"}, **extra)
        made[name] = elam.publish_version(FunctionName=name)["FunctionArn"]
    deploy(elam, "edge-provided", {"bootstrap": "#!/bin/sh\n"}, runtime="provided.al2023", handler="x")
    made["edge-provided"] = elam.publish_version(FunctionName="edge-provided")["FunctionArn"]
    # 1.1 MB of incompressible code: over the viewer triggers' 1 MB, within the origin's 50 MB.
    deploy(elam, "edge-heavy", {"app.py": "def handler(e, c):\n    return e\n", "blob.bin": os.urandom(1_100_000)})
    made["edge-heavy"] = elam.publish_version(FunctionName="edge-heavy")["FunctionArn"]
    elam.create_alias(FunctionName="edge-py", Name="live", FunctionVersion="1")
    base = triggers["py"].rsplit(":", 1)[0]
    cases = {
        "$LATEST": (base + ":$LATEST", "viewer-request", "specific function version"),
        "unqualified": (base, "viewer-request", "specific function version"),
        "alias": (base + ":live", "viewer-request", "specific function version"),
        "env vars": (made["edge-env"], "origin-request", "environment variables"),
        "layers": (made["edge-layers"], "origin-request", "layers"),
        "6 s viewer": (made["edge-slow"], "viewer-request", "timeout"),
        "256 MB viewer": (made["edge-big"], "viewer-response", "memory"),
        "missing": (base + ":99", "viewer-request", "does not exist"),
        "arm64": (made["edge-arm"], "origin-request", "x86_64"),
        "provided runtime": (made["edge-provided"], "origin-request", "not supported by Lambda@Edge"),
        "1.1 MB viewer": (made["edge-heavy"], "viewer-request", "compressed code size"),
    }
    for case, (arn, event, words) in cases.items():
        r = expect_error("InvalidLambdaFunctionAssociation", cf.create_distribution,
                         DistributionConfig=distribution_config(origin.port, [(arn, event, False)]))
        assert words in r["Error"]["Message"], (case, r["Error"]["Message"])
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The 6 s function is fine on an origin trigger (30 s), the 256 MB one too.
    cf.create_distribution(DistributionConfig=distribution_config(origin.port, [(made["edge-slow"], "origin-request", False), (made["edge-big"], "origin-response", False)]))
    cf.create_distribution(DistributionConfig=distribution_config(origin.port, [(made["edge-heavy"], "origin-request", False)]))
    # Nothing refused was stored.
    assert len(cf.list_distributions()["DistributionList"]["Items"]) == before + 2


def _zip(files):
    from conftest import make_zip
    return make_zip(files)


# --- the proxy ---------------------------------------------------------------------------------


def test_four_triggers_see_cloudfront_events_and_their_changes_apply(edge_server, four, origin):
    host = four["DomainName"]
    status, headers, body = get(edge_server, host, "/page?x=1", method="POST", body=b"hello body",
                                headers={"User-Agent": "e2e", "Content-Type": "text/plain"})
    assert status == 200, body
    assert body == b"origin says /page?x=1"
    assert headers["x-cache"] == "Miss from cloudfront"
    assert headers["via"].endswith("(CloudFront)") and headers["x-amz-cf-id"]
    at_origin = origin.last("/page")
    assert at_origin["body"] == b"hello body" and at_origin["method"] == "POST"

    vr = decode(at_origin["headers"]["x-seen-viewer-request"])
    assert vr["config"] == {"distributionDomainName": host, "distributionId": four["Id"],
                            "eventType": "viewer-request", "requestId": headers["x-amz-cf-id"]}
    req = vr["request"]
    assert req["clientIp"] == "127.0.0.1" and req["method"] == "POST"
    assert req["uri"] == "/page" and req["querystring"] == "x=1"
    assert req["headers"]["host"] == [{"key": "Host", "value": host}]
    assert req["headers"]["user-agent"] == [{"key": "User-Agent", "value": "e2e"}]
    assert req["body"] == {"inputTruncated": False, "action": "read-only", "encoding": "base64",
                           "data": base64.b64encode(b"hello body").decode()}
    assert "origin" not in req and "response" not in vr

    orq = decode(at_origin["headers"]["x-seen-origin-request"])
    assert orq["config"]["eventType"] == "origin-request"
    # The viewer-request function's header reached origin-request; Host is the origin's.
    assert orq["request"]["headers"]["host"][0]["value"] == "localhost"
    custom = orq["request"]["origin"]["custom"]
    assert custom["domainName"] == "localhost" and custom["port"] == origin.port and custom["protocol"] == "http"
    assert custom["path"] == "" and custom["readTimeout"] == 30 and custom["keepaliveTimeout"] == 5
    assert orq["request"]["body"]["data"] == base64.b64encode(b"hello body").decode()

    ors = decode(headers["x-seen-origin-response"])
    assert ors["config"]["eventType"] == "origin-response"
    assert ors["response"]["status"] == "200" and ors["response"]["statusDescription"] == "OK"
    assert ors["response"]["headers"]["cache-control"][0]["value"] == "no-store"
    assert "body" not in ors["request"]

    vrs = decode(headers["x-seen-viewer-response"])
    assert vrs["config"]["eventType"] == "viewer-response"
    assert vrs["response"]["status"] == "200"
    assert vrs["request"]["uri"] == "/page"
    # The origin-response function's header was there for viewer-response.
    assert "x-seen-origin-response" in headers


def test_changed_uri_and_querystring_reach_the_origin(edge_server, four, origin):
    status, _, body = get(edge_server, "www.edge.test", "/rewrite?a=b")
    assert status == 200
    assert body == b"origin says /rewritten?changed=yes"


def test_origin_errors_skip_viewer_response_but_not_origin_response(edge_server, four):
    status, headers, _ = get(edge_server, four["DomainName"], "/missing")
    assert status == 404
    assert headers["x-cache"] == "Error from cloudfront"
    assert "x-seen-origin-response" in headers
    assert "x-seen-viewer-response" not in headers


def test_generated_response_limits_and_header_rules(edge_server, four):
    host = four["DomainName"]
    status, headers, body = get(edge_server, host, "/gen/39")
    assert status == 200 and len(body) == 39 * 1024
    assert headers["x-cache"] == "LambdaGeneratedResponse from cloudfront"
    assert "x-seen-viewer-response" not in headers
    for path in ("/gen/41", "/bad/x-forwarded-proto", "/bad/host", "/bad/status"):
        status, headers, _ = get(edge_server, host, path)
        assert status == 502, path
        assert headers["x-cache"] == "LambdaValidationError from cloudfront", path


def test_validation_errors_are_logged_for_the_distribution(edge_server, four):
    get(edge_server, four["DomainName"], "/bad/x-forwarded-proto")
    logs = client(edge_server, "logs")
    group = f"/aws/cloudfront/LambdaEdge/{four['Id']}"
    deadline = time.time() + 10
    messages = []
    while time.time() < deadline and not messages:
        try:
            messages = [json.loads(e["message"]) for e in logs.filter_log_events(logGroupName=group)["events"]]
        except ClientError:
            time.sleep(0.2)
    assert any(m["eventType"] == "viewer-request" and "x-forwarded-proto" in m["message"] for m in messages), messages


def test_throw_and_timeout_give_503(edge_server, four):
    status, headers, _ = get(edge_server, four["DomainName"], "/throw")
    assert status == 503
    assert headers["x-cache"] == "LambdaExecutionError from cloudfront"
    status, headers, _ = get(edge_server, four["DomainName"], "/sleep")
    assert status == 503
    assert headers["x-cache"] == "LambdaLimitExceeded from cloudfront"


def test_cache_hits_age_and_invalidation(edge_server, cf, four, origin):
    host = four["DomainName"]
    path = f"/cached/{uuid.uuid4()}"
    status, headers, body = get(edge_server, host, path)
    assert status == 200 and headers["x-cache"] == "Miss from cloudfront"
    hits_before = len([r for r in origin.requests if r["path"] == path])
    time.sleep(1.1)
    status, headers, again = get(edge_server, host, path)
    assert status == 200 and again == body
    assert headers["x-cache"] == "Hit from cloudfront"
    assert int(headers["age"]) >= 1
    # The hit ran viewer-response but reached neither origin-request nor the origin.
    assert "x-seen-viewer-response" in headers
    assert len([r for r in origin.requests if r["path"] == path]) == hits_before
    # A different query string is a different object (QueryString is in the cache key).
    assert get(edge_server, host, path + "?v=2")[1]["x-cache"] == "Miss from cloudfront"
    cf.create_invalidation(DistributionId=four["Id"], InvalidationBatch={
        "Paths": {"Quantity": 1, "Items": ["/cached/*"]}, "CallerReference": str(uuid.uuid4())})
    assert get(edge_server, host, path)[1]["x-cache"] == "Miss from cloudfront"
    # A HEAD miss does not leave an empty body behind for the next GET.
    head_path = f"/cached/{uuid.uuid4()}"
    assert get(edge_server, host, head_path, method="HEAD")[0] == 200
    status, headers, body = get(edge_server, host, head_path)
    assert body == f"origin says {head_path}".encode() and headers["x-cache"] == "Miss from cloudfront"
    assert get(edge_server, host, head_path, method="HEAD")[1]["x-cache"] == "Hit from cloudfront"
    # no-store is never cached; max-age=1 expires.
    assert get(edge_server, host, "/plain")[1]["x-cache"] == "Miss from cloudfront"
    assert get(edge_server, host, "/plain")[1]["x-cache"] == "Miss from cloudfront"
    get(edge_server, host, "/short/x")
    assert get(edge_server, host, "/short/x")[1]["x-cache"] == "Hit from cloudfront"
    time.sleep(1.2)
    assert get(edge_server, host, "/short/x")[1]["x-cache"] == "Miss from cloudfront"


def test_large_objects_are_cached_on_disk(edge_server, cf, four, origin):
    host = four["DomainName"]
    folder = edge_server.data_dir / "edge-cache"
    path = f"/large/{uuid.uuid4()}"
    status, headers, body = get(edge_server, host, path)
    assert status == 200 and len(body) == 12 << 20 and headers["x-cache"] == "Miss from cloudfront"
    files = [f for f in folder.iterdir() if f.suffix == ".obj"]
    assert len(files) == 1 and files[0].stat().st_size > 12 << 20, files
    fetched = len([r for r in origin.requests if r["path"] == path])
    status, headers, again = get(edge_server, host, path)
    assert status == 200 and again == body and headers["x-cache"] == "Hit from cloudfront"
    assert len([r for r in origin.requests if r["path"] == path]) == fetched
    cf.create_invalidation(DistributionId=four["Id"], InvalidationBatch={
        "Paths": {"Quantity": 1, "Items": [path]}, "CallerReference": str(uuid.uuid4())})
    assert not [f for f in folder.iterdir() if f.suffix == ".obj"]
    assert get(edge_server, host, path)[1]["x-cache"] == "Miss from cloudfront"


def test_origin_request_generated_response_is_cached(edge_server, four):
    host = four["DomainName"]
    status, headers, body = get(edge_server, host, "/made-at-origin-request")
    assert status == 200 and body == b"made by origin-request"
    status, headers, body = get(edge_server, host, "/made-at-origin-request")
    assert headers["x-cache"] == "Hit from cloudfront" and body == b"made by origin-request"


def test_console_lists_distributions_triggers_and_recent_requests(edge_server, four):
    if edge_server.key:
        pytest.skip("the console needs a signed-in session when authentication is on")
    get(edge_server, four["DomainName"], "/console-check")
    with __import__("urllib.request").request.urlopen(edge_server.url + "/console/distributions", timeout=30) as r:
        html = r.read().decode()
    section = html[html.index(f'id="{four["Id"]}"'):]
    section = section[:section.index("</section>")]
    assert four["DomainName"] in section and "www.edge.test" in section
    for event, fn in [("viewer-request", "edge-py:1"), ("origin-request", "edge-node:1"),
                      ("origin-response", "edge-py:1"), ("viewer-response", "edge-node:1")]:
        assert f"<strong>{event}</strong> → <a href=\"/console/functions/{fn.split(':')[0]}\">{fn}</a>" in section
    assert "GET /console-check" in section and "Miss from cloudfront" in section
    # The migration view names the distributions whose triggers run each version.
    with __import__("urllib.request").request.urlopen(edge_server.url + "/console/environments", timeout=30) as r:
        environments = r.read().decode()
    for event in ("viewer-request", "origin-response"):
        assert f'Lambda@Edge: <a href="/console/distributions#{four["Id"]}">{four["Id"]}</a> {event}' in environments


def test_s3_origin_is_served_from_a_local_folder(edge_server, cf, origin):
    config = distribution_config(origin.port)
    config["Origins"] = items([{"Id": "bucket", "DomainName": "site.s3.amazonaws.com",
                                "S3OriginConfig": {"OriginAccessIdentity": ""}}])
    config["DefaultCacheBehavior"]["TargetOriginId"] = "bucket"
    config["DefaultRootObject"] = "index.html"
    d = cf.create_distribution(DistributionConfig=config)["Distribution"]
    status, headers, body = get(edge_server, d["DomainName"], "/")
    assert (status, body) == (200, b"<h1>from the bucket</h1>")
    assert headers["content-type"].startswith("text/html")
    status, headers, body = get(edge_server, d["DomainName"], "/css/app.css")
    assert (status, body, headers["content-type"]) == (200, b"body{}", "text/css")
    assert get(edge_server, d["DomainName"], "/nope.html")[0] == 404
    for escape in ("/../secret.txt", "/%2e%2e/secret.txt", "/css/..%2f..%2fsecret.txt"):
        status, _, body = get(edge_server, d["DomainName"], escape)
        assert status == 404 and b"outside" not in body, escape


def test_unknown_host_and_disabled_distribution_are_not_served(edge_server, cf, origin):
    assert get(edge_server, "nobody.example", "/")[0] == 403
    d = cf.create_distribution(DistributionConfig=distribution_config(origin.port, enabled=False))["Distribution"]
    assert get(edge_server, d["DomainName"], "/x")[0] == 403


# --- environments ------------------------------------------------------------------------------

OS_RELEASE_TRIGGER = '''
def handler(event, context):
    return {"status": "200", "body": open("/etc/os-release").read()}
'''


@pytest.mark.skipif(os.geteuid() != 0, reason="running functions needs root (namespaces, cgroups)")
def test_edge_function_follows_a_migration_plan(tmp_path, origin):
    """The seed's plan moves python3.x from debian-12 to debian-13 at T2 (2019-06-11): an edge
    function's viewer-request moves with it, as a regional function does."""
    from test_migration_plans import PY, SEED_PLAN, hostlink_root, image_args, migrate, move_clock

    port = free_port()
    args = ["--now", "2019-05-01T00:00:00Z", "--edge-listen", f"127.0.0.1:{port}",
            *image_args(hostlink_root("12"), hostlink_root("13"))]
    s = Server(tmp_path / "data", extra_args=args).start()
    s.edge_port = port
    try:
        migrate(s, "plan", "apply", str(SEED_PLAN))
        lam = s.client()
        deploy(lam, "edge-os", {"app.py": OS_RELEASE_TRIGGER}, runtime=PY, Timeout=5, MemorySize=128)
        arn = lam.publish_version(FunctionName="edge-os")["FunctionArn"]
        d = client(s, "cloudfront").create_distribution(
            DistributionConfig=distribution_config(origin.port, [(arn, "viewer-request", False)]))["Distribution"]
        move_clock(s, "2019-06-10T12:00:00Z")
        assert 'VERSION_ID="12"' in get(s, d["DomainName"], "/")[2].decode()
        move_clock(s, "2019-06-11T00:00:00Z")  # T2: the general update
        assert 'VERSION_ID="13"' in get(s, d["DomainName"], "/")[2].decode()
        # `lamina migrate status` names the distribution the moved version serves.
        report = json.loads(migrate(s, "status", "--output", "json").stdout)
        row = next(f for f in report["functions"] if f["function"] == "edge-os" and f["version"] == "1")
        assert row["image"] == "debian-13"
        assert row["edge_triggers"] == [{"distribution_id": d["Id"], "domain_name": d["DomainName"],
                                         "event_type": "viewer-request", "enabled": True}]
        assert f"edge: {d['Id']} viewer-request ({d['DomainName']})" in migrate(s, "status").stdout
    finally:
        s.stop()
