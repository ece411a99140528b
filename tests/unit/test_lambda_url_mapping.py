"""Function URL mapping without a server: answers to HTTP responses, streams' preludes split
across chunks, and the 2.0 event of a request."""

from __future__ import annotations

import asyncio
import base64

import pytest

from cloudlet.gateway.http import Request
from cloudlet.services.lambda_.url_auth import Caller
from cloudlet.services.lambda_.url_events import query_parameters, url_event
from cloudlet.services.lambda_.url_responses import (
    NotAResponse,
    StreamHead,
    buffered_response,
    read_prelude,
    split_prelude,
)


def test_a_response_object_maps_status_headers_cookies_and_body():
    status, headers, body = buffered_response(
        b'{"statusCode": 418, "headers": {"X-Flag": true, "Content-Length": "999", "N": 3},'
        b' "cookies": ["a=1", "b=2"], "body": "tea"}'
    )
    assert (status, body) == (418, b"tea")
    assert headers == [
        ("X-Flag", "true"),
        ("N", "3"),
        ("content-type", "application/json"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
    ]


def test_a_base64_body_is_decoded_and_a_missing_one_is_empty():
    encoded = base64.b64encode(b"\x00\xff").decode()
    answer = f'{{"statusCode": 200, "body": "{encoded}", "isBase64Encoded": true}}'
    assert buffered_response(answer.encode())[2] == b"\x00\xff"
    assert buffered_response(b'{"statusCode": 204}')[2] == b""


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"statusCode": "teapot"}',
        b'{"statusCode": 99}',
        b'{"statusCode": true}',
        b'{"statusCode": 200, "headers": ["x"]}',
        b'{"statusCode": 200, "body": "%%%", "isBase64Encoded": true}',
    ],
)
def test_answers_that_are_no_http_response_are_refused(payload):
    with pytest.raises(NotAResponse):
        buffered_response(payload)


@pytest.mark.parametrize(
    ("payload", "body"),
    [(b'"hello"', b"hello"), (b"[1, 2,  3]", b"[1,2,3]"), (b"null", b"null"), (b"3.5", b"3.5")],
)
def test_other_json_is_a_200_json_body(payload, body):
    assert buffered_response(payload) == (200, [("content-type", "application/json")], body)


def test_a_prelude_is_split_from_the_body():
    prelude, body = split_prelude(b'{"statusCode": 201}\0\0\0\0\0\0\0\0{"not": "prelude"}')
    assert prelude == {"statusCode": 201}
    assert body == b'{"not": "prelude"}'


@pytest.mark.parametrize(
    "data",
    [b'{"a": 1}\n{"a": 2}\n', b"plain text", b"[1]\0\0\0\0\0\0\0\0", b"{not json}" + b"\0" * 8],
)
def test_streams_without_a_prelude_are_all_body(data):
    assert split_prelude(data) == (None, data)


def read(chunks: list[bytes]) -> StreamHead:
    feed = iter([*chunks, None])

    async def next_chunk() -> bytes | None:
        return next(feed)

    return asyncio.run(read_prelude(next_chunk))


def test_a_prelude_split_across_chunks_is_found():
    head = read([b'{"statusCode":', b" 200}", b"\0\0\0", b"\0\0\0\0\0first", b"second"])
    assert head.prelude == {"statusCode": 200}
    assert (head.body, head.ended) == (b"first", False)
    assert head.raw == b'{"statusCode": 200}' + b"\0" * 8 + b"first"


def test_a_json_chunk_followed_by_more_is_not_waited_on():
    head = read([b'{"token": 1}', b"\n", b"never read"])
    assert (head.prelude, head.raw, head.ended) == (None, b'{"token": 1}\n', False)


def test_a_stream_that_ends_inside_a_json_object_is_body():
    head = read([b'{"token": 1}'])
    assert (head.prelude, head.body, head.ended) == (None, b'{"token": 1}', True)


def request(body: bytes = b"", **headers: str) -> Request:
    return Request(
        "POST",
        "/a%20b/c",
        "x=1&x=2&flag",
        {"host": "abc.lambda-url.us-east-1.localhost:4566", **headers},
        body,
        "127.0.0.1",
    )


def test_query_parameters_join_repeated_names_with_commas():
    assert query_parameters("x=1&x=2&y=%20&flag") == {"x": "1,2", "y": " ", "flag": ""}


def test_the_event_keeps_the_raw_path_and_names_the_url():
    event = url_event(request(), "abc", "req-1", "Root=1-a-b", 4566)
    assert (event["rawPath"], event["requestContext"]["http"]["path"]) == ("/a%20b/c", "/a%20b/c")
    assert event["requestContext"]["domainName"] == "abc.lambda-url.us-east-1.localhost"
    assert event["headers"]["x-forwarded-port"] == "4566"
    assert event["queryStringParameters"] == {"x": "1,2", "flag": ""}


def test_text_that_is_not_utf8_is_base64():
    event = url_event(request(b"\xff\xfe", **{"content-type": "text/plain"}), "abc", "r", "t", 1)
    assert (event["body"], event["isBase64Encoded"]) == ("//4=", True)


def test_a_signed_caller_is_the_events_account_and_authorizer():
    caller = Caller("123456789012", "AKIDEXAMPLE", "arn:aws:iam::123456789012:root", "123456789012")
    event = url_event(request(), "abc", "r", "t", 1, caller)
    assert event["requestContext"]["accountId"] == "123456789012"
    assert event["requestContext"]["authorizer"]["iam"]["accessKey"] == "AKIDEXAMPLE"
