"""Messages as ReceiveMessage returns them, with the attributes the request asked for."""

from __future__ import annotations

from typing import Any

from cloudlet.services.sqs import message_attributes
from cloudlet.services.sqs.digests import md5_of_attributes, md5_of_body
from cloudlet.services.sqs.receipts import receipt_handle
from cloudlet.services.sqs.rows import Row


def wanted_system_attributes(request: dict[str, Any]) -> frozenset[str]:
    """MessageSystemAttributeNames and the older AttributeNames, which mean the same."""
    names = request.get("MessageSystemAttributeNames") or ()
    legacy = request.get("AttributeNames") or ()
    return frozenset((*names, *legacy))


def render(
    row: Row, queue_id: int, system_names: frozenset[str], attribute_names: list[str]
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "MessageId": row.message_id,
        "ReceiptHandle": receipt_handle(queue_id, row.seq, row.receive_count),
        "MD5OfBody": md5_of_body(row.body),
        "Body": row.body,
    }
    if system_names:
        attributes = _system_attributes(row, system_names)
        if attributes:
            message["Attributes"] = attributes
    if attribute_names and row.message_attributes:
        selected = message_attributes.select(
            message_attributes.decode(row.message_attributes), attribute_names
        )
        message["MessageAttributes"] = selected
        if selected:
            message["MD5OfMessageAttributes"] = md5_of_attributes(selected)
    return message


def _system_attributes(row: Row, names: frozenset[str]) -> dict[str, str]:
    every = "All" in names
    candidates = {
        "SenderId": row.sender_id,
        "SentTimestamp": _millis(row.sent_at),
        "ApproximateReceiveCount": str(row.receive_count),
        "ApproximateFirstReceiveTimestamp": _millis(row.first_received_at),
        "MessageGroupId": row.group_id,
        "MessageDeduplicationId": row.dedup_id,
        "SequenceNumber": row.sequence_number,
        "AWSTraceHeader": row.trace_header,
        "DeadLetterQueueSourceArn": row.source_arn,
    }
    return {
        name: value
        for name, value in candidates.items()
        if value is not None and (every or name in names)
    }


def _millis(moment: float | None) -> str | None:
    return None if moment is None else str(int(moment * 1000))
