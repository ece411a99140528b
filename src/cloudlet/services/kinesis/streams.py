"""Streams, shards and consumers as cloudlet holds them in memory (a cache of their rows).

A shard also counts its records: the last index handed out to a write (`assigned`), the last
one committed and readable (`committed`), and when the newest committed record arrived.
A stream routes a hash key to the open shard whose range holds it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from cloudlet.services.kinesis import sequence
from cloudlet.services.kinesis.names import consumer_arn, shard_id, shard_index, stream_arn

ACTIVE = "ACTIVE"


@dataclass(eq=False)
class Shard:
    index: int
    start: int  # hash key range, inclusive
    end: int
    created: float  # seconds
    parent: int | None = None
    adjacent_parent: int | None = None
    closed: float | None = None
    assigned: int = 0  # highest record index handed out
    committed: int = 0  # highest record index committed
    newest_arrival: int = 0  # ms, of the newest committed record
    # No record is given an arrival time earlier than one before it in the shard.
    arrival_floor: int = 0

    @property
    def id(self) -> str:
        return shard_id(self.index)

    @property
    def is_open(self) -> bool:
        return self.closed is None

    def sequence_number(self, index: int, arrival_ms: int) -> str:
        return sequence.encode(int(self.created), self.index, index, arrival_ms // 1000)

    def assign(self, now_ms: int) -> tuple[int, int]:
        """The index and arrival time of the shard's next record."""
        self.assigned += 1
        self.arrival_floor = max(now_ms, self.arrival_floor)
        return self.assigned, self.arrival_floor

    def commit(self, index: int, arrival: int) -> None:
        """Records up to `index` are committed and readable."""
        if index > self.committed:
            self.committed = index
            self.newest_arrival = arrival

    def children(self, stream: Stream) -> list[Shard]:
        return [s for s in stream.shards if self.index in (s.parent, s.adjacent_parent)]

    def describe(self) -> dict[str, Any]:
        """The API's `Shard` structure."""
        created = int(self.created)
        numbers = {"StartingSequenceNumber": sequence.starting(created, self.index)}
        if self.closed is not None:
            numbers["EndingSequenceNumber"] = sequence.ending(created, self.index, int(self.closed))
        described: dict[str, Any] = {"ShardId": self.id}
        if self.parent is not None:
            described["ParentShardId"] = shard_id(self.parent)
        if self.adjacent_parent is not None:
            described["AdjacentParentShardId"] = shard_id(self.adjacent_parent)
        described["HashKeyRange"] = {
            "StartingHashKey": str(self.start),
            "EndingHashKey": str(self.end),
        }
        described["SequenceNumberRange"] = numbers
        return described


def shards_after(shards: list[Shard], given: str) -> list[Shard]:
    """The shards listed after the shard id `given` (by index when Kinesis can read one)."""
    index = shard_index(given)
    if index is None:
        return [s for s in shards if s.id > given]
    return [s for s in shards if s.index > index]


@dataclass(eq=False)
class Consumer:
    name: str
    created: float
    tags: dict[str, str] = field(default_factory=dict)
    # A change (registration, deregistration) shows as `transition` until `settles_at`.
    transition: str = ACTIVE
    settles_at: float = 0.0

    def arn(self, stream: Stream) -> str:
        return consumer_arn(stream.arn, self.name, self.created)

    def status(self, now: float) -> str:
        return self.transition if now < self.settles_at else ACTIVE


@dataclass(eq=False)
class Stream:
    id: int
    account: str
    region: str
    name: str
    mode: str  # PROVISIONED | ON_DEMAND
    retention_hours: int
    created: float
    shards: list[Shard] = field(default_factory=list)  # by index
    tags: dict[str, str] = field(default_factory=dict)
    encryption: str = "NONE"
    key_id: str | None = None
    metrics: list[str] = field(default_factory=list)
    max_record_kib: int = 1024
    consumers: dict[str, Consumer] = field(default_factory=dict)
    # A change (creation, resharding...) shows as `transition` until `settles_at`.
    transition: str = ACTIVE
    settles_at: float = 0.0
    _open: list[Shard] = field(default_factory=list, repr=False)
    _starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.route_again()

    @property
    def arn(self) -> str:
        return stream_arn(self.region, self.account, self.name)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.account, self.region, self.name

    @property
    def retention_ms(self) -> int:
        return self.retention_hours * 3_600_000

    def status(self, now: float) -> str:
        return self.transition if now < self.settles_at else ACTIVE

    def open_shards(self) -> list[Shard]:
        """The open shards, by hash key."""
        return self._open

    def route(self, hash_key: int) -> Shard:
        """The open shard whose range holds `hash_key`."""
        return self._open[bisect.bisect_right(self._starts, hash_key) - 1]

    def route_again(self) -> None:
        """Rebuild the routing table after shards opened or closed."""
        self._open = sorted((s for s in self.shards if s.is_open), key=lambda s: s.start)
        self._starts = [s.start for s in self._open]

    def visible_shards(self, now: float) -> list[Shard]:
        """Shards the API lists: open ones, and closed ones whose records may remain."""
        horizon = now - self.retention_hours * 3600
        return [s for s in self.shards if s.closed is None or s.closed >= horizon]

    def shard(self, index: int) -> Shard | None:
        return self.shards[index] if 0 <= index < len(self.shards) else None
