"""Control plane, functions: create, get (with a Code.Location that serves the same bytes),
list with pagination, update code and configuration, RevisionId preconditions, DryRun, delete.
Real `lamina` binary, real boto3."""

import re
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import PY_HELLO, ROLE, blob_files, code_sha256, http_get_bytes, make_zip

ACCOUNT = "000000000000"
REGION = "us-east-1"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def arn(name, qualifier=None):
    base = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return f"{base}:{qualifier}" if qualifier else base


def error_of(exc: ClientError):
    return exc.response["Error"]["Code"], exc.response["Error"]["Message"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


def create(lam, name, zip_bytes=PY_HELLO, **kw):
    args = dict(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler", Code={"ZipFile": zip_bytes})
    args.update(kw)
    return lam.create_function(**args)


def test_create_returns_full_configuration_and_get_function_serves_the_same_zip(lam):
    created = create(
        lam,
        "shape-fn",
        Description="first",
        Environment={"Variables": {"GREETING": "hi"}},
        Tags={"team": "core"},
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    # Every response carries its own request id (x-amzn-RequestId), as the SDKs expect.
    assert UUID.match(created["ResponseMetadata"]["RequestId"])
    expected = {
        "FunctionName": "shape-fn",
        "FunctionArn": arn("shape-fn"),
        "Runtime": "python3.11",
        "Role": ROLE,
        "Handler": "app.handler",
        "CodeSize": len(PY_HELLO),
        "CodeSha256": code_sha256(PY_HELLO),
        "Description": "first",
        "Timeout": 3,
        "MemorySize": 128,
        "Version": "$LATEST",
        "Environment": {"Variables": {"GREETING": "hi"}},
        "TracingConfig": {"Mode": "PassThrough"},
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "EphemeralStorage": {"Size": 512},
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": "/aws/lambda/shape-fn"},
    }
    for key, value in expected.items():
        assert created[key] == value, key
    assert TIMESTAMP.match(created["LastModified"]), created["LastModified"]
    assert UUID.match(created["RevisionId"]), created["RevisionId"]

    got = lam.get_function(FunctionName="shape-fn")
    assert UUID.match(got["ResponseMetadata"]["RequestId"])
    assert got["ResponseMetadata"]["RequestId"] != created["ResponseMetadata"]["RequestId"]
    config = got["Configuration"]
    for key, value in expected.items():
        assert config[key] == value, key
    assert config["RevisionId"] == created["RevisionId"]
    assert config["LastModified"] == created["LastModified"]
    assert got["Tags"] == {"team": "core"}
    assert got["Code"]["RepositoryType"] == "S3"
    downloaded = http_get_bytes(got["Code"]["Location"])
    assert downloaded == PY_HELLO
    assert code_sha256(downloaded) == config["CodeSha256"]

    only_config = lam.get_function_configuration(FunctionName="shape-fn")
    only_config.pop("ResponseMetadata")
    assert only_config == config

    # The same function by full ARN and by qualified name.
    assert lam.get_function_configuration(FunctionName=arn("shape-fn"))["FunctionName"] == "shape-fn"
    qualified = lam.get_function_configuration(FunctionName="shape-fn:$LATEST")
    assert (qualified["Version"], qualified["FunctionArn"]) == ("$LATEST", arn("shape-fn", "$LATEST"))


def test_list_functions_pages_with_marker_and_paginator(lam):
    names = [f"page-{i:02d}" for i in range(7)]
    for name in reversed(names):
        create(lam, name)

    seen, marker, pages = [], None, 0
    while True:
        kwargs = {"MaxItems": 3}
        if marker:
            kwargs["Marker"] = marker
        page = lam.list_functions(**kwargs)
        pages += 1
        assert len(page["Functions"]) <= 3
        for f in page["Functions"]:
            assert f["FunctionArn"] == arn(f["FunctionName"])
            assert f["CodeSha256"] == code_sha256(PY_HELLO)
            assert f["Version"] == "$LATEST"
        seen += [f["FunctionName"] for f in page["Functions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert pages == 3
    assert seen == sorted(names)

    paginated = [f["FunctionName"] for p in lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2}) for f in p["Functions"]]
    assert paginated == sorted(names)
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == sorted(names)
    assert "NextMarker" not in lam.list_functions()


def test_update_code_changes_sha_revision_and_served_bytes(lam):
    created = create(lam, "upd-code")
    new_zip = make_zip({"app.py": "def handler(event, context):\n    return 'v2'\n"})
    updated = lam.update_function_code(FunctionName="upd-code", ZipFile=new_zip)
    assert updated["CodeSha256"] == code_sha256(new_zip) != created["CodeSha256"]
    assert updated["CodeSize"] == len(new_zip)
    assert updated["RevisionId"] != created["RevisionId"]
    assert TIMESTAMP.match(updated["LastModified"])
    assert updated["LastModified"] >= created["LastModified"]
    assert updated["LastUpdateStatus"] == "Successful"
    got = lam.get_function(FunctionName="upd-code")
    assert got["Configuration"]["CodeSha256"] == code_sha256(new_zip)
    assert got["Configuration"]["RevisionId"] == updated["RevisionId"]
    assert http_get_bytes(got["Code"]["Location"]) == new_zip


def test_update_configuration_changes_only_the_members_given(lam):
    created = create(lam, "upd-conf")
    updated = lam.update_function_configuration(
        FunctionName="upd-conf",
        MemorySize=1024,
        Timeout=30,
        Environment={"Variables": {"AA": "1", "B_TWO": "two"}},
        Description="described",
        EphemeralStorage={"Size": 2048},
    )
    assert updated["MemorySize"] == 1024
    assert updated["Timeout"] == 30
    assert updated["Environment"] == {"Variables": {"AA": "1", "B_TWO": "two"}}
    assert updated["Description"] == "described"
    assert updated["EphemeralStorage"] == {"Size": 2048}
    assert updated["RevisionId"] != created["RevisionId"]
    assert updated["CodeSha256"] == created["CodeSha256"]
    assert updated["Handler"] == "app.handler"
    assert TIMESTAMP.match(updated["LastModified"])

    again = lam.update_function_configuration(FunctionName="upd-conf", Handler="app.other")
    assert again["Handler"] == "app.other"
    assert again["MemorySize"] == 1024 and again["Timeout"] == 30
    assert again["Environment"] == {"Variables": {"AA": "1", "B_TWO": "two"}}

    got = lam.get_function_configuration(FunctionName="upd-conf")
    assert (got["MemorySize"], got["Timeout"], got["Description"], got["EphemeralStorage"]["Size"], got["Handler"]) == (
        1024,
        30,
        "described",
        2048,
        "app.other",
    )
    assert got["RevisionId"] == again["RevisionId"]


def test_revision_id_mismatch_is_412_and_changes_nothing(lam):
    created = create(lam, "rev-fn")
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName="rev-fn", MemorySize=256, RevisionId=str(uuid.uuid4()))
    code, message, status = error_of(e.value)
    assert (code, status) == ("PreconditionFailedException", 412)
    assert message.startswith("The Revision Id provided does not match the latest Revision Id.")
    assert e.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"].startswith("PreconditionFailedException")

    with pytest.raises(ClientError) as e:
        lam.update_function_code(FunctionName="rev-fn", ZipFile=make_zip({"app.py": "x=1\n"}), RevisionId="stale")
    assert error_of(e.value)[0] == "PreconditionFailedException"
    with pytest.raises(ClientError) as e:
        lam.publish_version(FunctionName="rev-fn", RevisionId="stale")
    assert error_of(e.value)[0] == "PreconditionFailedException"

    got = lam.get_function_configuration(FunctionName="rev-fn")
    assert got["MemorySize"] == 128
    assert got["RevisionId"] == created["RevisionId"]
    assert got["CodeSha256"] == created["CodeSha256"]
    assert lam.list_versions_by_function(FunctionName="rev-fn")["Versions"][-1]["Version"] == "$LATEST"

    ok = lam.update_function_configuration(FunctionName="rev-fn", MemorySize=256, RevisionId=created["RevisionId"])
    assert ok["MemorySize"] == 256


def test_dry_run_code_update_validates_but_changes_nothing(server, lam):
    created = create(lam, "dry-fn")
    before_blobs = blob_files(server)
    new_zip = make_zip({"app.py": "def handler(e, c):\n    return 'dry'\n"})
    preview = lam.update_function_code(FunctionName="dry-fn", ZipFile=new_zip, DryRun=True)
    assert preview["FunctionName"] == "dry-fn"
    assert preview["CodeSha256"] == code_sha256(new_zip)

    got = lam.get_function(FunctionName="dry-fn")
    assert got["Configuration"]["CodeSha256"] == created["CodeSha256"]
    assert got["Configuration"]["RevisionId"] == created["RevisionId"]
    assert got["Configuration"]["LastModified"] == created["LastModified"]
    assert http_get_bytes(got["Code"]["Location"]) == PY_HELLO
    assert blob_files(server) == before_blobs

    # A dry run still validates: a corrupt zip is refused.
    with pytest.raises(ClientError) as e:
        lam.update_function_code(FunctionName="dry-fn", ZipFile=b"not a zip at all", DryRun=True)
    assert error_of(e.value)[0] == "InvalidZipFileException"


def test_create_existing_function_is_409(lam):
    create(lam, "twice")
    with pytest.raises(ClientError) as e:
        create(lam, "twice", Description="second")
    code, message, status = error_of(e.value)
    assert (code, status) == ("ResourceConflictException", 409)
    assert "twice" in message
    assert lam.get_function_configuration(FunctionName="twice")["Description"] == ""


def test_delete_function_then_get_is_404(server, lam):
    create(lam, "doomed", Tags={"old": "yes"})
    lam.publish_version(FunctionName="doomed")
    lam.update_function_configuration(FunctionName="doomed", Timeout=5)
    lam.publish_version(FunctionName="doomed")
    lam.create_alias(FunctionName="doomed", Name="live", FunctionVersion="2")
    deleted = lam.delete_function(FunctionName="doomed")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert deleted["StatusCode"] == 204
    for call in (lambda: lam.get_function(FunctionName="doomed"), lambda: lam.get_function_configuration(FunctionName="doomed", Qualifier="1")):
        with pytest.raises(ClientError) as e:
            call()
        code, message, status = error_of(e.value)
        assert (code, status) == ("ResourceNotFoundException", 404)
        assert message.startswith(f"Function not found: {arn('doomed')}")
        assert UUID.match(e.value.response["ResponseMetadata"]["RequestId"])
    assert lam.list_functions()["Functions"] == []
    with pytest.raises(ClientError) as e:
        lam.delete_function(FunctionName="doomed")
    assert error_of(e.value)[0] == "ResourceNotFoundException"
    # The name is free again, with nothing left of the old function: no versions, no aliases,
    # no tags, and numbering starts over.
    assert create(lam, "doomed")["Version"] == "$LATEST"
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="doomed")["Versions"]] == ["$LATEST"]
    assert lam.list_aliases(FunctionName="doomed")["Aliases"] == []
    assert "Tags" not in lam.get_function(FunctionName="doomed")
    assert lam.publish_version(FunctionName="doomed")["Version"] == "1"


def run_together(calls):
    """Runs the calls at once (released by one barrier); returns each one's result or ClientError."""
    import threading

    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except ClientError as e:
            results[i] = e

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_racing_creates_of_one_name_make_exactly_one_function(server):
    clients = [server.client() for _ in range(6)]
    zips = [make_zip({"app.py": f"def handler(e, c):\n    return {i}\n"}) for i in range(6)]
    before = blob_files(server)
    results = run_together([lambda c=c, z=z: create(c, "contended", zip_bytes=z) for c, z in zip(clients, zips)])
    won = [i for i, r in enumerate(results) if isinstance(r, dict)]
    lost = [r for r in results if isinstance(r, ClientError)]
    assert len(won) == 1, results
    assert len(lost) == 5 and all(error_of(e)[0::2] == ("ResourceConflictException", 409) for e in lost)
    got = clients[0].get_function(FunctionName="contended")
    assert got["Configuration"]["CodeSha256"] == code_sha256(zips[won[0]])
    assert http_get_bytes(got["Code"]["Location"]) == zips[won[0]]
    # Only the winner's package was written.
    assert len(blob_files(server) - before) == 1


def test_racing_updates_with_one_revision_id_let_exactly_one_through(server):
    lam = server.client()
    created = create(lam, "optimistic")
    clients = [server.client() for _ in range(5)]
    zips = [make_zip({"app.py": f"def handler(e, c):\n    return 'u{i}'\n"}) for i in range(5)]
    results = run_together(
        [lambda c=c, z=z: c.update_function_code(FunctionName="optimistic", ZipFile=z, RevisionId=created["RevisionId"]) for c, z in zip(clients, zips)]
    )
    won = [i for i, r in enumerate(results) if isinstance(r, dict)]
    lost = [r for r in results if isinstance(r, ClientError)]
    assert len(won) == 1, results
    assert all(error_of(e)[0::2] == ("PreconditionFailedException", 412) for e in lost) and len(lost) == 4
    got = lam.get_function(FunctionName="optimistic")
    assert got["Configuration"]["RevisionId"] == results[won[0]]["RevisionId"]
    assert http_get_bytes(got["Code"]["Location"]) == zips[won[0]]


def test_large_package_round_trips_byte_for_byte(server):
    """A 20 MB incompressible package goes up through boto3 and comes back whole."""
    import hashlib
    import random

    rng = random.Random(42)
    body = make_zip({"app.py": "def handler(e, c):\n    return 1\n", "blob.bin": rng.randbytes(20 * 1024 * 1024)})
    assert len(body) > 20 * 1024 * 1024
    lam = server.client()
    created = create(lam, "big-package", zip_bytes=body)
    assert created["CodeSize"] == len(body)
    assert created["CodeSha256"] == code_sha256(body)
    downloaded = http_get_bytes(lam.get_function(FunctionName="big-package")["Code"]["Location"])
    assert hashlib.sha256(downloaded).digest() == hashlib.sha256(body).digest()
