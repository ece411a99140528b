"""Stream operations: create, describe, list, delete, retention, mode, encryption, metrics."""

from __future__ import annotations

import time
from typing import Any

from cloudlet.gateway.validate import Problem
from cloudlet.services.base import RequestContext
from cloudlet.services.kinesis import limits, paging
from cloudlet.services.kinesis.base import KinesisBase
from cloudlet.services.kinesis.errors import (
    consumers_remain,
    invalid_argument,
    on_demand_limit,
    shard_limit,
    stream_exists,
    stream_not_active,
    stream_not_found,
)
from cloudlet.services.kinesis.hashing import even_ranges
from cloudlet.services.kinesis.streams import Shard, Stream, shards_after
from cloudlet.services.kinesis.tagging import check_tags
from cloudlet.services.kinesis.validation import validation_error

ALL_METRICS = (
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
)


class StreamOperations(KinesisBase):
    async def create_stream(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        name = request["StreamName"]
        mode = (request.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
        count = request.get("ShardCount")
        if mode == "ON_DEMAND":
            if count is not None:
                raise invalid_argument("ShardCount is not expected when StreamMode=ON_DEMAND")
            count = limits.ON_DEMAND_SHARDS
        elif count is None:
            raise validation_error([Problem(("ShardCount",), "missing", None)])
        tags = request.get("Tags") or {}
        check_tags(tags)
        if self.registry.get(ctx.account_id, ctx.region, name) is not None:
            raise stream_exists(name, ctx.account_id)
        if mode == "ON_DEMAND":
            self._check_on_demand_limit(ctx)
        else:
            self._check_shard_limit(ctx, count)
        now = time.time()
        stream = Stream(
            self.registry.new_id(), ctx.account_id, ctx.region, name, mode,
            limits.DEFAULT_RETENTION_HOURS, now,
            shards=[Shard(i, start, end, now) for i, (start, end) in enumerate(even_ranges(count))],
            tags=dict(tags),
            max_record_kib=request.get("MaxRecordSizeInKiB") or limits.DEFAULT_RECORD_KIB,
        )  # fmt: skip
        self._begin(stream, "CREATING")
        await self.registry.create(stream)

    def _check_shard_limit(self, ctx: RequestContext, more: int) -> None:
        current = self._open_provisioned_shards(ctx)
        limit = limits.shard_limit(ctx.region)
        if current + more > limit:
            raise shard_limit(ctx.account_id, ctx.region, current, limit, more)

    def _check_on_demand_limit(self, ctx: RequestContext) -> None:
        streams = self.registry.in_region(ctx.account_id, ctx.region)
        if sum(s.mode == "ON_DEMAND" for s in streams) >= limits.ON_DEMAND_STREAM_LIMIT:
            raise on_demand_limit(ctx.account_id, ctx.region, limits.ON_DEMAND_STREAM_LIMIT)

    def _open_provisioned_shards(self, ctx: RequestContext) -> int:
        streams = self.registry.in_region(ctx.account_id, ctx.region)
        return sum(len(s.open_shards()) for s in streams if s.mode == "PROVISIONED")

    async def describe_stream(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, request)
        now = time.time()
        status = stream.status(now)
        shards = [] if status == "CREATING" else stream.visible_shards(now)
        start = request.get("ExclusiveStartShardId")
        if start is not None:
            shards = shards_after(shards, start)
        limit = min(request.get("Limit") or 100, 100)  # AWS answers at most 100 shards
        described = _summary(stream, status)
        described["Shards"] = [shard.describe() for shard in shards[:limit]]
        described["HasMoreShards"] = len(shards) > limit
        return {"StreamDescription": described}

    async def describe_stream_summary(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        stream = self._stream(ctx, request)
        status = stream.status(time.time())
        described = _summary(stream, status)
        described["OpenShardCount"] = 0 if status == "CREATING" else len(stream.open_shards())
        described["ConsumerCount"] = len(stream.consumers)
        described["MaxRecordSizeInKiB"] = stream.max_record_kib
        return {"StreamDescriptionSummary": described}

    async def list_streams(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        streams = self.registry.in_region(ctx.account_id, ctx.region)
        after = request.get("ExclusiveStartStreamName")
        if request.get("NextToken") is not None:
            (after,) = paging.read_token(request["NextToken"], 1)
        if after is not None:
            streams = [s for s in streams if s.name > after]
        limit = min(request.get("Limit") or 100, 100)  # AWS answers at most 100 streams
        page = streams[:limit]
        now = time.time()
        result: dict[str, Any] = {
            "StreamNames": [s.name for s in page],
            "HasMoreStreams": len(streams) > limit,
            "StreamSummaries": [
                {
                    "StreamName": s.name,
                    "StreamARN": s.arn,
                    "StreamStatus": s.status(now),
                    "StreamModeDetails": {"StreamMode": s.mode},
                    "StreamCreationTimestamp": s.created,
                }
                for s in page
            ],
        }
        if len(streams) > limit:
            result["NextToken"] = paging.next_token(page[-1].name)
        return result

    async def delete_stream(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        stream = self._stream(ctx, request)
        status = stream.status(time.time())
        if status == "DELETING":
            raise stream_not_found(stream.name, stream.account)
        if status == "CREATING":
            raise stream_not_active(stream.name, stream.account, status)
        if stream.consumers and not request.get("EnforceConsumerDeletion"):
            raise consumers_remain(stream.name, stream.account)
        self._begin(stream, "DELETING")
        await self.registry.delete(stream)

    # -- retention ------------------------------------------------------------------------------

    async def increase_stream_retention_period(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> None:
        hours = _retention(request["RetentionPeriodHours"])
        stream = self._changeable(ctx, request)
        if hours < stream.retention_hours:
            raise invalid_argument(
                f"Requested retention period ({hours} hours) for stream {stream.name} can not be"
                f" shorter than existing retention period ({stream.retention_hours} hours)."
                " Use DecreaseRetentionPeriod API."
            )
        stream.retention_hours = hours
        await self.registry.save(stream)

    async def decrease_stream_retention_period(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> None:
        hours = _retention(request["RetentionPeriodHours"])
        stream = self._changeable(ctx, request)
        if hours > stream.retention_hours:
            raise invalid_argument(
                f"Requested retention period ({hours} hours) for stream {stream.name} can not be"
                f" longer than existing retention period ({stream.retention_hours} hours)."
                " Use IncreaseRetentionPeriod API."
            )
        stream.retention_hours = hours
        await self.registry.save(stream)
        self.sweeper.soon()  # records past the new period go now, not at the next sweep

    # -- settings -------------------------------------------------------------------------------

    async def update_stream_mode(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        stream = self._changeable(ctx, request)
        mode = request["StreamModeDetails"]["StreamMode"]
        if mode == "ON_DEMAND" and stream.mode != mode:
            self._check_on_demand_limit(ctx)
        stream.mode = mode
        self._begin(stream, "UPDATING")
        await self.registry.save(stream)

    async def update_max_record_size(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        stream = self._changeable(ctx, request)
        stream.max_record_kib = request["MaxRecordSizeInKiB"]
        self._begin(stream, "UPDATING")
        await self.registry.save(stream)

    async def start_stream_encryption(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        if request["EncryptionType"] != "KMS":
            raise invalid_argument("KMS is the only valid EncryptionType for this request.")
        stream = self._changeable(ctx, request)
        stream.encryption, stream.key_id = "KMS", request["KeyId"]
        self._begin(stream, "UPDATING")
        await self.registry.save(stream)

    async def stop_stream_encryption(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        stream = self._changeable(ctx, request)
        stream.encryption, stream.key_id = "NONE", None
        self._begin(stream, "UPDATING")
        await self.registry.save(stream)

    async def enable_enhanced_monitoring(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        stream = self._changeable(ctx, request)
        current = list(stream.metrics)
        wanted = _metrics(request["ShardLevelMetrics"])
        stream.metrics = [m for m in ALL_METRICS if m in wanted or m in current]
        await self.registry.save(stream)
        return _monitoring(stream, current)

    async def disable_enhanced_monitoring(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        stream = self._changeable(ctx, request)
        current = list(stream.metrics)
        unwanted = _metrics(request["ShardLevelMetrics"])
        stream.metrics = [m for m in current if m not in unwanted]
        await self.registry.save(stream)
        return _monitoring(stream, current)

    async def describe_limits(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        streams = self.registry.in_region(ctx.account_id, ctx.region)
        return {
            "ShardLimit": limits.shard_limit(ctx.region),
            "OpenShardCount": self._open_provisioned_shards(ctx),
            "OnDemandStreamCount": sum(s.mode == "ON_DEMAND" for s in streams),
            "OnDemandStreamCountLimit": limits.ON_DEMAND_STREAM_LIMIT,
        }


def _summary(stream: Stream, status: str) -> dict[str, Any]:
    described: dict[str, Any] = {
        "StreamName": stream.name,
        "StreamARN": stream.arn,
        "StreamStatus": status,
        "StreamModeDetails": {"StreamMode": stream.mode},
        "RetentionPeriodHours": stream.retention_hours,
        "StreamCreationTimestamp": stream.created,
        "EnhancedMonitoring": [{"ShardLevelMetrics": list(stream.metrics)}],
        "EncryptionType": stream.encryption,
    }
    if stream.key_id is not None:
        described["KeyId"] = stream.key_id
    return described


def _retention(hours: int) -> int:
    if hours < limits.MIN_RETENTION_HOURS:
        raise invalid_argument(
            f"Minimum allowed retention period is {limits.MIN_RETENTION_HOURS} hours. Requested"
            f" retention period ({hours} hours) is too short."
        )
    if hours > limits.MAX_RETENTION_HOURS:
        raise invalid_argument(
            f"Maximum allowed retention period is {limits.MAX_RETENTION_HOURS} hours. Requested"
            f" retention period ({hours} hours) is too long."
        )
    return hours


def _metrics(names: list[str]) -> set[str]:
    return set(ALL_METRICS) if "ALL" in names else set(names)


def _monitoring(stream: Stream, before: list[str]) -> dict[str, Any]:
    return {
        "StreamName": stream.name,
        "StreamARN": stream.arn,
        "CurrentShardLevelMetrics": before,
        "DesiredShardLevelMetrics": list(stream.metrics),
    }
