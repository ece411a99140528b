"""What the REST protocols do that a round trip through botocore does not show: routing
choices, the wire form of errors as the real services send them, and bad input."""

from __future__ import annotations

import asyncio
import functools
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncIterator

import orjson
import pytest
from botocore.eventstream import EventStreamBuffer
from botocore.loaders import Loader
from botocore.model import ServiceModel

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.http import Request
from cloudlet.gateway.protocols import protocol_for
from cloudlet.gateway.protocols.json import JsonProtocol
from cloudlet.gateway.protocols.rest import RestProtocol, virtual_host_bucket


@functools.cache
def protocol(name: str) -> RestProtocol:
    model = ServiceModel(Loader().load_service_model(name, "service-2"), name)
    found = protocol_for(model, {})
    assert isinstance(found, RestProtocol)
    return found


def request(method: str, path: str, query: str = "", body: bytes = b"", **headers: str) -> Request:
    names = {k.replace("_", "-").lower(): v for k, v in headers.items()}
    return Request(method, path, query, {"host": "localhost:4566", **names}, body)


def parse(service: str, req: Request) -> tuple[str, dict]:
    found = protocol(service).find_operation(req)
    assert found is not None
    name, labels = found
    operation = protocol(service).service.operation_model(name)
    return name, protocol(service).compile(operation).parse(req, labels)


# -- routing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "operation"),
    [
        ("GET", "/photos", "tagging", {}, "GetBucketTagging"),
        ("GET", "/photos", "", {}, "ListObjects"),
        ("GET", "/photos/", "list-type=2&prefix=a", {}, "ListObjectsV2"),
        ("GET", "/photos", "analytics&id=x", {}, "GetBucketAnalyticsConfiguration"),
        ("GET", "/photos", "analytics", {}, "ListBucketAnalyticsConfigurations"),
        ("PUT", "/photos/cat.jpg", "", {}, "PutObject"),
        ("PUT", "/photos/cat.jpg", "partNumber=2&uploadId=u1", {}, "UploadPart"),
        ("PUT", "/photos/cat.jpg", "", {"x_amz_copy_source": "/a/b"}, "CopyObject"),
        ("POST", "/photos/cat.jpg", "uploads", {}, "CreateMultipartUpload"),
        ("DELETE", "/photos/cat.jpg", "uploadId=u1", {}, "AbortMultipartUpload"),
        ("HEAD", "/photos/cat.jpg", "", {}, "HeadObject"),
        ("GET", "/", "", {}, "ListBuckets"),
    ],
)
def test_s3_operation_is_the_most_specific_route(method, path, query, headers, operation):
    name, _ = parse("s3", request(method, path, query, **headers))
    assert name == operation


def test_s3_key_keeps_its_slashes_and_trailing_slash():
    _, params = parse("s3", request("GET", "/photos/2024/a%20b/"))
    assert params == {"Bucket": "photos", "Key": "2024/a b/"}


def test_s3_bucket_comes_from_a_virtual_host():
    req = Request("GET", "/cat.jpg", "", {"host": "photos.s3.us-east-1.amazonaws.com"}, b"")
    _, params = parse("s3", req)
    assert params == {"Bucket": "photos", "Key": "cat.jpg"}
    assert virtual_host_bucket("photos.localhost:4566") == "photos"
    assert virtual_host_bucket("localhost:4566") is None
    assert virtual_host_bucket("127.0.0.1:4566") is None
    assert virtual_host_bucket("s3.amazonaws.com") is None


def test_lambda_path_labels_are_percent_decoded():
    arn = "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Ahello"
    name, params = parse("lambda", request("GET", f"/2015-03-31/functions/{arn}"))
    assert name == "GetFunction"
    assert params["FunctionName"] == "arn:aws:lambda:us-east-1:123456789012:function:hello"


def test_a_path_no_operation_has_finds_none():
    assert protocol("lambda").find_operation(request("GET", "/2015-03-31/nothing/here")) is None


def test_header_list_items_may_be_quoted():
    # botocore quotes list items that hold a comma.
    req = request("GET", "/b/k", "attributes", x_amz_object_attributes='ETag,"Check,sum"')
    name, params = parse("s3", req)
    assert name == "GetObjectAttributes"
    assert params["ObjectAttributes"] == ["ETag", "Check,sum"]


# -- responses ------------------------------------------------------------------------------


def test_lambda_invoke_answers_status_headers_and_raw_payload():
    operation = protocol("lambda").service.operation_model("Invoke")
    response = (
        protocol("lambda")
        .compile(operation)
        .serialize(
            {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": b'{"errorType":"x"}'}, "r1"
        )
    )
    assert response.status == 200
    assert ("x-amz-function-error", "Unhandled") in response.headers
    assert ("x-amzn-requestid", "r1") in response.headers
    assert ("content-type", "application/json") in response.headers
    assert response.body == b'{"errorType":"x"}'


def test_streaming_payload_passes_through_unread():
    async def chunks() -> AsyncIterator[bytes]:
        yield b"data"

    stream = chunks()
    operation = protocol("s3").service.operation_model("GetObject")
    response = (
        protocol("s3")
        .compile(operation)
        .serialize({"Body": stream, "ContentLength": 4, "ContentType": "text/plain"}, "r1")
    )
    assert response.body is stream
    assert ("content-length", "4") in response.headers
    assert ("content-type", "text/plain") in response.headers
    assert ("x-amz-request-id", "r1") in response.headers


def test_s3_documents_carry_the_s3_namespace():
    operation = protocol("s3").service.operation_model("GetBucketTagging")
    response = (
        protocol("s3").compile(operation).serialize({"TagSet": [{"Key": "a", "Value": "b"}]}, "r1")
    )
    root = ElementTree.fromstring(response.body)
    assert root.tag == "{http://s3.amazonaws.com/doc/2006-03-01/}GetBucketTaggingResult"


# -- errors, as the real services send them ------------------------------------------------


def test_lambda_error_has_type_and_the_shapes_message_member():
    error = ServiceError("ResourceNotFoundException", "Function not found: f", status=404)
    response = protocol("lambda").error(error, "r1")
    assert response.status == 404
    assert ("x-amzn-errortype", "ResourceNotFoundException") in response.headers
    assert orjson.loads(response.body) == {"Type": "User", "Message": "Function not found: f"}


def test_lambda_throttle_sends_reason_in_body_and_retry_after_header():
    error = ServiceError(
        "TooManyRequestsException",
        "Rate exceeded",
        status=429,
        fields={"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"},
    )
    error.fields["retryAfterSeconds"] = "1"
    response = protocol("lambda").error(error, "r1")
    assert ("retry-after", "1") in response.headers
    assert orjson.loads(response.body) == {
        "Type": "User",
        "message": "Rate exceeded",
        "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
    }


def test_api_gateway_error_body_is_the_message():
    response = protocol("apigateway").error(
        ServiceError("NotFoundException", "Invalid API identifier specified", status=404), "r1"
    )
    assert ("x-amzn-errortype", "NotFoundException") in response.headers
    assert orjson.loads(response.body) == {"message": "Invalid API identifier specified"}


def test_s3_error_is_a_bare_error_element_with_request_and_host_ids():
    error = ServiceError(
        "NoSuchKey",
        "The specified key does not exist.",
        status=404,
        fields={"Key": "cat.jpg"},
    )
    response = protocol("s3").error(error, "r1")
    root = ElementTree.fromstring(response.body)
    assert root.tag == "Error"
    assert [child.tag for child in root] == ["Code", "Message", "Key", "RequestId", "HostId"]
    assert root.findtext("Code") == "NoSuchKey"
    assert root.findtext("RequestId") == "r1"
    assert ("x-amz-request-id", "r1") in response.headers
    assert ("content-type", "application/xml") in response.headers


def test_other_rest_xml_errors_are_wrapped_in_error_response():
    error = ServiceError("NoSuchHostedZone", "No hosted zone found with ID: Z1", status=404)
    root = ElementTree.fromstring(protocol("route53").error(error, "r1").body)
    assert root.tag.endswith("ErrorResponse")
    ns = root.tag[: root.tag.index("}") + 1]
    assert root.findtext(f"{ns}Error/{ns}Type") == "Sender"
    assert root.findtext(f"{ns}Error/{ns}Code") == "NoSuchHostedZone"
    assert root.findtext(f"{ns}RequestId") == "r1"


# -- bad input ------------------------------------------------------------------------------


def test_malformed_json_gets_lambdas_invalid_request_content():
    req = request("POST", "/2015-03-31/functions", body=b'{"FunctionName": ')
    with pytest.raises(ServiceError) as caught:
        parse("lambda", req)
    assert caught.value.code == "InvalidRequestContentException"
    assert caught.value.status == 400
    assert caught.value.message.startswith("Could not parse request body into json: ")


def test_malformed_json_elsewhere_is_a_serialization_exception():
    with pytest.raises(ServiceError) as caught:
        parse("apigateway", request("POST", "/restapis", body=b"[1, 2"))
    assert caught.value.code == "SerializationException"


def test_a_json_body_that_is_not_an_object_is_refused():
    with pytest.raises(ServiceError) as caught:
        parse("lambda", request("POST", "/2015-03-31/functions", body=b"[1]"))
    assert caught.value.code == "InvalidRequestContentException"


@pytest.mark.parametrize(
    "body",
    [
        b"<Tagging><TagSet>",
        b'<!DOCTYPE x [<!ENTITY a "aaaa">]><Tagging>&a;</Tagging>',
        b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>trailing",
    ],
)
def test_malformed_xml_gets_s3s_malformed_xml(body):
    with pytest.raises(ServiceError) as caught:
        parse("s3", request("PUT", "/photos", "tagging", body=body))
    assert caught.value.code == "MalformedXML"
    assert caught.value.status == 400


def test_a_query_value_of_the_wrong_type_is_a_client_error():
    with pytest.raises(ServiceError) as caught:
        parse("lambda", request("GET", "/2015-03-31/functions/", "MaxItems=many"))
    assert caught.value.code == "InvalidParameterValueException"
    assert "MaxItems" in caught.value.message


def test_aws_chunked_bodies_are_decoded():
    body = (
        b"5;chunk-signature=abc\r\nhello\r\n"
        b"6;chunk-signature=def\r\n world\r\n"
        b"0;chunk-signature=0\r\n\r\n"
    )
    req = request(
        "PUT",
        "/photos/greeting.txt",
        body=body,
        content_encoding="aws-chunked",
        x_amz_content_sha256="STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    )
    _, params = parse("s3", req)
    assert params["Body"] == b"hello world"


def test_json_protocol_refuses_a_timestamp_it_cannot_read():
    model = ServiceModel(Loader().load_service_model("kinesis", "service-2"), "kinesis")
    operation = JsonProtocol(model, {}).compile(model.operation_model("GetShardIterator"))
    body = orjson.dumps(
        {
            "StreamName": "s",
            "ShardId": "0",
            "ShardIteratorType": "AT_TIMESTAMP",
            "Timestamp": "soon",
        }
    )
    with pytest.raises(ServiceError) as caught:
        operation.parse(Request("POST", "/", "", {}, body), {})
    assert caught.value.code == "SerializationException"
    assert caught.value.message == "Timestamp value 'soon' is not valid"


def test_lambda_response_stream_frames_each_event():
    async def events() -> AsyncIterator[dict]:
        yield {"PayloadChunk": {"Payload": b"hello "}}
        yield {"PayloadChunk": {"Payload": b"world"}}
        yield {"InvokeComplete": {"LogResult": "bG9n"}}

    operation = protocol("lambda").service.operation_model("InvokeWithResponseStream")
    response = (
        protocol("lambda")
        .compile(operation)
        .serialize({"StatusCode": 200, "EventStream": events()}, "r1")
    )
    assert ("content-type", "application/vnd.amazon.eventstream") in response.headers
    messages = list(_decoded(response.body))
    assert [m.headers[":event-type"] for m in messages] == [
        "PayloadChunk",
        "PayloadChunk",
        "InvokeComplete",
    ]
    assert messages[1].payload == b"world"
    assert orjson.loads(messages[2].payload) == {"LogResult": "bG9n"}


def test_a_modelled_error_in_a_stream_is_an_exception_message():
    operation = protocol("bedrock-runtime").service.operation_model("ConverseStream")
    response = (
        protocol("bedrock-runtime")
        .compile(operation)
        .serialize({"stream": [{"throttlingException": {"message": "slow down"}}]}, "r1")
    )
    (message,) = _decoded(response.body)
    assert message.headers[":message-type"] == "exception"
    assert message.headers[":exception-type"] == "throttlingException"
    assert orjson.loads(message.payload) == {"message": "slow down"}


def _decoded(frames: AsyncIterator[bytes]) -> list:
    async def collect() -> bytes:
        return b"".join([frame async for frame in frames])

    buffer = EventStreamBuffer()
    buffer.add_data(asyncio.run(collect()))
    return list(buffer)
