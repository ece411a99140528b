"""SQS messages as the records Lambda hands a function (`event["Records"]`), in AWS's shape.

{"messageId", "receiptHandle", "body", "attributes": {ApproximateReceiveCount,
 SentTimestamp, SenderId, ApproximateFirstReceiveTimestamp, and for FIFO SequenceNumber,
 MessageGroupId, MessageDeduplicationId}, "messageAttributes": {name: {stringValue |
 binaryValue (base64), stringListValues, binaryListValues, dataType}},
 "md5OfMessageAttributes" (with attributes), "md5OfBody", "eventSource": "aws:sqs",
 "eventSourceARN", "awsRegion"}
"""

from __future__ import annotations

import base64
from typing import Any

# The order in which Lambda lists a record's attributes.
_ATTRIBUTE_ORDER = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "SenderId",
    "MessageDeduplicationId",
    "ApproximateFirstReceiveTimestamp",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """The record for `message`, as the queue port receives it (ReceiveMessage's shape)."""
    system = message.get("Attributes") or {}
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {name: system[name] for name in _ATTRIBUTE_ORDER if name in system},
        "messageAttributes": {
            name: _attribute(value)
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record["md5OfBody"] = message["MD5OfBody"]
    record["eventSource"] = "aws:sqs"
    record["eventSourceARN"] = queue_arn
    record["awsRegion"] = region
    return record


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {}
    if "BinaryValue" in value:
        shaped["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    else:
        shaped["stringValue"] = value["StringValue"]
    shaped["stringListValues"] = []
    shaped["binaryListValues"] = []
    shaped["dataType"] = value["DataType"]
    return shaped
