"""Function URLs answering real HTTP (http.client and curl): the 2.0 event, the response
mapping, CORS, AWS_IAM, and the errors AWS's function URLs answer."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess

import boto3
import pytest
from lambda_support import create_function, unique
from url_support import call, create_url, signed_headers

from server import Server

CODE = r"""
import base64, json, time

def echo(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"event": event, "request": context.aws_request_id})}

def shaped(event, context):
    return {
        "statusCode": 201,
        "headers": {"X-Custom": "yes", "Access-Control-Allow-Origin": "https://evil.example"},
        "cookies": ["session=abc; Path=/", "theme=dark"],
        "body": "created",
    }

def binary(event, context):
    return {"statusCode": 200, "headers": {"content-type": "image/png"},
            "body": base64.b64encode(bytes(range(256))).decode(), "isBase64Encoded": True}

def bare_string(event, context):
    return "hello"

def bare_dict(event, context):
    return {"hello": "world", "n": [1, 2]}

def not_a_response(event, context):
    return {"statusCode": "teapot", "body": "?"}

def boom(event, context):
    raise ValueError("it broke")

def sleepy(event, context):
    time.sleep(3)
    return "late"

def version(event, context):
    return context.function_version
"""


@pytest.fixture(scope="module")
def urls(lam):
    """A function per handler, each with a URL (AuthType NONE, buffered)."""
    found = {}
    for handler in (
        "echo",
        "shaped",
        "binary",
        "bare_string",
        "bare_dict",
        "not_a_response",
        "boom",
        "sleepy",
    ):
        name = unique(handler.replace("_", "-"))
        create_function(lam, name, CODE, handler=f"app.{handler}", Timeout=1)
        found[handler] = create_url(lam, name)
    return found


def event_of(answer) -> dict:
    assert answer.status == 200, answer.body
    return json.loads(answer.body)["event"]


def test_the_event_is_payload_format_2_0_as_function_urls_send_it(urls):
    answer = call(
        urls["echo"],
        "/orders/42?tag=a&tag=b&empty=",
        method="POST",
        body=b'{"item": "book"}',
        headers={"Content-Type": "application/json", "Cookie": "a=1; b=2", "User-Agent": "t/1"},
    )
    event = event_of(answer)
    url_id = urls["echo"].split("//")[1].split(".")[0]
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/orders/42"
    assert event["rawQueryString"] == "tag=a&tag=b&empty="
    assert event["queryStringParameters"] == {"tag": "a,b", "empty": ""}
    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["content-type"] == "application/json"
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert event["headers"]["x-amzn-trace-id"].startswith("Root=1-")
    assert (event["body"], event["isBase64Encoded"]) == ('{"item": "book"}', False)
    context = event["requestContext"]
    assert context["accountId"] == "anonymous" and "authorizer" not in context
    assert context["apiId"] == context["domainPrefix"] == url_id
    assert context["domainName"] == f"{url_id}.lambda-url.us-east-1.localhost"
    assert context["http"] == {
        "method": "POST",
        "path": "/orders/42",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "t/1",
    }
    assert (context["routeKey"], context["stage"]) == ("$default", "$default")
    assert context["requestId"] == json.loads(answer.body)["request"]
    assert answer.headers["x-amzn-RequestId"] == context["requestId"]
    assert isinstance(context["timeEpoch"], int) and context["time"].endswith(" +0000")


def test_a_get_without_query_or_body_has_neither_in_its_event(urls):
    event = event_of(call(urls["echo"]))
    assert event["rawPath"] == "/" and event["rawQueryString"] == ""
    assert "queryStringParameters" not in event and "body" not in event
    assert "cookies" not in event and event["isBase64Encoded"] is False


@pytest.mark.parametrize(
    ("content_type", "encoded"),
    [
        ("text/plain; charset=utf-8", False),
        ("application/xml", False),
        ("application/octet-stream", True),
        ("application/x-www-form-urlencoded", True),
        (None, True),
    ],
)
def test_bodies_other_than_text_arrive_base64_encoded(urls, content_type, encoded):
    body = b"a=1&b=\xc3\xa9"
    headers = {"Content-Type": content_type} if content_type else {}
    event = event_of(call(urls["echo"], method="PUT", body=body, headers=headers))
    assert event["isBase64Encoded"] is encoded
    sent = base64.b64decode(event["body"]) if encoded else event["body"].encode()
    assert sent == body


def test_status_headers_and_cookies_come_from_the_response_object(urls):
    answer = call(urls["shaped"])
    assert (answer.status, answer.body) == (201, b"created")
    assert answer.headers["X-Custom"] == "yes"
    assert answer.headers["Content-Type"] == "application/json"  # the default
    assert answer.headers.get_all("Set-Cookie") == ["session=abc; Path=/", "theme=dark"]


def test_a_base64_encoded_body_is_sent_as_binary(urls):
    answer = call(urls["binary"])
    assert answer.body == bytes(range(256))
    assert answer.headers["Content-Type"] == "image/png"


def test_a_bare_string_is_the_body_itself(urls):
    answer = call(urls["bare_string"])
    assert (answer.status, answer.body) == (200, b"hello")
    assert answer.headers["Content-Type"] == "application/json"


def test_other_json_is_the_body_as_compact_json(urls):
    answer = call(urls["bare_dict"])
    assert (answer.status, answer.body) == (200, b'{"hello":"world","n":[1,2]}')
    assert answer.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("handler", ["boom", "not_a_response", "sleepy"])
def test_a_function_error_timeout_or_malformed_response_is_502(urls, handler):
    answer = call(urls[handler])
    assert (answer.status, answer.body) == (502, b"Internal Server Error")


def test_an_unknown_url_is_forbidden(urls):
    unknown = urls["echo"].replace(urls["echo"].split("//")[1].split(".")[0], "x" * 32)
    answer = call(unknown)
    assert answer.status == 403
    assert answer.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert json.loads(answer.body) == {"Message": None}


def test_a_request_over_6_mb_is_413(urls):
    answer = call(urls["echo"], method="POST", body=b"x" * 6_300_000)
    assert answer.status == 413
    assert answer.headers["x-amzn-ErrorType"] == "RequestEntityTooLargeException"


def test_a_throttled_function_answers_429(lam):
    name = unique("throttled")
    create_function(lam, name, CODE, handler="app.bare_string")
    url = create_url(lam, name)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    answer = call(url)
    assert answer.status == 429
    assert answer.headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    assert json.loads(answer.body) == {"Message": "Rate Exceeded."}


def test_an_alias_url_runs_the_alias_version_and_403s_once_the_alias_is_gone(lam):
    name = unique("aliased")
    create_function(lam, name, CODE, handler="app.version")
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    url = create_url(lam, name, Qualifier="live")
    assert call(url).body == b"1"
    lam.delete_alias(FunctionName=name, Name="live")
    answer = call(url)
    assert answer.status == 403
    assert json.loads(answer.body)["Message"].startswith("Forbidden.")


CORS = {
    "AllowOrigins": ["https://app.example"],
    "AllowMethods": ["GET", "POST"],
    "AllowHeaders": ["x-custom"],
    "ExposeHeaders": ["x-custom"],
    "AllowCredentials": True,
    "MaxAge": 300,
}


@pytest.fixture(scope="module")
def cors_url(lam):
    name = unique("cors")
    create_function(lam, name, CODE, handler="app.shaped")
    return create_url(lam, name, Cors=CORS)


def test_a_cors_preflight_is_answered_without_running_the_function(cors_url):
    answer = call(
        cors_url,
        method="OPTIONS",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-custom",
        },
    )
    assert (answer.status, answer.body) == (200, b"")
    assert answer.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert answer.headers["Access-Control-Allow-Methods"] == "GET,POST"
    assert answer.headers["Access-Control-Allow-Headers"] == "x-custom"
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    assert answer.headers["Access-Control-Max-Age"] == "300"
    assert "X-Custom" not in answer.headers  # the function did not answer it


def test_a_preflight_from_another_origin_gets_no_cors_headers(cors_url):
    answer = call(
        cors_url,
        method="OPTIONS",
        headers={"Origin": "https://other.example", "Access-Control-Request-Method": "GET"},
    )
    assert answer.status == 200
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_the_configured_cors_headers_override_the_function_ones(cors_url):
    answer = call(cors_url, headers={"Origin": "https://app.example"})
    assert answer.status == 201
    assert answer.headers.get_all("Access-Control-Allow-Origin") == ["https://app.example"]
    assert answer.headers["Access-Control-Expose-Headers"] == "x-custom"


@pytest.fixture(scope="module")
def iam_url(lam):
    name = unique("iam")
    create_function(lam, name, CODE, handler="app.echo")
    return create_url(lam, name, AuthType="AWS_IAM")


def test_an_unsigned_request_to_an_aws_iam_url_is_forbidden(iam_url):
    answer = call(iam_url)
    assert answer.status == 403
    assert answer.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert json.loads(answer.body) == {
        "Message": "Forbidden. For troubleshooting Function URL authorization issues, see: "
        "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"
    }


def test_a_signed_request_runs_with_the_caller_in_the_event(iam_url):
    body = b'{"signed": true}'
    headers = signed_headers(iam_url, "/x?q=1", method="POST", body=body, key="AKIDCALLER")
    answer = call(iam_url, "/x?q=1", method="POST", body=body, headers=headers)
    event = event_of(answer)
    assert event["requestContext"]["accountId"] == "000000000000"
    iam = event["requestContext"]["authorizer"]["iam"]
    assert (iam["accessKey"], iam["accountId"]) == ("AKIDCALLER", "000000000000")
    assert iam["userArn"] == "arn:aws:iam::000000000000:root"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_reaches_a_url_by_its_localhost_name(urls):
    # curl resolves any *.localhost name to loopback itself.
    done = subprocess.run(["curl", "-sS", "-i", urls["shaped"]], capture_output=True, check=True)
    head, _, body = done.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 201")
    assert b"set-cookie: theme=dark" in head.lower()
    assert body == b"created"


@pytest.fixture(scope="module")
def strict_url(tmp_path_factory):
    """An AWS_IAM URL on a server in strict auth, which knows one key of account 111111111111."""
    env = {"CLOUDLET_AUTH": "strict", "CLOUDLET_CREDENTIALS": "AKIDURL:url-secret:111111111111"}
    instance = Server(tmp_path_factory.mktemp("strict-urls"), env=env).start()
    try:
        lam = boto3.client(
            "lambda",
            endpoint_url=instance.endpoint,
            region_name="us-east-1",
            aws_access_key_id="AKIDURL",
            aws_secret_access_key="url-secret",
        )
        name = unique("strict")
        create_function(lam, name, CODE, handler="app.echo")
        yield create_url(lam, name, AuthType="AWS_IAM")
    finally:
        instance.stop()


@pytest.mark.parametrize(
    ("secret", "service", "status"),
    [("url-secret", "lambda", 200), ("wrong-secret", "lambda", 403), ("url-secret", "s3", 403)],
)
def test_strict_auth_verifies_the_signature_of_an_aws_iam_url(strict_url, secret, service, status):
    headers = signed_headers(strict_url, key="AKIDURL", secret=secret, service=service)
    answer = call(strict_url, headers=headers)
    assert answer.status == status
    if status == 200:
        assert event_of(answer)["requestContext"]["accountId"] == "111111111111"
