"""Environment images end to end: `lamina env build` makes real debian-12 and debian-13 images
with debootstrap (cached by recipe under $LAMINA_IMAGE_CACHE, default
/var/cache/lamina/images, so only the first run on a machine pays ~90 s per image), a C
program that calls strlcpy (glibc 2.38+) is compiled with `lamina build` inside debian-13 and
deployed in a Python function, and the scanner, the loader, the seed's migration plan and the
remedy (the same source compiled inside debian-12) are checked against each other.

These tests need root (debootstrap, chroot, sandboxes) and Debian's archive; CI runs them.
Skip them locally with `-k "not test_images"`."""

import base64
import io
import json
import os
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import LAMINA_BIN, ROLE, Server, raw_call

ROOT = Path(__file__).resolve().parents[2]
SEED_PLAN = ROOT / "docs/examples/amazon-linux-2019.toml"
DELAY = "arn:aws:lambda:::awslayer:AmazonLinux1703"
# The plan moves a custom runtime between OS images: its bootstrap runs the image's own
# python3 (the user's choice, so the Python version may change with the OS). A python3.x
# runtime cannot move from debian-12 (3.11) to debian-13 (3.13): each is served only by its
# exact version.
RUNTIME = "provided.al2023"
BOOTSTRAP = """#!/usr/bin/python3
import json, os, sys, traceback, urllib.request
sys.path.insert(0, "/var/task")
import app
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read() or b"null")
    try:
        path, body = "/response", json.dumps(app.handler(event, None))
    except Exception as e:
        path, body = "/error", json.dumps({"errorType": type(e).__name__, "errorMessage": str(e)})
    sys.stdout.flush()
    urllib.request.urlopen(urllib.request.Request(api + rid + path, data=body.encode(), method="POST")).read()
"""

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="image builds and sandboxes need root")

HELLO_C = r"""
#include <stdio.h>
#include <string.h>
#include <gnu/libc-version.h>
/* strlcpy arrived in glibc 2.38: a binary built where it exists needs GLIBC_2.38. */
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 38)
#define copy(d, s, n) strlcpy(d, s, n)
#else
static size_t copy(char *d, const char *s, size_t n) {
    size_t l = strlen(s);
    if (n) { size_t k = l < n - 1 ? l : n - 1; memcpy(d, s, k); d[k] = 0; }
    return l;
}
#endif
int main(void) {
    char buf[32];
    copy(buf, "native hello", sizeof buf);
    printf("%s on glibc %s\n", buf, gnu_get_libc_version());
    return 0;
}
"""

HANDLER = """import platform, subprocess
def handler(event, context):
    r = subprocess.run(["/var/task/bin/hello"], capture_output=True, text=True)
    print(r.stderr, end="")
    if r.returncode != 0:
        raise RuntimeError("hello exited %d: %s" % (r.returncode, r.stderr.strip()))
    return {"out": r.stdout.strip(), "python": platform.python_version()}
"""

PY_VERSION = """import platform
def handler(event, context):
    return {"python": platform.python_version(), "os": open("/etc/os-release").read()}
"""


def lamina(*args, timeout=1800, check=True):
    out = subprocess.run([LAMINA_BIN, *args], capture_output=True, text=True, timeout=timeout)
    if check:
        assert out.returncode == 0, f"lamina {' '.join(args)}: {out.returncode}\n{out.stdout}\n{out.stderr}"
    return out


def zip_with_binary(binary: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content, mode in [("app.py", HANDLER, 0o644), ("bin/hello", binary, 0o755), ("bootstrap", BOOTSTRAP, 0o755)]:
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, content)
    return buf.getvalue()


def py_zip(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", source)
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = (0o100000 | 0o755) << 16
        z.writestr(info, BOOTSTRAP)
    return buf.getvalue()


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """A data folder with debian-12, debian-13 and their gcc variants (from the cache when
    built before), and C sources compiled in each gcc variant."""
    base = tmp_path_factory.mktemp("images")
    data = base / "data"
    manifests = {}
    for name, argv in [
        ("debian-12", ["debian-12"]),
        ("debian-13", ["debian-13"]),
        ("debian-12-gcc", ["debian-12", "--packages", "gcc,libc6-dev", "--name", "debian-12-gcc"]),
        ("debian-13-gcc", ["debian-13", "--packages", "gcc,libc6-dev", "--name", "debian-13-gcc"]),
    ]:
        out = lamina("env", "build", *argv, "--data-dir", str(data), "--output", "json")
        manifests[name] = json.loads(out.stdout)
    src = base / "src"
    src.mkdir()
    (src / "hello.c").write_text(HELLO_C)
    for image, binary in [("debian-13-gcc", "hello13"), ("debian-12-gcc", "hello12")]:
        lamina("build", "--env", image, "--src", str(src), "--data-dir", str(data), "--", "gcc", "-O2", "-o", binary, "hello.c")
    return {"data": data, "src": src, "manifests": manifests, "base": base}


def test_built_manifests_are_probed_from_the_images(images):
    m = images["manifests"]
    d12, d13 = m["debian-12"], m["debian-13"]
    assert (d12["os_id"], d12["os_version"], d12["glibc_version"]) == ("debian", "12", "2.36")
    assert (d13["os_id"], d13["os_version"]) == ("debian", "13")
    assert tuple(int(x) for x in d13["glibc_version"].split(".")) >= (2, 38)
    # Each Python runtime only by its exact interpreter: bookworm has 3.11, trixie 3.13.
    assert d12["runtimes"]["python3.11"]["version"].startswith("3.11.")
    assert d12["runtimes"]["python3.11"]["interpreter"] == "/usr/bin/python3.11"
    assert d13["runtimes"]["python3.13"]["version"].startswith("3.13.")
    assert d13["runtimes"]["python3.13"]["interpreter"] == "/usr/bin/python3.13"
    assert [r for r in d12["runtimes"] if r.startswith("python")] == ["python3.11"]
    assert [r for r in d13["runtimes"] if r.startswith("python")] == ["python3.13"]
    assert RUNTIME in d12["runtimes"] and RUNTIME in d13["runtimes"]
    assert "GLIBC_2.36" in d12["libraries"]["libc.so.6"] and "GLIBC_2.38" not in d12["libraries"]["libc.so.6"]
    assert "GLIBC_2.38" in d13["libraries"]["libc.so.6"]
    assert any(k.startswith("libssl.so") or k.startswith("libstdc++") or k.startswith("libz.so") for k in d12["libraries"])
    assert d12["digest"].startswith("sha256:") and d12["digest"] != d13["digest"]
    # The gcc variants really hold a compiler and the C library's headers.
    assert (images["src"] / "hello13").exists() and (images["src"] / "hello12").exists()


def test_build_streams_output_returns_the_exit_code_and_leaves_the_image_untouched(images):
    data = str(images["data"])
    out = lamina("build", "--env", "debian-12", "--src", str(images["src"]), "--data-dir", data, "--",
                 "sh", "-c", "echo inside $(. /etc/os-release; echo $VERSION_CODENAME) in $(pwd); touch /made-by-build; exit 7",
                 check=False)
    assert out.returncode == 7, out.stderr
    assert "inside bookworm in /src" in out.stdout
    rootfs = Path(images["data"]) / "images/debian-12/rootfs"
    assert not (rootfs / "made-by-build").exists()
    missing = lamina("build", "--env", "debian-99", "--data-dir", data, "--", "true", check=False)
    assert missing.returncode != 0 and "debian-99" in missing.stderr


def test_bad_build_input_registers_nothing(images):
    data = images["data"]
    bad = lamina("env", "build", "debian-11", "--data-dir", str(data), check=False)
    assert bad.returncode != 0 and "unknown base image" in bad.stderr
    bad = lamina("env", "build", "debian-12", "--packages=gcc,-oAPT::x", "--data-dir", str(data), check=False)
    assert bad.returncode != 0 and "invalid Debian package name" in bad.stderr
    again = lamina("env", "build", "debian-12", "--data-dir", str(data), check=False)
    assert again.returncode != 0 and "exists already" in again.stderr
    assert sorted(p.name for p in (data / "images").iterdir()) == ["debian-12", "debian-12-gcc", "debian-13", "debian-13-gcc"]


@pytest.mark.parametrize("whole_group", [False, True], ids=["sigint-to-lamina", "ctrl-c-to-process-group"])
def test_interrupted_build_registers_nothing_and_leaves_no_work_folder(images, whole_group):
    data = images["data"]
    proc = subprocess.Popen(
        [LAMINA_BIN, "env", "build", "debian-12", "--no-cache", "--name", "interrupted", "--data-dir", str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    time.sleep(4)
    assert proc.poll() is None, proc.communicate()
    if whole_group:
        # What a terminal's Ctrl-C does: debootstrap and its children get SIGINT too.
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "the build was interrupted; nothing was registered" in err, err
    names = sorted(p.name for p in (data / "images").iterdir())
    assert "interrupted" not in names and not any(n.startswith(".tmp") for n in names), names


def invoke(lam, name):
    r = lam.invoke(FunctionName=name, LogType="Tail")
    return r.get("FunctionError"), json.loads(r["Payload"].read()), base64.b64decode(r["LogResult"]).decode()


def move_clock(server, now):
    i = server.extra_args.index("--now")
    server.extra_args[i + 1] = now
    server.restart()
    return server.client()


def scan(server, *args, check=True):
    out = lamina("scan", *args, "--endpoint-url", server.url, check=check, timeout=120)
    return out


def test_scanner_loader_plan_and_remedy(images):
    data = images["data"]
    hello13 = (images["src"] / "hello13").read_bytes()
    hello12 = (images["src"] / "hello12").read_bytes()
    s = Server(data, extra_args=["--now", "2019-05-01T00:00:00Z"]).start()
    try:
        lam = s.client()
        out = subprocess.run([LAMINA_BIN, "migrate", "--endpoint-url", s.url, "plan", "apply", str(SEED_PLAN)], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr

        def create(name, code, layers=()):
            lam.create_function(FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
                                Code={"ZipFile": code}, Layers=list(layers), Timeout=30)

        create("native13", zip_with_binary(hello13))
        create("native13-delayed", zip_with_binary(hello13), [DELAY])
        create("native12", zip_with_binary(hello12))
        create("pyversion", py_zip(PY_VERSION))
        create("pinned13", zip_with_binary(hello13))
        create("pinned-py13", py_zip(PY_VERSION))
        arn13 = f"arn:aws:lambda:us-east-1::runtime:{RUNTIME}.debian-13"
        for name in ["pinned13", "pinned-py13"]:
            lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Manual", RuntimeVersionArn=arn13)

        # The scanner names what debian-12 lacks, and the file that needs it.
        r = json.loads(scan(s, "native13", "--env", "debian-12", "--output", "json").stdout)
        assert r["verdict"] == "potentially affected", r
        versions = {(m["library"], m["name"], m["file"]) for m in r["missing"] if m["kind"] == "version"}
        assert ("libc.so.6", "GLIBC_2.38", "/var/task/bin/hello") in versions, r
        text = scan(s, "native13", "--env", "debian-12").stdout
        assert "potentially affected" in text and "/var/task/bin/hello needs GLIBC_2.38 from libc.so.6" in text
        assert json.loads(scan(s, "native13", "--env", "debian-13", "--output", "json").stdout)["verdict"] == "compatible"
        for image in ["debian-12", "debian-13"]:
            assert json.loads(scan(s, "native12", "--env", image, "--output", "json").stdout)["verdict"] == "compatible"
        assert json.loads(scan(s, "pyversion", "--env", "debian-12", "--output", "json").stdout)["verdict"] == "no native code"
        # A local zip, scanned here against the server's manifest.
        zpath = images["base"] / "native13.zip"
        zpath.write_bytes(zip_with_binary(hello13))
        local = json.loads(scan(s, str(zpath), "--env", "debian-12", "--output", "json").stdout)
        assert local["verdict"] == "potentially affected"
        # Plan-wide impact against the plan's target (debian-13): the debian-12 build is fine
        # there too, so nothing is affected; table and JSON.
        impact = json.loads(scan(s, "--plan", "amazon-linux-2019", "--output", "json").stdout)
        assert impact["image"] == "debian-13" and impact["affected"] == 0
        assert {f["target"] for f in impact["functions"]} >= {"native13:$LATEST", "native12:$LATEST", "pyversion:$LATEST"}
        table = scan(s, "--plan", "amazon-linux-2019").stdout
        assert "plan amazon-linux-2019" in table and "native13:$LATEST" in table
        # migrate status shows the scanner's verdict per image.
        st = subprocess.run([LAMINA_BIN, "migrate", "--endpoint-url", s.url, "status", "--output", "json"], capture_output=True, text=True)
        fn = {f["function"]: f for f in json.loads(st.stdout)["functions"] if f["version"] == "$LATEST"}
        assert fn["native13"]["scan"]["debian-12"].startswith("potentially affected: /var/task/bin/hello needs GLIBC_2.38")
        assert fn["native13"]["scan"]["debian-13"] == "compatible"

        # Before T0 everything runs on debian-12: the loader refuses the debian-13 binary.
        err, payload, log = invoke(lam, "native13")
        assert err == "Unhandled", payload
        assert "version `GLIBC_2.38' not found" in log, log
        assert f"Runtime Version: {RUNTIME}.debian-12" in log
        # On debian-13 (pinned) it works; Python is the image's own.
        err, payload, log = invoke(lam, "pinned13")
        assert err is None and payload["out"].startswith("native hello on glibc 2.4"), payload
        assert payload["python"].startswith("3.13.")
        assert invoke(lam, "pyversion")[1]["python"].startswith("3.11.")
        assert invoke(lam, "pinned-py13")[1]["python"].startswith("3.13.")
        # The remedy: built inside debian-12, it runs there.
        err, payload, _ = invoke(lam, "native12")
        assert err is None and payload["out"] == "native hello on glibc 2.36", payload

        # Bad input: an image in use cannot be removed, through the CLI or the API.
        rm = lamina("env", "remove", "debian-12", "--endpoint-url", s.url, check=False)
        assert rm.returncode != 0
        assert "migration plan amazon-linux-2019" in rm.stderr and "function native13:$LATEST runs on it" in rm.stderr, rm.stderr
        status, head, body = raw_call(s, "DELETE", "/lamina/images/debian-13")
        assert status == 409 and head["x-amzn-errortype"] == "ResourceConflictException"
        assert "function pinned13 is pinned to" in body["Message"]
        status, _, body = raw_call(s, "GET", "/lamina/images/debian-99")
        assert status == 404 and "debian-99" in body["Message"]
        bad = scan(s, "native13", "--env", "debian-99", check=False)
        assert bad.returncode != 0 and "debian-99" in bad.stderr
        shown = json.loads(lamina("env", "show", "debian-13", "--endpoint-url", s.url, "--output", "json").stdout)
        assert shown["runtime_version_arns"][RUNTIME] == arn13
        listed = json.loads(lamina("env", "list", "--endpoint-url", s.url, "--output", "json").stdout)["Images"]
        assert {i["id"] for i in listed} >= {"host", "debian-12", "debian-13", "debian-12-gcc", "debian-13-gcc"}
        host = [i for i in listed if i["id"] == "host"][0]
        assert host["glibc_version"] == "2.36" and host["library_count"] > 20

        # T2, the general update: the same function, no flags, now runs on debian-13; the
        # delayed one stays on debian-12 until T3.
        lam = move_clock(s, "2019-06-11T00:00:00Z")
        err, payload, log = invoke(lam, "native13")
        assert err is None and payload["out"].startswith("native hello"), payload
        assert f"Runtime Version: {RUNTIME}.debian-13" in log
        err, _, log = invoke(lam, "native13-delayed")
        assert err == "Unhandled" and "GLIBC_2.38' not found" in log
        assert invoke(lam, "pyversion")[1]["python"].startswith("3.13.")
        err, payload, _ = invoke(lam, "native12")
        assert err is None and payload["out"].startswith("native hello on glibc 2.4"), payload
        lam = move_clock(s, "2019-06-17T23:59:59Z")
        assert invoke(lam, "native13-delayed")[0] == "Unhandled"
        lam = move_clock(s, "2019-06-18T00:00:00Z")
        err, payload, log = invoke(lam, "native13-delayed")
        assert err is None and f"Runtime Version: {RUNTIME}.debian-13" in log, log
    finally:
        s.stop()


def test_unused_image_is_removed_through_the_server_and_the_cache_kept(images, tmp_path):
    data = tmp_path / "data"
    built = json.loads(lamina("env", "build", "debian-13", "--name", "scratch-13", "--data-dir", str(data), "--output", "json").stdout)
    assert built["id"] == "scratch-13"
    rootfs = (data / "images/scratch-13/rootfs").resolve()
    s = Server(data).start()
    try:
        status, _, body = raw_call(s, "GET", "/lamina/images")
        assert status == 200 and "scratch-13" in {i["id"] for i in body["Images"]}
        lamina("env", "remove", "scratch-13", "--endpoint-url", s.url)
        status, _, body = raw_call(s, "GET", "/lamina/images")
        assert "scratch-13" not in {i["id"] for i in body["Images"]}
        assert not (data / "images/scratch-13").exists()
        assert rootfs.is_dir()  # the cache entry stays for the next build
        rm = lamina("env", "remove", "scratch-13", "--endpoint-url", s.url, check=False)
        assert rm.returncode != 0 and "no image scratch-13" in rm.stderr
        rm = lamina("env", "remove", "host", "--endpoint-url", s.url, check=False)
        assert rm.returncode != 0 and "host image cannot be removed" in rm.stderr
        # Built through the API: a cached recipe links in at once and the engine can use it.
        status, _, body = raw_call(s, "POST", "/lamina/images", {"Base": "debian-12", "Name": "api-12"})
        assert status == 201 and body["id"] == "api-12" and body["os_version"] == "12", body
        # `lamina env build` while the server runs on the same data folder: the server loads it.
        out = lamina("env", "build", "debian-13", "--name", "late-13", "--data-dir", str(data), "--endpoint-url", s.url)
        assert "registered with the server" in out.stdout, out.stdout
        status, _, body = raw_call(s, "GET", "/lamina/images/late-13")
        assert status == 200 and body["os_version"] == "13"
        assert body["runtime_version_arns"][RUNTIME] == f"arn:aws:lambda:us-east-1::runtime:{RUNTIME}.late-13"
        status, _, body = raw_call(s, "POST", "/lamina/images", {"Base": "debian-11"})
        assert status == 400 and "unknown base image" in body["Message"]
    finally:
        s.stop()
