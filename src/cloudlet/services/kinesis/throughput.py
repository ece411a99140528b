"""Per-shard write limits, enforced only when configured (CLOUDLET_KINESIS_THROTTLE).

AWS lets each shard take 1,000 records and 1 MiB a second; beyond that a PutRecord fails with
ProvisionedThroughputExceededException and a PutRecords entry with that error code. A token
bucket per shard holds one second's worth of each.
"""

from __future__ import annotations

import time

RECORDS_PER_SECOND = 1000
BYTES_PER_SECOND = 1024 * 1024


class ShardBudget:
    """What a shard may still take this second, refilled continuously."""

    __slots__ = ("bytes", "records", "updated")

    def __init__(self) -> None:
        self.records = float(RECORDS_PER_SECOND)
        self.bytes = float(BYTES_PER_SECOND)
        self.updated = time.monotonic()

    def take(self, size: int) -> bool:
        """Spend one record of `size` bytes; False (and nothing spent) if over the limit."""
        now = time.monotonic()
        elapsed = now - self.updated
        self.updated = now
        self.records = min(RECORDS_PER_SECOND, self.records + elapsed * RECORDS_PER_SECOND)
        self.bytes = min(BYTES_PER_SECOND, self.bytes + elapsed * BYTES_PER_SECOND)
        # A record larger than a second's worth goes through on a full bucket and leaves it
        # in debt, as AWS lets large records burst.
        if self.records < 1 or self.bytes < min(size, BYTES_PER_SECOND):
            return False
        self.records -= 1
        self.bytes -= size
        return True


class Throttle:
    """The budgets of every shard, keyed by (stream id, shard index)."""

    def __init__(self) -> None:
        self._budgets: dict[tuple[int, int], ShardBudget] = {}

    def allows(self, stream_id: int, shard: int, size: int) -> bool:
        budget = self._budgets.get((stream_id, shard))
        if budget is None:
            budget = self._budgets[(stream_id, shard)] = ShardBudget()
        return budget.take(size)
