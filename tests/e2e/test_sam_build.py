"""`lamina sam build` (SAM's `sam build --use-container`, without Docker): a Python function
whose dependency's C extension is compiled from source by the build, and a Node.js function
with an npm dependency; then `lamina local invoke` runs the built artefacts (the built
template is the default, as with SAM) and the extension imports."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import LAMINA_BIN

FIXTURE = Path(__file__).resolve().parents[2] / "crates/lamina-sam/tests/fixtures/sam-build"


def lamina(*args, cwd, cache):
    env = dict(os.environ, LAMINA_LOCAL_CACHE=str(cache))
    return subprocess.run([LAMINA_BIN, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("sam-build")
    project = base / "app"
    shutil.copytree(FIXTURE, project)
    out = lamina("sam", "build", cwd=project, cache=base / "cache")
    assert out.returncode == 0, out.stderr
    return project, base / "cache", out


def test_build_writes_artefacts_and_the_built_template(built):
    project, _, out = built
    build = project / ".aws-sam/build"
    assert "Build Succeeded" in out.stderr
    assert "Building codeuri:" in out.stderr and "PyFunction" in out.stderr
    # The C extension was compiled by the build, for this environment.
    assert list((build / "PyFunction/markupsafe").glob("_speedups.*.so"))
    assert (build / "NodeFunction/node_modules/ms/index.js").is_file()
    template = json.loads((build / "template.yaml").read_text())
    assert template["Resources"]["PyFunction"]["Properties"]["CodeUri"] == "PyFunction"
    assert template["Resources"]["NodeFunction"]["Properties"]["CodeUri"] == "NodeFunction"
    # The source folders are untouched.
    assert not (project / "py/markupsafe").exists() and not (project / "node/node_modules").exists()


def test_local_invoke_runs_the_built_functions(built):
    project, cache, _ = built
    out = lamina("local", "invoke", "PyFunction", "--no-event", cwd=project, cache=cache)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["escaped"] == "&lt;b&gt;hi&lt;/b&gt;"
    assert result["speedups"].startswith("_speedups.") and result["speedups"].endswith(".so")
    out = lamina("local", "invoke", "NodeFunction", "--no-event", cwd=project, cache=cache)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"twoDays": 172800000, "from": "node_modules/ms/index.js"}


def test_an_unchanged_lockfile_is_not_installed_again(built):
    project, cache, _ = built
    again = lamina("sam", "build", cwd=project, cache=cache)
    assert again.returncode == 0, again.stderr
    assert "PyFunction: python-pip (dependencies from cache)" in again.stderr
    assert "NodeFunction: nodejs-npm (dependencies from cache)" in again.stderr
    assert list((project / ".aws-sam/build/PyFunction/markupsafe").glob("_speedups.*.so"))


def test_unknown_build_environment_is_refused(built):
    project, cache, _ = built
    out = lamina("sam", "build", "--env", "no-such-image", cwd=project, cache=cache)
    assert out.returncode != 0 and "no-such-image" in out.stderr
