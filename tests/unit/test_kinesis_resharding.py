"""Resharding: splits and merges as Kinesis records them, and uniform scaling built on both."""

from __future__ import annotations

import itertools

import pytest

from cloudlet.services.kinesis import resharding
from cloudlet.services.kinesis.hashing import HASH_SPACE, even_ranges
from cloudlet.services.kinesis.streams import Shard, Stream


def stream_of(count: int) -> Stream:
    shards = [Shard(i, start, end, 0.0) for i, (start, end) in enumerate(even_ranges(count))]
    return Stream(1, "000000000000", "us-east-1", "s", "PROVISIONED", 24, 0.0, shards=shards)


def assert_even_cover(stream: Stream, count: int) -> None:
    current = stream.open_shards()
    assert len(current) == count
    assert current[0].start == 0 and current[-1].end == HASH_SPACE - 1
    for lower, upper in itertools.pairwise(current):
        assert upper.start == lower.end + 1
    widths = [s.end - s.start + 1 for s in current]
    assert max(widths) - min(widths) < 2**40


def test_doubling_splits_each_shard_once():
    stream = stream_of(3)
    changed = resharding.scale_uniformly(stream, 6, 10.0)
    assert [s.index for s in changed] == list(range(9))
    assert [s.parent for s in stream.open_shards()] == [0, 0, 1, 1, 2, 2]
    assert all(s.closed == 10.0 for s in stream.shards[:3])
    assert_even_cover(stream, 6)


def test_halving_merges_neighbours():
    stream = stream_of(4)
    resharding.scale_uniformly(stream, 2, 10.0)
    assert [(s.parent, s.adjacent_parent) for s in stream.open_shards()] == [(0, 1), (2, 3)]
    assert_even_cover(stream, 2)


@pytest.mark.parametrize(("start", "target"), [(3, 5), (5, 3), (7, 10), (10, 6), (1, 2), (4, 4)])
def test_any_reachable_target_ends_evenly(start, target):
    stream = stream_of(start)
    resharding.scale_uniformly(stream, target, 10.0)
    assert_even_cover(stream, target)
    # Every new shard descends from shards that covered its keys.
    for shard in stream.shards[start:]:
        parents = [stream.shards[p] for p in (shard.parent, shard.adjacent_parent) if p is not None]
        assert min(p.start for p in parents) <= shard.start
        assert max(p.end for p in parents) >= shard.end


def test_a_stream_already_even_is_left_alone():
    stream = stream_of(4)
    assert resharding.scale_uniformly(stream, 4, 10.0) == []
    assert len(stream.shards) == 4


def test_routing_follows_a_split_at_once():
    stream = stream_of(1)
    resharding.split(stream, stream.shards[0], 2**100, 10.0)
    assert stream.route(2**100 - 1).index == 1
    assert stream.route(2**100).index == 2
