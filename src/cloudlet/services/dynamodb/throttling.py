"""Provisioned capacity enforced, only when configured (CLOUDLET_DYNAMODB_THROTTLING).

A PROVISIONED table may consume its ReadCapacityUnits and its WriteCapacityUnits each
second. Each has a token bucket holding one second's worth, refilled continuously; a
request gets in while its bucket holds the cost of the smallest request (one write unit,
half a read unit), then pays what it consumed, counted as ConsumedCapacity counts it
(`capacity.py`): a large request leaves the bucket in debt, and the requests after it are
refused with ProvisionedThroughputExceededException until the debt is paid. AWS also banks
up to five minutes of unused capacity (burst capacity) and adapts to hot keys; cloudlet
does neither, so it throttles sooner and more predictably than AWS.
"""

from __future__ import annotations

import time

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodb.tables import Table

READ = "ReadCapacityUnits"
WRITE = "WriteCapacityUnits"
_SMALLEST = {READ: 0.5, WRITE: 1.0}


class Bucket:
    """A second's worth of one capacity, spent by requests and refilled continuously."""

    __slots__ = ("tokens", "updated")

    def __init__(self, rate: float) -> None:
        self.tokens = rate
        self.updated = time.monotonic()

    def refill(self, rate: float) -> None:
        now = time.monotonic()
        self.tokens = min(rate, self.tokens + (now - self.updated) * rate)
        self.updated = now


class Throttle:
    """The buckets of every PROVISIONED table, keyed by (table id, capacity)."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[int, str], Bucket] = {}

    def allows(self, table: Table, capacity: str) -> bool:
        """Whether a request may use the table's `capacity` (READ or WRITE) now."""
        if table.billing_mode != "PROVISIONED":
            return True
        rate = float(table.throughput.get(capacity, 0))
        bucket = self._buckets.get((table.id, capacity))
        if bucket is None:
            bucket = self._buckets[(table.id, capacity)] = Bucket(rate)
        else:
            bucket.refill(rate)
        return bucket.tokens >= _SMALLEST[capacity]

    def admit(self, table: Table, capacity: str) -> None:
        """`allows`, or ProvisionedThroughputExceededException."""
        if not self.allows(table, capacity):
            raise exceeded()

    def charge(self, table: Table, capacity: str, units: float) -> None:
        """Pay for what an admitted request consumed."""
        bucket = self._buckets.get((table.id, capacity))
        if bucket is not None:
            bucket.tokens -= units


def exceeded() -> ServiceError:
    return ServiceError(
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded. Consider"
        " increasing your provisioning level with the UpdateTable API.",
    )
