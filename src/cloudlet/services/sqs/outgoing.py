"""A message on its way into a queue: checked as SQS checks it, ready to be stored.

`prepare` does everything that needs no transaction (validation, digests, the id) so that
the write itself is one INSERT.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from cloudlet.ids import random_uuid
from cloudlet.services.sqs import message_attributes
from cloudlet.services.sqs.digests import md5_of_attributes, md5_of_body
from cloudlet.services.sqs.errors import (
    invalid_parameter,
    invalid_value,
    missing_parameter,
    sqs_error,
)
from cloudlet.services.sqs.queues import Queue

MAX_DELAY = 900
_FIFO_TOKEN = re.compile(r"[\x21-\x7e]{1,128}")  # alphanumerics and punctuation
_WRONG_QUEUE_TYPE = "The request include parameter that is not valid for this queue type."


@dataclass(slots=True)
class Outgoing:
    message_id: str
    body: str
    attributes: str | None  # stored form (message_attributes.encode)
    trace_header: str | None
    delay: int
    group_id: str | None
    dedup_id: str | None
    answer: dict[str, Any]  # SendMessage's answer; SequenceNumber is added on commit


def fifo_identity(queue: Queue, entry: dict[str, Any], *, batch: bool) -> None:
    """A FIFO queue's required message group and deduplication, checked before anything else.

    SendMessage answers a missing group id with MissingParameter; SendMessageBatch fails the
    whole request with InvalidParameterValue, in the same words.
    """
    if not entry.get("MessageGroupId"):
        if batch:
            raise invalid_parameter("The request must contain the parameter MessageGroupId.")
        raise missing_parameter("MessageGroupId")
    if not entry.get("MessageDeduplicationId") and not queue.content_dedup:
        raise invalid_parameter(
            "The queue should either have ContentBasedDeduplication enabled or "
            "MessageDeduplicationId provided explicitly"
        )


def prepare(
    queue: Queue, entry: dict[str, Any], trace_header: str = "", size: int | None = None
) -> Outgoing:
    """Check one message (SendMessage's input or a batch entry) against `queue`.

    `trace_header` is the request's X-Amzn-Trace-Id: the message's AWSTraceHeader unless the
    entry sets one (an SDK in a Lambda function sends its own, so the chain is followed).
    `size` is the entry's `size_of`, when the caller has it already.
    """
    body = entry.get("MessageBody")
    if not body:
        raise missing_parameter("MessageBody")
    if message_attributes.INVALID_CHARACTERS.search(body):
        raise sqs_error(
            "InvalidMessageContents",
            "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to "
            "#xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
        )
    answer: dict[str, Any] = {"MessageId": random_uuid(), "MD5OfMessageBody": md5_of_body(body)}
    stored = None
    attributes = entry.get("MessageAttributes")
    if attributes:
        message_attributes.check_user_attributes(attributes)
        stored = message_attributes.encode(attributes)
        answer["MD5OfMessageAttributes"] = md5_of_attributes(attributes)
    if (size_of(entry) if size is None else size) > queue.max_size:
        raise invalid_parameter(
            "One or more parameters are invalid. Reason: Message must be shorter than "
            f"{queue.max_size} bytes."
        )
    system = entry.get("MessageSystemAttributes")
    if system:
        message_attributes.check_system_attributes(system)
        trace_header = system["AWSTraceHeader"]["StringValue"]
        answer["MD5OfMessageSystemAttributes"] = md5_of_attributes(system)
    group_id, dedup_id = _grouping(queue, entry, body)
    return Outgoing(
        answer["MessageId"],
        body,
        stored,
        trace_header or None,
        _delay(queue, entry.get("DelaySeconds")),
        group_id,
        dedup_id,
        answer,
    )


def size_of(entry: dict[str, Any]) -> int:
    """A message's size as SQS limits it: its body and its user attributes, in bytes."""
    body = entry.get("MessageBody") or ""
    size = len(body) if body.isascii() else len(body.encode())
    attributes = entry.get("MessageAttributes")
    return size + message_attributes.size(attributes) if attributes else size


def _delay(queue: Queue, delay: int | None) -> int:
    if delay is None:
        return queue.delay
    if queue.fifo:  # FIFO queues delay only as a whole
        if delay:
            raise invalid_value("DelaySeconds", delay, _WRONG_QUEUE_TYPE)
        return queue.delay
    if not 0 <= delay <= MAX_DELAY:
        raise invalid_value("DelaySeconds", delay, f"DelaySeconds must be >= 0 and <= {MAX_DELAY}.")
    return delay


def _grouping(queue: Queue, entry: dict[str, Any], body: str) -> tuple[str | None, str | None]:
    """The message group (FIFO, or a fair standard queue) and the deduplication id (FIFO)."""
    group_id = entry.get("MessageGroupId")
    dedup_id = entry.get("MessageDeduplicationId")
    if group_id is not None:
        _check_token("MessageGroupId", group_id)
    if not queue.fifo:
        if dedup_id is not None:
            raise invalid_value("MessageDeduplicationId", dedup_id, _WRONG_QUEUE_TYPE)
        return group_id, None
    if dedup_id is not None:
        _check_token("MessageDeduplicationId", dedup_id)
    else:
        dedup_id = hashlib.sha256(body.encode()).hexdigest()
    return group_id, dedup_id


def _check_token(parameter: str, value: str) -> None:
    if not _FIFO_TOKEN.fullmatch(value):
        raise invalid_value(
            parameter,
            value,
            f"{parameter} can only include alphanumeric and punctuation characters. 1 to 128 "
            "in length.",
        )
