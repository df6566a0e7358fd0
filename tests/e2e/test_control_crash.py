"""Crash consistency: every write the server acknowledged survives kill -9, with the same
CodeSha256 and the same bytes behind Code.Location."""

import random
import threading
import time

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ConnectionClosedError, ReadTimeoutError

from conftest import code_sha256, http_get_bytes, make_zip
from test_control_functions import create


def zip_for(tag: str) -> bytes:
    return make_zip({"app.py": f"def handler(event, context):\n    return {tag!r}\n"})


def test_acknowledged_writes_survive_kill_9(server):
    lam = server.client()
    expected_functions = {}  # name -> $LATEST zip
    expected_versions = {}  # (name, version) -> zip
    expected_aliases = {}  # (name, alias) -> (version, weights)

    layer_zip = make_zip({"python/shared.py": "SHARED = True\n"})
    layer = lam.publish_layer_version(LayerName="crash-layer", Content={"ZipFile": layer_zip})
    assert layer["Version"] == 1

    for i in range(3):
        name = f"crash-{i}"
        first = zip_for(f"{name}-v1")
        create(lam, name, zip_bytes=first)
        assert lam.publish_version(FunctionName=name)["Version"] == "1"
        expected_versions[(name, "1")] = first
        second = zip_for(f"{name}-v2")
        lam.update_function_code(FunctionName=name, ZipFile=second)
        assert lam.publish_version(FunctionName=name)["Version"] == "2"
        expected_versions[(name, "2")] = second
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}})
        expected_aliases[(name, "live")] = ("1", {"2": 0.3})
        lam.update_function_configuration(FunctionName=name, Layers=[layer["LayerVersionArn"]], MemorySize=256)
        expected_functions[name] = second

    # The last acknowledged write is a code update; kill -9 right after its 200.
    last = zip_for("crash-2-v3")
    ack = lam.update_function_code(FunctionName="crash-2", ZipFile=last)
    assert ack["CodeSha256"] == code_sha256(last)
    expected_functions["crash-2"] = last
    server.kill()
    server.start()

    lam = server.client()
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == sorted(expected_functions)
    for name, body in expected_functions.items():
        got = lam.get_function(FunctionName=name)
        assert got["Configuration"]["CodeSha256"] == code_sha256(body), name
        assert got["Configuration"]["MemorySize"] == 256
        assert got["Configuration"]["Layers"] == [{"Arn": layer["LayerVersionArn"], "CodeSize": len(layer_zip)}]
        assert http_get_bytes(got["Code"]["Location"]) == body
    for (name, version), body in expected_versions.items():
        got = lam.get_function(FunctionName=name, Qualifier=version)
        assert got["Configuration"]["Version"] == version
        assert got["Configuration"]["CodeSha256"] == code_sha256(body)
        assert http_get_bytes(got["Code"]["Location"]) == body
    for name in expected_functions:
        assert [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]] == ["$LATEST", "1", "2"]
    for (name, alias), (version, weights) in expected_aliases.items():
        got = lam.get_alias(FunctionName=name, Name=alias)
        assert got["FunctionVersion"] == version
        assert got["RoutingConfig"]["AdditionalVersionWeights"] == weights
    got_layer = lam.get_layer_version(LayerName="crash-layer", VersionNumber=1)
    assert got_layer["Content"]["CodeSha256"] == code_sha256(layer_zip)
    assert http_get_bytes(got_layer["Content"]["Location"]) == layer_zip

    # The restarted server keeps numbering where it stopped.
    lam.update_function_configuration(FunctionName="crash-0", Timeout=10)
    assert lam.publish_version(FunctionName="crash-0")["Version"] == "3"
    assert lam.publish_layer_version(LayerName="crash-layer", Content={"ZipFile": layer_zip})["Version"] == 2


def killed(exc) -> bool:
    """Whether a client exception is the server going away (the kill), not a server answer."""
    if isinstance(exc, (EndpointConnectionError, ConnectionClosedError, ReadTimeoutError, ConnectionError)):
        return True
    return not isinstance(exc, ClientError) and ("Connection" in type(exc).__name__ or "connection" in str(exc).lower())


@pytest.mark.timeout(120)
def test_writes_acknowledged_before_a_random_kill_survive(server):
    """Two writers run until a kill -9 at a random moment: one creates functions, the other
    updates one function's code and publishes a version each time. Everything acknowledged
    before the kill must be there after the restart, with its bytes."""
    create(server.client(), "churn", zip_bytes=zip_for("churn-0"))
    created = {}  # name -> zip, acknowledged creates
    create_attempts = []
    published = {}  # version -> zip, acknowledged publishes
    latest = {"acked": zip_for("churn-0"), "in_flight": None}
    stop = threading.Event()
    errors = []

    def creator():
        lam = server.client()
        for i in range(2000):
            if stop.is_set():
                return
            name = f"bg-{i:04d}"
            body = zip_for(name)
            create_attempts.append(name)
            try:
                out = create(lam, name, zip_bytes=body)
            except Exception as e:
                if not killed(e):
                    errors.append(e)
                return
            if out["ResponseMetadata"]["HTTPStatusCode"] != 201:
                errors.append(out)
                return
            created[name] = body

    def churner():
        lam = server.client()
        for i in range(1, 2000):
            if stop.is_set():
                return
            body = zip_for(f"churn-{i}")
            latest["in_flight"] = body
            try:
                lam.update_function_code(FunctionName="churn", ZipFile=body)
                latest["acked"], latest["in_flight"] = body, None
                out = lam.publish_version(FunctionName="churn")
            except Exception as e:
                if not killed(e):
                    errors.append(e)
                return
            if out["CodeSha256"] != code_sha256(body):
                errors.append(out)
                return
            published[out["Version"]] = body

    threads = [threading.Thread(target=creator), threading.Thread(target=churner)]
    for t in threads:
        t.start()
    time.sleep(random.uniform(0.5, 2.0))
    server.kill()
    stop.set()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive()
    assert not errors, errors
    assert len(created) >= 3 and len(published) >= 2, "the writers should have landed a few writes before the kill"

    server.start()
    lam = server.client()
    survived = {}
    for page in lam.get_paginator("list_functions").paginate():
        for f in page["Functions"]:
            survived[f["FunctionName"]] = f["CodeSha256"]
    for name, body in created.items():
        assert survived.get(name) == code_sha256(body), f"acknowledged create of {name} was lost"
    # At most the one create in flight at the kill may exist beyond the acknowledged ones,
    # and if it does it is whole.
    extra = set(survived) - set(created) - {"churn"}
    assert extra <= set(create_attempts[len(created):])
    assert len(extra) <= 1
    for name in set(survived) - {"churn"}:
        got = lam.get_function(FunctionName=name)
        assert http_get_bytes(got["Code"]["Location"]) == zip_for(name)

    # Every acknowledged version, with its own bytes; numbering has no holes.
    # ListVersionsByFunction pages at 50 items, and a fast writer publishes more than that.
    pages = lam.get_paginator("list_versions_by_function").paginate(FunctionName="churn")
    versions = [v["Version"] for page in pages for v in page["Versions"]]
    assert versions[0] == "$LATEST"
    numbers = [int(v) for v in versions[1:]]
    assert numbers == list(range(1, len(numbers) + 1))
    assert set(published) <= set(versions[1:])
    assert len(numbers) - len(published) <= 1  # a publish in flight may have landed
    for version, body in published.items():
        got = lam.get_function(FunctionName="churn", Qualifier=version)
        assert got["Configuration"]["CodeSha256"] == code_sha256(body)
        assert http_get_bytes(got["Code"]["Location"]) == body
    # $LATEST holds the last acknowledged code, or the update in flight if it landed whole.
    got = lam.get_function(FunctionName="churn")
    assert http_get_bytes(got["Code"]["Location"]) in [b for b in (latest["acked"], latest["in_flight"]) if b]
    assert got["Configuration"]["CodeSha256"] == code_sha256(http_get_bytes(got["Code"]["Location"]))

    # And the server takes new writes after the crash.
    assert create(lam, "after-crash")["Version"] == "$LATEST"
