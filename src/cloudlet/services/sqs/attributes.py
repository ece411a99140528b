"""Queue attributes: their names, AWS's defaults and limits, and how values are checked.

Values are kept as SQS returns them (strings in canonical form: `"30"`, `"true"`). The two
redrive policies are checked in `redrive.py`, which needs to look other queues up.
"""

from __future__ import annotations

import orjson

from cloudlet.services.sqs.errors import invalid_attribute_value, sqs_error, unknown_attribute

# name -> (default, lowest, highest) for the numeric attributes.
NUMERIC = {
    "DelaySeconds": (0, 0, 900),
    "MaximumMessageSize": (1_048_576, 1024, 1_048_576),
    "MessageRetentionPeriod": (345_600, 60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": (0, 0, 20),
    "VisibilityTimeout": (30, 0, 43_200),
    "KmsDataKeyReusePeriodSeconds": (300, 60, 86_400),
}
BOOLEAN = ("FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled")
CHOICES = {
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}
# Free-form values; setting one to "" removes it.
TEXT = ("Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId")
FIFO_ONLY = ("ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")
SETTABLE = frozenset((*NUMERIC, *BOOLEAN, *CHOICES, *TEXT))
COUNTS = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)
COMPUTED = (*COUNTS, "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn")
READABLE = frozenset((*SETTABLE, *COMPUTED))


def defaults(fifo: bool) -> dict[str, str]:
    """What a new queue has for every attribute not given."""
    attributes = {name: str(default) for name, (default, _, _) in NUMERIC.items()}
    del attributes["KmsDataKeyReusePeriodSeconds"]  # shown only with a KMS key
    attributes["SqsManagedSseEnabled"] = "true"
    if fifo:
        attributes.update(
            FifoQueue="true",
            ContentBasedDeduplication="false",
            DeduplicationScope="queue",
            FifoThroughputLimit="perQueue",
        )
    return attributes


def check_values(given: dict[str, str], *, fifo: bool, creating: bool) -> dict[str, str]:
    """The given attributes in canonical form, or AWS's error for the first bad one."""
    out: dict[str, str] = {}
    for name, value in given.items():
        if name not in SETTABLE or (name in FIFO_ONLY and not fifo):
            raise unknown_attribute(name)
        if name == "FifoQueue":
            _check_fifo_flag(value, fifo=fifo, creating=creating)
        elif name in NUMERIC:
            out[name] = _number(name, value)
        elif name in BOOLEAN:
            out[name] = _boolean(name, value)
        elif name in CHOICES:
            if value not in CHOICES[name]:
                raise invalid_attribute_value(name)
            out[name] = value
        else:
            if name == "Policy" and value:
                _check_policy(value)
            out[name] = value
    if out.get("KmsMasterKeyId") and out.get("SqsManagedSseEnabled") == "true":
        raise sqs_error(
            "InvalidAttributeName",
            "You can use one type of server-side encryption (SSE) at one time. You can either "
            "enable KMS SSE or SQS SSE.",
        )
    if fifo:
        out.setdefault("FifoQueue", "true")
    return out


def merged(current: dict[str, str], changes: dict[str, str]) -> dict[str, str]:
    """`current` with checked `changes` applied, keeping the SSE settings consistent."""
    result = dict(current)
    for name, value in changes.items():
        if name in TEXT and value == "":
            result.pop(name, None)
        else:
            result[name] = value
    if changes.get("KmsMasterKeyId"):
        result["SqsManagedSseEnabled"] = "false"
        result.setdefault("KmsDataKeyReusePeriodSeconds", "300")
    elif changes.get("SqsManagedSseEnabled") == "true" or "KmsMasterKeyId" in changes:
        result.pop("KmsMasterKeyId", None)
        result.pop("KmsDataKeyReusePeriodSeconds", None)
    if result.get("FifoThroughputLimit") == "perMessageGroupId" and (
        result.get("DeduplicationScope") != "messageGroup"
    ):
        raise invalid_attribute_value(
            "FifoThroughputLimit",
            "The perMessageGroupId value is allowed only when the value for DeduplicationScope "
            "is messageGroup.",
        )
    return result


def _check_fifo_flag(value: str, *, fifo: bool, creating: bool) -> None:
    """FifoQueue may only restate the queue's type (at creation, the name check matched it)."""
    flag = _boolean("FifoQueue", value)
    if creating:
        return
    if not fifo:
        raise unknown_attribute("FifoQueue")
    if flag != "true":
        raise invalid_attribute_value("FifoQueue", "Modifying queue type is not supported.")


def _number(name: str, value: str) -> str:
    _, low, high = NUMERIC[name]
    text = value.strip()
    digits = text[1:] if text.startswith("-") else text
    if not digits.isdigit() or not low <= int(text) <= high:
        raise invalid_attribute_value(name)
    return str(int(text))


def _boolean(name: str, value: str) -> str:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise invalid_attribute_value(name)
    return lowered


def _check_policy(value: str) -> None:
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise invalid_attribute_value("Policy")
