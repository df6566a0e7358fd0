"""The smallest proof that the real binary serves Lambda's API to boto3."""

from conftest import PY_HELLO, ROLE


def test_create_and_get_function_with_boto3(lam):
    created = lam.create_function(FunctionName="smoke", Runtime="python3.11", Role=ROLE, Handler="app.handler", Code={"ZipFile": PY_HELLO})
    assert created["FunctionName"] == "smoke"
    assert created["Version"] == "$LATEST"
    got = lam.get_function_configuration(FunctionName="smoke")
    assert got["CodeSha256"] == created["CodeSha256"]
