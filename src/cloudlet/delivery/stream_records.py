"""Stream records as Lambda hands them to a function (`event["Records"]`), in AWS's shape,
and as filter patterns see them.

Kinesis:
    {"kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey", "sequenceNumber",
                 "data" (base64), "approximateArrivalTimestamp"},
     "eventSource": "aws:kinesis", "eventVersion": "1.0",
     "eventID": "shardId-000000000000:<sequence number>", "eventName": "aws:kinesis:record",
     "invokeIdentityArn" (the function's role), "awsRegion", "eventSourceARN"}

DynamoDB: the stream record (eventID, eventName, eventVersion, eventSource "aws:dynamodb",
awsRegion, dynamodb {...}, userIdentity for TTL deletions) and "eventSourceARN".

Filters see a Kinesis record as its `kinesis` object with `data` decoded when it holds a
JSON object (else left base64, which no data pattern matches), and a DynamoDB record whole.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from cloudlet.delivery.ports import StreamRecord


def kinesis_record(
    item: StreamRecord, shard_id: str, stream_arn: str, region: str, role: str
) -> dict[str, Any]:
    raw = item.record
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": raw["PartitionKey"],
            "sequenceNumber": item.sequence_number,
            "data": base64.b64encode(raw["Data"]).decode("ascii"),
            "approximateArrivalTimestamp": raw["ApproximateArrivalTimestamp"],
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{item.sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": role,
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


def dynamodb_record(item: StreamRecord, stream_arn: str) -> dict[str, Any]:
    return {**item.record, "eventSourceARN": stream_arn}


def filter_view(record: dict[str, Any]) -> dict[str, Any]:
    """What filter patterns are matched against, for a record shaped as above."""
    inner = record.get("kinesis")
    if inner is None:
        return record
    text = inner["data"]
    data: Any = text
    decoded = base64.b64decode(text)
    if decoded.lstrip()[:1] == b"{":
        try:
            value = orjson.loads(decoded)
        except orjson.JSONDecodeError:
            value = None
        if isinstance(value, dict):
            data = value
    return {**inner, "data": data}
