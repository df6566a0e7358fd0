"""`lamina local start-api` with the parts of API Gateway most SAM APIs use: Lambda TOKEN and
REQUEST authorizers (REST), Lambda authorizers with simple and IAM policy responses and JWT
authorizers (HTTP API), cached decisions, CORS preflights and headers, stage names and stage
variables, and API Gateway's error bodies. Real binary, real sandboxes, real HTTP."""

import base64
import json

import pytest

from test_sam_start_api import SAM_FIXTURES, LocalServer, header_values


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    base = tmp_path_factory.mktemp("start-api-auth")
    s = LocalServer("start-api", SAM_FIXTURES / "local-auth", base / "cache", base / "start-api.log")
    yield s
    s.stop()


def get(api, path, headers=None):
    status, hdrs, body = api.request("GET", path, headers=headers)
    return status, hdrs, body


def event_of(body):
    return json.loads(body)


def jwt(claims):
    enc = lambda v: base64.urlsafe_b64encode(json.dumps(v).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{enc({'alg': 'RS256', 'typ': 'JWT'})}.{enc(claims)}.c2lnbmF0dXJl"


def test_token_authorizer_allows_and_passes_its_context(api):
    status, _, body = get(api, "/hello", {"Authorization": "allow"})
    assert status == 200, body
    ctx = event_of(body)["requestContext"]
    assert ctx["authorizer"]["principalId"] == "user-1"
    assert ctx["authorizer"]["kind"] == "TOKEN"
    assert ctx["stage"] == "dev"


def test_token_authorizer_deny_is_api_gateways_403(api):
    status, _, body = get(api, "/hello", {"Authorization": "deny"})
    assert status == 403
    assert json.loads(body) == {"Message": "User is not authorized to access this resource with an explicit deny"}


def test_missing_token_is_401(api):
    status, _, body = get(api, "/hello")
    assert status == 401 and json.loads(body) == {"message": "Unauthorized"}


def test_token_decisions_are_cached_for_the_ttl(api):
    first = event_of(get(api, "/hello", {"Authorization": "wildcard"})[2])["requestContext"]["authorizer"]
    second = event_of(get(api, "/hello", {"Authorization": "wildcard"})[2])["requestContext"]["authorizer"]
    # The authorizer ran once: the second request was decided from the cache.
    assert first["calls"] == second["calls"]
    assert first["principalId"] == "user-2"


def test_request_authorizer_reads_its_identity_source_and_is_not_cached_at_ttl_0(api):
    status, _, body = get(api, "/request")
    assert status == 401
    status, _, body = get(api, "/request?key=nope")
    assert status == 403
    status, _, body = get(api, "/request?key=open-sesame")
    assert status == 200, body
    first = event_of(body)["requestContext"]["authorizer"]
    assert first["principalId"] == "req-user" and first["stage"] == "dev"
    second = event_of(get(api, "/request?key=open-sesame")[2])["requestContext"]["authorizer"]
    assert second["calls"] > first["calls"]


def test_auth_none_route_skips_the_default_authorizer(api):
    status, _, body = get(api, "/open")
    assert status == 200, body
    assert "authorizer" not in event_of(body)["requestContext"] or not event_of(body)["requestContext"]["authorizer"]


def test_rest_stage_variables_and_stage_name(api):
    event = event_of(get(api, "/open")[2])
    assert event["stageVariables"] == {"color": "blue"}
    assert event["requestContext"]["stage"] == "dev"
    assert event["requestContext"]["path"] == "/dev/open"


def test_rest_cors_preflight_and_response_headers(api):
    status, headers, body = api.request("OPTIONS", "/hello", headers={"Origin": "https://x.example", "Access-Control-Request-Method": "GET"})
    assert status == 200 and body == b""
    assert header_values(headers, "access-control-allow-origin") == ["*"]
    assert header_values(headers, "access-control-allow-headers") == ["Content-Type,Authorization"]
    assert header_values(headers, "access-control-max-age") == ["600"]
    _, headers, _ = get(api, "/open", {"Origin": "https://x.example"})
    assert header_values(headers, "access-control-allow-origin") == ["*"]


def test_http_simple_authorizer_allow_deny_and_cache(api):
    status, _, body = get(api, "/v2/simple", {"x-token": "let-me-in"})
    assert status == 200, body
    event = event_of(body)
    first = event["requestContext"]["authorizer"]["lambda"]
    assert first["route"] == "GET /v2/simple"
    again = event_of(get(api, "/v2/simple", {"x-token": "let-me-in"})[2])["requestContext"]["authorizer"]["lambda"]
    assert again["calls"] == first["calls"]
    status, _, body = get(api, "/v2/simple", {"x-token": "wrong"})
    assert status == 403 and json.loads(body) == {"message": "Forbidden"}
    status, _, body = get(api, "/v2/simple")
    assert status == 401 and json.loads(body) == {"message": "Unauthorized"}


def test_http_policy_authorizer(api):
    status, _, body = get(api, "/v2/policy", {"x-token": "allow"})
    assert status == 200, body
    assert event_of(body)["requestContext"]["authorizer"]["lambda"]["kind"] == "REQUEST"
    status, _, body = get(api, "/v2/policy", {"x-token": "deny"})
    assert status == 403 and json.loads(body) == {"message": "Forbidden"}


def test_http_jwt_claims_reach_the_function(api):
    token = jwt({"iss": "https://issuer.example", "aud": "my-app", "sub": "u-42", "exp": 4102444800, "scope": "read"})
    status, _, body = get(api, "/v2/jwt", {"Authorization": f"Bearer {token}"})
    assert status == 200, body
    claims = event_of(body)["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["sub"] == "u-42" and claims["exp"] == "4102444800"
    wrong_audience = jwt({"iss": "https://issuer.example", "aud": "other", "sub": "u"})
    assert get(api, "/v2/jwt", {"Authorization": f"Bearer {wrong_audience}"})[0] == 401
    expired = jwt({"iss": "https://issuer.example", "aud": "my-app", "exp": 1})
    assert get(api, "/v2/jwt", {"Authorization": f"Bearer {expired}"})[0] == 401
    assert get(api, "/v2/jwt")[0] == 401


def test_http_stage_variables_and_cors(api):
    status, headers, body = get(api, "/v2/public", {"Origin": "https://app.example"})
    assert status == 200, body
    event = event_of(body)
    assert event["stageVariables"] == {"mode": "fast"}
    assert event["requestContext"]["stage"] == "v1"
    assert header_values(headers, "access-control-allow-origin") == ["https://app.example"]
    assert header_values(headers, "access-control-expose-headers") == ["x-instance"]
    status, headers, _ = api.request("OPTIONS", "/v2/public", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"})
    assert status == 200
    assert header_values(headers, "access-control-allow-methods") == ["GET,POST"]
    assert header_values(headers, "access-control-max-age") == ["600"]
    _, headers, _ = get(api, "/v2/public", {"Origin": "https://evil.example"})
    assert header_values(headers, "access-control-allow-origin") == []


def test_unknown_route_is_restS_403(api):
    # The template has a REST API, so an unknown route is API Gateway's 403.
    status, _, body = get(api, "/nowhere")
    assert status == 403 and json.loads(body) == {"message": "Missing Authentication Token"}


def test_http_api_only_unknown_route_is_404_and_function_error_is_502(tmp_path):
    import shutil

    shutil.copytree(SAM_FIXTURES / "local-auth" / "src", tmp_path / "src")
    (tmp_path / "src" / "boom.py").write_text("def handler(event, context):\n    raise RuntimeError('boom')\n")
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Globals:\n  Function:\n    Runtime: python3.11\n    CodeUri: src/\n"
        "Resources:\n"
        "  Echo:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.echo\n"
        "      Events:\n        E:\n          Type: HttpApi\n          Properties:\n            Path: /here\n            Method: get\n"
        "  Boom:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: boom.handler\n"
        "      Events:\n        E:\n          Type: HttpApi\n          Properties:\n            Path: /boom\n            Method: get\n"
    )
    s = LocalServer("start-api", tmp_path, tmp_path / "cache", tmp_path / "log")
    try:
        status, _, body = s.request("GET", "/nowhere")
        assert status == 404 and json.loads(body) == {"message": "Not Found"}
        assert s.request("GET", "/here")[0] == 200
        status, _, body = s.request("GET", "/boom")
        assert status == 502 and json.loads(body) == {"message": "Internal server error"}
    finally:
        s.stop()
