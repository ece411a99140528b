"""cloudlet's HTTP/1.1 server on the wire: keep-alive, pipelining, 100-continue, malformed
requests, and the gateway-wide body limit (CLOUDLET_MAX_REQUEST_BYTES), through raw sockets.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import urlsplit
from xml.etree import ElementTree

import boto3
import orjson
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from sqs_support import sqs_client, unique

from server import Server

LIMIT = 64 * 1024
TOO_LARGE = f"Request body exceeds {LIMIT} bytes"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose request bodies may not exceed 64 KiB."""
    env = {"CLOUDLET_MAX_REQUEST_BYTES": str(LIMIT)}
    instance = Server(tmp_path_factory.mktemp("http"), env=env).start()
    yield instance
    instance.stop()


def signed_sqs(server: Server, operation: str, body: dict | bytes, **headers: str) -> AWSRequest:
    """A signed SQS json-protocol request."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = AWSRequest(
        "POST",
        f"http://127.0.0.1:{server.port}/",
        data=data,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"AmazonSQS.{operation}",
            **headers,
        },
    )
    SigV4Auth(Credentials("test", "test"), "sqs", "us-east-1").add_auth(request)
    return request


def sqs_request(server: Server, operation: str, body: dict | bytes, **headers: str) -> bytes:
    """A signed SQS json-protocol request as raw HTTP/1.1 bytes."""
    request = signed_sqs(server, operation, body, **headers)
    return head_of(request) + request.data


def head_of(request: AWSRequest) -> bytes:
    """The request line and headers of a POST botocore prepared, as sent on the wire."""
    prepared = request.prepare()
    lines = ["POST / HTTP/1.1", f"Host: {urlsplit(prepared.url).netloc}"]
    lines += [f"{name}: {value}" for name, value in prepared.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def read_response(stream: BinaryIO) -> tuple[int, dict[str, str], bytes]:
    """One response off a connection (status, headers, body): several can follow."""
    status_line = stream.readline()
    assert status_line.startswith(b"HTTP/1.1 "), status_line
    headers: dict[str, str] = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = stream.read(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers, body


def closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_a_connection_is_kept_alive_across_requests(small):
    connection = http.client.HTTPConnection("127.0.0.1", small.port, timeout=10)
    try:
        connection.request("GET", "/_cloudlet/health")
        first = connection.getresponse()
        assert first.status == 200 and not first.will_close
        first.read()
        sock = connection.sock
        name = unique("kept")
        for operation, body in (
            ("CreateQueue", {"QueueName": name}),
            ("GetQueueUrl", {"QueueName": name}),
            ("ListQueues", {"QueueNamePrefix": name}),
        ):
            prepared = signed_sqs(small, operation, body).prepare()
            connection.request("POST", "/", prepared.body, dict(prepared.headers))
            answer = connection.getresponse()
            assert answer.status == 200, answer.read()
            assert name in answer.read().decode()
            assert connection.sock is sock  # http.client reconnects if the server closed
    finally:
        connection.close()


def test_pipelined_requests_are_answered_in_order(small):
    name = unique("piped")
    with connect(small) as sock, sock.makefile("rb") as stream:
        # Both written before either is answered; the second needs the first done.
        sock.sendall(
            sqs_request(small, "CreateQueue", {"QueueName": name})
            + sqs_request(small, "GetQueueUrl", {"QueueName": name})
            + b"GET /_cloudlet/health HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        created = read_response(stream)
        found = read_response(stream)
        health = read_response(stream)
    assert created[0] == found[0] == health[0] == 200
    assert orjson.loads(created[2])["QueueUrl"] == orjson.loads(found[2])["QueueUrl"]
    assert orjson.loads(health[2])["status"] == "running"


def test_expect_100_continue_is_answered_before_the_body_is_sent(small):
    name = unique("continued")
    raw = sqs_request(small, "CreateQueue", {"QueueName": name}, Expect="100-continue")
    head, _, body = raw.partition(b"\r\n\r\n")
    with connect(small) as sock, sock.makefile("rb") as stream:
        sock.sendall(head + b"\r\n\r\n")
        assert stream.readline() == b"HTTP/1.1 100 Continue\r\n"
        assert stream.readline() == b"\r\n"
        sock.sendall(body)
        status, _, answer = read_response(stream)
    assert status == 200
    assert orjson.loads(answer)["QueueUrl"].endswith(f"/{name}")


def test_expect_100_continue_with_a_body_over_the_limit_gets_413_instead(small):
    raw = sqs_request(small, "ListQueues", b"{}", Expect="100-continue")
    head = raw.partition(b"\r\n\r\n")[0].replace(b"Content-Length: 2", b"Content-Length: 99999999")
    with connect(small) as sock, sock.makefile("rb") as stream:
        sock.sendall(head + b"\r\n\r\n")
        status, _, body = read_response(stream)
        assert status == 413
        assert orjson.loads(body)["message"] == TOO_LARGE
        assert closed_by_server(sock)


@pytest.mark.parametrize(
    "garbage",
    [
        b"NOT AN HTTP REQUEST\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nno colon in this header\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_malformed_http_gets_400_and_the_connection_closes(small, garbage):
    with connect(small) as sock, sock.makefile("rb") as stream:
        sock.sendall(garbage)
        status, headers, body = read_response(stream)
        assert status == 400
        assert headers["connection"] == "close"
        assert body == b"malformed HTTP request"
        assert closed_by_server(sock)


def test_a_malformed_request_is_answered_after_the_good_ones_before_it(small):
    with connect(small) as sock, sock.makefile("rb") as stream:
        sock.sendall(
            sqs_request(small, "ListQueues", {})
            + b"GET /_cloudlet/health HTTP/1.1\r\nHost: x\r\n\r\n"
            + b"NOT HTTP\r\n\r\n"
        )
        assert read_response(stream)[0] == 200
        assert read_response(stream)[0] == 200
        assert read_response(stream)[0] == 400
        assert closed_by_server(sock)


def test_a_declared_body_over_the_limit_gets_413_in_the_json_protocol(small):
    raw = sqs_request(small, "SendMessage", b"{}")
    head = raw.partition(b"\r\n\r\n")[0].replace(
        b"Content-Length: 2", f"Content-Length: {LIMIT + 1}".encode()
    )
    with connect(small) as sock, sock.makefile("rb") as stream:
        sock.sendall(head + b"\r\n\r\n")  # refused on the head: the body is never read
        status, headers, body = read_response(stream)
        assert status == 413
        assert headers["connection"] == "close"
        assert headers["x-amzn-requestid"]
        error = orjson.loads(body)
        assert error["__type"].endswith("RequestEntityTooLarge")
        assert error["message"] == TOO_LARGE
        assert closed_by_server(sock)


def test_a_body_of_exactly_the_limit_is_read(small):
    url = sqs_client(small.endpoint).create_queue(QueueName=unique("at-limit"))["QueueUrl"]
    envelope = len(json.dumps({"QueueUrl": url, "MessageBody": ""}).encode())
    body = json.dumps({"QueueUrl": url, "MessageBody": "x" * (LIMIT - envelope)}).encode()
    assert len(body) == LIMIT
    with connect(small) as sock, sock.makefile("rb") as stream:
        sock.sendall(sqs_request(small, "SendMessage", body))
        status, _, answer = read_response(stream)
    assert status == 200, answer
    assert orjson.loads(answer)["MessageId"]


def test_a_chunked_body_over_the_limit_gets_413_once_it_passes_the_limit(small):
    raw = sqs_request(small, "SendMessage", b"{}")
    head = raw.partition(b"\r\n\r\n")[0].replace(
        b"Content-Length: 2", b"Transfer-Encoding: chunked"
    )
    chunk = b"x" * 16384
    with connect(small) as sock, sock.makefile("rb") as stream:
        sock.sendall(head + b"\r\n\r\n")
        for _ in range(LIMIT // len(chunk) + 1):  # one chunk past the limit, no last chunk
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        status, headers, body = read_response(stream)
        assert status == 413
        assert headers["connection"] == "close"
        assert orjson.loads(body)["message"] == TOO_LARGE
        assert closed_by_server(sock)


def test_a_query_protocol_client_gets_413_as_query_xml(small):
    iam = boto3.client(
        "iam",
        endpoint_url=small.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=BotoConfig(retries={"max_attempts": 1}),
    )
    statement = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    statement["Action"] = "sts:AssumeRole"
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement] * 800})
    assert len(document) > LIMIT
    with pytest.raises(ClientError) as caught:
        iam.create_role(RoleName="huge", AssumeRolePolicyDocument=document)
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert error["Error"]["Code"] == "RequestEntityTooLarge"
    assert error["Error"]["Message"] == TOO_LARGE


def test_sqs_legacy_query_clients_get_413_as_query_xml(small):
    form = b"Action=SendMessage&Version=2012-11-05&MessageBody=" + b"x" * LIMIT
    request = AWSRequest(
        "POST",
        f"http://127.0.0.1:{small.port}/",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    SigV4Auth(Credentials("test", "test"), "sqs", "us-east-1").add_auth(request)
    with connect(small) as sock, sock.makefile("rb") as stream:
        sock.sendall(head_of(request))
        status, headers, body = read_response(stream)
    assert status == 413
    assert headers["content-type"].startswith("text/xml")
    error = ElementTree.fromstring(body)
    ns = {"q": "http://queue.amazonaws.com/doc/2012-11-05/"}
    assert error.findtext("q:Error/q:Code", namespaces=ns) == "RequestEntityTooLarge"
    assert error.findtext("q:Error/q:Type", namespaces=ns) == "Sender"
    assert error.findtext("q:Error/q:Message", namespaces=ns) == TOO_LARGE
