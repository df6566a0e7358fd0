"""Runtimes tell the truth: a function runs the exact language version its runtime names,
and a runtime no image of the server serves is refused at creation with the reason, storing
nothing (issue 11)."""

import json
import platform
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import LAMINA_BIN, PY_HELLO, ROLE, blob_files, deploy, invoke, make_zip


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
