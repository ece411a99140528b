"""Event source mappings on Kinesis and DynamoDB streams, beside the SQS ones of `mappings`.

A stream mapping is created with its StartingPosition: LATEST and AT_TIMESTAMP are
resolved at once, for every shard the stream has, and written as the mapping's first
checkpoints, so that records written after CreateEventSourceMapping answers reach the
function. Its pollers (delivery's `StreamPoller`) keep a checkpoint per shard; disabling and
enabling a mapping resumes where it was, deleting it forgets them. `LastProcessingResult`
follows what the poller reports ("OK", "PROBLEM: ...").
"""

from __future__ import annotations

import time
from typing import Any

from cloudlet.delivery.mapping_settings import MappingSettings
from cloudlet.delivery.mapping_supervisor import source_kind
from cloudlet.delivery.ports import Streams
from cloudlet.delivery.stream_poller import streams_port
from cloudlet.delivery.stream_settings import StreamSettings
from cloudlet.ids import random_uuid
from cloudlet.services.base import RequestContext
from cloudlet.services.lambda_.mapping_rules import apply_filter_criteria, editable
from cloudlet.services.lambda_.mapping_store import Mapping
from cloudlet.services.lambda_.mappings import MappingOperations, mapping_settings
from cloudlet.services.lambda_.stream_mapping_rules import (
    DEFAULT_BATCH_SIZE,
    NOTHING_YET,
    STREAM_KINDS,
    TRANSITION_REASON,
    apply_settings,
    check_destination,
    check_starting_position,
    duplicate,
    on_failure,
    stream_not_found,
)


class StreamMappingOperations(MappingOperations):
    async def start(self) -> None:
        await super().start()
        await self.supervisor.checkpoints.keep_only(self.mapping_store.mappings.keys())

    async def create_event_source_mapping(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        source_arn = request.get("EventSourceArn") or ""
        kind = source_kind(source_arn)
        if kind not in STREAM_KINDS:
            return await super().create_event_source_mapping(ctx, request)
        uuid = random_uuid()
        config: dict[str, Any] = {
            "UUID": uuid,
            "StartingPosition": request.get("StartingPosition"),
            "BatchSize": DEFAULT_BATCH_SIZE,
            "MaximumBatchingWindowInSeconds": 0,
            "ParallelizationFactor": 1,
            "EventSourceArn": source_arn,
            "FunctionArn": "",
            "LastModified": time.time(),
            "LastProcessingResult": NOTHING_YET,
            "State": "",
            "StateTransitionReason": TRANSITION_REASON,
            "DestinationConfig": {"OnFailure": {}},
            "MaximumRecordAgeInSeconds": -1,
            "BisectBatchOnFunctionError": False,
            "MaximumRetryAttempts": -1,
            "TumblingWindowInSeconds": 0,
            "FunctionResponseTypes": list(request.get("FunctionResponseTypes") or []),
            "EventSourceMappingArn": (
                f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:event-source-mapping:{uuid}"
            ),
        }
        apply_settings(config, request)
        check_starting_position(request, kind)
        timestamp = None
        if config["StartingPosition"] == "AT_TIMESTAMP":
            timestamp = request["StartingPositionTimestamp"].timestamp()
            config["StartingPositionTimestamp"] = timestamp
        apply_filter_criteria(config, request)
        config["FunctionArn"], _ = self._mapping_target(ctx, request["FunctionName"])
        streams = streams_port(self.platform.ports, source_arn)
        if streams is None or await streams.describe(source_arn) is None:
            raise stream_not_found(source_arn)
        check_destination(self.platform.ports, on_failure(config))
        self._check_unique(ctx, config, duplicate)
        positions = await _starting_positions(streams, source_arn, config, timestamp)
        await self.supervisor.checkpoints.seed(uuid, positions)
        return await self._save_created(ctx, request, config)

    async def update_event_source_mapping(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        current = self._find_mapping(ctx, request["UUID"])
        if source_kind(current.config["EventSourceArn"]) not in STREAM_KINDS:
            return await super().update_event_source_mapping(ctx, request)
        config = editable(current.config)
        apply_settings(config, request)
        if request.get("FunctionResponseTypes") is not None:
            config["FunctionResponseTypes"] = request["FunctionResponseTypes"]
        apply_filter_criteria(config, request)
        if request.get("FunctionName") is not None:
            config["FunctionArn"], _ = self._mapping_target(ctx, request["FunctionName"])
            self._check_unique(ctx, config, duplicate)
        check_destination(self.platform.ports, on_failure(config))
        return await self._save_updated(current, request, config)

    async def delete_event_source_mapping(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        answer = await super().delete_event_source_mapping(ctx, request)
        if source_kind(answer["EventSourceArn"]) in STREAM_KINDS:
            self.background(self._forget(answer["UUID"]))
        return answer

    def _poll_or_not(self, mapping: Mapping) -> None:
        if not mapping.enabled or source_kind(mapping.config["EventSourceArn"]) not in STREAM_KINDS:
            super()._poll_or_not(mapping)
            return
        self.supervisor.run(self._stream_settings(mapping))

    async def _forget(self, uuid: str) -> None:
        """A deleted mapping's checkpoints go once its last poller has stopped."""
        checkpoints = self.supervisor.checkpoints
        async with checkpoints.lease(uuid):
            mapping = self.mapping_store.mappings.get(uuid)
            if mapping is None or mapping.config["State"] == "Deleting":
                await checkpoints.forget(uuid)

    def _stream_settings(self, mapping: Mapping) -> MappingSettings:
        config = mapping.config

        def report(result: str) -> None:
            if self.mapping_store.mappings.get(mapping.uuid) is mapping:
                mapping.config["LastProcessingResult"] = result
                self.background(self.mapping_store.save(mapping))

        stream = StreamSettings(
            config["StartingPosition"],
            config.get("StartingPositionTimestamp"),
            config["ParallelizationFactor"],
            config["MaximumRetryAttempts"],
            config["MaximumRecordAgeInSeconds"],
            config["BisectBatchOnFunctionError"],
            on_failure(config),
            config["TumblingWindowInSeconds"],
            report,
            self.config.stream_age_scale,
        )
        return mapping_settings(mapping, stream)


async def _starting_positions(
    streams: Streams, arn: str, config: dict[str, Any], timestamp: float | None
) -> dict[str, str]:
    """Where a new mapping starts in each shard the stream has now (TRIM_HORIZON: nothing to
    write, every shard without a checkpoint starts there)."""
    starting = config["StartingPosition"]
    if starting == "TRIM_HORIZON":
        return {}
    return {
        shard.shard_id: await streams.position(arn, shard.shard_id, starting, timestamp)
        for shard in await streams.shards(arn)
    }
