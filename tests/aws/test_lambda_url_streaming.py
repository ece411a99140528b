"""Response streaming: function URLs in RESPONSE_STREAM mode and InvokeWithResponseStream, with
Python generator handlers, Node.js's streamifyResponse and a custom runtime.

Each streaming handler writes its first chunk, then waits until the test creates a file
before it finishes: the test reads the first chunk and only then lets the handler go on, so
it proves the chunk reached the client while the handler was still running.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from lambda_support import create_function, make_zip, unique
from url_support import call, connect, create_url

PYTHON = r"""
import json, os, time

def wait_for(path):
    for _ in range(200):
        if os.path.exists(path):
            return
        time.sleep(0.05)
    raise TimeoutError("the test never let the handler go on")

def generator(event, context):
    go = json.loads(event["body"])["go"] if "body" in event else event["go"]
    yield "first chunk;"
    wait_for(go)
    yield b"second chunk"

def with_prelude(event, context):
    go = json.loads(event["body"])["go"]
    yield json.dumps({"statusCode": 202, "headers": {"content-type": "text/plain"},
                      "cookies": ["token=1"]}) + "\0" * 8
    yield "hello, "
    wait_for(go)
    yield "world"

def buffered(event, context):
    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "all at once"}

def breaks(event, context):
    yield "partial"
    raise RuntimeError("stream broke")
"""

NODE = r"""
const fs = require("fs");
const waitFor = async (path) => {
  for (let i = 0; i < 200 && !fs.existsSync(path); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
};
exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  const { go } = JSON.parse(event.body);
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201,
    headers: { "Content-Type": "text/event-stream", "X-Model": "tiny" },
  });
  stream.write("data: token-1\n\n");
  await waitFor(go);
  stream.write("data: token-2\n\n");
  stream.end();
});
"""


@pytest.fixture(scope="module")
def python_functions(lam):
    names = {}
    for handler in ("generator", "with_prelude", "buffered", "breaks"):
        name = unique(f"stream-{handler.replace('_', '-')}")
        create_function(lam, name, PYTHON, handler=f"app.{handler}", Timeout=15)
        names[handler] = name
    return names


def url_for(lam, handler: str, **settings) -> str:
    """A new function running `handler` of PYTHON, with a URL."""
    name = unique(f"url-{handler.replace('_', '-')}")
    create_function(lam, name, PYTHON, handler=f"app.{handler}", Timeout=15)
    return create_url(lam, name, **settings)


def open_stream(url: str, body: dict) -> tuple:
    """Send a POST to the URL; return the connection and the response, body unread."""
    connection, host = connect(url)
    connection.request(
        "POST",
        "/",
        body=json.dumps(body).encode(),
        headers={"Host": host, "Content-Type": "application/json"},
    )
    return connection, connection.getresponse()


def test_a_python_generator_streams_through_a_url_before_it_finishes(
    lam, python_functions, tmp_path
):
    url = url_for(lam, "generator", InvokeMode="RESPONSE_STREAM")
    go = tmp_path / "go"
    connection, response = open_stream(url, {"go": str(go)})
    try:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert response.headers["Transfer-Encoding"] == "chunked"
        assert response.read1(65536) == b"first chunk;"  # while the handler waits for `go`
        go.touch()
        assert response.read() == b"second chunk"
    finally:
        connection.close()


def test_a_prelude_sets_the_status_headers_and_cookies_of_a_stream(lam, python_functions, tmp_path):
    url = url_for(lam, "with_prelude", InvokeMode="RESPONSE_STREAM")
    go = tmp_path / "go"
    connection, response = open_stream(url, {"go": str(go)})
    try:
        assert response.status == 202
        assert response.headers["Content-Type"] == "text/plain"
        assert response.headers["Set-Cookie"] == "token=1"
        assert response.read1(65536) == b"hello, "
        go.touch()
        assert response.read() == b"world"
    finally:
        connection.close()


def test_a_buffered_url_gathers_a_stream_and_reads_its_prelude(lam, python_functions, tmp_path):
    url = url_for(lam, "with_prelude")
    go = tmp_path / "go"
    go.touch()
    body = json.dumps({"go": str(go)}).encode()
    answer = call(url, method="POST", body=body, headers={"Content-Type": "application/json"})
    assert (answer.status, answer.body) == (202, b"hello, world")
    assert answer.headers["Content-Type"] == "text/plain"


def test_a_streaming_url_maps_a_function_that_does_not_stream_as_buffered(lam, python_functions):
    url = url_for(lam, "buffered", InvokeMode="RESPONSE_STREAM")
    answer = call(url)
    assert (answer.status, answer.body) == (200, b"all at once")
    assert answer.headers["Content-Type"] == "text/plain"


def test_a_stream_that_fails_before_its_first_chunk_is_502_and_after_it_ends_short(
    lam, python_functions
):
    name = unique("stream-boom")
    create_function(lam, name, "def handler(e, c):\n    raise ValueError('x')\n    yield 1\n")
    assert call(create_url(lam, name, InvokeMode="RESPONSE_STREAM")).status == 502
    url = url_for(lam, "breaks", InvokeMode="RESPONSE_STREAM")
    answer = call(url)
    assert (answer.status, answer.body) == (200, b"partial")


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_node_stream_ify_response_streams_through_a_url_and_the_sdk(lam, tmp_path):
    name = unique("node-stream")
    create_function(
        lam,
        name,
        make_zip({"index.js": NODE}),
        handler="index.handler",
        runtime="nodejs20.x",
        Timeout=15,
    )
    url = create_url(lam, name, InvokeMode="RESPONSE_STREAM")
    go = tmp_path / "go"
    connection, response = open_stream(url, {"go": str(go)})
    try:
        assert response.status == 201
        assert response.headers["Content-Type"] == "text/event-stream"
        assert response.headers["X-Model"] == "tiny"
        assert response.read1(65536) == b"data: token-1\n\n"
        go.touch()
        assert response.read() == b"data: token-2\n\n"
    finally:
        connection.close()
    streamed = lam.invoke_with_response_stream(
        FunctionName=name, Payload=json.dumps({"body": json.dumps({"go": str(go)})}).encode()
    )
    content_type = streamed["ResponseStreamContentType"]
    assert content_type == "application/vnd.awslambda.http-integration-response"
    events = list(streamed["EventStream"])
    payload = b"".join(e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e)
    prelude, _, body = payload.partition(b"\0" * 8)
    assert json.loads(prelude)["statusCode"] == 201
    assert body == b"data: token-1\n\ndata: token-2\n\n"
    assert events[-1] == {"InvokeComplete": {}}


def test_invoke_with_response_stream_delivers_chunks_as_they_are_written(
    lam, python_functions, tmp_path
):
    go = tmp_path / "go"
    response = lam.invoke_with_response_stream(
        FunctionName=python_functions["generator"],
        Payload=json.dumps({"go": str(go)}).encode(),
        LogType="Tail",
    )
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert response["ResponseStreamContentType"] == "application/octet-stream"
    events = iter(response["EventStream"])
    assert next(events) == {"PayloadChunk": {"Payload": b"first chunk;"}}
    go.touch()
    rest = list(events)
    assert rest[0] == {"PayloadChunk": {"Payload": b"second chunk"}}
    complete = rest[-1]["InvokeComplete"]
    assert "ErrorCode" not in complete
    assert "END RequestId" in base64.b64decode(complete["LogResult"]).decode()


def test_invoke_with_response_stream_of_a_function_that_does_not_stream(lam, python_functions):
    response = lam.invoke_with_response_stream(FunctionName=python_functions["buffered"])
    assert response["ResponseStreamContentType"] == "application/json"
    events = list(response["EventStream"])
    assert len(events) == 2 and events[1] == {"InvokeComplete": {}}
    assert json.loads(events[0]["PayloadChunk"]["Payload"])["body"] == "all at once"


def test_invoke_with_response_stream_reports_an_error_in_invoke_complete(lam, python_functions):
    response = lam.invoke_with_response_stream(FunctionName=python_functions["breaks"])
    events = list(response["EventStream"])
    assert events[0] == {"PayloadChunk": {"Payload": b"partial"}}
    assert events[-1] == {
        "InvokeComplete": {"ErrorCode": "RuntimeError", "ErrorDetails": "stream broke"}
    }


def test_invoke_with_response_stream_names_the_http_integration_content_type(
    lam, python_functions, tmp_path
):
    go = tmp_path / "go"
    go.touch()
    response = lam.invoke_with_response_stream(
        FunctionName=python_functions["with_prelude"],
        Payload=json.dumps({"body": json.dumps({"go": str(go)})}).encode(),
    )
    content_type = response["ResponseStreamContentType"]
    assert content_type == "application/vnd.awslambda.http-integration-response"
    payload = b"".join(
        event["PayloadChunk"]["Payload"]
        for event in response["EventStream"]
        if "PayloadChunk" in event
    )
    prelude, _, body = payload.partition(b"\0" * 8)
    assert json.loads(prelude)["statusCode"] == 202 and body == b"hello, world"


@pytest.mark.skipif(shutil.which("curl") is None, reason="the bootstrap uses curl")
def test_a_custom_runtime_streams_with_the_response_mode_header(lam, tmp_path: Path):
    bootstrap = r"""#!/bin/bash
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  HEADERS="$(mktemp)"
  EVENT="$(curl -sS -D "$HEADERS" "$API/invocation/next")"
  ID=$(grep -i Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  GO=$(echo "$EVENT" | sed 's/.*"go": *"\([^"]*\)".*/\1/')
  { printf 'one,'; while [ ! -e "$GO" ]; do sleep 0.05; done; printf 'two'; } | curl -sS \
    -H 'Lambda-Runtime-Function-Response-Mode: streaming' -H 'Transfer-Encoding: chunked' \
    -X POST -T - "$API/invocation/$ID/response" >/dev/null
done
"""
    name = unique("custom-stream")
    package = make_zip({"bootstrap": bootstrap}, modes={"bootstrap": 0o755})
    create_function(lam, name, package, handler="x.y", runtime="provided.al2023", Timeout=15)
    go = tmp_path / "go"
    response = lam.invoke_with_response_stream(
        FunctionName=name, Payload=json.dumps({"go": str(go)}).encode()
    )
    events = iter(response["EventStream"])
    assert next(events) == {"PayloadChunk": {"Payload": b"one,"}}
    go.touch()
    rest = list(events)
    assert b"".join(e["PayloadChunk"]["Payload"] for e in rest if "PayloadChunk" in e) == b"two"
    assert rest[-1] == {"InvokeComplete": {}}
