"""Makes `vectors.json`: Lambda requests exactly as botocore builds and signs them (boto3's
own serializers and signer, captured just before they would be sent), for the differential
test in `../botocore_vectors.rs`. Run with the test venv:
    .venv/bin/python crates/lamina-auth/tests/botocore/make_vectors.py
"""

import base64
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import botocore
from botocore.config import Config

ENDPOINT = "http://127.0.0.1:9001"
ARN = "arn:aws:lambda:us-east-1:000000000000:function:"


class Captured(Exception):
    pass


def capture(vectors, secret, token):
    def handler(request, **_):
        url = urlsplit(request.url)
        headers = [[k, v.decode() if isinstance(v, bytes) else v] for k, v in request.headers.items()]
        # urllib3 adds Host from the URL when it sends the request.
        headers.append(["Host", url.netloc])
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        vectors.append({
            "method": request.method,
            "path": url.path,
            "query": url.query,
            "headers": headers,
            "body": base64.b64encode(body).decode(),
            "secret": secret,
            "session_token": token,
        })
        raise Captured()
    return handler


def client(vectors, secret, token=None):
    c = boto3.client(
        "lambda", endpoint_url=ENDPOINT, region_name="us-east-1",
        aws_access_key_id="LKIABOTOCOREVECTOR1", aws_secret_access_key=secret, aws_session_token=token,
        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
    )
    c.meta.events.register("before-send.lambda", capture(vectors, secret, token))
    return c


def calls():
    zip_bytes = b"PK\x05\x06" + b"\x00" * 18
    yield "list_functions", {}
    yield "list_functions", {"MaxItems": 5, "Marker": "a/b c+d"}
    yield "list_functions", {"FunctionVersion": "ALL"}
    for name in ["f", "my-fn:prod", ARN + "f", ARN + "f:live", "000000000000:function:f", "f_-1"]:
        yield "get_function", {"FunctionName": name}
        yield "get_function_configuration", {"FunctionName": name, "Qualifier": "$LATEST"}
    yield "invoke", {"FunctionName": "f", "Payload": b'{"hello": "world"}'}
    yield "invoke", {"FunctionName": ARN + "f:3", "Payload": "{\"\u00e9\": \"\u2603\"}".encode()}
    yield "invoke", {"FunctionName": "f", "InvocationType": "Event", "LogType": "Tail", "Payload": b"[]"}
    yield "invoke", {"FunctionName": "f", "ClientContext": base64.b64encode(b"{}").decode(), "Payload": b""}
    yield "create_function", {"FunctionName": "f", "Runtime": "python3.12", "Role": "arn:aws:iam::000000000000:role/r",
                              "Handler": "app.handler", "Code": {"ZipFile": zip_bytes}, "Environment": {"Variables": {"K": "v w"}}}
    yield "update_function_code", {"FunctionName": "f", "ZipFile": zip_bytes, "Publish": True}
    yield "update_function_configuration", {"FunctionName": "f", "Timeout": 9, "Description": "d \u00fc"}
    yield "delete_function", {"FunctionName": "f", "Qualifier": "2"}
    yield "publish_version", {"FunctionName": "f", "Description": "x"}
    yield "list_versions_by_function", {"FunctionName": "f", "MaxItems": 1}
    yield "create_alias", {"FunctionName": "f", "Name": "live", "FunctionVersion": "1",
                           "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.5}}}
    yield "get_alias", {"FunctionName": "f", "Name": "live"}
    yield "delete_alias", {"FunctionName": "f", "Name": "live"}
    yield "add_permission", {"FunctionName": "f", "StatementId": "s1", "Action": "lambda:InvokeFunction",
                             "Principal": "222222222222", "Qualifier": "live"}
    yield "remove_permission", {"FunctionName": "f", "StatementId": "s1", "RevisionId": "abc"}
    yield "get_policy", {"FunctionName": ARN + "f"}
    yield "tag_resource", {"Resource": ARN + "f", "Tags": {"a": "b", "c d": "e/f"}}
    yield "untag_resource", {"Resource": ARN + "f", "TagKeys": ["a", "c d"]}
    yield "list_tags", {"Resource": ARN + "f"}
    yield "put_function_concurrency", {"FunctionName": "f", "ReservedConcurrentExecutions": 3}
    yield "get_account_settings", {}
    yield "list_layers", {"CompatibleRuntime": "python3.12"}
    yield "publish_layer_version", {"LayerName": "l", "Content": {"ZipFile": zip_bytes}}


def main():
    vectors = []
    secrets = ["wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "s+/=&?%x"]
    for secret in secrets:
        for token in [None, "FQoGZXIvYXdzEJr//////////token+/="]:
            c = client(vectors, secret, token)
            for op, params in calls():
                try:
                    getattr(c, op)(**params)
                except Captured:
                    pass
    # Presigned query-string URLs (SigV4QueryAuth).
    c = boto3.client("lambda", endpoint_url=ENDPOINT, region_name="us-east-1",
                     aws_access_key_id="LKIABOTOCOREVECTOR1", aws_secret_access_key=secrets[0])
    for op, params in [("get_function", {"FunctionName": "my-fn:prod"}), ("list_functions", {"MaxItems": 2}),
                       ("get_function_configuration", {"FunctionName": ARN + "f", "Qualifier": "$LATEST"})]:
        url = urlsplit(c.generate_presigned_url(op, Params=params, ExpiresIn=600))
        vectors.append({"method": "GET", "path": url.path, "query": url.query, "headers": [["Host", url.netloc]],
                        "body": "", "secret": secrets[0], "session_token": None})
    out = Path(__file__).with_name("vectors.json")
    out.write_text(json.dumps({"botocore": botocore.__version__, "vectors": vectors}, indent=1) + "\n")
    print(f"{len(vectors)} vectors from botocore {botocore.__version__} -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
