"""Where records of asynchronous invocations go: SQS queues and Lambda functions.

A destination (OnSuccess, OnFailure) or dead-letter queue is an ARN; the service it names
decides how a record is delivered. SNS topics and EventBridge buses are destinations on AWS
too: they join `_DELIVERERS` when cloudlet has them, until then they do not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cloudlet.delivery.ports import MessageRejected, Ports

# The action a function's role needs on each kind of destination, as Lambda's errors name it.
ACTIONS = {
    "sqs": "SendMessage",
    "lambda": "InvokeFunction",
    "sns": "Publish",
    "events": "PutEvents",
}

# A message attribute, as SendMessage takes it.
Attributes = dict[str, dict[str, str]]


class DeliveryFailed(Exception):
    """The record could not be delivered (the destination is gone, or refused it)."""


def service_of(arn: str) -> str | None:
    """The service an ARN belongs to (`sqs` for arn:aws:sqs:...), or None if it is no ARN."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not parts[2]:
        return None
    return parts[2]


def exists(ports: Ports, arn: str) -> bool:
    """Whether `arn` names a destination that can receive records now."""
    service = service_of(arn)
    if service == "sqs":
        return ports.queues is not None and ports.queues.describe(arn) is not None
    if service == "lambda":
        return ports.functions is not None and ports.functions.resolve(arn) is not None
    return False


async def deliver(
    ports: Ports,
    arn: str,
    body: bytes,
    attributes: Attributes | None = None,
    trace_header: str = "",
) -> None:
    """Send `body` (a record, or a dead-lettered payload) to `arn`; raises DeliveryFailed."""
    deliverer = _DELIVERERS.get(service_of(arn) or "")
    if deliverer is None:
        raise DeliveryFailed(f"{arn} is not a destination cloudlet can deliver to")
    try:
        await deliverer(ports, arn, body, attributes, trace_header)
    except DeliveryFailed:
        raise
    except LookupError:
        raise DeliveryFailed(f"{arn} does not exist") from None
    except MessageRejected as rejected:
        raise DeliveryFailed(f"{arn} refused the record: {rejected}") from None


async def _to_queue(
    ports: Ports, arn: str, body: bytes, attributes: Attributes | None, trace_header: str
) -> None:
    if ports.queues is None:
        raise DeliveryFailed("SQS is not running")
    await ports.queues.send(
        arn,
        body.decode(),
        message_attributes=attributes,
        trace_header=trace_header or None,
    )


async def _to_function(
    ports: Ports, arn: str, body: bytes, attributes: Attributes | None, trace_header: str
) -> None:
    # A function destination is invoked asynchronously with the record as its event.
    if ports.functions is None or ports.functions.resolve(arn) is None:
        raise DeliveryFailed(f"function {arn} does not exist")
    await ports.functions.invoke_async(arn, body, trace_header=trace_header)


_DELIVERERS: dict[str, Callable[[Ports, str, bytes, Attributes | None, str], Awaitable[None]]] = {
    "sqs": _to_queue,
    "lambda": _to_function,
}
