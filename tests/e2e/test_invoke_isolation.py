"""Invoke acceptance: isolation, seen from inside by a probe function
(tests/fixtures/probe/app.py): host files, read-only code and layers, PID namespace,
network, /tmp, sandbox sharing, environment variables and identity."""

import json
import os
import socket
import time
import uuid

import pytest

from conftest import LAMINA_BIN, FIXTURES, deploy, invoke, make_zip

PROBE = make_zip({"app.py": (FIXTURES / "probe" / "app.py").read_text()})

# Lambda's variables (reference §2.4) that a python3.11 function sees, plus what the Python
# interpreter adds itself (LC_CTYPE, by PEP 538 locale coercion).
LAMBDA_VARS = {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ", "LANG", "PATH",
    "LD_LIBRARY_PATH", "PYTHONPATH", "AWS_XRAY_CONTEXT_MISSING", "AWS_XRAY_DAEMON_ADDRESS",
    "_AWS_XRAY_DAEMON_ADDRESS", "_AWS_XRAY_DAEMON_PORT",
}
PYTHON_ADDS = {"LC_CTYPE"}


@pytest.fixture(scope="module")
def layer_arn(ilam):
    layer = ilam.publish_layer_version(LayerName="iso-layer", Content={"ZipFile": make_zip({"data/file.txt": "layer"})})
    return layer["LayerVersionArn"]


@pytest.fixture(scope="module")
def probe(ilam, layer_arn):
    deploy(ilam, "probe", PROBE, MemorySize=256, Timeout=10, Layers=[layer_arn],
           Environment={"Variables": {"USER_VAR": "mine"}})
    return "probe"


@pytest.fixture
def host_secret():
    """A file on the host, outside any image, that no function may read."""
    path = f"/tmp/lamina-host-secret-{uuid.uuid4().hex}"
    with open(path, "w") as f:
        f.write("secret")
    os.chmod(path, 0o644)
    yield path
    os.unlink(path)


def test_cannot_read_host_files_outside_the_image(ilam, invoke_server, probe, host_secret):
    paths = ["/root", "/work", "/etc/shadow", "/home", str(invoke_server.data_dir),
             str(invoke_server.data_dir / "lamina.db"), host_secret, "/etc/ssh"]
    r = invoke(ilam, probe, {"read": paths + ["/etc/passwd", "/var/task/app.py", "/opt/data/file.txt"]})
    assert r.function_error is None, r.payload
    reads = r.payload["reads"]
    for p in paths:
        assert reads[p] == {"ok": False, "errno": "ENOENT"}, (p, reads[p])
    # The positive controls: what the image is meant to show is there.
    assert reads["/etc/passwd"]["ok"] and reads["/var/task/app.py"]["ok"] and reads["/opt/data/file.txt"]["ok"]


def test_code_layers_and_system_dirs_are_read_only(ilam, probe):
    targets = ["/var/task/new.py", "/var/task/app.py", "/opt/new", "/opt/data/file.txt", "/var/runtime/x",
               "/etc/x", "/usr/x", "/x"]
    r = invoke(ilam, probe, {"write": targets})
    for t in targets:
        assert r.payload["writes"][t]["ok"] is False, t
        assert r.payload["writes"][t]["errno"] in ("EROFS", "EACCES"), (t, r.payload["writes"][t])
    assert r.payload["writes"]["/var/task/app.py"]["errno"] == "EROFS"
    assert r.payload["writes"]["/opt/new"]["errno"] == "EROFS"
    assert r.payload["tmp_write"] == {"ok": True}


def test_runs_as_non_root_in_a_fresh_pid_namespace(ilam, probe):
    r = invoke(ilam, probe, {})
    p = r.payload
    assert p["uid"] != 0 and p["euid"] != 0 and p["gid"] != 0
    assert p["pid"] <= 3, p["pid"]
    pids = sorted(x["pid"] for x in p["processes"])
    # Only the sandbox's init and the runtime: nothing of the host.
    assert pids[0] == 1 and len(pids) <= 3, p["processes"]
    others = [x["cmd"] for x in p["processes"] if x["pid"] not in (1, p["pid"])]
    assert others == [], others
    runtime = next(x["cmd"] for x in p["processes"] if x["pid"] == p["pid"])
    # Started by the exact interpreter the image's manifest records for the runtime.
    assert runtime == "/usr/bin/python3.11 /var/runtime/python/bootstrap.py"


def test_pid1_does_not_reveal_host_paths(ilam, invoke_server, probe):
    r = invoke(ilam, probe, {})
    cmds = " ".join(x["cmd"] for x in r.payload["processes"])
    assert str(invoke_server.data_dir) not in cmds
    assert os.path.dirname(os.path.realpath(LAMINA_BIN)) not in cmds, cmds


def test_environment_matches_lambda_and_carries_no_platform_secrets(ilam, probe):
    env = invoke(ilam, probe, {}).payload["env"]
    assert set(env) - PYTHON_ADDS == LAMBDA_VARS | {"USER_VAR"}
    assert env["USER_VAR"] == "mine"
    assert env["PATH"] == "/usr/local/bin:/usr/bin/:/bin:/opt/bin"
    assert env["LAMBDA_TASK_ROOT"] == "/var/task" and env["LAMBDA_RUNTIME_DIR"] == "/var/runtime"
    assert env["AWS_LAMBDA_RUNTIME_API"] == "127.0.0.1:9001"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.11"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert not any(k.startswith("LAMINA") for k in env)
    assert "HOME" not in env and "USER" not in env and "SUDO_USER" not in env
    # No value of the server's own environment (paths, tokens) reaches the function, beyond
    # the ones Lambda defines and that may coincide (region, locale, PATH).
    host_values = {v for v in os.environ.values() if len(v) > 8}
    same_by_definition = {"AWS_REGION", "AWS_DEFAULT_REGION", "LANG", "TZ", "PATH", "LC_CTYPE"}
    leaked = {k: v for k, v in env.items() if v in host_values and k not in same_by_definition}
    assert not leaked, leaked


def test_cannot_reach_the_control_plane_or_host_listeners(ilam, invoke_server, probe):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        host_port = listener.getsockname()[1]
        r = invoke(ilam, probe, {"action": "connect", "ports": [invoke_server.port, host_port]})
        for port in (invoke_server.port, host_port):
            assert r.payload[str(port)]["ok"] is False, r.payload
            assert r.payload[str(port)]["errno"] == "ECONNREFUSED", r.payload

        # The documented opt-in: with tag lamina:network=host the same probe connects, so the
        # refusal above is the isolation and not a broken probe.
        deploy(ilam, "probe-hostnet", PROBE, Tags={"lamina:network": "host"})
        r = invoke(ilam, "probe-hostnet", {"action": "connect", "ports": [invoke_server.port, host_port]})
        assert r.payload[str(invoke_server.port)]["ok"] is True, r.payload
        assert r.payload[str(host_port)]["ok"] is True, r.payload


def test_tmp_is_capped_at_ephemeral_storage(ilam):
    deploy(ilam, "probe-tmpcap", PROBE, MemorySize=1024, EphemeralStorage={"Size": 600}, Timeout=30)
    r = invoke(ilam, "probe-tmpcap", {"action": "fill_tmp", "limit_mb": 700})
    assert r.function_error is None, r.payload
    assert r.payload["errno"] == "ENOSPC", r.payload
    assert 590 <= r.payload["written_mb"] <= 600, r.payload
    # The file was removed and the function still works.
    assert invoke(ilam, "probe-tmpcap", {"action": "tmp", "value": "ok"}).function_error is None


def test_tmp_survives_warm_reuse_and_is_never_shared(ilam):
    deploy(ilam, "probe-a", PROBE)
    deploy(ilam, "probe-b", PROBE)
    a1 = invoke(ilam, "probe-a", {"action": "tmp", "value": "from-a"}).payload
    a2 = invoke(ilam, "probe-a", {"action": "tmp", "value": "again"}).payload
    assert a1["before"] is None
    assert a2["before"] == "from-a" and a2["counter"] == 2, a2
    b1 = invoke(ilam, "probe-b", {"action": "tmp", "value": "from-b"}).payload
    assert b1["before"] is None, b1
    assert b1["pidns"] != a1["pidns"]
    # A published version of the same code gets its own environment too.
    ilam.publish_version(FunctionName="probe-a")
    v1 = invoke(ilam, "probe-a", {"action": "tmp", "value": "v1"}, Qualifier="1").payload
    assert v1["before"] is None and v1["pidns"] != a1["pidns"], v1
    assert invoke(ilam, "probe-a", {"action": "tmp", "value": "x"}).payload["before"] == "again"


def test_tmp_does_not_count_against_memory(ilam):
    deploy(ilam, "probe-tmpmem", PROBE, MemorySize=128, Timeout=20)
    r = invoke(ilam, "probe-tmpmem", {"action": "fill_tmp", "limit_mb": 300})
    assert r.payload == {"written_mb": 300, "errno": None}, r.payload


THREADS_APP = """
import threading
def handler(event, context):
    stop = threading.Event()
    started = 0
    error = None
    try:
        for _ in range(event["max"]):
            threading.Thread(target=stop.wait, daemon=True).start()
            started += 1
    except RuntimeError as e:
        error = str(e)
    stop.set()
    return {"started": started, "error": error}
"""


def test_process_count_is_capped(ilam):
    deploy(ilam, "probe-pids", {"app.py": THREADS_APP}, MemorySize=512, Timeout=20)
    r = invoke(ilam, "probe-pids", {"max": 3000})
    assert r.function_error is None, r.payload
    assert r.payload["error"] == "can't start new thread", r.payload
    assert 500 < r.payload["started"] < 1024, r.payload
    # The environment recovers once the threads are gone.
    time.sleep(0.2)
    assert invoke(ilam, "probe-pids", {"max": 10}).payload == {"started": 10, "error": None}


def test_python_handler_in_a_subfolder(ilam):
    deploy(ilam, "probe-subdir", {"src/handlers/api.py": "def main(e, c):\n    return __name__\n"}, handler="src/handlers/api.main")
    assert invoke(ilam, "probe-subdir", {}).payload == "src.handlers.api"


def test_minimal_dev_and_only_loopback(ilam, probe):
    r = invoke(ilam, probe, {"list": ["/dev"], "cat": ["/proc/net/dev"], "write": ["/proc/sys/kernel/hostname"]})
    dev = set(r.payload["listings"]["/dev"])
    assert {"null", "zero", "random", "urandom"} <= dev, dev
    assert not dev & {"vda", "sda", "nvme0n1", "kmsg", "mem", "kvm", "loop0", "tty0"}, dev
    interfaces = [l.split(":")[0].strip() for l in r.payload["texts"]["/proc/net/dev"].splitlines()[2:]]
    assert interfaces == ["lo"], interfaces
    assert r.payload["writes"]["/proc/sys/kernel/hostname"]["ok"] is False
    assert r.payload["hostname"] == "lamina"


ENV_RUNTIME = '''#!/usr/bin/python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
    body = json.dumps(dict(os.environ)).encode()
    urllib.request.urlopen(urllib.request.Request(api + rid + "/response", data=body, method="POST")).read()
'''


def test_environment_of_node_and_provided_runtimes(ilam):
    deploy(ilam, "env-node", {"index.js": "exports.handler = async () => process.env;\n"}, runtime="nodejs20.x", handler="index.handler")
    env = invoke(ilam, "env-node", {}).payload
    expected = (LAMBDA_VARS - {"PYTHONPATH"}) | {"NODE_PATH"}
    assert set(env) == expected, set(env) ^ expected
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_nodejs20.x"
    assert env["NODE_PATH"] == "/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules"

    deploy(ilam, "env-provided", {"bootstrap": ENV_RUNTIME}, runtime="provided.al2023", handler="my.handler")
    env = invoke(ilam, "env-provided", {}).payload
    # No AWS_EXECUTION_ENV for provided runtimes; _X_AMZN_TRACE_ID is the runtime's to set.
    expected = LAMBDA_VARS - {"PYTHONPATH", "AWS_EXECUTION_ENV", "_X_AMZN_TRACE_ID"}
    assert set(env) - PYTHON_ADDS == expected, (set(env) - PYTHON_ADDS) ^ expected
    assert env["_HANDLER"] == "my.handler"
