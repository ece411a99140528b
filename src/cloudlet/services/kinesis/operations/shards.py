"""Shard operations: ListShards, and resharding (UpdateShardCount, SplitShard, MergeShards)."""

from __future__ import annotations

import time
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.kinesis import limits, paging, resharding
from cloudlet.services.kinesis.errors import (
    invalid_argument,
    not_eligible,
    stream_not_active,
    stream_not_found,
    unknown_shard,
)
from cloudlet.services.kinesis.names import shard_id, shard_index
from cloudlet.services.kinesis.operations.streams import StreamOperations
from cloudlet.services.kinesis.streams import Shard, Stream, shards_after

LIST_SHARDS_DEFAULT = 1000  # and the most AWS answers at once
# What may come with a NextToken: none of these, which the token already says.
_NOT_WITH_TOKEN = ("StreamName", "StreamARN", "ExclusiveStartShardId", "StreamCreationTimestamp")


class ShardOperations(StreamOperations):
    async def list_shards(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        token = request.get("NextToken")
        shard_filter = request.get("ShardFilter")
        if token is not None:
            for member in _NOT_WITH_TOKEN:
                if request.get(member) is not None:
                    raise invalid_argument(f"NextToken and {member} cannot be provided together.")
            name, after, shard_filter = paging.read_token(token, 3)
            stream = self.registry.get(ctx.account_id, ctx.region, name)
            if stream is None:
                raise stream_not_found(name, ctx.account_id)
        else:
            stream = self._stream(ctx, request)
            after = request.get("ExclusiveStartShardId")
        now = time.time()
        status = stream.status(now)
        if status == "CREATING":
            raise stream_not_active(stream.name, stream.account, status)
        shards = _filtered(stream, shard_filter, now)
        if after is not None:
            shards = shards_after(shards, after)
        limit = min(request.get("MaxResults") or LIST_SHARDS_DEFAULT, LIST_SHARDS_DEFAULT)
        page = shards[:limit]
        result: dict[str, Any] = {"Shards": [shard.describe() for shard in page]}
        if len(shards) > limit:
            result["NextToken"] = paging.next_token(
                stream.name, page[-1].id, _storable(shard_filter)
            )
        return result

    # -- resharding -----------------------------------------------------------------------------

    async def update_shard_count(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        stream = self._stream(ctx, request)
        if stream.mode == "ON_DEMAND":
            raise ServiceError(
                "ValidationException",
                f"Request is invalid. Stream {stream.name} under account {stream.account} is in"
                " On-Demand mode.",
            )
        stream = self._changeable(ctx, request)
        target = request["TargetShardCount"]
        current = len(stream.open_shards())
        counts = f"Current open shard count: {current}, Target shard count: {target}"
        limit = limits.shard_limit(ctx.region)
        if target > limit:
            raise _limit(
                f"Target shard count or number of open shards cannot be greater than {limit}."
                f" {counts}"
            )
        if target > current * 2:
            raise _limit(
                "UpdateShardCount cannot scale up over double your current open shard count."
                f" {counts}"
            )
        if target * 2 < current:
            raise _limit(
                "UpdateShardCount cannot scale down below half your current open shard count."
                f" {counts}"
            )
        if target > current:
            self._check_shard_limit(ctx, target - current)
        changed = resharding.scale_uniformly(stream, target, time.time())
        await self._resharded(stream, changed)
        return {
            "StreamName": stream.name,
            "CurrentShardCount": current,
            "TargetShardCount": target,
            "StreamARN": stream.arn,
        }

    async def split_shard(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        stream = self._changeable(ctx, request)
        shard = _open_shard(stream, request["ShardToSplit"], "splitting")
        at = int(request["NewStartingHashKey"])
        if not shard.start + 1 < at < shard.end:
            raise invalid_argument(
                f"NewStartingHashKey {request['NewStartingHashKey']} used in SplitShard() on"
                f" shard {shard.id} in stream {stream.name} under account {stream.account} is"
                f" not both greater than one plus the shard's StartingHashKey {shard.start} and"
                f" less than the shard's EndingHashKey {shard.end}."
            )
        if stream.mode == "PROVISIONED":
            self._check_shard_limit(ctx, 1)
        await self._resharded(stream, resharding.split(stream, shard, at, time.time()))

    async def merge_shards(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        stream = self._changeable(ctx, request)
        lower = _open_shard(stream, request["ShardToMerge"], "merging")
        upper = _open_shard(stream, request["AdjacentShardToMerge"], "merging")
        if lower.end + 1 != upper.start:
            raise invalid_argument(
                f"Shards {lower.id} and {upper.id} in stream {stream.name} under account"
                f" {stream.account} are not an adjacent pair of shards eligible for merging"
            )
        await self._resharded(stream, resharding.merge(stream, lower, upper, time.time()))

    async def _resharded(self, stream: Stream, changed: list[Shard]) -> None:
        """Store a reshard. Routing already follows it: a write accepted from now on goes to
        the new shards, and is committed after this change is."""
        self._begin(stream, "UPDATING")
        if changed:
            await self.registry.save_shards(stream, changed)


def _limit(message: str) -> ServiceError:
    return ServiceError("LimitExceededException", message)


def _open_shard(stream: Stream, given: str, change: str) -> Shard:
    index = shard_index(given)
    shard = stream.shard(index) if index is not None else None
    if shard is None:
        shown = shard_id(index) if index is not None else given
        raise unknown_shard(shown, stream.name, stream.account)
    if not shard.is_open:
        raise not_eligible(shard.id, stream.name, stream.account, change)
    return shard


def _filtered(stream: Stream, shard_filter: dict[str, Any] | None, now: float) -> list[Shard]:
    """The shards ListShards returns for a ShardFilter."""
    shards = stream.visible_shards(now)
    if shard_filter is None:
        return shards
    kind = shard_filter["Type"]
    if kind == "AFTER_SHARD_ID":
        given = shard_filter.get("ShardId")
        if given is None:
            raise invalid_argument("ShardId must be specified for ShardFilter type AFTER_SHARD_ID.")
        return shards_after(shards, given)
    if kind == "AT_LATEST":
        return [s for s in shards if s.is_open]
    if kind == "FROM_TRIM_HORIZON":
        return shards
    if kind == "AT_TRIM_HORIZON":
        moment = max(now - stream.retention_hours * 3600, stream.created)
        return _open_at(shards, moment)
    stamp = shard_filter.get("Timestamp")
    if stamp is None:
        raise invalid_argument(f"Timestamp must be specified for ShardFilter type {kind}.")
    moment = max(_seconds(stamp), stream.created)
    if kind == "AT_TIMESTAMP":
        return _open_at(shards, moment)
    return [s for s in shards if s.closed is None or s.closed >= moment]  # FROM_TIMESTAMP


def _storable(shard_filter: dict[str, Any] | None) -> dict[str, Any] | None:
    """A ShardFilter as a NextToken carries it (its timestamp in epoch seconds)."""
    if shard_filter is None or shard_filter.get("Timestamp") is None:
        return shard_filter
    return {**shard_filter, "Timestamp": _seconds(shard_filter["Timestamp"])}


def _open_at(shards: list[Shard], moment: float) -> list[Shard]:
    return [s for s in shards if s.created <= moment and (s.closed is None or s.closed > moment)]


def _seconds(stamp: Any) -> float:
    return stamp.timestamp() if hasattr(stamp, "timestamp") else float(stamp)
