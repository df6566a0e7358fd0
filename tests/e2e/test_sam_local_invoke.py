"""`lamina local invoke`, `generate-event` and `validate` driven as a SAM CLI user drives them:
the real binary, real templates under crates/lamina-sam/tests/fixtures, real sandboxes."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import LAMINA_BIN

SAM_FIXTURES = Path(__file__).resolve().parents[2] / "crates/lamina-sam/tests/fixtures"


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("local-cache")


def lamina(*args, cache=None, input=None, cwd=None, timeout=120):
    env = dict(os.environ)
    if cache is not None:
        env["LAMINA_LOCAL_CACHE"] = str(cache)
    return subprocess.run(
        [LAMINA_BIN, *args],
        input=input,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def test_seed_flow_generate_event_piped_into_local_invoke(cache):
    """The seed's loop, exactly: generate-event s3 put | local invoke myFunction -t template.yaml."""
    cwd = SAM_FIXTURES / "local-seed"
    env = dict(os.environ, LAMINA_LOCAL_CACHE=str(cache))
    cmd = f"{LAMINA_BIN} generate-event s3 put --bucket munns-test --key somephoto.jpeg | {LAMINA_BIN} local invoke myFunction -t template.yaml"
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    err_lines = out.stderr.splitlines()
    start = next(i for i, l in enumerate(err_lines) if l.startswith("START RequestId: "))
    printed = next(i for i, l in enumerate(err_lines) if "processing s3://munns-test/somephoto.jpeg" in l)
    end = next(i for i, l in enumerate(err_lines) if l.startswith("END RequestId: "))
    report = next(i for i, l in enumerate(err_lines) if l.startswith("REPORT RequestId: "))
    assert start < printed < end < report
    assert "Billed Duration:" in err_lines[report] and "Memory Size: 128 MB" in err_lines[report]
    result = json.loads(out.stdout)
    assert result == {"bucket": "munns-test", "key": "somephoto.jpeg", "function": "myFunction"}


def test_failed_function_exits_zero_as_sam_does_with_error_payload_on_stdout(cache):
    """`sam local invoke` exits 0 when the function fails (the error payload is its output);
    only problems with the command exit 1."""
    out = lamina("local", "invoke", "failingFunction", "-t", str(SAM_FIXTURES / "local-seed/template.yaml"), "--no-event", cache=cache)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["errorType"] == "ValueError"
    assert payload["errorMessage"] == "the photo is too large"
    assert "about to fail" in out.stderr
    assert "REPORT RequestId:" in out.stderr


def test_event_file_and_dash_for_stdin(cache, tmp_path):
    template = str(SAM_FIXTURES / "local-env/template.yaml")
    event = tmp_path / "event.json"
    event.write_text('{"from": "file"}')
    out = lamina("local", "invoke", "EnvFunction", "-t", template, "-e", str(event), cache=cache)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["event"] == {"from": "file"}
    out = lamina("local", "invoke", "EnvFunction", "-t", template, "-e", "-", input='{"from": "stdin"}', cache=cache)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["event"] == {"from": "stdin"}


def test_env_vars_file_and_parameter_overrides(cache, tmp_path):
    env_file = tmp_path / "env.json"
    env_file.write_text(json.dumps({"EnvFunction": {"TABLE": "local-table", "EXTRA": "added"}, "Parameters": {"STAGE": "from-env-file"}}))
    template = str(SAM_FIXTURES / "local-env/template.yaml")
    out = lamina("local", "invoke", "EnvFunction", "-t", template, "--no-event", "--parameter-overrides", "Stage=prod", cache=cache)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["stage"] == "prod"
    assert result["memory"] == "256"
    assert result["name"] == "EnvFunction"
    out = lamina("local", "invoke", "EnvFunction", "-t", template, "--no-event", "-n", str(env_file), cache=cache)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert (result["stage"], result["table"], result["extra"]) == ("from-env-file", "local-table", "added")
    # Parameters only replace variables a function declares; the other function gets no EXTRA.
    out = lamina("local", "invoke", "OtherFunction", "-t", template, "--no-event", "-n", str(env_file), cache=cache)
    assert json.loads(out.stdout)["extra"] is None


def test_hello_world_python_without_a_logical_id(cache):
    out = lamina("local", "invoke", "-t", str(SAM_FIXTURES / "hello-python/template.yaml"), "--no-event", cache=cache)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["statusCode"] == 200
    assert json.loads(result["body"]) == {"message": "hello world"}


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_hello_world_node(cache):
    out = lamina("local", "invoke", "-t", str(SAM_FIXTURES / "hello-node/template.yaml"), "--no-event", cache=cache)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert json.loads(result["body"]) == {"message": "hello world"}
    assert "Memory Size: 256 MB" in out.stderr


def test_layers_are_mounted_and_extracted_once(cache):
    template = str(SAM_FIXTURES / "layers/template.yaml")
    out = lamina("local", "invoke", "LayeredFunction", "-t", template, "--no-event", cache=cache)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == "hello from a layer"
    # The S3 layer and the foreign ARN cannot be fetched: named in a warning, not fatal.
    assert "RemoteLayer" in out.stderr
    extracted = sorted(p.name for p in (cache / "code").iterdir())
    out = lamina("local", "invoke", "LayeredFunction", "-t", template, "--no-event", cache=cache)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (cache / "code").iterdir()) == extracted, "a second invoke extracted again"


def test_log_file_takes_the_function_output(cache, tmp_path):
    log = tmp_path / "invoke.log"
    out = lamina("local", "invoke", "EnvFunction", "-t", str(SAM_FIXTURES / "local-env/template.yaml"), "--no-event", "-l", str(log), cache=cache)
    assert out.returncode == 0, out.stderr
    text = log.read_text()
    assert "env function called" in text and "REPORT RequestId:" in text
    assert "REPORT" not in out.stderr


def test_sam_flags_without_docker_are_accepted_and_explained(tmp_path):
    layer_cache = tmp_path / "layers"
    out = lamina(
        "local", "invoke", "myFunction", "-t", str(SAM_FIXTURES / "local-seed/template.yaml"), "--no-event",
        "--docker-network", "my-net", "--layer-cache-basedir", str(layer_cache), "--shutdown", "--skip-pull-image",
    )
    assert out.returncode == 0, out.stderr
    assert "--docker-network my-net is ignored" in out.stderr and "not Docker containers" in out.stderr
    # The code and layers were extracted under the layer cache folder.
    assert layer_cache.is_dir() and any(layer_cache.iterdir())


# --- errors a user can act on ---


def test_missing_template(cache, tmp_path):
    out = lamina("local", "invoke", "-t", str(tmp_path / "nope.yaml"), "--no-event", cache=cache)
    assert out.returncode != 0
    assert "template file not found" in out.stderr and "nope.yaml" in out.stderr


def test_no_template_in_the_folder(cache, tmp_path):
    out = lamina("local", "invoke", "--no-event", cache=cache, cwd=tmp_path)
    assert out.returncode != 0
    assert "no template.yaml" in out.stderr


def test_logical_id_that_is_not_a_function_lists_the_functions(cache):
    out = lamina("local", "invoke", "Bucket", "-t", str(SAM_FIXTURES / "local-seed/template.yaml"), "--no-event", cache=cache)
    assert out.returncode != 0
    assert "Bucket is not a function" in out.stderr
    assert "myFunction, failingFunction" in out.stderr


def test_several_functions_need_an_id(cache):
    out = lamina("local", "invoke", "-t", str(SAM_FIXTURES / "local-seed/template.yaml"), "--no-event", cache=cache)
    assert out.returncode != 0
    assert "has several functions" in out.stderr and "myFunction" in out.stderr


def test_event_file_that_is_not_json(cache, tmp_path):
    bad = tmp_path / "event.json"
    bad.write_text("{not json")
    out = lamina("local", "invoke", "myFunction", "-t", str(SAM_FIXTURES / "local-seed/template.yaml"), "-e", str(bad), cache=cache)
    assert out.returncode != 0
    assert "is not valid JSON" in out.stderr and "event.json" in out.stderr


def test_unknown_environment_is_refused(cache, tmp_path):
    data = tmp_path / "data"
    out = lamina("local", "invoke", "myFunction", "-t", str(SAM_FIXTURES / "local-seed/template.yaml"), "--no-event",
                 "--env", "debian-13", "--data-dir", str(data), cache=cache)
    assert out.returncode != 0
    assert f"unknown execution environment debian-13: not in {data}/images" in out.stderr, out.stderr
    assert "lamina env list" in out.stderr


# --- validate and generate-event ---


def test_validate_valid_and_broken_templates():
    ok = lamina("validate", "-t", str(SAM_FIXTURES / "hello-python/template.yaml"))
    assert ok.returncode == 0, ok.stderr
    assert "is a valid SAM Template" in ok.stdout
    bad = lamina("validate", "-t", str(SAM_FIXTURES / "broken/unknown-property.yaml"))
    assert bad.returncode == 1
    assert "invalid SAM Template" in bad.stdout
    assert "unknown-property.yaml:" in bad.stderr
    missing = lamina("validate", "-t", "/nonexistent/template.yaml")
    assert missing.returncode != 0 and "template file not found" in missing.stderr


def test_validate_lint_adds_warnings():
    lint_dir = SAM_FIXTURES / "lint"
    template = next(p for p in sorted(lint_dir.iterdir()) if p.suffix in (".yaml", ".yml"))
    plain = lamina("validate", "-t", str(template))
    linted = lamina("validate", "-t", str(template), "--lint")
    assert "warning:" not in plain.stderr
    assert "warning:" in linted.stderr


def test_generate_event_every_catalog_event_is_json():
    listing = lamina("generate-event", "--help")
    assert listing.returncode == 0
    count = 0
    for line in listing.stdout.splitlines():
        parts = line.split(None, 1)
        if not line.startswith("  ") or len(parts) != 2:
            continue
        service, events = parts[0], [e.strip() for e in parts[1].split(",")]
        for event in events:
            out = lamina("generate-event", service, event)
            assert out.returncode == 0, (service, event, out.stderr)
            json.loads(out.stdout)
            count += 1
    assert count >= 72
    assert "viewer-request" in listing.stdout


def test_generate_event_options_help_and_errors():
    out = lamina("generate-event", "s3", "put", "--help")
    assert out.returncode == 0 and "--bucket" in out.stdout and "--key" in out.stdout
    out = lamina("generate-event", "sqs", "receive-message", "--body", "hi there")
    assert json.loads(out.stdout)["Records"][0]["body"] == "hi there"
    out = lamina("generate-event", "s3", "put", "--nope", "x")
    assert out.returncode != 0 and "bucket" in out.stderr
    out = lamina("generate-event", "nosuchservice", "x")
    assert out.returncode != 0 and "s3" in out.stderr
