"""Resharding as Kinesis does it: a split closes a shard and opens two children, a merge
closes two adjacent shards and opens one; UpdateShardCount is a series of both.

These functions change the stream in memory (its routing too) and return the shards to
store: the closed parents and the new children.
"""

from __future__ import annotations

import itertools

from cloudlet.services.kinesis.hashing import HASH_SPACE
from cloudlet.services.kinesis.streams import Shard, Stream

# Target boundaries this close to an existing one are taken to be it: uniform layouts of
# different shard counts round the same point differently by a few units.
_SNAP = 1 << 20


def split(stream: Stream, parent: Shard, at: int, now: float) -> list[Shard]:
    """Split `parent` so that the second child starts at hash key `at`."""
    first = len(stream.shards)
    left = Shard(first, parent.start, at - 1, now, parent=parent.index)
    right = Shard(first + 1, at, parent.end, now, parent=parent.index)
    parent.closed = now
    stream.shards += [left, right]
    stream.route_again()
    return [parent, left, right]


def merge(stream: Stream, lower: Shard, upper: Shard, now: float) -> list[Shard]:
    """Merge two adjacent shards, `lower` holding the smaller hash keys."""
    child = Shard(
        len(stream.shards), lower.start, upper.end, now,
        parent=lower.index, adjacent_parent=upper.index,
    )  # fmt: skip
    lower.closed = upper.closed = now
    stream.shards.append(child)
    stream.route_again()
    return [lower, upper, child]


def scale_uniformly(stream: Stream, target: int, now: float) -> list[Shard]:
    """Reshard until `target` open shards split the hash key space evenly."""
    current = list(stream.open_shards())
    starts = {shard.start for shard in current}
    width = HASH_SPACE // target
    bounds = [_snapped(width * i, starts) for i in range(1, target)]
    changed: list[Shard] = []
    pieces: list[Shard] = []
    for shard in current:
        inside = [b for b in bounds if shard.start < b <= shard.end]
        for at in inside:
            parent, left, right = split(stream, shard, at, now)
            changed += [parent, left, right]
            pieces.append(left)
            shard = right
        pieces.append(shard)
    edges = [0, *bounds, HASH_SPACE]
    for low, high in itertools.pairwise(edges):
        group = [p for p in pieces if low <= p.start and p.end < high]
        merged = group[0]
        for upper in group[1:]:
            lower_closed, upper_closed, merged = merge(stream, merged, upper, now)
            changed += [lower_closed, upper_closed, merged]
    unique: dict[int, Shard] = {shard.index: shard for shard in changed}
    return sorted(unique.values(), key=lambda shard: shard.index)


def _snapped(bound: int, starts: set[int]) -> int:
    near = [start for start in starts if abs(start - bound) <= _SNAP]
    return near[0] if near else bound
