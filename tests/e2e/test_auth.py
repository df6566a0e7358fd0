"""Authentication end to end: the real server with access keys from `lamina auth`, boto3 and
the AWS CLI signing with them. Every refusal is checked for Lambda's exact code, status and
headers, and for having changed nothing; accounts are isolated unless a resource policy says
otherwise."""

import contextlib
import importlib.util
import json
import re
import subprocess
import time
from datetime import datetime, timedelta, timezone
from unittest import mock

import pytest
from botocore.exceptions import ClientError

from conftest import LAMINA_BIN, PY_HELLO, ROLE, Server, create_key, raw_call, sign

A = "000000000000"  # the server's own account (--account-id default)
B = "222222222222"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    data = tmp_path_factory.mktemp("auth") / "data"
    admin = create_key(data, A)
    s = Server(data)
    if "--auth" not in s.extra_args:
        s.extra_args += ["--auth", "required"]
    s.key = admin
    s.keys = {"admin": admin, "ro": create_key(data, A, "--read-only"), "b": create_key(data, B)}
    s.start()
    lam = s.client()
    lam.create_function(FunctionName="hello", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": PY_HELLO}, Timeout=7)
    yield s
    s.stop()


def error_of(call):
    with pytest.raises(ClientError) as e:
        call()
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPHeaders"]


def timeout_of(srv):
    return srv.client().get_function_configuration(FunctionName="hello")["Timeout"]


def test_boto3_and_the_aws_cli_sign_with_a_created_key(srv):
    names = [f["FunctionName"] for f in srv.client().list_functions()["Functions"]]
    assert "hello" in names
    out = srv.aws("get-function-configuration", "--function-name", "hello")
    assert out["FunctionName"] == "hello"
    # A qualified name and a full ARN go through the double-encoded path rule.
    arn = out["FunctionArn"]
    assert srv.client().get_function(FunctionName=f"{arn}:$LATEST")["Configuration"]["FunctionName"] == "hello"
    assert srv.aws("get-function", "--function-name", arn)["Configuration"]["FunctionArn"] == arn


def test_an_unsigned_request_is_refused_as_lambda_refuses_it(srv):
    status, headers, body = raw_call(srv, "GET", "/2015-03-31/functions/", signed=False)
    assert status == 403
    assert headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert headers["x-amzn-requestid"]
    assert body["Message"] == "Missing Authentication Token"
    status, _, _ = raw_call(srv, "DELETE", "/2015-03-31/functions/hello", signed=False)
    assert status == 403
    assert timeout_of(srv) == 7


def test_a_wrong_secret_an_unknown_key_and_a_skewed_clock_each_get_their_error(srv):
    wrong = {"AccessKeyId": srv.key["AccessKeyId"], "SecretAccessKey": "x" * 40}
    code, status, message, headers = error_of(lambda: srv.client(key=wrong).delete_function(FunctionName="hello"))
    assert (code, status) == ("InvalidSignatureException", 403)
    assert message.startswith("The request signature we calculated does not match the signature you provided.")
    assert headers["x-amzn-requestid"]
    unknown = {"AccessKeyId": "LKIAUNKNOWNUNKNOWN00", "SecretAccessKey": "x" * 40}
    code, status, message, _ = error_of(lambda: srv.client(key=unknown).delete_function(FunctionName="hello"))
    assert (code, status, message) == ("UnrecognizedClientException", 403, "The security token included in the request is invalid.")
    skewed = datetime.now(timezone.utc) - timedelta(seconds=301)

    def skewed_now(remove_tzinfo=True):
        return skewed.replace(tzinfo=None) if remove_tzinfo else skewed

    # botocore signs with its own signer or, when awscrt is installed (aws-sam-cli brings it),
    # with the CRT's; each reads the clock through its module's get_current_datetime.
    with contextlib.ExitStack() as stack:
        signers = ["botocore.auth"] + (["botocore.crt.auth"] if importlib.util.find_spec("awscrt") else [])
        for signer in signers:
            stack.enter_context(mock.patch(f"{signer}.get_current_datetime", skewed_now))
        code, status, message, _ = error_of(lambda: srv.client().delete_function(FunctionName="hello"))
    assert (code, status) == ("InvalidSignatureException", 403)
    stamp = skewed.strftime("%Y%m%dT%H%M%SZ")
    assert timeout_of(srv) == 7, "the skewed delete must not have run"
    assert message.startswith(f"Signature expired: {stamp} is now earlier than "), message
    assert message.endswith(" - 5 min.)"), message
    # The CLI reports the same exception names.
    out = srv.aws("delete-function", "--function-name", "hello", check=False, key=unknown)
    assert out.returncode != 0 and "UnrecognizedClientException" in out.stderr
    assert timeout_of(srv) == 7


def test_a_tampered_body_or_path_is_refused_and_changes_nothing(srv):
    url = srv.url + "/2015-03-31/functions/hello/configuration"
    body = json.dumps({"Timeout": 9}).encode()
    headers = sign(srv.key, "PUT", url, body, {"Content-Type": "application/json"})
    status, head, _ = raw_call(srv, "PUT", "/2015-03-31/functions/hello/configuration",
                               body=json.dumps({"Timeout": 99}).encode(), headers=headers, signed=False)
    assert (status, head["x-amzn-errortype"]) == (403, "InvalidSignatureException")
    srv.client().create_function(FunctionName="other", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                                 Code={"ZipFile": PY_HELLO})
    headers = sign(srv.key, "DELETE", srv.url + "/2015-03-31/functions/hello")
    status, head, _ = raw_call(srv, "DELETE", "/2015-03-31/functions/other", headers=headers, signed=False)
    assert (status, head["x-amzn-errortype"]) == (403, "InvalidSignatureException")
    assert srv.client().get_function(FunctionName="other")
    assert timeout_of(srv) == 7
    # The untampered request itself goes through.
    status, _, _ = raw_call(srv, "PUT", "/2015-03-31/functions/hello/configuration", body=body,
                            headers=sign(srv.key, "PUT", url, body, {"Content-Type": "application/json"}), signed=False)
    assert status == 200
    srv.client().update_function_configuration(FunctionName="hello", Timeout=7)


def test_keys_created_and_disabled_while_the_server_runs_take_effect_at_once(srv):
    fresh = create_key(srv.data_dir, A)
    assert srv.client(key=fresh).get_function(FunctionName="hello")
    subprocess.run([LAMINA_BIN, "auth", "disable-key", fresh["AccessKeyId"], "--data-dir", str(srv.data_dir)], check=True)
    code, status, message, _ = error_of(lambda: srv.client(key=fresh).delete_function(FunctionName="hello"))
    assert (code, status, message) == ("UnrecognizedClientException", 403, "The security token included in the request is invalid.")
    listed = json.loads(subprocess.run([LAMINA_BIN, "auth", "list-keys", "--data-dir", str(srv.data_dir)],
                                       capture_output=True, text=True, check=True).stdout)["AccessKeys"]
    assert {"AccessKeyId": fresh["AccessKeyId"], "Status": "Inactive"}.items() <= \
        next(k for k in listed if k["AccessKeyId"] == fresh["AccessKeyId"]).items()
    assert all("Secret" not in json.dumps(k) for k in listed)
    subprocess.run([LAMINA_BIN, "auth", "delete-key", fresh["AccessKeyId"], "--data-dir", str(srv.data_dir)], check=True)
    code, _, _, _ = error_of(lambda: srv.client(key=fresh).get_function(FunctionName="hello"))
    assert code == "UnrecognizedClientException"
    assert timeout_of(srv) == 7
    secrets_on_disk = (srv.data_dir / "auth/keys.json").read_text()
    assert srv.key["SecretAccessKey"] not in secrets_on_disk
    assert (srv.data_dir / "auth/server.key").stat().st_mode & 0o777 == 0o600


def test_a_read_only_key_reads_but_changes_nothing(srv):
    ro = srv.client(key=srv.keys["ro"])
    assert ro.get_function(FunctionName="hello")
    code, status, message, _ = error_of(lambda: ro.update_function_configuration(FunctionName="hello", Timeout=30))
    assert (code, status) == ("AccessDeniedException", 403)
    assert message == (f"User: arn:aws:iam::{A}:user/{srv.keys['ro']['AccessKeyId']} is not authorized to perform: "
                       f"lambda:UpdateFunctionConfiguration on resource: arn:aws:lambda:us-east-1:{A}:function:hello "
                       "because no identity-based policy allows the lambda:UpdateFunctionConfiguration action")
    assert timeout_of(srv) == 7


def test_another_account_sees_nothing_until_a_resource_policy_lets_it_invoke(srv):
    b = srv.client(key=srv.keys["b"])
    arn = srv.client().get_function(FunctionName="hello")["Configuration"]["FunctionArn"]
    assert b.list_functions()["Functions"] == []
    for call in [lambda: b.get_function(FunctionName=arn),
                 lambda: b.get_function(FunctionName="hello"),
                 lambda: b.update_function_configuration(FunctionName=arn, Timeout=30),
                 lambda: b.delete_function(FunctionName=arn),
                 lambda: b.get_policy(FunctionName=arn),
                 lambda: b.get_function(FunctionName=arn.replace("hello", "no-such-function"))]:
        code, status, message, _ = error_of(call)
        assert (code, status) == ("ResourceNotFoundException", 404), message
        assert message.startswith("Function not found: arn:aws:lambda:us-east-1:"), message
    code, status, message, _ = error_of(lambda: b.invoke(FunctionName=arn, Payload=b"{}"))
    assert (code, status) == ("AccessDeniedException", 403)
    assert message == (f"User: arn:aws:iam::{B}:user/{srv.keys['b']['AccessKeyId']} is not authorized to perform: "
                       f"lambda:InvokeFunction on resource: {arn} because no resource-based policy allows the "
                       "lambda:InvokeFunction action")
    # A missing function is refused the same way (no name leaks).
    code, _, _, _ = error_of(lambda: b.invoke(FunctionName=arn.replace("hello", "no-such-function"), Payload=b"{}"))
    assert code == "AccessDeniedException"
    code, _, _, _ = error_of(lambda: b.create_function(FunctionName="mine", Runtime="python3.11", Role=ROLE,
                                                       Handler="app.handler", Code={"ZipFile": PY_HELLO}))
    assert code == "AccessDeniedException"
    srv.client().add_permission(FunctionName="hello", StatementId="b-invokes", Action="lambda:InvokeFunction",
                                Principal=B)
    try:
        # Now B may invoke…
        resp = b.invoke(FunctionName=arn, Payload=b'{"x": 1}')
        assert resp["StatusCode"] == 200
        assert json.loads(resp["Payload"].read()) == {"hello": {"x": 1}}
        # …and only invoke.
        for call in [lambda: b.get_function(FunctionName=arn),
                     lambda: b.delete_function(FunctionName=arn),
                     lambda: b.remove_permission(FunctionName=arn, StatementId="b-invokes")]:
            code, status, _, _ = error_of(call)
            assert (code, status) == ("ResourceNotFoundException", 404)
    finally:
        srv.client().remove_permission(FunctionName="hello", StatementId="b-invokes")
    assert timeout_of(srv) == 7
    assert "b-invokes" not in json.dumps(srv.client().get_function(FunctionName="hello"))


def test_mutations_are_audited_with_account_key_operation_resource_and_source(srv):
    srv.client().tag_resource(Resource=srv.client().get_function(FunctionName="hello")["Configuration"]["FunctionArn"],
                              Tags={"audited": "yes"})
    deadline = time.time() + 5
    lines = []
    while time.time() < deadline:
        text = re.sub(r"\x1b\[[0-9;]*m", "", srv.log_path.read_text(errors="replace"))
        lines = [l for l in text.splitlines()
                 if "lamina::audit" in l and "TagResource" in l]
        if lines:
            break
        time.sleep(0.1)
    assert lines, "no audit line for TagResource"
    line = lines[-1]
    for part in [f"account={A}", f"key={srv.key['AccessKeyId']}", "operation=TagResource", "source=127.0.0.1:", "status=204"]:
        assert part in line, line


def start_raw(args):
    """`lamina server ARGS…` until its listening line; returns (process, stdout lines so far)."""
    proc = subprocess.Popen([LAMINA_BIN, "server", "--no-engine", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    deadline = time.time() + 30
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if "lamina listening" in line:
            return proc, lines
    proc.kill()
    raise AssertionError(f"no listening line: {lines} {proc.stderr.read()}")


def test_a_non_loopback_address_requires_signatures_over_tls_with_a_generated_certificate(tmp_path):
    import http.client
    import ssl
    import hashlib

    from conftest import free_port

    data = tmp_path / "data"
    key = create_key(data, A)
    port = free_port()
    proc, lines = start_raw(["--listen", f"0.0.0.0:{port}", "--data-dir", str(data)])
    try:
        assert lines[-1] == f"lamina listening on https://0.0.0.0:{port}"
        cert = data / "tls/cert.pem"
        printed = next(l for l in lines if "fingerprint" in l).split()[-1]
        der = ssl.PEM_cert_to_DER_cert(cert.read_text())
        assert printed == ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
        assert (data / "tls/key.pem").stat().st_mode & 0o777 == 0o600
        import boto3
        from botocore.config import Config
        lam = boto3.client("lambda", endpoint_url=f"https://127.0.0.1:{port}", region_name="us-east-1", verify=str(cert),
                           aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                           config=Config(retries={"max_attempts": 1}))
        assert lam.list_functions()["Functions"] == []
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ssl.create_default_context(cafile=str(cert)), timeout=10)
        conn.request("GET", "/2015-03-31/functions/")
        resp = conn.getresponse()
        assert (resp.status, resp.getheader("x-amzn-errortype")) == (403, "MissingAuthenticationTokenException")
        conn.close()
        # Console sessions are Secure cookies under TLS.
        from urllib.parse import urlencode
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ssl.create_default_context(cafile=str(cert)), timeout=10)
        conn.request("POST", "/console/sign-in", urlencode({"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}),
                     {"Content-Type": "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        cookies = resp.msg.get_all("set-cookie") or []
        assert resp.status == 303 and cookies and all("; Secure" in c for c in cookies), cookies
        conn.close()
        # Plain HTTP gets no API.
        plain = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with pytest.raises((http.client.HTTPException, OSError)):
            plain.request("GET", "/2015-03-31/functions/")
            plain.getresponse()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    # The operator's own certificate, on loopback.
    port = free_port()
    proc, lines = start_raw(["--listen", f"127.0.0.1:{port}", "--data-dir", str(tmp_path / "other"),
                             "--tls-cert", str(data / "tls/cert.pem"), "--tls-key", str(data / "tls/key.pem")])
    try:
        assert lines[-1] == f"lamina listening on https://127.0.0.1:{port}"
        assert printed in "\n".join(lines)
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_auth_off_on_a_non_loopback_address_is_refused_without_the_insecure_flag(tmp_path):
    from conftest import free_port

    out = subprocess.run([LAMINA_BIN, "server", "--no-engine", "--listen", f"0.0.0.0:{free_port()}", "--auth", "off",
                          "--data-dir", str(tmp_path / "data")], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "--insecure-allow-unauthenticated-remote" in out.stderr


def console_call(srv, method, path, body=None, headers=None, scheme_conn=None):
    import http.client

    conn = scheme_conn or http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    out = resp.status, resp.getheader("location"), resp.msg.get_all("set-cookie") or [], data.decode(errors="replace")
    conn.close()
    return out


def test_the_console_needs_a_sign_in_and_refuses_cross_site_changes(srv):
    from urllib.parse import urlencode

    status, location, _, _ = console_call(srv, "GET", "/console/functions")
    assert (status, location) == (303, "/console/sign-in")
    status, _, _, page = console_call(srv, "GET", "/console/sign-in")
    assert status == 200 and 'name="SecretAccessKey"' in page
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    bad = urlencode({"AccessKeyId": srv.key["AccessKeyId"], "SecretAccessKey": "wrong"})
    status, _, cookies, page = console_call(srv, "POST", "/console/sign-in", bad, form)
    assert status == 403 and not cookies and "The security token included in the request is invalid." in page
    good = urlencode({"AccessKeyId": srv.key["AccessKeyId"], "SecretAccessKey": srv.key["SecretAccessKey"]})
    status, _, _, _ = console_call(srv, "POST", "/console/sign-in", good, {**form, "Origin": "http://evil.example"})
    assert status == 403
    status, location, cookies, _ = console_call(srv, "POST", "/console/sign-in", good, form)
    assert (status, location) == (303, "/console/functions")
    session = next(c for c in cookies if c.startswith("lamina_session="))
    csrf_cookie = next(c for c in cookies if c.startswith("lamina_csrf="))
    assert "HttpOnly" in session and "SameSite=Strict" in session and "Secure" not in session
    token = session.split(";")[0]
    csrf = csrf_cookie.split(";")[0].split("=", 1)[1]
    jar = {"Cookie": f"{token}; lamina_csrf={csrf}"}
    status, _, _, page = console_call(srv, "GET", "/console/functions", headers=jar)
    assert status == 200 and "hello" in page
    # The script's API calls ride on the session too.
    status, _, _, body = console_call(srv, "GET", "/2015-03-31/functions/", headers=jar)
    assert status == 200 and "hello" in body
    change = json.dumps({"MemorySize": "128", "Timeout": "8", "Description": "", "Environment": "", "Layers": ""})
    # A cross-site post carries the cookie at most, never the CSRF header.
    for headers in [{**jar, "Content-Type": "application/json"},
                    {**jar, "Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example"}]:
        status, _, _, body = console_call(srv, "POST", "/console/api/functions/hello/configuration", change, headers)
        assert status == 403, body
    status, _, _, _ = console_call(srv, "PUT", "/2015-03-31/functions/hello/configuration", json.dumps({"Timeout": 8}),
                                   {**jar, "Content-Type": "application/json"})
    assert status == 403
    assert timeout_of(srv) == 7
    status, _, _, body = console_call(srv, "POST", "/console/api/functions/hello/configuration", change,
                                      {**jar, "Content-Type": "application/json", "x-lamina-csrf": csrf})
    assert status == 200, body
    assert timeout_of(srv) == 8
    srv.client().update_function_configuration(FunctionName="hello", Timeout=7)
    # A disabled key ends its sessions.
    ro = srv.keys["ro"]
    status, _, cookies, _ = console_call(srv, "POST", "/console/sign-in",
                                         urlencode({"AccessKeyId": ro["AccessKeyId"], "SecretAccessKey": ro["SecretAccessKey"]}), form)
    ro_jar = {"Cookie": "; ".join(c.split(";")[0] for c in cookies)}
    ro_csrf = next(c for c in cookies if c.startswith("lamina_csrf=")).split(";")[0].split("=", 1)[1]
    status, _, _, _ = console_call(srv, "POST", "/console/api/functions/hello/configuration", change,
                                   {**ro_jar, "Content-Type": "application/json", "x-lamina-csrf": ro_csrf})
    assert status == 403
    subprocess.run([LAMINA_BIN, "auth", "disable-key", ro["AccessKeyId"], "--data-dir", str(srv.data_dir)], check=True)
    status, location, _, _ = console_call(srv, "GET", "/console/functions", headers=ro_jar)
    assert (status, location) == (303, "/console/sign-in")
    subprocess.run([LAMINA_BIN, "auth", "enable-key", ro["AccessKeyId"], "--data-dir", str(srv.data_dir)], check=True)


def test_presigned_urls_and_lamina_s_own_client_sign_too(srv):
    import os
    import urllib.error
    import urllib.request

    url = srv.client().generate_presigned_url("get_function", Params={"FunctionName": "hello"}, ExpiresIn=60)
    with urllib.request.urlopen(url, timeout=30) as r:
        assert json.loads(r.read())["Configuration"]["FunctionName"] == "hello"
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url.replace("functions/hello", "functions/other"), timeout=30)
    assert (e.value.code, e.value.headers["x-amzn-errortype"]) == (403, "InvalidSignatureException")
    # `lamina logs` signs with the key in the environment, and is refused without one.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    cmd = [LAMINA_BIN, "logs", "hello", "--endpoint-url", srv.url]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode != 0 and "MissingAuthenticationTokenException" in out.stderr
    env.update(AWS_ACCESS_KEY_ID=srv.key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=srv.key["SecretAccessKey"])
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode == 0, out.stderr
