"""Control plane, layers: publish, read (by name and by ARN), list, attach to functions,
the five-layer limit, unknown layer ARNs, delete."""

import pytest
from botocore.exceptions import ClientError

from conftest import PY_HELLO, code_sha256, http_get_bytes, make_zip
from test_control_functions import ACCOUNT, REGION, TIMESTAMP, create, error_of

LAYER_V1 = make_zip({"python/util.py": "VALUE = 1\n"})
LAYER_V2 = make_zip({"python/util.py": "VALUE = 2\n", "python/extra.py": "X = 'x' * 100\n"})


def layer_arn(name, version=None):
    base = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}"
    return f"{base}:{version}" if version is not None else base


def test_publish_get_and_list_layer_versions(lam):
    v1 = lam.publish_layer_version(
        LayerName="utils",
        Description="helpers",
        Content={"ZipFile": LAYER_V1},
        CompatibleRuntimes=["python3.12", "python3.11"],
        CompatibleArchitectures=["x86_64"],
        LicenseInfo="MIT",
    )
    assert v1["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert v1["LayerArn"] == layer_arn("utils")
    assert v1["LayerVersionArn"] == layer_arn("utils", 1)
    assert v1["Version"] == 1
    assert v1["Description"] == "helpers"
    assert v1["CompatibleRuntimes"] == ["python3.12", "python3.11"]
    assert v1["CompatibleArchitectures"] == ["x86_64"]
    assert v1["LicenseInfo"] == "MIT"
    assert TIMESTAMP.match(v1["CreatedDate"])
    assert v1["Content"]["CodeSha256"] == code_sha256(LAYER_V1)
    assert v1["Content"]["CodeSize"] == len(LAYER_V1)
    assert http_get_bytes(v1["Content"]["Location"]) == LAYER_V1

    v2 = lam.publish_layer_version(LayerName="utils", Content={"ZipFile": LAYER_V2}, CompatibleRuntimes=["python3.12"])
    assert v2["Version"] == 2 and v2["LayerVersionArn"] == layer_arn("utils", 2)
    lam.publish_layer_version(LayerName="node-bits", Content={"ZipFile": LAYER_V1}, CompatibleRuntimes=["nodejs20.x"])

    got = lam.get_layer_version(LayerName="utils", VersionNumber=1)
    assert got["LayerVersionArn"] == layer_arn("utils", 1)
    assert got["Content"]["CodeSha256"] == code_sha256(LAYER_V1)
    assert http_get_bytes(got["Content"]["Location"]) == LAYER_V1
    # The layer ARN is accepted in place of the name.
    assert lam.get_layer_version(LayerName=layer_arn("utils"), VersionNumber=2)["Version"] == 2

    by_arn = lam.get_layer_version_by_arn(Arn=layer_arn("utils", 2))
    assert by_arn["Version"] == 2
    assert by_arn["Content"]["CodeSha256"] == code_sha256(LAYER_V2)
    assert by_arn["CompatibleRuntimes"] == ["python3.12"]

    versions = lam.list_layer_versions(LayerName="utils")["LayerVersions"]
    assert [v["Version"] for v in versions] == [2, 1]
    assert versions[1]["LayerVersionArn"] == layer_arn("utils", 1)
    assert versions[1]["Description"] == "helpers"
    assert versions[1]["LicenseInfo"] == "MIT"
    assert TIMESTAMP.match(versions[1]["CreatedDate"])
    assert [v["Version"] for v in lam.list_layer_versions(LayerName="utils", CompatibleRuntime="python3.11")["LayerVersions"]] == [1]

    layers = lam.list_layers()["Layers"]
    assert [l["LayerName"] for l in layers] == ["node-bits", "utils"]
    utils = layers[1]
    assert utils["LayerArn"] == layer_arn("utils")
    assert utils["LatestMatchingVersion"]["Version"] == 2
    assert utils["LatestMatchingVersion"]["LayerVersionArn"] == layer_arn("utils", 2)
    assert [l["LayerName"] for l in lam.list_layers(CompatibleRuntime="nodejs20.x")["Layers"]] == ["node-bits"]
    matching = lam.list_layers(CompatibleRuntime="python3.11")["Layers"]
    assert [(l["LayerName"], l["LatestMatchingVersion"]["Version"]) for l in matching] == [("utils", 1)]

    with pytest.raises(ClientError) as e:
        lam.publish_layer_version(LayerName="utils", Content={"ZipFile": LAYER_V1}, CompatibleRuntimes=["python3.12", "cobol85"])
    code, message, status = error_of(e.value)
    assert (code, status) == ("ValidationException", 400)
    assert "Value '[python3.12, cobol85]' at 'compatibleRuntimes'" in message
    assert [v["Version"] for v in lam.list_layer_versions(LayerName="utils")["LayerVersions"]] == [2, 1]

    for bad in (0, -1):
        with pytest.raises(ClientError) as e:
            lam.get_layer_version(LayerName="utils", VersionNumber=bad)
        assert error_of(e.value) == ("InvalidParameterValueException", "Layer Version Cannot be less than 1", 400)

    with pytest.raises(ClientError) as e:
        lam.get_layer_version(LayerName="utils", VersionNumber=3)
    assert error_of(e.value)[0::2] == ("ResourceNotFoundException", 404)

    lam.delete_layer_version(LayerName="utils", VersionNumber=1)
    with pytest.raises(ClientError) as e:
        lam.get_layer_version_by_arn(Arn=layer_arn("utils", 1))
    assert error_of(e.value)[0] == "ResourceNotFoundException"
    assert [v["Version"] for v in lam.list_layer_versions(LayerName="utils")["LayerVersions"]] == [2]
    # Version numbers are not reused after a delete.
    assert lam.publish_layer_version(LayerName="utils", Content={"ZipFile": LAYER_V1})["Version"] == 3


def test_attach_layers_to_functions(lam, raw_lam):
    arns = []
    sizes = {}
    for i in range(6):
        body = make_zip({f"python/mod{i}.py": f"N = {i}\n" * (i + 1)})
        out = lam.publish_layer_version(LayerName=f"lay{i}", Content={"ZipFile": body})
        arns.append(out["LayerVersionArn"])
        sizes[out["LayerVersionArn"]] = len(body)

    created = create(lam, "with-layers", Layers=arns[:2])
    assert created["Layers"] == [{"Arn": a, "CodeSize": sizes[a]} for a in arns[:2]]
    got = lam.get_function_configuration(FunctionName="with-layers")
    assert got["Layers"] == created["Layers"]

    updated = lam.update_function_configuration(FunctionName="with-layers", Layers=arns[2:5])
    assert [l["Arn"] for l in updated["Layers"]] == arns[2:5]
    assert [l["CodeSize"] for l in updated["Layers"]] == [sizes[a] for a in arns[2:5]]

    # A published version keeps the layers it was published with.
    v1 = lam.publish_version(FunctionName="with-layers")
    assert [l["Arn"] for l in v1["Layers"]] == arns[2:5]

    before = lam.get_function_configuration(FunctionName="with-layers")
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName="with-layers", Layers=arns)
    code, message, status = error_of(e.value)
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message == "Cannot reference more than 5 layers."
    with pytest.raises(ClientError) as e:
        create(lam, "six-layers", Layers=arns)
    assert error_of(e.value)[:2] == ("InvalidParameterValueException", "Cannot reference more than 5 layers.")

    for pair in ([arns[0], arns[0]], [arns[1], f"{layer_arn('lay1')}:1"]):
        with pytest.raises(ClientError) as e:
            lam.update_function_configuration(FunctionName="with-layers", Layers=pair)
        assert error_of(e.value)[:2] == (
            "InvalidParameterValueException",
            f"Two different versions of the same layer are not allowed to be referenced in the same function. {pair[0]} and {pair[1]} are versions of the same layer.",
        )
    lay0_v2 = lam.publish_layer_version(LayerName="lay0", Content={"ZipFile": make_zip({"python/v2.py": "V = 2\n"})})["LayerVersionArn"]
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName="with-layers", Layers=[arns[0], lay0_v2])
    assert error_of(e.value)[1] == (
        f"Two different versions of the same layer are not allowed to be referenced in the same function. {arns[0]} and {lay0_v2} are versions of the same layer."
    )

    missing = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:nope:1"
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName="with-layers", Layers=[arns[0], missing])
    code, message, status = error_of(e.value)
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert missing in message
    with pytest.raises(ClientError) as e:
        create(lam, "ghost-layer", Layers=[f"{layer_arn('lay0')}:99"])
    assert error_of(e.value)[0] == "InvalidParameterValueException"

    after = lam.get_function_configuration(FunctionName="with-layers")
    assert after["Layers"] == before["Layers"]
    assert after["RevisionId"] == before["RevisionId"]
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert names == ["with-layers"]

    # Deleting a layer version does not break the functions that use it.
    lam.delete_layer_version(LayerName="lay2", VersionNumber=1)
    still = lam.get_function_configuration(FunctionName="with-layers")
    assert [l["Arn"] for l in still["Layers"]] == arns[2:5]
    with pytest.raises(ClientError) as e:
        lam.get_layer_version_by_arn(Arn=arns[2])
    assert error_of(e.value)[0] == "ResourceNotFoundException"
    # ...but it can no longer be newly attached.
    with pytest.raises(ClientError) as e:
        create(lam, "late-comer", Layers=[arns[2]])
    assert error_of(e.value)[:2] == ("InvalidParameterValueException", f"Layer version {arns[2]} does not exist.")

    # Layers can be removed again.
    cleared = lam.update_function_configuration(FunctionName="with-layers", Layers=[])
    assert "Layers" not in cleared
    assert cleared["CodeSha256"] == code_sha256(PY_HELLO)
