"""Control plane, bad input: each request is refused with Lambda's status, `x-amzn-errortype`
and message, and NOTHING is stored (functions, layers and the blobs folder are unchanged).
Requests go over raw HTTP so no client-side validation stands in the way."""

import base64
import io
import json
import struct
import zipfile
import zlib

import pytest

from conftest import PY_HELLO, ROLE, Server, blob_files, make_zip, raw_call
from test_control_functions import arn

FUNCTIONS = "/2015-03-31/functions"
CREATE_MAX_BODY = 70167211


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def create_body(zip_bytes=PY_HELLO, **overrides):
    body = {
        "FunctionName": "bad-fn",
        "Runtime": "python3.11",
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": {"ZipFile": b64(zip_bytes)},
    }
    body.update(overrides)
    return body


def state(server):
    """Everything a refused request must leave alone."""
    status, _, functions = raw_call(server, "GET", FUNCTIONS + "?FunctionVersion=ALL")
    assert status == 200
    status, _, layers = raw_call(server, "GET", "/2018-10-31/layers")
    assert status == 200
    return functions["Functions"], layers["Layers"], blob_files(server)


def refused(server, method, path, body, status, code, message=None, prefix=None, contains=(), headers=None):
    """Sends one request, checks the error and that the stored state did not move."""
    before = state(server)
    got_status, head, out = raw_call(server, method, path, body, headers)
    assert got_status == status, (got_status, out)
    assert head.get("x-amzn-errortype") == code, (head, out)
    assert head.get("content-type", "").startswith("application/json")
    assert len(head.get("x-amzn-requestid", "")) == 36, head
    assert isinstance(out, dict) and set(out) >= {"Type", "Message"}, out
    assert out["Type"] == "User"
    if message is not None:
        assert out["Message"] == message
    if prefix is not None:
        assert out["Message"].startswith(prefix), out["Message"]
    for part in contains:
        assert part in out["Message"], out["Message"]
    assert state(server) == before
    return out


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """One server for the module, holding one function (with version 1) and one layer, so
    refused updates have something to leave untouched. Sharing it is safe: every check
    compares the stored state just before and just after its own request."""
    server = Server(tmp_path_factory.mktemp("bad-input") / "data").start()
    lam = server.client()
    lam.create_function(FunctionName="base", Runtime="python3.11", Role=ROLE, Handler="app.handler", Code={"ZipFile": PY_HELLO}, Publish=True)
    lam.publish_layer_version(LayerName="base-layer", Content={"ZipFile": make_zip({"python/x.py": "X = 1\n"})})
    yield server
    server.stop()


def constraint(value, field):
    return f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "


BIG_ENV = {"BIG": "x" * 4100}

CREATE_CASES = {
    "function-name-invalid": (
        {"FunctionName": "bad name!"},
        400, "ValidationException", dict(prefix=constraint("bad name!", "functionName") + "Member must satisfy regular expression pattern"),
    ),
    "function-name-too-long": (
        {"FunctionName": "f" * 65},
        400, "InvalidParameterValueException", dict(message=constraint("f" * 65, "functionName") + "Member must have length less than or equal to 64"),
    ),
    "unknown-runtime": (
        {"Runtime": "python9.9"},
        400, "InvalidParameterValueException",
        dict(prefix="Value python9.9 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [", contains=("python3.12", "] or be a valid ARN")),
    ),
    "handler-with-spaces": (
        {"Handler": "app handler"},
        400, "ValidationException", dict(message=constraint("app handler", "handler") + "Member must satisfy regular expression pattern: [^\\s]+"),
    ),
    "memory-127": (
        {"MemorySize": 127},
        400, "ValidationException", dict(message=constraint(127, "memorySize") + "Member must have value greater than or equal to 128"),
    ),
    "memory-10241": (
        {"MemorySize": 10241},
        400, "ValidationException", dict(message=constraint(10241, "memorySize") + "Member must have value less than or equal to 10240"),
    ),
    "timeout-0": (
        {"Timeout": 0},
        400, "ValidationException", dict(message=constraint(0, "timeout") + "Member must have value greater than or equal to 1"),
    ),
    "timeout-901": (
        {"Timeout": 901},
        400, "ValidationException", dict(message=constraint(901, "timeout") + "Member must have value less than or equal to 900"),
    ),
    "environment-over-4kb": (
        {"Environment": {"Variables": BIG_ENV}},
        400, "InvalidParameterValueException",
        dict(message="Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: " + json.dumps(BIG_ENV, separators=(",", ":"))),
    ),
    "environment-reserved-key": (
        {"Environment": {"Variables": {"OK": "1", "AWS_REGION": "eu-west-1"}}},
        400, "InvalidParameterValueException",
        dict(message="Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_REGION"),
    ),
    "ephemeral-511": (
        {"EphemeralStorage": {"Size": 511}},
        400, "ValidationException", dict(message=constraint(511, "ephemeralStorage.size") + "Member must have value greater than or equal to 512"),
    ),
    "ephemeral-10241": (
        {"EphemeralStorage": {"Size": 10241}},
        400, "ValidationException", dict(message=constraint(10241, "ephemeralStorage.size") + "Member must have value less than or equal to 10240"),
    ),
    "six-layers": (
        {"Layers": [f"arn:aws:lambda:us-east-1:000000000000:layer:base-layer-{i}:1" for i in range(6)]},
        400, "InvalidParameterValueException", dict(message="Cannot reference more than 5 layers."),
    ),
    "unknown-layer": (
        {"Layers": ["arn:aws:lambda:us-east-1:000000000000:layer:nope:1"]},
        400, "InvalidParameterValueException", dict(message="Layer version arn:aws:lambda:us-east-1:000000000000:layer:nope:1 does not exist."),
    ),
    "s3-code-location": (
        {"Code": {"S3Bucket": "my-bucket", "S3Key": "code.zip"}},
        400, "InvalidParameterValueException", dict(contains=("S3", "ZipFile")),
    ),
    "no-code": (
        {"Code": {}},
        400, "InvalidParameterValueException", dict(message="Please provide a source for function code."),
    ),
    "bad-role": (
        {"Role": "not-a-role"},
        400, "ValidationException", dict(prefix=constraint("not-a-role", "role")),
    ),
    "existing-name": (
        {"FunctionName": "base", "Description": "would overwrite"},
        409, "ResourceConflictException", dict(contains=("base",)),
    ),
}


@pytest.mark.parametrize("case", list(CREATE_CASES))
def test_create_function_refused(seeded, case):
    overrides, status, code, expect = CREATE_CASES[case]
    refused(seeded, "POST", FUNCTIONS, create_body(**overrides), status, code, **expect)


UPDATE_CASES = {
    "memory-10241": ({"MemorySize": 10241}, 400, "ValidationException", dict(prefix=constraint(10241, "memorySize"))),
    "timeout-901": ({"Timeout": 901}, 400, "ValidationException", dict(prefix=constraint(901, "timeout"))),
    "environment-over-4kb": (
        {"Environment": {"Variables": BIG_ENV}},
        400, "InvalidParameterValueException",
        dict(prefix="Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured:"),
    ),
    "reserved-key": (
        {"Environment": {"Variables": {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:1", "LAMBDA_TASK_ROOT": "/tmp"}}},
        400, "InvalidParameterValueException", dict(contains=("Reserved keys used in this request: AWS_LAMBDA_RUNTIME_API, LAMBDA_TASK_ROOT",)),
    ),
    # Names follow [a-zA-Z]([a-zA-Z0-9_])+: a leading underscore or a single letter is refused.
    "env-key-underscore": ({"Environment": {"Variables": {"_X": "1"}}}, 400, "ValidationException", dict(prefix=constraint("_X", "environment.variables"))),
    "env-key-one-letter": ({"Environment": {"Variables": {"K": "1"}}}, 400, "ValidationException", dict(prefix=constraint("K", "environment.variables"))),
    "ephemeral-511": ({"EphemeralStorage": {"Size": 511}}, 400, "ValidationException", dict(prefix=constraint(511, "ephemeralStorage.size"))),
    "six-layers": ({"Layers": [f"arn:aws:lambda:us-east-1:000000000000:layer:l{i}:1" for i in range(6)]}, 400, "InvalidParameterValueException", dict(message="Cannot reference more than 5 layers.")),
    "stale-revision": ({"MemorySize": 256, "RevisionId": "00000000-0000-0000-0000-000000000000"}, 412, "PreconditionFailedException", dict(prefix="The Revision Id provided does not match")),
    # One good member and one bad: nothing is applied.
    "partly-valid": ({"Description": "changed", "Timeout": 0}, 400, "ValidationException", dict(prefix=constraint(0, "timeout"))),
}


@pytest.mark.parametrize("case", list(UPDATE_CASES))
def test_update_configuration_refused(seeded, case):
    body, status, code, expect = UPDATE_CASES[case]
    refused(seeded, "PUT", f"{FUNCTIONS}/base/configuration", body, status, code, **expect)


def test_invalid_alias_names_and_qualifiers(seeded):
    refused(
        seeded, "POST", f"{FUNCTIONS}/base/aliases", {"Name": "123", "FunctionVersion": "1"},
        400, "ValidationException", message=constraint("123", "name") + "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
    )
    refused(seeded, "POST", f"{FUNCTIONS}/base/aliases", {"Name": "ok", "FunctionVersion": "7"}, 404, "ResourceNotFoundException", message=f"Function not found: {arn('base', '7')}")
    refused(seeded, "GET", f"{FUNCTIONS}/base?Qualifier=bad%21q", None, 400, "ValidationException", prefix=constraint("bad!q", "qualifier"))
    refused(seeded, "GET", f"{FUNCTIONS}/base:live?Qualifier=1", None, 400, "InvalidParameterValueException", contains=("qualifier",))
    refused(seeded, "GET", f"{FUNCTIONS}/bad%20name%21", None, 400, "ValidationException", contains=("functionName",))
    # Longer than CreateFunction allows is still a well-formed lookup: not found.
    refused(seeded, "GET", f"{FUNCTIONS}/{'f' * 65}", None, 404, "ResourceNotFoundException", message=f"Function not found: {arn('f' * 65)}")
    refused(
        seeded, "GET", f"{FUNCTIONS}/arn:aws:lambda:eu-west-1:000000000000:function:base", None, 404, "ResourceNotFoundException",
        message="Functions from 'eu-west-1' are not reachable in this region ('us-east-1')",
    )
    refused(seeded, "DELETE", f"{FUNCTIONS}/base?Qualifier=%24LATEST", None, 400, "InvalidParameterValueException", message="$LATEST version cannot be deleted without deleting the function.")


def test_malformed_requests_and_unknown_routes(seeded):
    refused(seeded, "POST", FUNCTIONS, b'{"FunctionName": "x", ', 400, "InvalidRequestContentException", prefix="Could not parse request body into json")
    refused(seeded, "POST", FUNCTIONS, b"\xff\xfe not json", 400, "InvalidRequestContentException", prefix="Could not parse request body into json")
    refused(seeded, "POST", FUNCTIONS, json.dumps(create_body(Code={"ZipFile": "%%% not base64 %%%"})).encode(), 400, "InvalidRequestContentException", contains=("base64",))
    refused(seeded, "POST", FUNCTIONS, json.dumps(create_body(MemorySize="lots")).encode(), 400, "InvalidRequestContentException")
    refused(seeded, "PUT", f"{FUNCTIONS}/base/configuration", b"[1, 2", 400, "InvalidRequestContentException")
    # A required member left out is a constraint violation, named as Lambda names it.
    for member, field in (("Role", "role"), ("FunctionName", "functionName"), ("Code", "code")):
        body = create_body()
        del body[member]
        refused(seeded, "POST", FUNCTIONS, body, 400, "ValidationException", message=f"1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null")
    out = refused(
        seeded, "POST", FUNCTIONS, b"<CreateFunction/>", 415, "UnsupportedMediaTypeException",
        headers={"Content-Type": "text/xml"}, contains=("text/xml",),
    )
    assert "not supported" in out["Message"]
    refused(seeded, "GET", FUNCTIONS + "?FunctionVersion=SOME", None, 400, "ValidationException", message=constraint("SOME", "functionVersion") + "Member must satisfy enum value set: [ALL]")
    refused(seeded, "GET", FUNCTIONS + "?MaxItems=0", None, 400, "ValidationException", message=constraint(0, "maxItems") + "Member must have value greater than or equal to 1")
    refused(seeded, "GET", FUNCTIONS + "?MaxItems=many", None, 400, "ValidationException", prefix=constraint("many", "maxItems"))
    refused(seeded, "GET", "/2015-03-31/no-such-thing", None, 404, "UnknownOperationException")
    refused(seeded, "POST", "/2099-01-01/functions/base/teleport", {"x": 1}, 404, "UnknownOperationException")
    refused(seeded, "GET", "/../../etc/passwd", None, 404, "UnknownOperationException")
    # %-escapes that do not decode to UTF-8 (found by the control_api fuzz target): axum's
    # path extractor refuses them, and the refusal is Lambda's, not axum's plain text.
    refused(seeded, "GET", f"{FUNCTIONS}/ba%ccse", None, 400, "InvalidParameterValueException", contains=("UTF-8",))
    refused(seeded, "DELETE", "/2018-10-31/layers/l%ff/versions/1", None, 400, "InvalidParameterValueException", contains=("UTF-8",))
    # The server is still up and still answers properly.
    status, _, body = raw_call(seeded, "GET", f"{FUNCTIONS}/base")
    assert status == 200 and body["Configuration"]["FunctionName"] == "base"


def test_wrong_method_on_a_known_path_is_a_json_error(seeded):
    before = state(seeded)
    status, head, out = raw_call(seeded, "PATCH", f"{FUNCTIONS}/base", {"x": 1})
    assert status == 404, status
    assert head["x-amzn-errortype"] == "UnknownOperationException"
    assert len(head["x-amzn-requestid"]) == 36
    assert isinstance(out, dict) and "Message" in out
    assert state(seeded) == before


# --- zip hazards -------------------------------------------------------------------------


def zip_entries(*entries):
    """A zip from (name, data, unix mode) triples, written by Python's zipfile as-is."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("app.py"), "def handler(e, c):\n    return 1\n")
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


def local_record(name: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data)
    return struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, len(data), len(data), len(name), 0) + name + data


def central_record(name: bytes, data: bytes, offset: int) -> bytes:
    crc = zlib.crc32(data)
    return struct.pack(
        "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", (3 << 8) | 20, 20, 0, 0, 0, 0, crc, len(data), len(data), len(name), 0, 0, 0, 0, 0o100644 << 16, offset
    ) + name


def overlapping_zip() -> bytes:
    """Entry b.txt lies inside entry a.txt's bytes: two central records share storage."""
    inner_data = b"print('hidden')\n" * 4
    inner = local_record(b"b.txt", inner_data)
    outer = local_record(b"a.txt", inner)
    inner_offset = 30 + len(b"a.txt")
    cd = central_record(b"a.txt", inner, 0) + central_record(b"b.txt", inner_data, inner_offset)
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 2, 2, len(cd), len(outer), 0)
    return outer + cd + eocd


def lying_zip(real_size: int, declared: int = 10) -> bytes:
    """One deflated entry of `real_size` zeros whose local and central headers declare `declared` bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("app.py", "x = 1\n")
        z.writestr("payload.bin", bytes(real_size))
    data = bytearray(buf.getvalue())
    local = data.find(b"payload.bin") - 30  # the first copy of the name follows its local header
    central = data.rfind(b"payload.bin") - 46  # the last follows its central record
    assert data[local : local + 4] == b"PK\x03\x04" and data[central : central + 4] == b"PK\x01\x02"
    struct.pack_into("<I", data, local + 22, declared)
    struct.pack_into("<I", data, central + 24, declared)
    return bytes(data)


def zero_bomb(megabytes: int) -> bytes:
    """`megabytes` MB of zeros deflated (about 1000:1), built a megabyte at a time."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("app.py", "x = 1\n")
        info = zipfile.ZipInfo("zeros.bin")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as f:
            chunk = bytes(1 << 20)
            for _ in range(megabytes):
                f.write(chunk)
    return buf.getvalue()


def unsafe(entry, reason):
    return f"The deployment package contains an unsafe entry {json.dumps(entry)}: {reason}"


ZIP_CASES = {
    "dot-dot-traversal": (lambda: zip_entries(("../../etc/cron.d/evil", "* * * * * root sh\n", 0o100644)), 400, "InvalidParameterValueException", unsafe("../../etc/cron.d/evil", "the path escapes the package root")),
    "inner-traversal": (lambda: zip_entries(("lib/../../escape.py", "x\n", 0o100644)), 400, "InvalidParameterValueException", unsafe("lib/../../escape.py", "the path escapes the package root")),
    "absolute-path": (lambda: zip_entries(("/etc/passwd", "root::0:0::/:/bin/sh\n", 0o100644)), 400, "InvalidParameterValueException", unsafe("/etc/passwd", "the name is an absolute path")),
    "backslash-path": (lambda: zip_entries(("..\\..\\evil.py", "x\n", 0o100644)), 400, "InvalidParameterValueException", unsafe("..\\..\\evil.py", "the name contains a backslash")),
    "symlink": (lambda: zip_entries(("passwd", "/etc/passwd", 0o120777)), 400, "InvalidParameterValueException", unsafe("passwd", "symbolic links are not allowed")),
    "fifo": (lambda: zip_entries(("pipe", "", 0o010644)), 400, "InvalidParameterValueException", unsafe("pipe", "the entry is a fifo, only regular files and directories are allowed")),
    "char-device": (lambda: zip_entries(("null", "", 0o020666)), 400, "InvalidParameterValueException", unsafe("null", "the entry is a character device, only regular files and directories are allowed")),
    "block-device": (lambda: zip_entries(("sda", "", 0o060660)), 400, "InvalidParameterValueException", unsafe("sda", "the entry is a block device, only regular files and directories are allowed")),
    "duplicate-names": (lambda: zip_entries(("app.py", "def handler(e, c):\n    return 2\n", 0o100644)), 400, "InvalidParameterValueException", unsafe("app.py", "another entry has the same path")),
    "overlapping-entries": (overlapping_zip, 400, "InvalidParameterValueException", "overlaps another entry in the archive"),
    "zip-bomb-300mb-of-zeros": (lambda: zero_bomb(300), 400, "InvalidParameterValueException", "Unzipped size must be smaller than 262144000 bytes"),
    "lying-header": (lambda: lying_zip(1 << 20), 502, "InvalidZipFileException", "Could not unzip uploaded file. Please check your file, then try to upload again."),
    "corrupt-archive": (lambda: b"PK\x03\x04" + bytes(range(256)) * 8, 502, "InvalidZipFileException", "Could not unzip uploaded file. Please check your file, then try to upload again."),
    "truncated-archive": (lambda: make_zip({"app.py": "x = 1\n" * 500})[:-30], 502, "InvalidZipFileException", "Could not unzip uploaded file. Please check your file, then try to upload again."),
    "empty-file": (lambda: b"", 502, "InvalidZipFileException", "Could not unzip uploaded file. Please check your file, then try to upload again."),
}


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize("case", list(ZIP_CASES))
def test_zip_hazard_refused_on_create(seeded, case):
    build, status, code, message = ZIP_CASES[case]
    zip_bytes = build()
    expect = dict(contains=(message,)) if not message.startswith(("The deployment", "Unzipped", "Could not")) else dict(message=message)
    refused(seeded, "POST", FUNCTIONS, create_body(zip_bytes, FunctionName="hazard"), status, code, **expect)


@pytest.mark.parametrize("case", ["dot-dot-traversal", "symlink", "overlapping-entries", "lying-header"])
def test_zip_hazard_refused_on_update_code_and_layers(seeded, case):
    build, status, code, message = ZIP_CASES[case]
    zip_bytes = build()
    refused(seeded, "PUT", f"{FUNCTIONS}/base/code", {"ZipFile": b64(zip_bytes)}, status, code, contains=(message,))
    refused(seeded, "PUT", f"{FUNCTIONS}/base/code", {"ZipFile": b64(zip_bytes), "Publish": True}, status, code, contains=(message,))
    refused(seeded, "POST", "/2018-10-31/layers/hazard-layer/versions", {"Content": {"ZipFile": b64(zip_bytes)}}, status, code, contains=(message,))


@pytest.mark.parametrize("mode", [0o104755, 0o102755], ids=["setuid", "setgid"])
def test_set_id_entry_is_refused(seeded, mode):
    zip_bytes = zip_entries(("bootstrap", "#!/bin/sh\n", mode))
    refused(
        seeded, "POST", FUNCTIONS, create_body(zip_bytes, FunctionName="setuid"),
        400, "InvalidParameterValueException", message=unsafe("bootstrap", "the entry has a set-user-ID or set-group-ID bit"),
    )
    refused(seeded, "PUT", f"{FUNCTIONS}/base/code", {"ZipFile": b64(zip_bytes)}, 400, "InvalidParameterValueException", contains=("set-user-ID",))


# --- size limits -------------------------------------------------------------------------


@pytest.fixture
def small_server(tmp_path):
    s = Server(tmp_path / "small", extra_args=["--max-zipped-bytes", "100000", "--max-unzipped-bytes", "1000000"]).start()
    lam = s.client()
    lam.create_function(FunctionName="base", Runtime="python3.11", Role=ROLE, Handler="app.handler", Code={"ZipFile": PY_HELLO})
    yield s
    s.stop()


def incompressible_zip(size: int) -> bytes:
    import random

    rng = random.Random(7)
    return make_zip({"app.py": "x = 1\n", "noise.bin": rng.randbytes(size)})


def test_zipped_size_over_the_configured_limit_is_413(small_server):
    big = incompressible_zip(150_000)
    assert len(big) > 100_000
    expected = "Zipped size must be smaller than 100000 bytes"
    refused(small_server, "POST", FUNCTIONS, create_body(big), 413, "RequestEntityTooLargeException", message=expected)
    refused(small_server, "PUT", f"{FUNCTIONS}/base/code", {"ZipFile": b64(big)}, 413, "RequestEntityTooLargeException", message=expected)
    refused(small_server, "POST", "/2018-10-31/layers/big/versions", {"Content": {"ZipFile": b64(big)}}, 413, "RequestEntityTooLargeException", message=expected)
    settings = small_server.client().get_account_settings()["AccountLimit"]
    assert (settings["CodeSizeZipped"], settings["CodeSizeUnzipped"]) == (100000, 1000000)


def test_unzipped_size_over_the_configured_budget_is_400(small_server):
    expected = "Unzipped size must be smaller than 1000000 bytes"
    honest = make_zip({"app.py": "x = 1\n", "zeros.bin": bytes(2_000_000)})
    assert len(honest) < 100_000
    refused(small_server, "POST", FUNCTIONS, create_body(honest), 400, "InvalidParameterValueException", message=expected)
    refused(small_server, "PUT", f"{FUNCTIONS}/base/code", {"ZipFile": b64(honest)}, 400, "InvalidParameterValueException", message=expected)
    # Headers that understate the size do not get past the budget: the bytes are counted.
    liar = lying_zip(5_000_000, declared=100)
    refused(small_server, "POST", FUNCTIONS, create_body(liar), 400, "InvalidParameterValueException", message=expected)

    # Code and layers share the budget.
    lam = small_server.client()
    layer = lam.publish_layer_version(LayerName="half", Content={"ZipFile": make_zip({"python/pad.bin": bytes(600_000)})})
    code = make_zip({"app.py": "x = 1\n", "pad.bin": bytes(600_000)})
    refused(small_server, "POST", FUNCTIONS, create_body(code, Layers=[layer["LayerVersionArn"]]), 400, "InvalidParameterValueException", message=expected)
    lam.update_function_code(FunctionName="base", ZipFile=code)
    refused(
        small_server, "PUT", f"{FUNCTIONS}/base/configuration", {"Layers": [layer["LayerVersionArn"]]},
        400, "InvalidParameterValueException", prefix="Function code combined with layers exceeds the maximum allowed size of 1000000 bytes.",
    )


def test_request_body_over_the_create_function_limit_is_413(seeded):
    server = seeded
    before = state(server)
    # A syntactically plausible body just past the limit; the server must stop reading at the limit.
    head = b'{"FunctionName":"huge","Runtime":"python3.11","Role":"' + ROLE.encode() + b'","Handler":"a.b","Code":{"ZipFile":"'
    tail = b'"}}'
    body = head + b"A" * (CREATE_MAX_BODY + 1 - len(head) - len(tail)) + tail
    assert len(body) == CREATE_MAX_BODY + 1
    status, headers, out = raw_call(server, "POST", FUNCTIONS, body)
    del body
    assert status == 413, out
    assert headers["x-amzn-errortype"] == "RequestEntityTooLargeException"
    assert out["Message"] == f"Request must be smaller than {CREATE_MAX_BODY} bytes for the CreateFunction operation"
    assert state(server) == before


def test_request_body_over_the_six_megabyte_limit_is_413(seeded):
    """Operations without code take at most 6 MB, named in the message."""
    before = state(seeded)
    limit = 6 * 1024 * 1024
    head, tail = b'{"Description":"', b'"}'
    body = head + b"d" * (limit + 1 - len(head) - len(tail)) + tail
    status, headers, out = raw_call(seeded, "PUT", f"{FUNCTIONS}/base/configuration", body)
    assert status == 413, out
    assert headers["x-amzn-errortype"] == "RequestEntityTooLargeException"
    assert out["Message"] == f"Request must be smaller than {limit} bytes for the UpdateFunctionConfiguration operation"
    assert state(seeded) == before
