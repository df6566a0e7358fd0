"""Control plane, per-function settings: tags, the resource policy, reserved concurrency,
runtime management, and GetAccountSettings."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import PY_HELLO, make_zip
from test_control_functions import arn, create, error_of


def test_tags_round_trip(lam):
    create(lam, "tagged", Tags={"team": "core", "env": "dev"})
    fn_arn = arn("tagged")
    assert lam.list_tags(Resource=fn_arn)["Tags"] == {"team": "core", "env": "dev"}

    out = lam.tag_resource(Resource=fn_arn, Tags={"env": "prod", "cost": "42"})
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.list_tags(Resource=fn_arn)["Tags"] == {"team": "core", "env": "prod", "cost": "42"}
    assert lam.get_function(FunctionName="tagged")["Tags"] == {"team": "core", "env": "prod", "cost": "42"}

    lam.untag_resource(Resource=fn_arn, TagKeys=["team", "cost"])
    assert lam.list_tags(Resource=fn_arn)["Tags"] == {"env": "prod"}
    lam.untag_resource(Resource=fn_arn, TagKeys=["env"])
    assert lam.list_tags(Resource=fn_arn)["Tags"] == {}
    assert "Tags" not in lam.get_function(FunctionName="tagged")

    # At most 50 tags, on create as on TagResource; a refused call keeps the tags it had.
    too_many = {f"k{i}": "v" for i in range(51)}
    with pytest.raises(ClientError) as e:
        create(lam, "over-tagged", Tags=too_many)
    assert error_of(e.value) == ("InvalidParameterValueException", "Number of tags exceeds resource tag limit.", 400)
    lam.tag_resource(Resource=fn_arn, Tags={f"k{i}": "v" for i in range(50)})
    with pytest.raises(ClientError) as e:
        lam.tag_resource(Resource=fn_arn, Tags={"one-more": "v"})
    assert error_of(e.value) == ("InvalidParameterValueException", "Number of tags exceeds resource tag limit.", 400)
    assert len(lam.list_tags(Resource=fn_arn)["Tags"]) == 50
    lam.untag_resource(Resource=fn_arn, TagKeys=[f"k{i}" for i in range(50)])
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["tagged"]

    # Qualified ARNs carry no tags; unknown functions are 404.
    with pytest.raises(ClientError) as e:
        lam.tag_resource(Resource=arn("tagged", "$LATEST"), Tags={"a": "b"})
    assert error_of(e.value) == ("InvalidParameterValueException", "Tags on function aliases and versions are not supported. Please specify a function ARN.", 400)
    with pytest.raises(ClientError) as e:
        lam.list_tags(Resource=arn("nobody"))
    assert error_of(e.value)[0::2] == ("ResourceNotFoundException", 404)


def test_resource_policy_statements(lam):
    create(lam, "policied")
    lam.publish_version(FunctionName="policied")
    added = lam.add_permission(
        FunctionName="policied",
        StatementId="s3-invoke",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::my-bucket",
        SourceAccount="123456789012",
    )
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert isinstance(added["Statement"], str)
    statement = json.loads(added["Statement"])
    assert statement == {
        "Sid": "s3-invoke",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": arn("policied"),
        "Condition": {
            "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket"},
            "StringEquals": {"AWS:SourceAccount": "123456789012"},
        },
    }
    second = json.loads(lam.add_permission(FunctionName="policied", StatementId="acct", Action="lambda:GetFunction", Principal="123456789012")["Statement"])
    assert second["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}

    policy = lam.get_policy(FunctionName="policied")
    assert isinstance(policy["Policy"], str)
    document = json.loads(policy["Policy"])
    assert document["Version"] == "2012-10-17"
    assert [s["Sid"] for s in document["Statement"]] == ["s3-invoke", "acct"]
    assert document["Statement"][0] == statement
    assert policy["RevisionId"]

    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName="policied", StatementId="s3-invoke", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com")
    code, message, status = error_of(e.value)
    assert (code, status) == ("ResourceConflictException", 409)
    assert "s3-invoke" in message

    with pytest.raises(ClientError) as e:
        lam.remove_permission(FunctionName="policied", StatementId="acct", RevisionId="stale")
    assert error_of(e.value)[0] == "PreconditionFailedException"

    lam.remove_permission(FunctionName="policied", StatementId="acct", RevisionId=policy["RevisionId"])
    after = lam.get_policy(FunctionName="policied")
    assert [s["Sid"] for s in json.loads(after["Policy"])["Statement"]] == ["s3-invoke"]
    assert after["RevisionId"] != policy["RevisionId"]

    with pytest.raises(ClientError) as e:
        lam.remove_permission(FunctionName="policied", StatementId="acct")
    assert error_of(e.value)[0::2] == ("ResourceNotFoundException", 404)
    lam.remove_permission(FunctionName="policied", StatementId="s3-invoke")
    with pytest.raises(ClientError) as e:
        lam.get_policy(FunctionName="policied")
    assert error_of(e.value)[0::2] == ("ResourceNotFoundException", 404)

    # What Lambda refuses, in its words.
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName="policied", StatementId="latest", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com", Qualifier="$LATEST")
    assert error_of(e.value) == ("InvalidParameterValueException", "We currently do not support adding policies for $LATEST.", 400)
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName="policied", StatementId="bad", Action="lambda:InvokeFunction", Principal="invalid.nonaws.com")
    assert error_of(e.value) == ("InvalidParameterValueException", "The provided principal was invalid. Please check the principal and try again.", 400)
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName="policied", StatementId="al", Action="lambda:InvokeFunction", Principal="*", Qualifier="no-such-alias")
    assert error_of(e.value) == ("ResourceNotFoundException", f"Cannot find alias arn: {arn('policied', 'no-such-alias')}", 404)
    with pytest.raises(ClientError) as e:
        lam.remove_permission(FunctionName="policied", StatementId="s3-invoke")
    assert error_of(e.value) == ("ResourceNotFoundException", "No policy is associated with the given resource.", 404)
    with pytest.raises(ClientError) as e:
        lam.remove_permission(FunctionName="nobody", StatementId="s3-invoke")
    assert error_of(e.value) == ("ResourceNotFoundException", f"No policy found for: {arn('nobody')}", 404)
    with pytest.raises(ClientError) as e:
        lam.get_policy(FunctionName="nobody")
    assert error_of(e.value) == ("ResourceNotFoundException", "The resource you requested does not exist.", 404)
    with pytest.raises(ClientError) as e:
        lam.get_policy(FunctionName="policied", Qualifier="7")
    assert error_of(e.value) == ("ResourceNotFoundException", "The resource you requested does not exist.", 404)
    role_arn = "arn:aws:iam::123456789012:role/caller"
    by_arn = json.loads(lam.add_permission(FunctionName="policied", StatementId="role", Action="lambda:InvokeFunction", Principal=role_arn)["Statement"])
    assert by_arn["Principal"] == {"AWS": role_arn}
    lam.remove_permission(FunctionName="policied", StatementId="role")

    # A statement on a published version names the qualified ARN.
    on_version = json.loads(lam.add_permission(FunctionName="policied", StatementId="v1", Action="lambda:InvokeFunction", Principal="*", Qualifier="1")["Statement"])
    assert on_version["Resource"] == arn("policied", "1")
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName="policied", StatementId="v9", Action="lambda:InvokeFunction", Principal="*", Qualifier="9")
    assert error_of(e.value)[0] == "ResourceNotFoundException"


def test_reserved_concurrency_and_account_settings(lam):
    create(lam, "conc-a")
    other = make_zip({"app.py": "def handler(e, c):\n    return 2\n"})
    create(lam, "conc-b", zip_bytes=other)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName="conc-a")

    put = lam.put_function_concurrency(FunctionName="conc-a", ReservedConcurrentExecutions=10)
    assert put["ReservedConcurrentExecutions"] == 10
    assert lam.get_function_concurrency(FunctionName="conc-a")["ReservedConcurrentExecutions"] == 10
    assert lam.get_function(FunctionName="conc-a")["Concurrency"] == {"ReservedConcurrentExecutions": 10}

    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == 990
    assert settings["AccountLimit"]["CodeSizeZipped"] == 52428800
    assert settings["AccountLimit"]["CodeSizeUnzipped"] == 262144000
    assert settings["AccountLimit"]["TotalCodeSize"] > 0
    assert settings["AccountUsage"] == {"FunctionCount": 2, "TotalCodeSize": len(PY_HELLO) + len(other)}

    # Reserving past the account's unreserved minimum of 100 is refused.
    with pytest.raises(ClientError) as e:
        lam.put_function_concurrency(FunctionName="conc-b", ReservedConcurrentExecutions=891)
    code, message, status = error_of(e.value)
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert "UnreservedConcurrentExecution below its minimum value of [100]" in message
    assert lam.put_function_concurrency(FunctionName="conc-b", ReservedConcurrentExecutions=890)["ReservedConcurrentExecutions"] == 890

    for call in (
        lambda: lam.put_function_concurrency(FunctionName=arn("conc-a", "$LATEST"), ReservedConcurrentExecutions=5),
        lambda: lam.delete_function_concurrency(FunctionName="conc-a:1"),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert error_of(e.value) == (
            "InvalidParameterValueException",
            "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.",
            400,
        )
    assert lam.get_function_concurrency(FunctionName="conc-a")["ReservedConcurrentExecutions"] == 10

    deleted = lam.delete_function_concurrency(FunctionName="conc-a")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName="conc-a")
    assert "Concurrency" not in lam.get_function(FunctionName="conc-a")
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 110

    # Code storage counts every stored package: each published version and each layer version.
    lam.publish_version(FunctionName="conc-a")
    third = make_zip({"app.py": "def handler(e, c):\n    return 3\n"})
    lam.update_function_code(FunctionName="conc-a", ZipFile=third)
    lam.publish_version(FunctionName="conc-a")
    layer_v1 = make_zip({"python/l.py": "L = 1\n"})
    layer_v2 = make_zip({"python/l.py": "L = 2\n", "python/m.py": "M = 2\n"})
    lam.publish_layer_version(LayerName="counted", Content={"ZipFile": layer_v1})
    lam.publish_layer_version(LayerName="counted", Content={"ZipFile": layer_v2})
    usage = lam.get_account_settings()["AccountUsage"]
    assert usage["FunctionCount"] == 2
    # conc-a: $LATEST (third) + v1 (PY_HELLO) + v2 (third); conc-b: $LATEST (other); two layer versions.
    assert usage["TotalCodeSize"] == 2 * len(third) + len(PY_HELLO) + len(other) + len(layer_v1) + len(layer_v2)


def test_runtime_management_config(lam, raw_lam):
    create(lam, "rtm")
    got = lam.get_runtime_management_config(FunctionName="rtm")
    assert got["UpdateRuntimeOn"] == "Auto"
    assert got["FunctionArn"] == arn("rtm", "$LATEST")

    put = lam.put_runtime_management_config(FunctionName="rtm", UpdateRuntimeOn="FunctionUpdate")
    assert put["UpdateRuntimeOn"] == "FunctionUpdate"
    assert put["FunctionArn"] == arn("rtm", "$LATEST")
    assert lam.get_runtime_management_config(FunctionName="rtm")["UpdateRuntimeOn"] == "FunctionUpdate"

    # A pin must name a runtime version this server has; a made-up one is refused.
    made_up = "arn:aws:lambda:us-east-1::runtime:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    with pytest.raises(ClientError) as e:
        lam.put_runtime_management_config(FunctionName="rtm", UpdateRuntimeOn="Manual", RuntimeVersionArn=made_up)
    code, message, status = error_of(e.value)
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert made_up in message
    current = lam.get_function_configuration(FunctionName="rtm").get("RuntimeVersionConfig", {}).get("RuntimeVersionArn")
    if current:  # only when this server has an environment catalog to resolve against
        pinned = lam.put_runtime_management_config(FunctionName="rtm", UpdateRuntimeOn="Manual", RuntimeVersionArn=current)
        assert pinned["RuntimeVersionArn"] == current

    with pytest.raises(ClientError) as e:
        lam.put_runtime_management_config(FunctionName="rtm", UpdateRuntimeOn="Manual")
    code, message, status = error_of(e.value)
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert "RuntimeVersionArn" in message
    with pytest.raises(ClientError) as e:
        raw_lam.put_runtime_management_config(FunctionName="rtm", UpdateRuntimeOn="Sometimes")
    assert error_of(e.value)[0::2] == ("ValidationException", 400)
    # The refused calls changed nothing.
    after = lam.get_runtime_management_config(FunctionName="rtm")
    assert after["UpdateRuntimeOn"] == ("Manual" if current else "FunctionUpdate")
