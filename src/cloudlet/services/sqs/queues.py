"""Queues: their attributes with AWS's defaults and limits, names, URLs and ARNs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cloudlet.services.sqs.errors import invalid_attribute_value, queue_does_not_exist, sqs_error

# name -> (default, lowest, highest) for the numeric attributes.
NUMERIC_ATTRIBUTES: dict[str, tuple[int, int, int]] = {
    "DelaySeconds": (0, 0, 900),
    "MaximumMessageSize": (1_048_576, 1024, 1_048_576),
    "MessageRetentionPeriod": (345_600, 60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": (0, 0, 20),
    "VisibilityTimeout": (30, 0, 43_200),
    "KmsDataKeyReusePeriodSeconds": (300, 60, 86_400),
}
BOOLEAN_ATTRIBUTES = ("FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled")
CHOICE_ATTRIBUTES = {
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}
TEXT_ATTRIBUTES = ("Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId")
FIFO_ONLY = ("ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")
SETTABLE = (
    *NUMERIC_ATTRIBUTES,
    *BOOLEAN_ATTRIBUTES,
    *CHOICE_ATTRIBUTES,
    *TEXT_ATTRIBUTES,
)
COMPUTED = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
)
_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")


@dataclass
class Queue:
    id: int
    account: str
    region: str
    name: str
    attributes: dict[str, str]
    tags: dict[str, str] = field(default_factory=dict)
    created: float = 0.0
    modified: float = 0.0

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoQueue") == "true"

    @property
    def arn(self) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account}:{self.name}"

    def number(self, name: str) -> int:
        return int(self.attributes.get(name, NUMERIC_ATTRIBUTES[name][0]))

    def url(self, endpoint: str) -> str:
        return f"{endpoint}/{self.account}/{self.name}"


def check_name(name: str, attributes: dict[str, str]) -> None:
    """AWS's rules for a queue name: 1-80 of [A-Za-z0-9_-], `.fifo` exactly for FIFO queues."""
    fifo = attributes.get("FifoQueue", "false").lower() == "true"
    base = name[:-5] if name.endswith(".fifo") else name
    if not _NAME.fullmatch(base) or (name.endswith(".fifo") and len(name) > 80):
        raise sqs_error(
            "InvalidParameterValue",
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        )
    if fifo != name.endswith(".fifo"):
        raise sqs_error(
            "InvalidParameterValue",
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
            "underscores, must end with .fifo suffix and be 1 to 80 in length."
            if fifo
            else "Can only include alphanumeric characters, hyphens, or underscores. "
            "1 to 80 in length",
        )


def normalize_attributes(given: dict[str, str], *, creating: bool, fifo: bool) -> dict[str, str]:
    """Check attribute names and values as SQS does; values come back in canonical form."""
    out: dict[str, str] = {}
    for name, raw in given.items():
        value = str(raw)
        if name not in SETTABLE:
            raise sqs_error("InvalidAttributeName", f"Unknown Attribute {name}.")
        if name in NUMERIC_ATTRIBUTES:
            _, low, high = NUMERIC_ATTRIBUTES[name]
            if not value.strip().lstrip("-").isdigit() or not low <= int(value) <= high:
                raise invalid_attribute_value(name)
            out[name] = str(int(value))
        elif name in BOOLEAN_ATTRIBUTES:
            if value.lower() not in ("true", "false"):
                raise invalid_attribute_value(name)
            out[name] = value.lower()
        elif name in CHOICE_ATTRIBUTES:
            if value not in CHOICE_ATTRIBUTES[name]:
                raise invalid_attribute_value(name)
            out[name] = value
        else:
            out[name] = value
    if out.get("FifoQueue") == "false" and not creating:
        raise invalid_attribute_value("FifoQueue")
    if not creating and "FifoQueue" in out:
        raise sqs_error("InvalidAttributeName", "Unknown Attribute FifoQueue.")
    if not fifo and any(name in out for name in FIFO_ONLY):
        name = next(name for name in FIFO_ONLY if name in out)
        raise sqs_error("InvalidAttributeName", f"Unknown Attribute {name}.")
    return out


def default_attributes(fifo: bool) -> dict[str, str]:
    attributes = {name: str(default) for name, (default, _, _) in NUMERIC_ATTRIBUTES.items()}
    del attributes["KmsDataKeyReusePeriodSeconds"]
    attributes["SqsManagedSseEnabled"] = "true"
    if fifo:
        attributes.update(
            FifoQueue="true",
            ContentBasedDeduplication="false",
            DeduplicationScope="queue",
            FifoThroughputLimit="perQueue",
        )
    return attributes


def parse_queue_url(url: str, default_region: str) -> tuple[str, str, str]:
    """(account, region, name) from a queue URL, as any endpoint spells it."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) != 2 or not segments[0].isdigit():
        raise queue_does_not_exist()
    host = parts.hostname or ""
    region = default_region
    # sqs.<region>.amazonaws.com and <region>.queue.amazonaws.com name the region.
    pieces = host.split(".")
    if len(pieces) >= 4 and pieces[0] == "sqs":
        region = pieces[1]
    elif len(pieces) >= 4 and pieces[1] == "queue":
        region = pieces[0]
    return segments[0], region, segments[1]


def parse_queue_arn(arn: str) -> tuple[str, str, str] | None:
    """(account, region, name) of an SQS queue ARN, None if `arn` is not one."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs":
        return None
    return parts[4], parts[3], parts[5]
