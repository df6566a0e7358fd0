"""Runtimes tell the truth: a function runs the exact language version its runtime names,
and a runtime no image of the server serves is refused at creation with the reason, storing
nothing (issue 11). A runtime whose default image is not built yet (debian-13 for python3.13,
debian-12-nodejs with Node.js 20/22/24 from npm) is created Pending, the image is prepared
once in the background, and boto3's function_active_v2 waiter sees it become Active.

The preparation tests build real images (debootstrap from the host's Debian mirror, Node.js
from the npm registry); they reuse the image build cache (LAMINA_IMAGE_CACHE, default
/var/cache/lamina/images), so only a cold machine pays for the builds, once per run."""

import http.server
import json
import os
import subprocess
import threading
import time

import pytest
from botocore.exceptions import ClientError, WaiterError

from conftest import LAMINA_BIN, PY_HELLO, ROLE, Server, blob_files, deploy, invoke, make_zip

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="image builds and sandboxes need root")
# Debian's AWS CLI v2 (`.ci/run` installs awscli): its waiters are what operators script with.
AWS_V2 = "/usr/bin/aws"


def aws_wait_active(server, name, *, delay=2, attempts=600):
    """`aws lambda wait function-active-v2` with the real CLI; returns the finished process."""
    key = server.key or {"AccessKeyId": "test", "SecretAccessKey": "test"}
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"],
               AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_MAX_ATTEMPTS="1")
    env.pop("AWS_SESSION_TOKEN", None)
    # The CLI's waiter polls every 5 s up to 60 times; its config is not a flag, so a
    # long cold preparation is waited for by repeating it (each run ends at Active/Failed).
    deadline = time.monotonic() + delay * attempts
    while True:
        out = subprocess.run([AWS_V2, "lambda", "wait", "function-active-v2", "--function-name", name,
                              "--endpoint-url", server.url], capture_output=True, text=True, env=env)
        if out.returncode == 0 or "Max attempts exceeded" not in out.stderr or time.monotonic() > deadline:
            return out


def host_python() -> str:
    out = subprocess.run(["/usr/bin/python3", "--version"], capture_output=True, text=True, check=True)
    return out.stdout.split()[1]


def test_unserved_runtime_is_refused_and_nothing_is_stored(server, lam):
    before = blob_files(server)
    for runtime in ["python3.12", "python3.10"]:
        with pytest.raises(ClientError) as e:
            lam.create_function(FunctionName="py312", Runtime=runtime, Role=ROLE, Handler="app.handler",
                                Code={"ZipFile": PY_HELLO})
        err = e.value.response
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert err["Error"]["Code"] == "InvalidParameterValueException"
        message = err["Error"]["Message"]
        major, minor = runtime.removeprefix("python").split(".")
        assert message.startswith(f"The runtime parameter of {runtime} is not served by this Lamina server"), message
        assert f"Python {major}.{minor}" in message and "Runtimes this server serves: " in message, message
        assert "provided.al2023" in message
    assert lam.list_functions()["Functions"] == []
    assert blob_files(server) == before
    # UpdateFunctionConfiguration refuses it the same way and keeps the old runtime.
    py = "python{}.{}".format(*host_python().split(".")[:2])
    lam.create_function(FunctionName="kept", Runtime=py, Role=ROLE, Handler="app.handler", Code={"ZipFile": PY_HELLO})
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName="kept", Runtime="python3.12")
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert lam.get_function_configuration(FunctionName="kept")["Runtime"] == py


VERSION_APP = "import sys, platform\ndef handler(event, context):\n    return {'version': platform.python_version(), 'executable': sys.executable}\n"


def test_host_python_runtime_runs_exactly_the_hosts_python(ilam):
    version = host_python()
    runtime = "python{}.{}".format(*version.split(".")[:2])
    deploy(ilam, "exact-py", {"app.py": VERSION_APP}, runtime=runtime)
    r = invoke(ilam, "exact-py", {})
    assert r.payload == {"version": version, "executable": f"/usr/bin/{runtime}"}, r.payload
    assert f"INIT_START Runtime Version: {runtime}.host" in r.log, r.log


NODE_APP = "exports.handler = async () => ({ version: process.version.slice(1), execPath: process.execPath });\n"
PREPARED = {
    "python3.11": ("3.11.", ("/usr/bin/python3.11",)),
    "python3.13": ("3.13.", ("/usr/bin/python3.13",)),
    "nodejs20.x": ("20.", ("/var/lang/nodejs20/bin/node", "/usr/bin/node")),
    "nodejs22.x": ("22.", ("/var/lang/nodejs22/bin/node",)),
    "nodejs24.x": ("24.", ("/var/lang/nodejs24/bin/node",)),
}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """One server; a function per runtime, created back to back so that runtimes sharing a
    default image share its preparation; each waited for with boto3's waiter."""
    s = Server(tmp_path_factory.mktemp("runtimes") / "data").start()
    lam = s.client()
    created = {}
    for runtime in PREPARED:
        name = "v-" + runtime.replace(".", "-")
        if runtime.startswith("python"):
            code, handler = make_zip({"app.py": VERSION_APP}), "app.handler"
        else:
            code, handler = make_zip({"index.js": NODE_APP}), "index.handler"
        created[runtime] = lam.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
                                               Code={"ZipFile": code}, Timeout=10)
    began = time.monotonic()
    waiter = lam.get_waiter("function_active_v2")
    for runtime in PREPARED:
        name = created[runtime]["FunctionName"]
        if runtime.startswith("nodejs") and os.path.exists(AWS_V2):
            # The AWS CLI's waiter for the Node runtimes, boto3's for the Pythons.
            out = aws_wait_active(s, name)
            assert out.returncode == 0, (runtime, out.stderr)
        else:
            waiter.wait(FunctionName=name, WaiterConfig={"Delay": 2, "MaxAttempts": 600})
    yield {"server": s, "lam": lam, "created": created, "wait_seconds": time.monotonic() - began}
    s.stop()


@needs_root
@pytest.mark.parametrize("runtime", list(PREPARED))
def test_each_runtime_reaches_active_and_runs_exactly_its_version(prepared, runtime):
    lam = prepared["lam"]
    name = prepared["created"][runtime]["FunctionName"]
    # Created Pending (image to prepare) or Active (already served, e.g. by host).
    assert prepared["created"][runtime]["State"] in ("Pending", "Active")
    config = lam.get_function_configuration(FunctionName=name)
    assert config["State"] == "Active" and config["LastUpdateStatus"] == "Successful", config
    assert "StateReasonCode" not in config
    r = invoke(lam, name, {})
    assert r.function_error is None, r.payload
    prefix, interpreters = PREPARED[runtime]
    if runtime.startswith("python"):
        version, path = r.payload["version"], r.payload["executable"]
    else:
        version, path = r.payload["version"], r.payload["execPath"]
    assert version.startswith(prefix), (runtime, r.payload)
    assert path in interpreters, (runtime, r.payload)
    arn = config["RuntimeVersionConfig"]["RuntimeVersionArn"]
    image = arn.rsplit(".", 1)[1]  # image ids have no dots
    assert f"INIT_START Runtime Version: {runtime}.{image}\tRuntime Version ARN: {arn}" in r.log, r.log


@needs_root
def test_runtimes_sharing_an_image_share_one_preparation_and_show_it(prepared):
    log = prepared["server"].log_path.read_text(errors="replace")
    starts = [l for l in log.splitlines() if "preparing an environment image in the background" in l]
    images = [l.split("image=")[1].split()[0] for l in starts if "image=" in l]
    assert len(images) == len(set(images)), starts
    created = prepared["created"]
    pending = [r for r in PREPARED if created[r]["State"] == "Pending"]
    for runtime in pending:
        assert created[runtime]["StateReasonCode"] == "Creating", created[runtime]
        assert runtime in created[runtime]["StateReason"]
    print(f"image preparation waited {prepared['wait_seconds']:.0f} s for {len(pending)} pending runtimes")
    # lamina env list shows each image with its runtimes' exact versions.
    out = subprocess.run([LAMINA_BIN, "env", "list", "--endpoint-url", prepared["server"].url, "--output", "json"],
                         capture_output=True, text=True, check=True)
    listed = {i["id"]: i["runtimes"] for i in json.loads(out.stdout)["Images"]}
    for runtime, (prefix, _) in PREPARED.items():
        assert any(rts.get(runtime, "").startswith(prefix) for rts in listed.values()), (runtime, listed)
    assert all(not k.startswith("python3.12") for rts in listed.values() for k in rts)


@needs_root
def test_a_plan_onto_an_image_without_the_runtime_is_refused(prepared, tmp_path):
    s = prepared["server"]
    plan = tmp_path / "plan.toml"
    plan.write_text(
        'name = "py311-to-13"\nfrom_image = "host"\nto_image = "debian-13"\nruntimes = { only = [\"python3.11\"] }\n'
        'opt_in_layer_arn = "arn:aws:lambda:::awslayer:Py311To13In"\ndelay_layer_arn = "arn:aws:lambda:::awslayer:Py311To13Delay"\n'
        "[phases]\nt0 = 2030-01-01T00:00:00Z\nt1 = 2030-01-02T00:00:00Z\nt2 = 2030-01-03T00:00:00Z\n"
        "t3 = 2030-01-04T00:00:00Z\nt4 = 2030-01-05T00:00:00Z\n"
    )
    out = subprocess.run([LAMINA_BIN, "migrate", "--endpoint-url", s.url, "plan", "apply", str(plan)], capture_output=True, text=True)
    assert out.returncode != 0
    assert "image debian-13 cannot serve runtime python3.11" in out.stderr and "Python 3.11" in out.stderr, out.stderr
    listed = subprocess.run([LAMINA_BIN, "migrate", "--endpoint-url", s.url, "plan", "list", "--output", "json"],
                            capture_output=True, text=True)
    assert "py311-to-13" not in listed.stdout


class SlowMirror(http.server.BaseHTTPRequestHandler):
    """A Debian mirror that holds every request until released, then answers 404."""

    release = threading.Event()

    def do_GET(self):
        self.release.wait(120)
        self.send_error(404)

    def log_message(self, *args):
        pass


def stored_latest(server, name):
    """$LATEST of `name` as the server's SQLite store holds it (read-only)."""
    import sqlite3

    db = sqlite3.connect(f"file:{server.data_dir / 'lamina.db'}?mode=ro", uri=True)
    try:
        (doc,) = db.execute("SELECT doc FROM functions WHERE name = ?", (name,)).fetchone()
    finally:
        db.close()
    return json.loads(doc)["latest"]


@needs_root
def test_pending_refuses_invoke_and_a_failed_preparation_ends_failed_harming_nothing(prepared, tmp_path, monkeypatch):
    mirror = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowMirror)
    threading.Thread(target=mirror.serve_forever, daemon=True).start()
    # An empty build cache, so python3.13's debian-13 must be bootstrapped from the mirror.
    monkeypatch.setenv("LAMINA_IMAGE_CACHE", str(tmp_path / "cache"))
    s = Server(tmp_path / "data", extra_args=["--image-mirror", f"http://127.0.0.1:{mirror.server_port}/debian"]).start()
    try:
        lam = s.client()
        py = "python{}.{}".format(*host_python().split(".")[:2])
        lam.create_function(FunctionName="bystander", Runtime=py, Role=ROLE, Handler="app.handler", Code={"ZipFile": PY_HELLO})
        created = lam.create_function(FunctionName="waiting", Runtime="python3.13", Role=ROLE, Handler="app.handler",
                                      Code={"ZipFile": PY_HELLO})
        assert (created["State"], created["StateReasonCode"]) == ("Pending", "Creating"), created
        with pytest.raises(ClientError) as e:
            lam.invoke(FunctionName="waiting", Payload=b"{}")
        err = e.value.response
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 409
        assert err["Error"]["Code"] == "ResourceConflictException"
        assert err["Error"]["Message"] == "The operation cannot be performed at this time. The function is currently in the following state: Pending"
        assert lam.get_function(FunctionName="waiting")["Configuration"]["State"] == "Pending"
        # The state is in the store, not only in the server's memory.
        latest = stored_latest(s, "waiting")
        assert latest["state"] == "Pending" and latest["state_reason"]["code"] == "Creating", latest
        # The mirror answers 404: the preparation fails, the function ends Failed with the reason.
        SlowMirror.release.set()
        deadline = time.time() + 120
        while time.time() < deadline:
            config = lam.get_function_configuration(FunctionName="waiting")
            if config["State"] != "Pending":
                break
            time.sleep(0.5)
        assert config["State"] == "Failed", config
        assert config["StateReasonCode"] == "InternalError"
        assert "debian-13" in config["StateReason"] and "debootstrap" in config["StateReason"], config
        with pytest.raises(WaiterError, match="Failed"):
            lam.get_waiter("function_active_v2").wait(FunctionName="waiting", WaiterConfig={"Delay": 1, "MaxAttempts": 3})
        if os.path.exists(AWS_V2):
            out = aws_wait_active(s, "waiting")
            assert out.returncode == 255, out
            assert "Waiter FunctionActiveV2 failed: Waiter encountered a terminal failure state" in out.stderr, out.stderr
        with pytest.raises(ClientError) as e:
            lam.invoke(FunctionName="waiting", Payload=b"{}")
        assert e.value.response["Error"]["Message"].endswith("in the following state: Failed")
        # Nothing else is harmed: the host runtime's function runs, and no image was registered.
        assert invoke(lam, "bystander", {"x": 1}).payload == {"hello": {"x": 1}}
        status = subprocess.run([LAMINA_BIN, "env", "list", "--endpoint-url", s.url, "--output", "json"],
                                capture_output=True, text=True, check=True)
        assert "debian-13" not in {i["id"] for i in json.loads(status.stdout)["Images"]}
        latest = stored_latest(s, "waiting")
        assert latest["state"] == "Failed" and latest["state_reason"]["code"] == "InternalError", latest
        assert "debootstrap" in latest["state_reason"]["reason"], latest
        # A restart with the same unreachable mirror prepares again and fails again.
        s.restart()
        deadline = time.time() + 120
        while time.time() < deadline:
            config = lam.get_function_configuration(FunctionName="waiting")
            if config["State"] == "Failed":
                break
            time.sleep(0.5)
        assert config["State"] == "Failed" and "debian-13" in config["StateReason"], config
        assert invoke(lam, "bystander", {"x": 2}).payload == {"hello": {"x": 2}}
        # A restart that can prepare it (the build cache the module's server filled holds
        # debian-13) resumes and ends Active, in memory and in the store.
        s.stop()
        monkeypatch.delenv("LAMINA_IMAGE_CACHE")
        s.extra_args = [a for a in s.extra_args if a != "--image-mirror" and not a.startswith("http://127.0.0.1")]
        s.start()
        lam.get_waiter("function_active_v2").wait(FunctionName="waiting", WaiterConfig={"Delay": 1, "MaxAttempts": 600})
        config = lam.get_function_configuration(FunctionName="waiting")
        assert (config["State"], config["LastUpdateStatus"]) == ("Active", "Successful"), config
        assert "StateReason" not in config, config
        assert invoke(lam, "waiting", {"x": 3}).payload == {"hello": {"x": 3}}
        latest = stored_latest(s, "waiting")
        assert latest["state"] == "Active" and "state_reason" not in latest, latest
    finally:
        s.stop()
        mirror.shutdown()


LOCAL_TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Py313:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: py/, Handler: app.handler, Runtime: python3.13}
  Node22:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: node/, Handler: index.handler, Runtime: nodejs22.x}
  Py312:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: py/, Handler: app.handler, Runtime: python3.12}
"""


@needs_root
def test_lamina_local_runs_each_runtime_on_its_default_image(prepared, tmp_path):
    """`lamina local invoke` resolves a function's image as the server does: python3.13 and
    nodejs22.x run in their exact interpreters on their default images (taken from the
    build cache the server filled, linked into the local data folder), and python3.12,
    which no image serves, is refused naming the runtime."""
    project = tmp_path / "project"
    (project / "py").mkdir(parents=True)
    (project / "node").mkdir()
    (project / "py" / "app.py").write_text(VERSION_APP)
    (project / "node" / "index.js").write_text(NODE_APP)
    (project / "template.yaml").write_text(LOCAL_TEMPLATE)
    env = dict(os.environ, LAMINA_LOCAL_CACHE=str(tmp_path / "local-cache"), LAMINA_DATA_DIR=str(tmp_path / "data"))

    def local_invoke(function):
        return subprocess.run([LAMINA_BIN, "local", "invoke", function, "--no-event"], cwd=project, env=env,
                              capture_output=True, text=True, timeout=900)

    py = local_invoke("Py313")
    assert py.returncode == 0, py.stderr
    payload = json.loads(py.stdout)
    assert payload["version"].startswith("3.13.") and payload["executable"] == "/usr/bin/python3.13", payload
    assert "INIT_START Runtime Version: python3.13.debian-13\t" in py.stderr, py.stderr
    node = local_invoke("Node22")
    assert node.returncode == 0, node.stderr
    assert json.loads(node.stdout)["version"].startswith("22."), node.stdout
    assert json.loads(node.stdout)["execPath"] == "/var/lang/nodejs22/bin/node"
    assert "INIT_START Runtime Version: nodejs22.x.debian-12-nodejs\t" in node.stderr, node.stderr
    refused = local_invoke("Py312")
    assert refused.returncode == 1 and refused.stdout == "", refused
    assert "no environment image serves python3.12" in refused.stderr, refused.stderr
    # --env host runs every function on this machine's own interpreters only.
    forced = subprocess.run([LAMINA_BIN, "local", "invoke", "Node22", "--no-event", "--env", "host"], cwd=project, env=env,
                            capture_output=True, text=True, timeout=300)
    host_node = subprocess.run(["node", "--version"], capture_output=True, text=True)
    if host_node.returncode != 0 or not host_node.stdout.startswith("v22."):
        assert forced.returncode == 1, forced
        assert "environment image host does not serve nodejs22.x" in forced.stderr, forced.stderr


@needs_root
def test_lamina_local_start_lambda_prepares_images_before_listening(prepared, tmp_path, monkeypatch):
    """start-lambda resolves the same way; boto3 invokes a nodejs24.x function through it."""
    from test_sam_start_api import LocalServer

    project = tmp_path / "project"
    (project / "node").mkdir(parents=True)
    (project / "node" / "index.js").write_text(NODE_APP)
    (project / "template.yaml").write_text(
        LOCAL_TEMPLATE.split("  Py313:")[0]
        + "  Node24:\n    Type: AWS::Serverless::Function\n"
        + "    Properties: {CodeUri: node/, Handler: index.handler, Runtime: nodejs24.x}\n"
    )
    monkeypatch.setenv("LAMINA_DATA_DIR", str(tmp_path / "data"))
    local = LocalServer("start-lambda", project, tmp_path / "cache", tmp_path / "start-lambda.log")
    try:
        import boto3
        from botocore.config import Config

        client = boto3.client("lambda", endpoint_url=f"http://127.0.0.1:{local.port}", region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test",
                              config=Config(retries={"max_attempts": 1}, read_timeout=60))
        out = client.invoke(FunctionName="Node24", Payload=b"{}")
        payload = json.loads(out["Payload"].read())
        assert "FunctionError" not in out, payload
        assert payload["version"].startswith("24.") and payload["execPath"] == "/var/lang/nodejs24/bin/node", payload
    finally:
        local.stop()
    assert "Preparing the environment image" in local.log(), local.log()


@needs_root
def test_simulate_and_status_name_the_interpreter_before_and_after(prepared, tmp_path):
    """A plan moving nodejs20.x onto debian-13 (trixie's own Node 20 at /usr/bin/node):
    `lamina migrate simulate` gives the exact interpreter now and after the move and names
    the change, and `status` shows the interpreter on each image."""
    s, lam = prepared["server"], prepared["lam"]
    name = prepared["created"]["nodejs20.x"]["FunctionName"]
    arn = lam.get_function_configuration(FunctionName=name)["RuntimeVersionConfig"]["RuntimeVersionArn"]
    now_image = arn.rsplit(".", 1)[1]
    plan = tmp_path / "plan.toml"
    plan.write_text(
        f'name = "node20-trixie"\nfrom_image = "{now_image}"\nto_image = "debian-13"\nruntimes = {{ only = ["nodejs20.x"] }}\n'
        'opt_in_layer_arn = "arn:aws:lambda:::awslayer:Node20TrixieIn"\ndelay_layer_arn = "arn:aws:lambda:::awslayer:Node20TrixieDelay"\n'
        "[phases]\nt0 = 2030-01-01T00:00:00Z\nt1 = 2030-01-02T00:00:00Z\nt2 = 2030-01-03T00:00:00Z\n"
        "t3 = 2030-01-04T00:00:00Z\nt4 = 2030-01-05T00:00:00Z\n"
    )
    migrate = [LAMINA_BIN, "migrate", "--endpoint-url", s.url]
    applied = subprocess.run([*migrate, "plan", "apply", str(plan)], capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr
    try:
        out = subprocess.run([*migrate, "--output", "json", "simulate", "--at", "2031-01-01T00:00:00Z"],
                             capture_output=True, text=True, check=True)
        f = next(f for f in json.loads(out.stdout)["functions"] if f["function"] == name and f["version"] == "$LATEST")
        assert f["image_now"] == now_image and f["image_at"] == "debian-13" and f["changes"], f
        assert f["interpreter_now"]["version"].startswith("20."), f
        assert f["interpreter_at"]["interpreter"] == "/usr/bin/node" and f["interpreter_at"]["version"].startswith("20."), f
        assert f["interpreter_now"] != f["interpreter_at"], f
        now, at = f["interpreter_now"], f["interpreter_at"]
        assert f["interpreter_change"] == (
            f"nodejs20.x: Node.js {now['version']} ({now['interpreter']}) on {now_image} → "
            f"Node.js {at['version']} (/usr/bin/node) on debian-13"
        ), f
        text = subprocess.run([*migrate, "simulate", "--at", "2031-01-01T00:00:00Z"], capture_output=True, text=True, check=True)
        assert f"  interpreter: {f['interpreter_change']}" in text.stdout, text.stdout
        status = subprocess.run([*migrate, "--output", "json", "status"], capture_output=True, text=True, check=True)
        f = next(f for f in json.loads(status.stdout)["functions"] if f["function"] == name and f["version"] == "$LATEST")
        assert f["interpreters"] == {
            now_image: f"Node.js {now['version']} ({now['interpreter']})",
            "debian-13": f"Node.js {at['version']} (/usr/bin/node)",
        }, f
    finally:
        subprocess.run([*migrate, "plan", "delete", "node20-trixie"], capture_output=True, text=True)


@needs_root
def test_scanner_names_extension_modules_built_for_another_python(prepared):
    """A python3.13 function shipping a module built for CPython 3.11 (as after changing the
    runtime from python3.11 without rebuilding): the scanner says it will not be imported."""
    s, lam = prepared["server"], prepared["lam"]
    elf = open("/bin/true", "rb").read()
    code = make_zip({"app.py": VERSION_APP, "pkg/_speedups.cpython-311-x86_64-linux-gnu.so": elf,
                     "pkg/_ok.cpython-313-x86_64-linux-gnu.so": elf})
    lam.create_function(FunctionName="abi-311-on-313", Runtime="python3.13", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": code})
    lam.get_waiter("function_active_v2").wait(FunctionName="abi-311-on-313", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    out = subprocess.run([LAMINA_BIN, "scan", "abi-311-on-313", "--env", "debian-13", "--endpoint-url", s.url, "--output", "json"],
                         capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    assert report["verdict"] == "potentially affected", report
    abi = [m for m in report["missing"] if m["kind"] == "python-abi"]
    assert [m["file"] for m in abi] == ["/var/task/pkg/_speedups.cpython-311-x86_64-linux-gnu.so"], report
    assert "built for CPython 3.11; python3.13 on debian-13 runs Python 3.13." in abi[0]["message"], abi
    assert abi[0]["message"].endswith("which will not import it (rebuild it with `lamina build --env debian-13`)"), abi
    text = subprocess.run([LAMINA_BIN, "scan", "abi-311-on-313", "--env", "debian-13", "--endpoint-url", s.url],
                          capture_output=True, text=True, check=True)
    assert "built for CPython 3.11" in text.stdout, text.stdout
