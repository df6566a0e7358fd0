"""Fixtures for end-to-end tests: the real `lamina` binary on a free port with its own data
folder, and real clients (boto3, the AWS CLI) pointed at it."""

import io
import json
import os
import re
import signal
import socket
import subprocess
import time
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

LAMINA_BIN = os.environ.get("LAMINA_BIN", str(Path(__file__).resolve().parents[2] / "target/debug/lamina"))
ROLE = "arn:aws:iam::000000000000:role/lambda-role"
# LAMINA_E2E_AUTH=1 runs every server with authentication required: an admin key of the
# server's account is created before it starts, and boto3, the AWS CLI and raw_call sign
# with it (scripts/test runs a representative subset this way).
AUTH = os.environ.get("LAMINA_E2E_AUTH") == "1"
ACCOUNT = "000000000000"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `lamina server` process. `restart()` keeps the data folder; `kill()` is kill -9."""

    def __init__(self, data_dir: Path, extra_args=()):
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.port = free_port()
        self.proc = None
        self.log_path = data_dir.parent / f"server-{self.port}.log"
        self.key = None
        if AUTH:
            self.key = create_key(data_dir, ACCOUNT)
            self.extra_args += ["--auth", "required"]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [LAMINA_BIN, "server", "--listen", f"127.0.0.1:{self.port}", "--data-dir", str(self.data_dir), *self.extra_args],
            stdout=subprocess.PIPE,
            stderr=log,
        )
        deadline = time.time() + 30
        line = b""
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if b"lamina listening" in line:
                return self
            if self.proc.poll() is not None:
                break
        raise RuntimeError(f"lamina server did not start: {line!r}\n{self.log_path.read_text(errors='replace')}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self):
        """kill -9: no chance to flush anything that was not already durable."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def restart(self):
        self.stop()
        return self.start()

    def client(self, validate=True, key=None):
        """boto3's Lambda client; signs with `key` (or the server's own key under
        LAMINA_E2E_AUTH, else a dummy one)."""
        key = key or self.key or {"AccessKeyId": "test", "SecretAccessKey": "test"}
        return boto3.client(
            "lambda",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
            config=Config(parameter_validation=validate, retries={"max_attempts": 1}, read_timeout=120),
        )

    def aws(self, *args, check=True, key=None):
        """Runs the real AWS CLI against this server; returns parsed JSON (or None)."""
        venv_bin = Path(LAMINA_BIN).resolve().parents[2] / ".venv/bin"
        aws = str(venv_bin / "aws") if (venv_bin / "aws").exists() else "aws"
        key = key or self.key or {"AccessKeyId": "test", "SecretAccessKey": "test"}
        env = dict(os.environ, AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"],
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")
        env.pop("AWS_SESSION_TOKEN", None)
        out = subprocess.run([aws, "lambda", *args, "--endpoint-url", self.url, "--output", "json"], capture_output=True, text=True, env=env)
        if check and out.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed ({out.returncode}): {out.stderr}")
        if not check:
            return out
        return json.loads(out.stdout) if out.stdout.strip() else None


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data").start()
    yield s
    s.stop()


@pytest.fixture
def lam(server):
    return server.client()


@pytest.fixture
def raw_lam(server):
    """A client without botocore's own parameter validation, so bad input reaches the server."""
    return server.client(validate=False)


def make_zip(files: dict) -> bytes:
    """A zip from {path: text-or-bytes}; executables (bootstrap, *.sh, extensions/*) get mode 0755."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            info = zipfile.ZipInfo(name)
            executable = name.endswith("bootstrap") or name.endswith(".sh") or name.startswith("extensions/")
            mode = 0o755 if executable else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, content)
    return buf.getvalue()


PY_HELLO = make_zip({"app.py": "def handler(event, context):\n    return {'hello': event}\n"})


# --- helpers for the control-plane acceptance tests (tests/e2e/test_control_*.py) ---

import base64 as _base64
import hashlib as _hashlib
import http.client as _http_client


def code_sha256(data: bytes) -> str:
    """Lambda's CodeSha256: base64 of the zip's SHA-256."""
    return _base64.b64encode(_hashlib.sha256(data).digest()).decode()


def http_get_bytes(url: str) -> bytes:
    """Downloads a Code.Location / Content.Location URL."""
    import urllib.request

    with urllib.request.urlopen(url, timeout=60) as r:
        assert r.status == 200, url
        return r.read()


def create_key(data_dir: Path, account: str, *extra) -> dict:
    """`lamina auth create-key`: {"AccessKeyId", "SecretAccessKey", …}."""
    out = subprocess.run([LAMINA_BIN, "auth", "create-key", "--account", account, "--data-dir", str(data_dir), *extra],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def sign(key: dict, method: str, url: str, body: bytes = b"", headers=None) -> dict:
    """The headers botocore's SigV4 signer adds for `key` (X-Amz-Date, Authorization)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=url, data=body or b"", headers=dict(headers or {}))
    SigV4Auth(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), "lambda", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def raw_call(server, method: str, path: str, body=None, headers=None, key=None, signed=True):
    """One raw HTTP request to the server: (status, lower-cased headers, parsed JSON or raw bytes).
    Signed with `key` or the server's own key when it has one, unless `signed=False`."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json"} if body is not None else {}
    hdrs.update(headers or {})
    key = key or server.key
    if signed and key:
        hdrs = sign(key, method, server.url + path, body or b"", hdrs)
    conn = _http_client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        head = {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = data
    return resp.status, head, parsed


def blob_files(server) -> set:
    """Every file under <data_dir>/blobs (content-addressed zips and any temporaries)."""
    root = Path(server.data_dir) / "blobs"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


# --- helpers for the invoke acceptance tests (tests/e2e/test_invoke_*.py) ---

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Builds and downloads that several test sessions can share (the Rust fixture, awslambdaric).
E2E_CACHE = Path(os.environ.get("LAMINA_E2E_CACHE", "/tmp/lamina-e2e-cache"))


@pytest.fixture(scope="module")
def invoke_server(tmp_path_factory):
    """One server with the engine for a whole test module (cold starts dominate otherwise)."""
    s = Server(tmp_path_factory.mktemp("invoke") / "data").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def ilam(invoke_server):
    return invoke_server.client()


def deploy(lam, name, code, runtime="python3.11", handler="app.handler", **kw):
    """Creates a function from a zip (bytes) or {path: content}; returns its configuration."""
    zipped = code if isinstance(code, bytes) else make_zip(code)
    return lam.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler, Code={"ZipFile": zipped}, **kw)


class Invoked:
    """A boto3 Invoke response, read: status, payload (parsed JSON when it is), headers, tail."""

    def __init__(self, resp):
        self.status = resp["StatusCode"]
        raw = resp["Payload"].read() if "Payload" in resp else b""
        self.raw = raw
        try:
            self.payload = json.loads(raw) if raw else None
        except ValueError:
            self.payload = raw
        self.function_error = resp.get("FunctionError")
        self.executed_version = resp.get("ExecutedVersion")
        self.headers = resp["ResponseMetadata"]["HTTPHeaders"]
        self.request_id = self.headers.get("x-amzn-requestid")
        self.log = _base64.b64decode(resp["LogResult"]).decode(errors="replace") if resp.get("LogResult") else ""


def invoke(lam, name, event=None, **kw) -> Invoked:
    """Invokes synchronously with Tail logs unless told otherwise."""
    kw.setdefault("LogType", "Tail")
    payload = event if isinstance(event, (bytes, str)) else json.dumps(event if event is not None else {})
    return Invoked(lam.invoke(FunctionName=name, Payload=payload, **kw))


def report_fields(log: str) -> dict:
    """The REPORT line's `Key: value` fields (numbers as floats) from a log text."""
    line = next(l for l in log.splitlines() if l.startswith("REPORT RequestId:"))
    out = {}
    for part in line.split("\t"):
        key, _, value = part.partition(": ")
        m = re.match(r"^([\d.]+)", value)
        out[key.strip()] = float(m.group(1)) if m and key != "REPORT RequestId" else value.strip()
    return out
