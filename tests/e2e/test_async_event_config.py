"""EventInvokeConfig API (Put/Update/Get/Delete/ListFunctionEventInvokeConfigs) through boto3
and the AWS CLI: shapes as Lambda returns them, Put replaces and Update merges, configs are
per qualifier and go with their function, and every refusal carries AWS's recorded text."""

import pytest
from botocore.exceptions import ClientError

from conftest import PY_HELLO, deploy

ACCOUNT = "us-east-1:000000000000"
SQS = f"arn:aws:sqs:{ACCOUNT}:failures"


def fn_arn(name, qualifier=None):
    arn = f"arn:aws:lambda:{ACCOUNT}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def error(call, **kw):
    with pytest.raises(ClientError) as e:
        call(**kw)
    err = e.value.response
    return err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"], err["Error"]["Message"]


def shape(config):
    """The response without its metadata and timestamp (checked apart)."""
    return {k: v for k, v in config.items() if k not in ("ResponseMetadata", "LastModified")}


def test_put_get_update_list_delete_round_trip(lam, server):
    deploy(lam, "src", PY_HELLO)
    deploy(lam, "dest", PY_HELLO)
    put = lam.put_function_event_invoke_config(
        FunctionName="src",
        MaximumRetryAttempts=1,
        MaximumEventAgeInSeconds=300,
        DestinationConfig={"OnFailure": {"Destination": fn_arn("dest")}, "OnSuccess": {"Destination": SQS}},
    )
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert shape(put) == {
        "FunctionArn": fn_arn("src", "$LATEST"),
        "MaximumRetryAttempts": 1,
        "MaximumEventAgeInSeconds": 300,
        "DestinationConfig": {"OnSuccess": {"Destination": SQS}, "OnFailure": {"Destination": fn_arn("dest")}},
    }
    assert put["LastModified"].year >= 2024
    got = lam.get_function_event_invoke_config(FunctionName="src")
    assert shape(got) == shape(put)

    # Put replaces the whole config: the age and destinations are gone, both keys stay.
    replaced = lam.put_function_event_invoke_config(FunctionName="src", MaximumRetryAttempts=0)
    assert shape(replaced) == {
        "FunctionArn": fn_arn("src", "$LATEST"),
        "MaximumRetryAttempts": 0,
        "DestinationConfig": {"OnSuccess": {}, "OnFailure": {}},
    }
    # Update merges into it.
    merged = lam.update_function_event_invoke_config(
        FunctionName="src", MaximumEventAgeInSeconds=120, DestinationConfig={"OnFailure": {"Destination": SQS}}
    )
    assert shape(merged) == {
        "FunctionArn": fn_arn("src", "$LATEST"),
        "MaximumRetryAttempts": 0,
        "MaximumEventAgeInSeconds": 120,
        "DestinationConfig": {"OnSuccess": {}, "OnFailure": {"Destination": SQS}},
    }

    # Configs are per qualifier: a published version has none until one is put.
    lam.publish_version(FunctionName="src")
    lam.create_alias(FunctionName="src", Name="live", FunctionVersion="1")
    assert error(lam.get_function_event_invoke_config, FunctionName="src", Qualifier="1") == (
        404,
        "ResourceNotFoundException",
        f"The function {fn_arn('src', '1')} doesn't have an EventInvokeConfig",
    )
    assert error(lam.update_function_event_invoke_config, FunctionName="src:live", MaximumRetryAttempts=1)[2] == (
        f"The function {fn_arn('src', 'live')} doesn't have an EventInvokeConfig"
    )
    lam.put_function_event_invoke_config(FunctionName="src", Qualifier="1", MaximumRetryAttempts=2)
    lam.put_function_event_invoke_config(FunctionName="src:live", DestinationConfig={"OnSuccess": {}})

    listed = lam.list_function_event_invoke_configs(FunctionName="src")
    assert [c["FunctionArn"] for c in listed["FunctionEventInvokeConfigs"]] == [
        fn_arn("src", "$LATEST"),
        fn_arn("src", "1"),
        fn_arn("src", "live"),
    ]
    assert "NextMarker" not in listed
    pages, marker = [], None
    while True:
        kw = {"Marker": marker} if marker else {}
        page = lam.list_function_event_invoke_configs(FunctionName="src", MaxItems=2, **kw)
        pages.append([c["FunctionArn"] for c in page["FunctionEventInvokeConfigs"]])
        marker = page.get("NextMarker")
        if not marker:
            break
    assert pages == [[fn_arn("src", "$LATEST"), fn_arn("src", "1")], [fn_arn("src", "live")]]

    deleted = lam.delete_function_event_invoke_config(FunctionName="src", Qualifier="1")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error(lam.delete_function_event_invoke_config, FunctionName="src", Qualifier="1")[:2] == (
        404,
        "ResourceNotFoundException",
    )

    # Deleting the alias, then the function, deletes their configs.
    lam.delete_alias(FunctionName="src", Name="live")
    lam.create_alias(FunctionName="src", Name="live", FunctionVersion="1")
    assert error(lam.get_function_event_invoke_config, FunctionName="src", Qualifier="live")[0] == 404
    lam.delete_function(FunctionName="src")
    deploy(lam, "src", PY_HELLO)
    assert lam.list_function_event_invoke_configs(FunctionName="src")["FunctionEventInvokeConfigs"] == []


def test_refusals_carry_aws_texts_and_change_nothing(raw_lam, lam):
    deploy(lam, "f", PY_HELLO)
    lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=1)
    before = lam.get_function_event_invoke_config(FunctionName="f")
    put = raw_lam.put_function_event_invoke_config
    cases = [
        (dict(FunctionName="f", MaximumRetryAttempts=3), 400, "ValidationException",
         "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2"),
        (dict(FunctionName="f", MaximumRetryAttempts=-1), 400, "ValidationException",
         "1 validation error detected: Value '-1' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value greater than or equal to 0"),
        (dict(FunctionName="f", MaximumEventAgeInSeconds=59), 400, "ValidationException",
         "1 validation error detected: Value '59' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60"),
        (dict(FunctionName="f", MaximumEventAgeInSeconds=21601), 400, "ValidationException",
         "1 validation error detected: Value '21601' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value less than or equal to 21600"),
        (dict(FunctionName="f"), 400, "InvalidParameterValueException",
         "You must specify at least one of error handling or destination setting."),
        (dict(FunctionName="nope", MaximumRetryAttempts=1), 404, "ResourceNotFoundException", "The function doesn't exist."),
        (dict(FunctionName="f", Qualifier="ghost", MaximumRetryAttempts=1), 404, "ResourceNotFoundException",
         "The function doesn't exist."),
        (dict(FunctionName="f", DestinationConfig={"OnFailure": {"Destination": fn_arn("doesnotexist")}}), 400,
         "InvalidParameterValueException", f"The destination ARN {fn_arn('doesnotexist')} is invalid."),
        (dict(FunctionName="f", DestinationConfig={"OnFailure": {"Destination": fn_arn("f")}}), 400,
         "InvalidParameterValueException", "You can't specify the function as a destination for itself."),
        (dict(FunctionName="f", DestinationConfig={"OnSuccess": {"Destination": "arn:aws:iam::000000000000:role/r"}}), 400,
         "InvalidParameterValueException",
         "The provided destination config DestinationConfig(onSuccess=OnSuccess(destination=arn:aws:iam::000000000000:role/r), onFailure=null) is invalid."),
        (dict(FunctionName="f", DestinationConfig={"OnSuccess": {"Destination": "arn:aws:s3:::bucket"}}), 400,
         "InvalidParameterValueException",
         "The provided destination config DestinationConfig(onSuccess=OnSuccess(destination=arn:aws:s3:::bucket), onFailure=null) is invalid."),
        (dict(FunctionName="f:1", Qualifier="2", MaximumRetryAttempts=1), 400, "InvalidParameterValueException",
         "The derived qualifier from the function name does not match the specified qualifier."),
    ]
    for kw, status, code, message in cases:
        assert error(put, **kw) == (status, code, message), kw
        assert error(raw_lam.update_function_event_invoke_config, **kw)[:2] == (status, code), kw
    status, code, message = error(put, FunctionName="f", DestinationConfig={"OnFailure": {"Destination": "not-an-arn"}})
    assert (status, code) == (400, "ValidationException")
    assert message.startswith(
        "1 validation error detected: Value 'not-an-arn' at 'destinationConfig.onFailure.destination' failed to satisfy constraint: Member must satisfy regular expression pattern: $|kafka://"
    ), message
    assert error(raw_lam.list_function_event_invoke_configs, FunctionName="f", MaxItems=51) == (
        400,
        "ValidationException",
        "1 validation error detected: Value '51' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 50",
    )
    assert error(lam.list_function_event_invoke_configs, FunctionName="nope")[2] == "The function doesn't exist."
    assert error(lam.get_function_event_invoke_config, FunctionName="nope")[:2] == (404, "ResourceNotFoundException")
    # S3 on failure, SNS and EventBridge are accepted (Lambda would) and recorded.
    ok = lam.put_function_event_invoke_config(
        FunctionName="f", DestinationConfig={"OnFailure": {"Destination": "arn:aws:s3:::bucket"}, "OnSuccess": {"Destination": f"arn:aws:events:{ACCOUNT}:event-bus/default"}}
    )
    assert ok["DestinationConfig"]["OnFailure"] == {"Destination": "arn:aws:s3:::bucket"}
    lam.put_function_event_invoke_config(**{k: v for k, v in shape(before).items() if k != "FunctionArn"}, FunctionName="f")
    after = lam.get_function_event_invoke_config(FunctionName="f")
    assert shape(after) == shape(before)


def test_aws_cli_put_get_list_delete(server, lam):
    deploy(lam, "cli-fn", PY_HELLO)
    put = server.aws("put-function-event-invoke-config", "--function-name", "cli-fn", "--maximum-retry-attempts", "0",
                     "--destination-config", f'{{"OnFailure":{{"Destination":"{SQS}"}}}}')
    assert put["MaximumRetryAttempts"] == 0
    assert isinstance(put["LastModified"], (int, float, str))
    got = server.aws("get-function-event-invoke-config", "--function-name", "cli-fn")
    assert got["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": SQS}}
    listed = server.aws("list-function-event-invoke-configs", "--function-name", "cli-fn")
    assert [c["FunctionArn"] for c in listed["FunctionEventInvokeConfigs"]] == [fn_arn("cli-fn", "$LATEST")]
    assert server.aws("delete-function-event-invoke-config", "--function-name", "cli-fn") is None
    out = server.aws("get-function-event-invoke-config", "--function-name", "cli-fn", check=False)
    assert out.returncode != 0 and "doesn't have an EventInvokeConfig" in out.stderr
