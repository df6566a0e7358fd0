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
        waiter.wait(FunctionName=created[runtime]["FunctionName"], WaiterConfig={"Delay": 2, "MaxAttempts": 600})
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


@needs_root
def test_pending_refuses_invoke_and_a_failed_preparation_ends_failed_harming_nothing(tmp_path, monkeypatch):
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
        with pytest.raises(ClientError) as e:
            lam.invoke(FunctionName="waiting", Payload=b"{}")
        assert e.value.response["Error"]["Message"].endswith("in the following state: Failed")
        # Nothing else is harmed: the host runtime's function runs, and no image was registered.
        assert invoke(lam, "bystander", {"x": 1}).payload == {"hello": {"x": 1}}
        status = subprocess.run([LAMINA_BIN, "env", "list", "--endpoint-url", s.url, "--output", "json"],
                                capture_output=True, text=True, check=True)
        assert "debian-13" not in {i["id"] for i in json.loads(status.stdout)["Images"]}
    finally:
        s.stop()
        mirror.shutdown()
