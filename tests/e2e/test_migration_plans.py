"""Migration plans end to end: the seed's 2019 plan (docs/examples/amazon-linux-2019.toml)
applied with `lamina migrate plan apply`, functions created with boto3 with and without the
flag layers, the server's clock stopped with `--now` at instants of the timeline (restarting
the server moves it), and `lamina migrate status --output json`, `simulate` and
GetFunctionConfiguration checked at each.

The two images are directories registered with `--image-root`. For the control-plane test
they only need an `etc/os-release`; the invoke test (root only) hard-links the host's /usr
into two roots that differ in their os-release, so a function can tell which one it ran on."""

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import E2E_CACHE, LAMINA_BIN, ROLE, Server, make_zip

ROOT = Path(__file__).resolve().parents[2]
SEED_PLAN = ROOT / "docs/examples/amazon-linux-2019.toml"
OPT_IN = "arn:aws:lambda:::awslayer:AmazonLinux1803"
DELAY = "arn:aws:lambda:::awslayer:AmazonLinux1703"
PY = f"python3.{sys.version_info.minor}" if sys.version_info.major == 3 else "python3.11"
OS_RELEASE_APP = make_zip(
    {"app.py": "import sys\ndef handler(event, context):\n    return open('/etc/os-release').read()\n"}
)


def fake_root(base: Path, version: str) -> Path:
    root = base / f"debian-{version}"
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "etc/os-release").write_text(f'ID=debian\nVERSION_ID="{version}"\n')
    return root


def image_args(d12: Path, d13: Path):
    return ["--image-root", f"debian-12={d12}", "--image-root", f"debian-13={d13}"]


def migrate(server, *args, check=True):
    out = subprocess.run(
        [LAMINA_BIN, "migrate", "--endpoint-url", server.url, *args], capture_output=True, text=True, timeout=60
    )
    if check:
        assert out.returncode == 0, out.stderr
    return out


def status(server, at=None):
    args = ["status", "--output", "json"] + (["--at", at] if at else [])
    report = json.loads(migrate(server, *args).stdout)
    return report, {f["function"]: f for f in report["functions"] if f["version"] == "$LATEST"}


def create(lam, name, layers=(), runtime=None, zip_bytes=OS_RELEASE_APP):
    return lam.create_function(
        FunctionName=name,
        Runtime=runtime or PY,
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_bytes},
        Layers=list(layers),
    )


def move_clock(server, now):
    """Restarts the server with its clock stopped at `now` (same data folder)."""
    server.extra_args = [a for a in server.extra_args]
    i = server.extra_args.index("--now")
    server.extra_args[i + 1] = now
    server.restart()
    return server.client()


@pytest.fixture
def plan_server(tmp_path):
    # Images that really hold the functions' interpreter: a runtime moves only to an image
    # that serves exactly its version, so roots with nothing but an os-release would not
    # receive the Python functions. Probing them runs their interpreters in a chroot (root).
    if os.geteuid() != 0:
        pytest.skip("probing the images' interpreters needs root (chroot)")
    args = ["--no-engine", "--now", "2019-05-01T00:00:00Z", *image_args(hostlink_root("12"), hostlink_root("13"))]
    s = Server(tmp_path / "data", extra_args=args).start()
    yield s
    s.stop()


def test_seed_plan_over_its_timeline(plan_server):
    s = plan_server
    applied = migrate(s, "plan", "apply", str(SEED_PLAN))
    assert "plan amazon-linux-2019 created" in applied.stdout
    listed = json.loads(migrate(s, "plan", "list", "--output", "json").stdout)
    assert [p["name"] for p in listed["Plans"]] == ["amazon-linux-2019"]

    lam = s.client()
    create(lam, "plain")
    created = create(lam, "delayed", [DELAY])
    assert created["Layers"] == [{"Arn": DELAY, "CodeSize": 0}]
    create(lam, "opted", [OPT_IN])
    # nodejs10.x, which the seed plan leaves out, no longer exists anywhere: refused.
    with pytest.raises(ClientError) as e:
        create(lam, "node10", runtime="nodejs10.x")
    assert "not served by this Lamina server" in e.value.response["Error"]["Message"]

    # Both flags at once: 400, and no function is left behind.
    with pytest.raises(ClientError) as e:
        create(lam, "both", [OPT_IN, DELAY])
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError):
        lam.get_function(FunctionName="both")

    # The image of each function at every boundary of the seed's timeline.
    timeline = [
        ("2019-05-13T23:59:59Z", {"plain": "debian-12", "delayed": "debian-12", "opted": "debian-12"}),
        ("2019-05-14T00:00:00Z", {"plain": "debian-12", "delayed": "debian-12", "opted": "debian-13"}),
        ("2019-06-10T23:59:59Z", {"plain": "debian-12", "delayed": "debian-12", "opted": "debian-13"}),
        ("2019-06-11T00:00:00Z", {"plain": "debian-13", "delayed": "debian-12", "opted": "debian-13"}),
        ("2019-06-17T23:59:59Z", {"plain": "debian-13", "delayed": "debian-12", "opted": "debian-13"}),
        ("2019-06-18T00:00:00Z", {"plain": "debian-13", "delayed": "debian-13", "opted": "debian-13"}),
        ("2019-06-24T00:00:00Z", {"plain": "debian-13", "delayed": "debian-13", "opted": "debian-13"}),
    ]
    for at, expected in timeline:
        report, by_name = status(s, at)
        assert report["at"] == at
        got = {name: by_name[name]["image"] for name in expected}
        assert got == expected, at

    report, by_name = status(s, "2019-06-12T00:00:00Z")
    delayed = by_name["delayed"]
    assert (delayed["rule"], delayed["rule_number"]) == ("delayed", 4)
    assert delayed["flags"] == [{"arn": DELAY, "plan": "amazon-linux-2019", "kind": "delay"}]
    assert [(u["phase"], u["image"]) for u in delayed["upcoming"]] == [("T3", "debian-13"), ("T4", "debian-13")]
    # The scanner (lamina-images) reads the stored package: a Python script has no ELF file.
    assert delayed["scan"] == {"debian-12": "no native code", "debian-13": "no native code"}
    assert report["plans"][0]["phase"] == "T2"

    # Created after T1: on the new image at once (rule 6), while an old function waits for T2.
    lam = move_clock(s, "2019-05-22T00:00:00Z")
    create(lam, "fresh")
    _, by_name = status(s)
    assert (by_name["fresh"]["image"], by_name["fresh"]["rule_number"]) == ("debian-13", 6)
    assert (by_name["plain"]["image"], by_name["plain"]["rule_number"]) == ("debian-12", 7)
    config = lam.get_function_configuration(FunctionName="fresh")
    assert config["RuntimeVersionConfig"]["RuntimeVersionArn"] == f"arn:aws:lambda:us-east-1::runtime:{PY}.debian-13"
    config = lam.get_function_configuration(FunctionName="plain")
    assert config["RuntimeVersionConfig"]["RuntimeVersionArn"] == f"arn:aws:lambda:us-east-1::runtime:{PY}.debian-12"
    # Updating the old function's configuration makes it "updated after T1".
    lam.update_function_configuration(FunctionName="plain", Description="touched")
    assert status(s)[1]["plain"]["image"] == "debian-13"

    simulated = json.loads(migrate(s, "simulate", "--at", "2019-06-11T00:00:00Z", "--output", "json").stdout)
    sim = {f["function"]: f for f in simulated["functions"]}
    assert (sim["delayed"]["image_now"], sim["delayed"]["image_at"], sim["delayed"]["changes"]) == ("debian-12", "debian-12", False)
    assert sim["opted"]["changes"] is False and sim["opted"]["image_at"] == "debian-13"

    # After completion the flags do nothing, and every view says so.
    lam = move_clock(s, "2019-06-24T00:00:00Z")
    config = lam.get_function_configuration(FunctionName="opted")
    assert config["RuntimeVersionConfig"]["RuntimeVersionArn"].endswith(f"{PY}.debian-13")
    error = config["RuntimeVersionConfig"]["Error"]
    assert error["ErrorCode"] == "MigrationWarning"
    assert OPT_IN in error["Message"] and "does nothing since the migration completed" in error["Message"]
    assert "Error" not in lam.get_function_configuration(FunctionName="fresh")["RuntimeVersionConfig"]
    text = migrate(s, "status").stdout
    assert "warning: flag layer arn:aws:lambda:::awslayer:AmazonLinux1803" in text
    report, _ = status(s)
    assert report["plans"][0]["completed"] is True
    assert sorted(w.split(":")[0] for w in report["plans"][0]["warnings"]) == ["delayed", "opted"]


def test_bad_plans_are_refused_by_the_cli_and_change_nothing(plan_server, tmp_path):
    s = plan_server
    seed = SEED_PLAN.read_text()
    out_of_order = tmp_path / "bad-order.toml"
    out_of_order.write_text(seed.replace("t3 = 2019-06-18T00:00:00Z", "t3 = 2019-06-01T00:00:00Z"))
    bad = migrate(s, "plan", "apply", str(out_of_order), check=False)
    assert bad.returncode != 0 and "out of order" in bad.stderr, bad.stderr

    unknown = tmp_path / "unknown-image.toml"
    unknown.write_text(seed.replace('to_image = "debian-13"', 'to_image = "debian-99"'))
    bad = migrate(s, "plan", "apply", str(unknown), check=False)
    assert bad.returncode != 0 and "unknown image debian-99" in bad.stderr, bad.stderr
    assert json.loads(migrate(s, "plan", "list", "--output", "json").stdout)["Plans"] == []

    migrate(s, "plan", "apply", str(SEED_PLAN))
    reused = tmp_path / "reused-flag.toml"
    reused.write_text(
        seed.replace('name = "amazon-linux-2019"', 'name = "node-move"')
        .replace('runtimes = { all_except = ["nodejs10.x"] }', 'runtimes = { only = ["nodejs10.x"] }')
        .replace("AmazonLinux1803", "NodeOptIn")
    )
    bad = migrate(s, "plan", "apply", str(reused), check=False)
    assert bad.returncode != 0, bad.stdout
    assert "ResourceConflictException" in bad.stderr and "already used by plan amazon-linux-2019" in bad.stderr
    plans = json.loads(migrate(s, "plan", "list", "--output", "json").stdout)["Plans"]
    assert [p["name"] for p in plans] == ["amazon-linux-2019"]

    # The plan survives a restart; delete removes it.
    s.restart()
    shown = json.loads(migrate(s, "plan", "show", "amazon-linux-2019", "--output", "json").stdout)
    assert shown["delay_layer_arn"] == DELAY
    migrate(s, "plan", "delete", "amazon-linux-2019")
    gone = migrate(s, "plan", "show", "amazon-linux-2019", check=False)
    assert gone.returncode != 0 and "not found" in gone.stderr


def hostlink_root(version: str) -> Path:
    """A runnable root: the host's /usr hard-linked (no data copied), with its own os-release.
    Cached across runs under LAMINA_E2E_CACHE; delete that folder to rebuild."""
    root = E2E_CACHE / f"plans-hostlink-debian-{version}"
    if not (root / "usr/bin").exists():
        tmp = root.with_name(root.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        subprocess.run(["cp", "-al", "/usr", str(tmp / "usr")], check=True)
        for link in ["bin", "lib", "lib64", "sbin"]:
            if os.path.islink(f"/{link}"):
                os.symlink(os.readlink(f"/{link}"), tmp / link)
        (tmp / "etc").mkdir()
        shutil.copy("/etc/ld.so.cache", tmp / "etc/ld.so.cache")
        (tmp / "etc/os-release").write_text(f'ID=debian\nVERSION_ID="{version}"\n')
        shutil.rmtree(root, ignore_errors=True)
        tmp.rename(root)
    return root


@pytest.mark.skipif(os.geteuid() != 0, reason="running functions needs root (namespaces, cgroups)")
def test_invoke_runs_on_the_resolved_image(tmp_path):
    args = ["--now", "2019-05-01T00:00:00Z", *image_args(hostlink_root("12"), hostlink_root("13"))]
    s = Server(tmp_path / "data", extra_args=args).start()
    try:
        migrate(s, "plan", "apply", str(SEED_PLAN))
        lam = s.client()
        # Created before T1, so they move with the general update (or after the delay).
        create(lam, "plain")
        create(lam, "delayed", [DELAY])
        lam = move_clock(s, "2019-06-10T12:00:00Z")

        def run(lam, name):
            r = lam.invoke(FunctionName=name, LogType="Tail")
            assert "FunctionError" not in r, r["Payload"].read()
            return json.loads(r["Payload"].read()), base64.b64decode(r["LogResult"]).decode()

        os_release, log = run(lam, "plain")
        assert 'VERSION_ID="12"' in os_release
        arn12 = f"arn:aws:lambda:us-east-1::runtime:{PY}.debian-12"
        assert f"INIT_START Runtime Version: {PY}.debian-12\tRuntime Version ARN: {arn12}" in log
        # Warm: same sandbox, no INIT_START.
        os_release, log = run(lam, "plain")
        assert 'VERSION_ID="12"' in os_release and "INIT_START" not in log

        lam = move_clock(s, "2019-06-11T00:00:00Z")  # T2: the general update
        assert 'VERSION_ID="13"' in run(lam, "plain")[0]
        assert 'VERSION_ID="12"' in run(lam, "delayed")[0]
        lam = move_clock(s, "2019-06-18T00:00:00Z")  # T3: the delay is over
        os_release, log = run(lam, "delayed")
        assert 'VERSION_ID="13"' in os_release
        assert f"INIT_START Runtime Version: {PY}.debian-13" in log
    finally:
        s.stop()
