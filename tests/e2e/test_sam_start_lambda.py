"""`lamina local start-lambda` driven by boto3: the Invoke API for a template's functions,
with Qualifier, Tail logs, Event and DryRun."""

import base64
import json
import time

import boto3
import pytest
from botocore.config import Config

from test_sam_start_api import SAM_FIXTURES, LocalServer


@pytest.fixture(scope="module")
def local_lambda(tmp_path_factory):
    base = tmp_path_factory.mktemp("start-lambda")
    s = LocalServer("start-lambda", SAM_FIXTURES / "local-env", base / "cache", base / "start-lambda.log")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def client(local_lambda):
    return boto3.client(
        "lambda",
        endpoint_url=f"http://127.0.0.1:{local_lambda.port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, read_timeout=60),
    )


def test_invoke_with_tail_logs(client):
    out = client.invoke(FunctionName="EnvFunction", Payload=json.dumps({"k": "v"}), LogType="Tail")
    assert out["StatusCode"] == 200
    assert out["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in out
    result = json.loads(out["Payload"].read())
    assert result["event"] == {"k": "v"}
    tail = base64.b64decode(out["LogResult"]).decode()
    assert "env function called" in tail
    assert "REPORT RequestId:" in tail


def test_qualifier_latest_and_auto_publish_alias(client):
    for qualifier in ("$LATEST", "live"):
        out = client.invoke(FunctionName="EnvFunction", Qualifier=qualifier, Payload=b"{}")
        assert out["StatusCode"] == 200
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="EnvFunction", Qualifier="nope", Payload=b"{}")
    # OtherFunction has no AutoPublishAlias.
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="OtherFunction", Qualifier="live", Payload=b"{}")


def test_event_and_dry_run(client, local_lambda):
    out = client.invoke(FunctionName="OtherFunction", InvocationType="DryRun")
    assert out["StatusCode"] == 204
    out = client.invoke(FunctionName="OtherFunction", InvocationType="Event", Payload=json.dumps({"async": True}))
    assert out["StatusCode"] == 202
    deadline = time.time() + 30
    while time.time() < deadline and local_lambda.log().count("env function called") < 1:
        time.sleep(0.2)
    assert "env function called" in local_lambda.log()


def test_unknown_function_and_bad_payload(client):
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="NoSuchFunction", Payload=b"{}")
    with pytest.raises(client.exceptions.InvalidRequestContentException):
        client.invoke(FunctionName="EnvFunction", Payload=b"{not json")
