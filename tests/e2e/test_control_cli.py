"""Control plane through the real AWS CLI (`aws lambda ... --endpoint-url`): the main flow
and an error exit, asserting the JSON the CLI prints."""

import json

from conftest import PY_HELLO, ROLE, code_sha256, http_get_bytes, make_zip
from test_control_functions import TIMESTAMP, arn
from test_control_layers import layer_arn


def test_cli_main_flow(server, tmp_path):
    code = tmp_path / "fn.zip"
    code.write_bytes(PY_HELLO)
    layer_zip = make_zip({"python/helper.py": "X = 1\n"})
    layer_file = tmp_path / "layer.zip"
    layer_file.write_bytes(layer_zip)

    created = server.aws(
        "create-function",
        "--function-name", "cli-fn",
        "--runtime", "python3.11",
        "--role", ROLE,
        "--handler", "app.handler",
        "--zip-file", f"fileb://{code}",
        "--tags", "team=cli",
    )
    assert created["FunctionName"] == "cli-fn"
    assert created["FunctionArn"] == arn("cli-fn")
    assert created["CodeSha256"] == code_sha256(PY_HELLO)
    assert created["CodeSize"] == len(PY_HELLO)
    assert created["Version"] == "$LATEST"
    assert TIMESTAMP.match(created["LastModified"])

    conf = server.aws("get-function-configuration", "--function-name", "cli-fn")
    assert conf["Handler"] == "app.handler" and conf["RevisionId"] == created["RevisionId"]

    got = server.aws("get-function", "--function-name", "cli-fn")
    assert got["Configuration"]["CodeSha256"] == code_sha256(PY_HELLO)
    assert http_get_bytes(got["Code"]["Location"]) == PY_HELLO
    assert got["Tags"] == {"team": "cli"}

    listed = server.aws("list-functions")
    assert [f["FunctionName"] for f in listed["Functions"]] == ["cli-fn"]

    updated = server.aws(
        "update-function-configuration",
        "--function-name", "cli-fn",
        "--memory-size", "256",
        "--timeout", "20",
        "--environment", "Variables={MODE=cli,LEVEL=3}",
        "--description", "from the cli",
    )
    assert (updated["MemorySize"], updated["Timeout"], updated["Description"]) == (256, 20, "from the cli")
    assert updated["Environment"] == {"Variables": {"MODE": "cli", "LEVEL": "3"}}
    assert updated["RevisionId"] != created["RevisionId"]

    v1 = server.aws("publish-version", "--function-name", "cli-fn")
    assert v1["Version"] == "1" and v1["FunctionArn"] == arn("cli-fn", "1")
    server.aws("update-function-code", "--function-name", "cli-fn", "--zip-file", f"fileb://{layer_file}")
    v2 = server.aws("publish-version", "--function-name", "cli-fn")
    assert v2["Version"] == "2" and v2["CodeSha256"] == code_sha256(layer_zip)

    alias = server.aws(
        "create-alias",
        "--function-name", "cli-fn",
        "--name", "live",
        "--function-version", "1",
        "--routing-config", json.dumps({"AdditionalVersionWeights": {"2": 0.2}}),
    )
    assert alias["AliasArn"] == arn("cli-fn", "live")
    assert alias["FunctionVersion"] == "1"
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.2}}
    aliases = server.aws("list-aliases", "--function-name", "cli-fn")
    assert [a["Name"] for a in aliases["Aliases"]] == ["live"]

    layer = server.aws(
        "publish-layer-version",
        "--layer-name", "cli-layer",
        "--zip-file", f"fileb://{layer_file}",
        "--compatible-runtimes", "python3.12",
    )
    assert layer["LayerVersionArn"] == layer_arn("cli-layer", 1)
    assert layer["Version"] == 1
    assert layer["Content"]["CodeSha256"] == code_sha256(layer_zip)
    attached = server.aws("update-function-configuration", "--function-name", "cli-fn", "--layers", layer["LayerVersionArn"])
    assert attached["Layers"] == [{"Arn": layer_arn("cli-layer", 1), "CodeSize": len(layer_zip)}]

    assert server.aws("tag-resource", "--resource", arn("cli-fn"), "--tags", "stage=test") is None
    assert server.aws("list-tags", "--resource", arn("cli-fn")) == {"Tags": {"team": "cli", "stage": "test"}}

    added = server.aws(
        "add-permission",
        "--function-name", "cli-fn",
        "--statement-id", "apigw",
        "--action", "lambda:InvokeFunction",
        "--principal", "apigateway.amazonaws.com",
    )
    statement = json.loads(added["Statement"])
    assert statement["Sid"] == "apigw" and statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    policy = server.aws("get-policy", "--function-name", "cli-fn")
    assert [s["Sid"] for s in json.loads(policy["Policy"])["Statement"]] == ["apigw"]
    assert policy["RevisionId"]

    assert server.aws("delete-function", "--function-name", "cli-fn") == {"StatusCode": 204}
    assert server.aws("list-functions") == {"Functions": []}


def test_cli_error_exit(server, tmp_path):
    code = tmp_path / "fn.zip"
    code.write_bytes(PY_HELLO)
    out = server.aws("get-function", "--function-name", "missing-fn", check=False)
    assert out.returncode != 0
    assert "ResourceNotFoundException" in out.stderr
    assert f"Function not found: {arn('missing-fn')}" in out.stderr
    assert out.stdout.strip() == ""

    bad = server.aws(
        "create-function",
        "--function-name", "bad-mem",
        "--runtime", "python3.11",
        "--role", ROLE,
        "--handler", "app.handler",
        "--memory-size", "10241",
        "--zip-file", f"fileb://{code}",
        check=False,
    )
    assert bad.returncode != 0
    assert "ValidationException" in bad.stderr
    assert "Value '10241' at 'memorySize' failed to satisfy constraint" in bad.stderr
    assert server.aws("list-functions") == {"Functions": []}
