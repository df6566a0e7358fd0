"""Control plane, versions and aliases: PublishVersion numbering, ListVersionsByFunction,
qualified reads, aliases with weighted routing, and what may or may not be deleted."""

import pytest
from botocore.exceptions import ClientError

from conftest import PY_HELLO, code_sha256, http_get_bytes, make_zip
from test_control_functions import TIMESTAMP, arn, create, error_of

V2_ZIP = make_zip({"app.py": "def handler(event, context):\n    return 'two'\n"})
V3_ZIP = make_zip({"app.py": "def handler(event, context):\n    return 'three'\n"})


def test_publish_versions_numbering_and_listing(lam):
    create(lam, "ver-fn")
    v1 = lam.publish_version(FunctionName="ver-fn", Description="first release")
    assert v1["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert v1["Version"] == "1"
    assert v1["FunctionArn"] == arn("ver-fn", "1")
    assert v1["CodeSha256"] == code_sha256(PY_HELLO)
    assert v1["Description"] == "first release"
    assert TIMESTAMP.match(v1["LastModified"])

    # Publishing an unchanged $LATEST returns the newest version rather than a twin.
    same = lam.publish_version(FunctionName="ver-fn")
    assert same["Version"] == "1"
    assert same["CodeSha256"] == v1["CodeSha256"]

    lam.update_function_code(FunctionName="ver-fn", ZipFile=V2_ZIP)
    v2 = lam.publish_version(FunctionName="ver-fn")
    assert v2["Version"] == "2"
    assert v2["CodeSha256"] == code_sha256(V2_ZIP)

    # A configuration change alone is worth a new version too.
    lam.update_function_configuration(FunctionName="ver-fn", MemorySize=512)
    v3 = lam.publish_version(FunctionName="ver-fn")
    assert v3["Version"] == "3" and v3["MemorySize"] == 512

    # CodeSha256 guard on publish.
    with pytest.raises(ClientError) as e:
        lam.publish_version(FunctionName="ver-fn", CodeSha256=code_sha256(PY_HELLO))
    code, message, status = error_of(e.value)
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message == (
        f"CodeSHA256 ({code_sha256(PY_HELLO)}) is different from current CodeSHA256 in $LATEST ({code_sha256(V2_ZIP)}). "
        "Please try again with the CodeSHA256 in $LATEST."
    )

    listed = lam.list_versions_by_function(FunctionName="ver-fn")["Versions"]
    assert [v["Version"] for v in listed] == ["$LATEST", "1", "2", "3"]
    # Lambda lists $LATEST under its qualified ARN too.
    assert [v["FunctionArn"] for v in listed] == [arn("ver-fn", n) for n in ("$LATEST", "1", "2", "3")]
    assert [v["CodeSha256"] for v in listed] == [code_sha256(V2_ZIP), code_sha256(PY_HELLO), code_sha256(V2_ZIP), code_sha256(V2_ZIP)]

    page = lam.list_versions_by_function(FunctionName="ver-fn", MaxItems=2)
    assert [v["Version"] for v in page["Versions"]] == ["$LATEST", "1"]
    rest = lam.list_versions_by_function(FunctionName="ver-fn", Marker=page["NextMarker"], MaxItems=2)
    assert [v["Version"] for v in rest["Versions"]] == ["2", "3"]

    # A published version keeps its own code, served at its own Code.Location.
    everything = lam.list_functions(FunctionVersion="ALL")["Functions"]
    assert [(f["Version"], f["FunctionArn"]) for f in everything] == [(n, arn("ver-fn", n)) for n in ("$LATEST", "1", "2", "3")]
    assert [f["FunctionArn"] for f in lam.list_functions()["Functions"]] == [arn("ver-fn")]
    latest = lam.get_function(FunctionName="ver-fn", Qualifier="$LATEST")["Configuration"]
    assert (latest["Version"], latest["FunctionArn"]) == ("$LATEST", arn("ver-fn", "$LATEST"))
    assert lam.get_function(FunctionName="ver-fn")["Configuration"]["FunctionArn"] == arn("ver-fn")

    old = lam.get_function(FunctionName="ver-fn", Qualifier="1")
    assert old["Configuration"]["Version"] == "1"
    assert old["Configuration"]["MemorySize"] == 128
    assert http_get_bytes(old["Code"]["Location"]) == PY_HELLO
    assert http_get_bytes(lam.get_function(FunctionName="ver-fn:2")["Code"]["Location"]) == V2_ZIP
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName="ver-fn", Qualifier="9")
    assert error_of(e.value)[:1] == ("ResourceNotFoundException",)
    assert error_of(e.value)[1] == f"Function not found: {arn('ver-fn', '9')}"


def test_publish_flag_on_create_and_update_code(lam):
    created = create(lam, "pub-flag", Publish=True)
    assert created["Version"] == "1"
    assert created["FunctionArn"] == arn("pub-flag", "1")
    updated = lam.update_function_code(FunctionName="pub-flag", ZipFile=V2_ZIP, Publish=True)
    assert updated["Version"] == "2"
    assert updated["CodeSha256"] == code_sha256(V2_ZIP)


def published(lam, name):
    """A function with versions 1 (PY_HELLO), 2 (V2_ZIP) and 3 (V3_ZIP)."""
    create(lam, name)
    lam.publish_version(FunctionName=name)
    lam.update_function_code(FunctionName=name, ZipFile=V2_ZIP)
    lam.publish_version(FunctionName=name)
    lam.update_function_code(FunctionName=name, ZipFile=V3_ZIP)
    lam.publish_version(FunctionName=name)


def test_alias_lifecycle_with_routing_weights(lam, raw_lam):
    published(lam, "alias-fn")
    created = lam.create_alias(
        FunctionName="alias-fn",
        Name="live",
        FunctionVersion="1",
        Description="canary",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.25}},
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["AliasArn"] == arn("alias-fn", "live")
    assert created["Name"] == "live"
    assert created["FunctionVersion"] == "1"
    assert created["Description"] == "canary"
    assert created["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.25}}
    assert created["RevisionId"]

    got = lam.get_alias(FunctionName="alias-fn", Name="live")
    got.pop("ResponseMetadata")
    created.pop("ResponseMetadata")
    assert got == created

    # The alias resolves as a qualifier.
    via_alias = lam.get_function(FunctionName="alias-fn", Qualifier="live")
    assert via_alias["Configuration"]["Version"] == "1"
    # Read through an alias, the function is named by the alias ARN.
    assert via_alias["Configuration"]["FunctionArn"] == arn("alias-fn", "live")
    assert lam.get_function_configuration(FunctionName=arn("alias-fn", "live"))["FunctionArn"] == arn("alias-fn", "live")
    assert http_get_bytes(via_alias["Code"]["Location"]) == PY_HELLO

    updated = lam.update_alias(FunctionName="alias-fn", Name="live", FunctionVersion="2", RoutingConfig={"AdditionalVersionWeights": {"3": 0.5}})
    assert updated["FunctionVersion"] == "2"
    assert updated["RoutingConfig"] == {"AdditionalVersionWeights": {"3": 0.5}}
    assert updated["Description"] == "canary"
    assert updated["RevisionId"] != created["RevisionId"]

    with pytest.raises(ClientError) as e:
        lam.update_alias(FunctionName="alias-fn", Name="live", Description="x", RevisionId=created["RevisionId"])
    assert error_of(e.value)[0] == "PreconditionFailedException"

    lam.create_alias(FunctionName="alias-fn", Name="beta", FunctionVersion="3")
    lam.create_alias(FunctionName="alias-fn", Name="edge", FunctionVersion="$LATEST")
    listed = lam.list_aliases(FunctionName="alias-fn")["Aliases"]
    assert [a["Name"] for a in listed] == ["beta", "edge", "live"]
    assert {a["Name"]: a["FunctionVersion"] for a in listed} == {"beta": "3", "edge": "$LATEST", "live": "2"}
    assert [a["Name"] for a in lam.list_aliases(FunctionName="alias-fn", FunctionVersion="3")["Aliases"]] == ["beta"]
    first = lam.list_aliases(FunctionName="alias-fn", MaxItems=2)
    assert [a["Name"] for a in first["Aliases"]] == ["beta", "edge"]
    assert [a["Name"] for a in lam.list_aliases(FunctionName="alias-fn", Marker=first["NextMarker"])["Aliases"]] == ["live"]

    # Weight over 1 is refused (botocore would stop it client-side, so use the raw client).
    with pytest.raises(ClientError) as e:
        raw_lam.update_alias(FunctionName="alias-fn", Name="live", RoutingConfig={"AdditionalVersionWeights": {"3": 1.5}})
    code, message, status = error_of(e.value)
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "1 validation error detected: Value '{3=1.5}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]"
    )
    with pytest.raises(ClientError) as e:
        raw_lam.create_alias(FunctionName="alias-fn", Name="heavy", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": -1.0}})
    assert error_of(e.value)[0] == "ValidationException"
    assert "Value '{2=-1.0}'" in error_of(e.value)[1]
    with pytest.raises(ClientError) as e:
        raw_lam.create_alias(FunctionName="alias-fn", Name="heavy", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"$LATEST": 0.5}})
    assert error_of(e.value)[0] == "ValidationException"
    assert "Map keys must satisfy constraint" in error_of(e.value)[1]
    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName="alias-fn", Name="heavy", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.1, "3": 0.1}})
    assert error_of(e.value)[:2] == ("InvalidParameterValueException", "Number of items in AdditionalVersionWeights cannot be greater than 1")
    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName="alias-fn", Name="heavy", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})
    assert error_of(e.value)[:2] == ("InvalidParameterValueException", "Invalid function version 1. Function version 1 is already included in routing configuration.")
    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName="alias-fn", Name="heavy", FunctionVersion="$LATEST", RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})
    assert error_of(e.value)[:2] == ("InvalidParameterValueException", "$LATEST is not supported for an alias pointing to more than 1 version")
    with pytest.raises(ClientError) as e:
        lam.update_alias(FunctionName="alias-fn", Name="nope", FunctionVersion="1")
    assert error_of(e.value) == ("ResourceNotFoundException", f"Alias not found: {arn('alias-fn', 'nope')}", 404)
    # Deleting an alias that does not exist succeeds, as in Lambda.
    assert lam.delete_alias(FunctionName="alias-fn", Name="nope")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.get_alias(FunctionName="alias-fn", Name="live")["RoutingConfig"] == {"AdditionalVersionWeights": {"3": 0.5}}

    # An alias to a missing version is 404.
    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName="alias-fn", Name="ghost", FunctionVersion="42")
    code, message, status = error_of(e.value)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert arn("alias-fn", "42") in message
    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName="alias-fn", Name="live", FunctionVersion="1")
    assert error_of(e.value)[:3:2] == ("ResourceConflictException", 409)

    names = {a["Name"] for a in lam.list_aliases(FunctionName="alias-fn")["Aliases"]}
    assert names == {"beta", "edge", "live"}

    deleted = lam.delete_alias(FunctionName="alias-fn", Name="beta")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        lam.get_alias(FunctionName="alias-fn", Name="beta")
    code, message, status = error_of(e.value)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message == f"Cannot find alias arn: {arn('alias-fn', 'beta')}"


def test_deleting_versions(lam):
    published(lam, "del-ver")
    lam.create_alias(FunctionName="del-ver", Name="prod", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})

    for version in ("1", "2"):
        with pytest.raises(ClientError) as e:
            lam.delete_function(FunctionName="del-ver", Qualifier=version)
        code, message, status = error_of(e.value)
        assert (code, status) == ("ResourceConflictException", 409)
        assert "prod" in message

    with pytest.raises(ClientError) as e:
        lam.delete_function(FunctionName="del-ver", Qualifier="$LATEST")
    code, message, status = error_of(e.value)
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message == "$LATEST version cannot be deleted without deleting the function."

    lam.delete_function(FunctionName="del-ver", Qualifier="3")
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="del-ver")["Versions"]] == ["$LATEST", "1", "2"]
    with pytest.raises(ClientError) as e:
        lam.get_function_configuration(FunctionName="del-ver", Qualifier="3")
    assert error_of(e.value)[0] == "ResourceNotFoundException"
    # $LATEST (which holds version 3's code) is untouched.
    assert lam.get_function_configuration(FunctionName="del-ver")["CodeSha256"] == code_sha256(V3_ZIP)

    # Numbers are never reused: the next publish after a change is 4.
    lam.update_function_configuration(FunctionName="del-ver", Timeout=9)
    assert lam.publish_version(FunctionName="del-ver")["Version"] == "4"

    lam.delete_alias(FunctionName="del-ver", Name="prod")
    lam.delete_function(FunctionName="del-ver", Qualifier="1")
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="del-ver")["Versions"]] == ["$LATEST", "2", "4"]
