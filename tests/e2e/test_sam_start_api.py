"""`lamina local start-api` with real HTTP requests: REST (payload 1.0) and HTTP API (2.0)
events, response translation, 502s, static files, parallel sandboxes and code reloads."""

import base64
import http.client
import json
import os
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import LAMINA_BIN, free_port

SAM_FIXTURES = Path(__file__).resolve().parents[2] / "crates/lamina-sam/tests/fixtures"
PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0xFF, 0xFE])


class LocalServer:
    """One `lamina local start-api` (or start-lambda) process."""

    def __init__(self, command, template_dir, cache, log_path, extra=()):
        self.port = free_port()
        self.log_path = log_path
        env = dict(os.environ, LAMINA_LOCAL_CACHE=str(cache))
        self.proc = subprocess.Popen(
            [LAMINA_BIN, "local", command, "-t", "template.yaml", "-p", str(self.port), *extra],
            cwd=template_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=open(log_path, "wb"),
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if b"Running on" in line:
                return
            if self.proc.poll() is not None:
                break
        raise RuntimeError(f"local {command} did not start:\n{self.log()}")

    def log(self):
        return Path(self.log_path).read_text(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.getheaders(), data
        finally:
            conn.close()


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    base = tmp_path_factory.mktemp("start-api")
    s = LocalServer("start-api", SAM_FIXTURES / "local-api", base / "cache", base / "start-api.log")
    yield s
    s.stop()


def header_values(headers, name):
    return [v for k, v in headers if k.lower() == name]


def test_rest_event_has_path_query_and_multi_value_headers(api):
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=60)
    conn.putrequest("GET", "/items/42?color=red&color=blue&size=L")
    conn.putheader("X-Multi", "one")
    conn.putheader("X-Multi", "two")
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    assert resp.status == 200, body
    event = json.loads(body)
    assert event["resource"] == "/items/{id}"
    assert event["path"] == "/items/42"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"color": "blue", "size": "L"}
    assert event["multiValueQueryStringParameters"] == {"color": ["red", "blue"], "size": ["L"]}
    assert event["multiValueHeaders"]["x-multi"] == ["one", "two"]
    assert event["requestContext"]["stage"] == "Prod"
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
    assert event["body"] is None and event["isBase64Encoded"] is False


def test_greedy_proxy_matches_any_method(api):
    status, _, body = api.request("DELETE", "/proxy/a/b/c")
    assert status == 200
    event = json.loads(body)
    assert event["pathParameters"] == {"proxy": "a/b/c"}
    assert event["resource"] == "/proxy/{proxy+}"


def test_binary_request_body_is_base64(api):
    status, _, body = api.request("POST", "/upload", body=PNG, headers={"Content-Type": "image/png"})
    assert status == 200
    event = json.loads(body)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == PNG
    status, _, body = api.request("POST", "/upload", body=b'{"a": 1}', headers={"Content-Type": "application/json"})
    event = json.loads(body)
    assert event["body"] == '{"a": 1}' and event["isBase64Encoded"] is False


def test_http_api_v2_event_with_cookies_and_joined_values(api):
    status, _, body = api.request("GET", "/v2/items/7?a=1&a=2", headers={"Cookie": "c1=v1; c2=v2", "X-H": "x"})
    assert status == 200, body
    event = json.loads(body)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /v2/items/{id}"
    assert event["rawPath"] == "/v2/items/7"
    assert event["rawQueryString"] == "a=1&a=2"
    assert event["queryStringParameters"] == {"a": "1,2"}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["pathParameters"] == {"id": "7"}
    assert event["headers"]["x-h"] == "x"
    assert event["requestContext"]["http"]["method"] == "GET"
    status, _, body = api.request("POST", "/v2/upload", body=PNG, headers={"Content-Type": "application/octet-stream"})
    event = json.loads(body)
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == PNG


def test_v2_plain_object_is_a_json_200(api):
    status, headers, body = api.request("GET", "/v2/plain")
    assert status == 200
    assert json.loads(body) == {"hello": "world"}
    assert header_values(headers, "content-type") == ["application/json"]


def test_v2_cookies_become_set_cookie_headers(api):
    status, headers, body = api.request("GET", "/v2/cookies")
    assert status == 200 and body == b"cookies set"
    assert header_values(headers, "set-cookie") == ["a=1; Path=/", "b=2; Path=/"]


def test_status_headers_and_multi_value_headers_are_translated(api):
    status, headers, body = api.request("GET", "/headers")
    assert status == 201 and body == b"created"
    assert header_values(headers, "x-single") == ["one"]
    assert header_values(headers, "x-multi") == ["a", "b"]


def test_base64_response_is_sent_as_bytes(api):
    status, headers, body = api.request("GET", "/binary")
    assert status == 200
    assert body == PNG
    assert header_values(headers, "content-type") == ["image/png"]


def test_bad_function_response_is_a_502_with_a_log_line(api):
    status, _, body = api.request("GET", "/bad")
    assert status == 502
    assert json.loads(body) == {"message": "Internal server error"}
    assert "BadResponseFunction returned an invalid response" in api.log()
    assert "body must be a string" in api.log()


def test_function_error_is_a_502(api):
    status, _, body = api.request("GET", "/raise")
    assert status == 502
    assert json.loads(body) == {"message": "Internal server error"}
    assert "RaiseFunction failed" in api.log()


def test_unknown_route_and_static_files(api):
    status, _, body = api.request("GET", "/nothing/here")
    assert status == 403
    assert json.loads(body) == {"message": "Missing Authentication Token"}
    status, _, body = api.request("GET", "/index.html")
    assert status == 200 and b"static" in body
    status, _, _ = api.request("GET", "/../template.yaml")
    assert status == 403


def test_twenty_parallel_requests_run_in_parallel_sandboxes(api):
    """Each request sleeps 1 s in the handler: serialised, 20 would take 20 s."""

    def one(_):
        status, _, body = api.request("GET", "/sleep")
        assert status == 200, body
        return json.loads(body)["instance"]

    timings = []
    for _ in range(2):  # cold, then warm
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=20) as pool:
            instances = list(pool.map(one, range(20)))
        timings.append(time.monotonic() - start)
        assert len(set(instances)) == 20, "requests shared sandboxes: they ran one after another"
    print(f"20 parallel 1 s requests: cold {timings[0]:.2f} s, warm {timings[1]:.2f} s")
    assert timings[0] < 12, timings
    assert timings[1] < 4, timings


def test_reserved_concurrency_limits_parallel_sandboxes(api):
    def one(_):
        status, _, _ = api.request("GET", "/limited")
        return status

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(one, range(6)))
    # Two sandboxes at most: the requests that arrive while both are busy are throttled
    # (a thread the machine starts late may find one free again, hence the inequalities).
    assert set(statuses) <= {200, 429}, statuses
    assert statuses.count(200) >= 2, statuses
    assert statuses.count(429) >= 2, statuses


def test_an_edit_of_the_handler_is_picked_up_by_the_next_request(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(SAM_FIXTURES / "local-api", project)
    s = LocalServer("start-api", project, tmp_path / "cache", tmp_path / "log")
    try:
        status, _, body = s.request("GET", "/hello")
        assert (status, body) == (200, b"version 1")
        status, _, body = s.request("GET", "/hello")
        assert body == b"version 1"
        hello = project / "hello/hello.py"
        hello.write_text(hello.read_text().replace("version 1", "version 2"))
        status, _, body = s.request("GET", "/hello")
        assert (status, body) == (200, b"version 2")
    finally:
        s.stop()


def test_port_in_use_is_named(api, tmp_path):
    out = subprocess.run(
        [LAMINA_BIN, "local", "start-api", "-t", "template.yaml", "-p", str(api.port)],
        cwd=SAM_FIXTURES / "local-api",
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, LAMINA_LOCAL_CACHE=str(tmp_path)),
    )
    assert out.returncode != 0
    assert f"port {api.port}" in out.stderr and "already in use" in out.stderr


def test_warm_containers_eager_starts_environments_before_the_first_request(tmp_path):
    s = LocalServer("start-api", SAM_FIXTURES / "hello-python", tmp_path / "cache", tmp_path / "log", extra=["--warm-containers", "EAGER"])
    try:
        sandboxes = Path(f"/run/lamina/local-{s.proc.pid}/sandboxes")
        if not sandboxes.parent.exists():
            sandboxes = tmp_path / "cache" / "run" / f"local-{s.proc.pid}" / "sandboxes"
        assert len(list(sandboxes.iterdir())) == 1, "EAGER did not start HelloWorldFunction's environment"
        status, _, body = s.request("GET", "/hello")
        assert status == 200 and json.loads(body) == {"message": "hello world"}
        assert len(list(sandboxes.iterdir())) == 1, "the first request did not use the warm environment"
    finally:
        s.stop()
