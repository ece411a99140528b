"""The json protocol converts input only when the body names a member that needs it."""

from __future__ import annotations

import base64

import orjson
from botocore.session import get_session

from cloudlet.gateway.http import Request
from cloudlet.gateway.protocols.json import JsonOperation
from cloudlet.gateway.protocols.jsonshape import conversion_markers

SQS = get_session().get_service_model("sqs")


def parse(operation: str, params: dict) -> dict:
    wire = JsonOperation(SQS.operation_model(operation), "application/x-amz-json-1.0")
    request = Request("POST", "/", "", {}, orjson.dumps(params))
    return wire.parse(request, {})


def test_markers_name_the_members_holding_blobs_or_timestamps():
    batch = SQS.operation_model("SendMessageBatch").input_shape
    assert conversion_markers(batch) == (b'"BinaryListValues"', b'"BinaryValue"')
    assert conversion_markers(SQS.operation_model("DeleteQueue").input_shape) == ()


def test_a_binary_attribute_is_still_decoded():
    attribute = {"DataType": "Binary", "BinaryValue": base64.b64encode(b"\x00\x01").decode()}
    params = parse(
        "SendMessage", {"QueueUrl": "q", "MessageBody": "b", "MessageAttributes": {"a": attribute}}
    )
    assert params["MessageAttributes"]["a"]["BinaryValue"] == b"\x00\x01"


def test_plain_messages_pass_through_unchanged():
    attribute = {"DataType": "String", "StringValue": "BinaryValue is just text here"}
    entry = {"Id": "1", "MessageBody": "hello", "MessageAttributes": {"a": attribute}}
    params = parse("SendMessageBatch", {"QueueUrl": "q", "Entries": [entry]})
    assert params == {"QueueUrl": "q", "Entries": [entry]}
