"""Dead-letter queue settings: the RedrivePolicy of a source queue, and the RedriveAllowPolicy
with which a dead-letter queue says which sources may use it.

Both arrive as JSON text; they are checked and stored in the compact form SQS returns.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.sqs.errors import invalid_value

MAX_SOURCE_ARNS = 10
_PERMISSIONS = ("allowAll", "denyAll", "byQueue")


class Redrive(NamedTuple):
    dead_letter_arn: str
    max_receive_count: int


class AllowPolicy(NamedTuple):
    permission: str
    source_arns: tuple[str, ...]

    def allows(self, source_arn: str) -> bool:
        if self.permission == "byQueue":
            return source_arn in self.source_arns
        return self.permission == "allowAll"


def parse_redrive_policy(text: str) -> Redrive:
    """The policy `text` states; InvalidParameterValue in SQS's words if it is not one."""
    document = _json_object(text, "RedrivePolicy")
    unknown = set(document) - {"deadLetterTargetArn", "maxReceiveCount"}
    if unknown:
        raise _bad_redrive(
            text,
            "Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount].",
        )
    for key in ("deadLetterTargetArn", "maxReceiveCount"):
        if key not in document:
            raise _bad_redrive(text, f"Redrive policy does not contain mandatory attribute: {key}.")
    arn = document["deadLetterTargetArn"]
    if not isinstance(arn, str) or parse_queue_arn(arn) is None:
        raise _bad_redrive(text, "Invalid value for deadLetterTargetArn.")
    count = _integer(document["maxReceiveCount"])
    if count is None or not 1 <= count <= 1000:
        raise _bad_redrive(
            text,
            f"Invalid value for maxReceiveCount: {document['maxReceiveCount']}, valid values are "
            "from 1 to 1000 both inclusive.",
        )
    return Redrive(arn, count)


def redrive_text(redrive: Redrive) -> str:
    return orjson.dumps(
        {
            "deadLetterTargetArn": redrive.dead_letter_arn,
            "maxReceiveCount": redrive.max_receive_count,
        }
    ).decode()


def check_dead_letter_target(
    text: str, source_arn: str, source_fifo: bool, target: Any | None
) -> None:
    """Whether `target` (the queue the policy `text` names, None if missing) may be the DLQ."""
    if target is None:
        raise _bad_redrive(text, "Dead letter target does not exist.")
    if target.fifo != source_fifo:
        raise _bad_redrive(text, "Dead-letter queue must be same type of queue as the source.")
    allow_text = target.attributes.get("RedriveAllowPolicy")
    if allow_text and not parse_allow_policy(allow_text).allows(source_arn):
        raise _bad_redrive(
            text, f"Queue {source_arn} is not allowed to use {target.arn} as a dead-letter queue."
        )


def parse_allow_policy(text: str) -> AllowPolicy:
    document = _json_object(text, "RedriveAllowPolicy")
    permission = document.get("redrivePermission")
    if permission not in _PERMISSIONS:
        raise _bad_allow(text, "Invalid value for redrivePermission.")
    arns = document.get("sourceQueueArns")
    if permission != "byQueue":
        if arns is not None:
            raise _bad_allow(
                text, "sourceQueueArns can only be specified when redrivePermission is byQueue."
            )
        return AllowPolicy(permission, ())
    if not isinstance(arns, list) or not arns or not all(isinstance(a, str) for a in arns):
        raise _bad_allow(text, "sourceQueueArns must be a list of queue ARNs for byQueue.")
    if len(arns) > MAX_SOURCE_ARNS:
        raise _bad_allow(text, f"Only up to {MAX_SOURCE_ARNS} sourceQueueArns are allowed.")
    if any(parse_queue_arn(arn) is None for arn in arns):
        raise _bad_allow(text, "Invalid value for sourceQueueArns.")
    return AllowPolicy(permission, tuple(arns))


def allow_policy_text(policy: AllowPolicy) -> str:
    document: dict[str, Any] = {"redrivePermission": policy.permission}
    if policy.permission == "byQueue":
        document["sourceQueueArns"] = list(policy.source_arns)
    return orjson.dumps(document).decode()


def parse_queue_arn(arn: str) -> tuple[str, str, str] | None:
    """(account, region, name) of an SQS queue ARN, None if `arn` is not one."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs" or not all(parts[3:]):
        return None
    return parts[4], parts[3], parts[5]


def _json_object(text: str, parameter: str) -> dict[str, Any]:
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise invalid_value(parameter, text, f"{parameter} is not a valid JSON object.")
    return document


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _bad_redrive(text: str, reason: str) -> ServiceError:
    return invalid_value("RedrivePolicy", text, reason)


def _bad_allow(text: str, reason: str) -> ServiceError:
    return invalid_value("RedriveAllowPolicy", text, reason)
