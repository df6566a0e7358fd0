"""Operations Terraform and SAM call on every plan (recursion config, the function's code
signing config, provisioned concurrency configs, layer version permissions), unknown operations, and each new answer's
shape walked against botocore's own service model. Expected errors are the answers AWS gave
in LocalStack's AWS-recorded snapshots (tests/aws/services/lambda_/test_lambda_api.snapshot.json)."""

import json

import botocore.session
import pytest
from botocore.exceptions import ClientError

from conftest import PY_HELLO, ROLE, Server, make_zip, raw_call
from test_control_functions import arn


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("plan-ops") / "data").start()
    lam = server.client()
    lam.create_function(FunctionName="fn", Runtime="python3.11", Role=ROLE, Handler="app.handler", Code={"ZipFile": PY_HELLO}, Publish=True)
    lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    yield server
    server.stop()


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    r = e.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]


def test_recursion_config_defaults_to_terminate_and_is_kept(planned):
    lam = planned.client()
    assert lam.get_function_recursion_config(FunctionName="fn")["RecursiveLoop"] == "Terminate"
    assert lam.put_function_recursion_config(FunctionName="fn", RecursiveLoop="Allow")["RecursiveLoop"] == "Allow"
    assert lam.get_function_recursion_config(FunctionName=arn("fn"))["RecursiveLoop"] == "Allow"
    # Other settings are untouched by it, and it survives a configuration update.
    lam.update_function_configuration(FunctionName="fn", Description="changed")
    assert lam.get_function_recursion_config(FunctionName="fn")["RecursiveLoop"] == "Allow"
    assert lam.put_function_recursion_config(FunctionName="fn", RecursiveLoop="Terminate")["RecursiveLoop"] == "Terminate"
    assert lam.get_function_recursion_config(FunctionName="fn")["RecursiveLoop"] == "Terminate"


def test_recursion_config_refusals(planned):
    raw = planned.client(validate=False)
    assert error_of(raw.put_function_recursion_config, FunctionName="fn", RecursiveLoop="InvalidValue") == (
        400, "ValidationException",
        "1 validation error detected: Value 'InvalidValue' at 'recursiveLoop' failed to satisfy constraint: Member must satisfy enum value set: [Terminate, Allow]",
    )
    assert raw.get_function_recursion_config(FunctionName="fn")["RecursiveLoop"] == "Terminate"
    status, code, message = error_of(raw.get_function_recursion_config, FunctionName="nope")
    assert (status, code, message) == (404, "ResourceNotFoundException", f"Function not found: {arn('nope')}")
    status, code, _ = error_of(raw.put_function_recursion_config, FunctionName="fn:live", RecursiveLoop="Allow")
    assert (status, code) == (400, "InvalidParameterValueException")
    assert raw.get_function_recursion_config(FunctionName="fn")["RecursiveLoop"] == "Terminate"


def test_code_signing_config_of_a_function_without_one(planned):
    lam = planned.client()
    out = lam.get_function_code_signing_config(FunctionName="fn")
    assert (out["FunctionName"], out["CodeSigningConfigArn"]) == ("fn", "")
    assert error_of(lam.get_function_code_signing_config, FunctionName="nope") == (
        404, "ResourceNotFoundException", f"Function not found: {arn('nope')}",
    )


def test_provisioned_concurrency_answers_when_none_exist(planned):
    lam = planned.client()
    assert lam.list_provisioned_concurrency_configs(FunctionName="fn")["ProvisionedConcurrencyConfigs"] == []
    assert error_of(lam.list_provisioned_concurrency_configs, FunctionName="doesnotexist") == (
        404, "ResourceNotFoundException", f"Function not found: {arn('doesnotexist')}",
    )
    get = lam.get_provisioned_concurrency_config
    none = (404, "ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function")
    assert error_of(get, FunctionName="fn", Qualifier="1") == none
    assert error_of(get, FunctionName="fn", Qualifier="live") == none
    assert error_of(get, FunctionName="doesnotexist", Qualifier="noalias") == (
        404, "ResourceNotFoundException", f"Cannot find alias arn: {arn('doesnotexist', 'noalias')}",
    )
    assert error_of(get, FunctionName="fn", Qualifier="noalias") == (
        404, "ResourceNotFoundException", f"Cannot find alias arn: {arn('fn', 'noalias')}",
    )
    assert error_of(get, FunctionName="fn", Qualifier="10") == (
        404, "ResourceNotFoundException", f"Function not found: {arn('fn', '10')}",
    )
    assert error_of(get, FunctionName="fn", Qualifier="$LATEST") == (
        400, "InvalidParameterValueException", "The function resource provided must be an alias or a published version.",
    )


def test_unknown_operations_keep_the_request_id_and_other_listeners_still_answer(planned):
    for method, path in (("GET", "/2015-03-31/no-such-thing"), ("DELETE", "/2024-08-31/functions/fn/recursion-config"), ("PUT", "/")):
        status, head, body = raw_call(planned, method, path)
        assert status == 404, (method, path, status)
        assert head["x-amzn-errortype"] == "UnknownOperationException"
        assert len(head["x-amzn-requestid"]) == 36
        assert body["Type"] == "User" and path in body["Message"]
    # Routes served beside the API are not swallowed by the fallback.
    status, _, _ = raw_call(planned, "GET", "/lamina/functions/fn/test-events")
    assert status == 200
    status, _, _ = raw_call(planned, "GET", "/console/functions", signed=False)
    assert status in (200, 303), status


# --- layer version permissions --------------------------------------------------------------

def layer_arn(name, version):
    return arn("x").replace(":function:x", f":layer:{name}:{version}")


def test_layer_version_policy_lifecycle(planned):
    lam = planned.client()
    layer = lam.publish_layer_version(LayerName="plan-layer", Content={"ZipFile": make_zip({"python/x.py": "X = 1\n"})})
    version = layer["Version"]
    assert error_of(lam.get_layer_version_policy, LayerName="plan-layer", VersionNumber=version) == (
        404, "ResourceNotFoundException", "No policy is associated with the given resource.",
    )
    resource = layer_arn("plan-layer", version)
    s1 = lam.add_layer_version_permission(LayerName="plan-layer", VersionNumber=version, StatementId="s1", Action="lambda:GetLayerVersion", Principal="*")
    assert json.loads(s1["Statement"]) == {"Sid": "s1", "Effect": "Allow", "Principal": "*", "Action": "lambda:GetLayerVersion", "Resource": resource}
    got = lam.get_layer_version_policy(LayerName="plan-layer", VersionNumber=version)
    assert got["RevisionId"] == s1["RevisionId"]
    assert json.loads(got["Policy"]) == {"Version": "2012-10-17", "Id": "default", "Statement": [json.loads(s1["Statement"])]}
    s2 = lam.add_layer_version_permission(
        LayerName=layer["LayerArn"], VersionNumber=version, StatementId="s2", Action="lambda:GetLayerVersion",
        Principal="*", OrganizationId="o-1234567890", RevisionId=s1["RevisionId"],
    )
    assert json.loads(s2["Statement"])["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-1234567890"}}
    assert [s["Sid"] for s in json.loads(lam.get_layer_version_policy(LayerName="plan-layer", VersionNumber=version)["Policy"])["Statement"]] == ["s1", "s2"]

    wrong = (412, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id")
    assert error_of(lam.remove_layer_version_permission, LayerName="plan-layer", VersionNumber=version, StatementId="s2", RevisionId=s1["RevisionId"]) == wrong
    assert error_of(lam.add_layer_version_permission, LayerName="plan-layer", VersionNumber=version, StatementId="s3", Action="lambda:GetLayerVersion", Principal="*", RevisionId="wrong") == wrong
    assert error_of(lam.add_layer_version_permission, LayerName="plan-layer", VersionNumber=version, StatementId="s1", Action="lambda:GetLayerVersion", Principal="*") == (
        409, "ResourceConflictException", "The statement id (s1) provided already exists. Please provide a new statement id, or remove the existing statement.",
    )
    raw = planned.client(validate=False)
    assert error_of(raw.add_layer_version_permission, LayerName="plan-layer", VersionNumber=version, StatementId="s3", Action="*", Principal="*") == (
        400, "ValidationException", "1 validation error detected: Value '*' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: lambda:GetLayerVersion",
    )
    assert error_of(lam.remove_layer_version_permission, LayerName="plan-layer", VersionNumber=version, StatementId="doesnotexist") == (
        404, "ResourceNotFoundException", "Statement doesnotexist is not found in resource policy.",
    )
    for op, extra in (
        (lam.add_layer_version_permission, {"StatementId": "s9", "Action": "lambda:GetLayerVersion", "Principal": "*"}),
        (lam.get_layer_version_policy, {}),
        (lam.remove_layer_version_permission, {"StatementId": "s1"}),
    ):
        assert error_of(op, LayerName="plan-layer-doesnotexist", VersionNumber=version, **extra) == (
            404, "ResourceNotFoundException", f"Layer version {layer_arn('plan-layer-doesnotexist', version)} does not exist.",
        )
        assert error_of(op, LayerName="plan-layer", VersionNumber=version + 1, **extra) == (
            404, "ResourceNotFoundException", f"Layer version {layer_arn('plan-layer', version + 1)} does not exist.",
        )
    # Refusals changed nothing; removing both leaves no policy.
    latest = lam.get_layer_version_policy(LayerName="plan-layer", VersionNumber=version)
    assert latest["RevisionId"] == s2["RevisionId"]
    assert lam.remove_layer_version_permission(LayerName="plan-layer", VersionNumber=version, StatementId="s2", RevisionId=s2["RevisionId"])["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert [s["Sid"] for s in json.loads(lam.get_layer_version_policy(LayerName="plan-layer", VersionNumber=version)["Policy"])["Statement"]] == ["s1"]
    lam.remove_layer_version_permission(LayerName="plan-layer", VersionNumber=version, StatementId="s1")
    assert error_of(lam.get_layer_version_policy, LayerName="plan-layer", VersionNumber=version)[0] == 404

# --- shapes walked against botocore's service model ---------------------------------------

MODEL = botocore.session.get_session().get_service_model("lambda")
PYTHON_TYPES = {"string": str, "integer": int, "long": int, "boolean": bool, "list": list, "structure": dict, "map": dict}


def check_shape(value, shape, where):
    if shape.type_name == "structure":
        assert isinstance(value, dict), where
        members = set(shape.members)
        assert set(value) <= members, (where, set(value) - members)
        assert set(shape.required_members) <= set(value), (where, set(shape.required_members) - set(value))
        for name, member in value.items():
            check_shape(member, shape.members[name], f"{where}.{name}")
    elif shape.type_name == "list":
        assert isinstance(value, list), where
        for i, item in enumerate(value):
            check_shape(item, shape.member, f"{where}[{i}]")
    elif shape.type_name == "timestamp":
        assert isinstance(value, (str, int, float)), where
    else:
        assert isinstance(value, PYTHON_TYPES[shape.type_name]), (where, value)
        if shape.enum:
            assert value in shape.enum, (where, value, shape.enum)


@pytest.mark.parametrize("operation, path", [
    ("GetFunctionRecursionConfig", "/2024-08-31/functions/fn/recursion-config"),
    ("PutFunctionRecursionConfig", "/2024-08-31/functions/fn/recursion-config"),
    ("GetFunctionCodeSigningConfig", "/2020-06-30/functions/fn/code-signing-config"),
    ("ListProvisionedConcurrencyConfigs", "/2019-09-30/functions/fn/provisioned-concurrency?List=ALL"),
    ("AddLayerVersionPermission", "/2018-10-31/layers/shape-layer/versions/1/policy"),
    ("GetLayerVersionPolicy", "/2018-10-31/layers/shape-layer/versions/1/policy"),
])
def test_answers_have_the_models_output_shape(planned, operation, path):
    op = MODEL.operation_model(operation)
    assert op.http["requestUri"].split("/")[1] == path.split("/")[1]
    if "shape-layer" in path and operation.startswith("Add"):
        planned.client().publish_layer_version(LayerName="shape-layer", Content={"ZipFile": make_zip({"python/y.py": "Y = 1\n"})})
    body = {
        "PUT": {"RecursiveLoop": "Terminate"},
        "POST": {"StatementId": "shape", "Action": "lambda:GetLayerVersion", "Principal": "*"},
    }.get(op.http["method"])
    status, _, out = raw_call(planned, op.http["method"], path, body)
    assert status == op.http.get("responseCode", 200), out
    check_shape(out, op.output_shape, operation)
    assert set(out) == set(op.output_shape.members) - {"NextMarker"}, (operation, out)


def test_error_shape_of_provisioned_concurrency_not_found_is_in_the_model(planned):
    status, head, out = raw_call(planned, "GET", "/2019-09-30/functions/fn/provisioned-concurrency?Qualifier=1")
    code = head["x-amzn-errortype"]
    assert code in {s.name for s in MODEL.error_shapes}
    assert status == MODEL.shape_for(code).metadata["error"]["httpStatusCode"] == 404
