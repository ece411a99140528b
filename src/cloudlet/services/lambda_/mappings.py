"""Event source mappings: Create / Update / Get / List / DeleteEventSourceMapping.

A mapping is stored with the state the user asked for (`enabled`); its pollers run in
`delivery` (`MappingSupervisor`), started again at start-up. A create answers `Creating`
(or `Disabled`), an update `Updating`, `Enabling` or `Disabling`, a delete `Deleting`; the
mapping settles into `Enabled` or `Disabled` (or goes) at once, unless
`CLOUDLET_LAMBDA_STATE_DELAY` holds it in transition for that many seconds, as AWS does for
a while: then a change meanwhile is refused with ResourceInUseException, as on AWS.

SQS queues are the sources here; Kinesis and DynamoDB Streams are `stream_mappings`', which
builds on these operations.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from cloudlet.delivery.filters import FilterCriteria
from cloudlet.delivery.mapping_settings import MappingSettings
from cloudlet.delivery.mapping_supervisor import MappingSupervisor, source_kind
from cloudlet.delivery.ports import QueueInfo
from cloudlet.delivery.stream_settings import StreamSettings
from cloudlet.gateway.errors import ServiceError
from cloudlet.ids import random_uuid
from cloudlet.services.base import Platform, RequestContext
from cloudlet.services.lambda_.core import LambdaCore
from cloudlet.services.lambda_.mapping_rules import (
    DEFAULT_BATCH_SIZE,
    TRANSITIONAL,
    apply_filter_criteria,
    check_queue_settings,
    check_visibility,
    duplicate,
    editable,
    function_missing,
    in_use,
    mapping_not_found,
    queue_missing,
    unrecognized_source,
)
from cloudlet.services.lambda_.mapping_store import Mapping, MappingStore
from cloudlet.services.lambda_.paging import paginate

LIST_LIMIT = 100  # ListEventSourceMappings answers at most 100 a page, whatever MaxItems says
USER_INITIATED = "USER_INITIATED"


class MappingOperations(LambdaCore):
    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.mapping_store = MappingStore(self.store)
        self.supervisor = MappingSupervisor(platform.ports, self.store)

    def status(self) -> dict[str, Any]:
        return {**super().status(), "event_source_mappings": len(self.mapping_store.mappings)}

    async def start(self) -> None:
        await super().start()
        for mapping in list(self.mapping_store.mappings.values()):
            state = mapping.config["State"]
            if state == "Deleting":
                await self.mapping_store.delete(mapping)
                continue
            if state in TRANSITIONAL:
                mapping.config["State"] = _settled_state(mapping)
                await self.mapping_store.save(mapping)
            self._poll_or_not(mapping)

    def drain(self) -> None:
        self.supervisor.pause()
        super().drain()

    async def stop(self) -> None:
        await self.supervisor.close()
        await super().stop()

    # -- operations ---------------------------------------------------------------------------

    async def create_event_source_mapping(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        source_arn = request.get("EventSourceArn") or ""
        kind = source_kind(source_arn)
        if kind not in DEFAULT_BATCH_SIZE:
            raise unrecognized_source()
        uuid = random_uuid()
        config: dict[str, Any] = {
            "UUID": uuid,
            "BatchSize": request.get("BatchSize") or DEFAULT_BATCH_SIZE[kind],
            "MaximumBatchingWindowInSeconds": request.get("MaximumBatchingWindowInSeconds") or 0,
            "EventSourceArn": source_arn,
            "FunctionArn": "",
            "LastModified": time.time(),
            "State": "",
            "StateTransitionReason": USER_INITIATED,
            "FunctionResponseTypes": list(request.get("FunctionResponseTypes") or []),
            "EventSourceMappingArn": (
                f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:event-source-mapping:{uuid}"
            ),
        }
        _apply_options(config, request)
        queue = self._check_queue(request, config)
        config["FunctionArn"], timeout = self._mapping_target(ctx, request["FunctionName"])
        if queue is None:
            raise queue_missing()
        check_visibility(queue.visibility_timeout, timeout)
        self._check_unique(ctx, config, duplicate)
        return await self._save_created(ctx, request, config)

    async def update_event_source_mapping(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        current = self._find_mapping(ctx, request["UUID"])
        config = editable(current.config)
        for name in ("BatchSize", "MaximumBatchingWindowInSeconds", "FunctionResponseTypes"):
            if request.get(name) is not None:
                config[name] = request[name]
        _apply_options(config, request)
        queue = self._check_queue(request, config)
        if request.get("FunctionName") is not None:
            config["FunctionArn"], timeout = self._mapping_target(ctx, request["FunctionName"])
            if queue is not None:
                check_visibility(queue.visibility_timeout, timeout)
            self._check_unique(ctx, config, duplicate)
        return await self._save_updated(current, request, config)

    async def get_event_source_mapping(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        return self._find_mapping(ctx, request["UUID"]).config

    async def list_event_source_mappings(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        mappings = self._mappings_in_scope(ctx)
        source_arn = request.get("EventSourceArn")
        if source_arn:
            mappings = [m for m in mappings if m.config["EventSourceArn"] == source_arn]
        if request.get("FunctionName"):
            function, ref = self.lookup(ctx, request["FunctionName"])
            if ref.qualifier is not None:
                wanted = function.qualified_arn(ref.qualifier)
                mappings = [m for m in mappings if m.config["FunctionArn"] == wanted]
            else:
                # A function's name lists its mappings of every version and alias.
                mappings = [m for m in mappings if _unqualified(m) == function.arn]
        limit = min(request.get("MaxItems") or LIST_LIMIT, LIST_LIMIT)
        page, marker = paginate([m.config for m in mappings], request.get("Marker"), limit)
        result: dict[str, Any] = {"EventSourceMappings": page}
        if marker:
            result["NextMarker"] = marker
        return result

    async def delete_event_source_mapping(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        mapping = self._find_mapping(ctx, request["UUID"])
        if mapping.config["State"] in TRANSITIONAL:
            raise in_use("delete")
        self.supervisor.halt(mapping.uuid)
        shown = {**mapping.config, "State": "Deleting"}
        if self.state_delay > 0:
            await self.mapping_store.save(Mapping(mapping.account, mapping.region, shown, False))
            self.background(self._settle_mapping(self.mapping_store.mappings[mapping.uuid]))
        else:
            await self.mapping_store.delete(mapping)
        return shown

    # -- helpers ------------------------------------------------------------------------------

    def _find_mapping(self, ctx: RequestContext, uuid: str) -> Mapping:
        mapping = self.mapping_store.mappings.get(uuid)
        if mapping is None or (mapping.account, mapping.region) != (ctx.account_id, ctx.region):
            raise mapping_not_found()
        return mapping

    def _mappings_in_scope(self, ctx: RequestContext) -> list[Mapping]:
        scope = (ctx.account_id, ctx.region)
        return [m for m in self.mapping_store.mappings.values() if (m.account, m.region) == scope]

    def _mapping_target(self, ctx: RequestContext, name: str) -> tuple[str, int]:
        """The ARN a mapping names the function by (qualified when given so), and the
        timeout of the version it runs."""
        try:
            function, ref = self.lookup(ctx, name)
        except ServiceError as error:
            if error.code != "ResourceNotFoundException":
                raise
            raise function_missing() from None
        version = self.resolve(function, ref.qualifier)
        arn = function.qualified_arn(ref.qualifier) if ref.qualifier else function.arn
        return arn, int(version.config.get("Timeout") or 3)

    def _check_unique(
        self,
        ctx: RequestContext,
        config: dict[str, Any],
        duplicate: Callable[[str, str, str], ServiceError],
    ) -> None:
        """A source maps to a function once: another mapping of both is `duplicate`'s
        conflict, whether this one is being created or pointed at that function."""
        pair = (config["EventSourceArn"], config["FunctionArn"])
        for other in self._mappings_in_scope(ctx):
            if other.uuid != config["UUID"] and (
                (other.config["EventSourceArn"], other.config["FunctionArn"]) == pair
            ):
                raise duplicate(pair[0], pair[1].split(":")[6], other.uuid)

    def _check_queue(self, request: dict[str, Any], config: dict[str, Any]) -> QueueInfo | None:
        """Check `config` against the rules of its queue; the queue, None if it is missing."""
        queues = self.platform.ports.queues
        source_arn = config["EventSourceArn"]
        queue = queues.describe(source_arn) if queues is not None else None
        fifo = queue.fifo if queue is not None else source_arn.endswith(".fifo")
        check_queue_settings(request, config, fifo)
        return queue

    async def _save_created(
        self, ctx: RequestContext, request: dict[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        """Save a new mapping, checked: Creating, or Disabled when the request says so."""
        enabled = request.get("Enabled") is not False
        mapping = Mapping(ctx.account_id, ctx.region, config, enabled)
        return await self._save_in_transition(mapping, "Creating" if enabled else "Disabled")

    async def _save_updated(
        self, current: Mapping, request: dict[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        """Save `current` changed to `config`, checked: Enabling, Disabling or Updating."""
        enabled = current.enabled if request.get("Enabled") is None else request["Enabled"]
        if enabled and not current.enabled:
            shown = "Enabling"
        elif current.enabled and not enabled:
            shown = "Disabling"
        else:
            shown = "Updating"
        config["LastModified"] = time.time()
        mapping = Mapping(current.account, current.region, config, enabled)
        return await self._save_in_transition(mapping, shown)

    async def _save_in_transition(self, mapping: Mapping, shown: str) -> dict[str, Any]:
        """Save the mapping in the state `shown`, the one the answer gives; it stays there
        for the state delay, or settles at once without one."""
        config = mapping.config
        config["State"] = shown if self.state_delay > 0 else _settled_state(mapping)
        await self.mapping_store.save(mapping)
        self._mapping_changed(mapping)
        return {**config, "State": shown}

    def _mapping_changed(self, mapping: Mapping) -> None:
        if self.state_delay > 0:
            self.background(self._settle_mapping(mapping))
        else:
            self._poll_or_not(mapping)

    async def _settle_mapping(self, mapping: Mapping) -> None:
        """After the state delay, the mapping leaves its transition (or goes, if deleted)."""
        await asyncio.sleep(self.state_delay)
        if self.mapping_store.mappings.get(mapping.uuid) is not mapping:
            return  # changed or deleted meanwhile
        if mapping.config["State"] == "Deleting":
            await self.mapping_store.delete(mapping)
            return
        mapping.config["State"] = _settled_state(mapping)
        await self.mapping_store.save(mapping)
        self._poll_or_not(mapping)

    def _poll_or_not(self, mapping: Mapping) -> None:
        """Poll for the mapping if it is enabled, else not."""
        if mapping.enabled:
            self.supervisor.run(mapping_settings(mapping))
        else:
            self.supervisor.halt(mapping.uuid)


def _apply_options(config: dict[str, Any], request: dict[str, Any]) -> None:
    """FilterCriteria and ScalingConfig as a create or update gives them (empty: none)."""
    apply_filter_criteria(config, request)
    scaling = request.get("ScalingConfig")
    if scaling is not None:
        if scaling.get("MaximumConcurrency"):
            config["ScalingConfig"] = {"MaximumConcurrency": scaling["MaximumConcurrency"]}
        else:
            config.pop("ScalingConfig", None)


def _settled_state(mapping: Mapping) -> str:
    return "Enabled" if mapping.enabled else "Disabled"


def _unqualified(mapping: Mapping) -> str:
    return ":".join(mapping.config["FunctionArn"].split(":")[:7])


def mapping_settings(mapping: Mapping, stream: StreamSettings | None = None) -> MappingSettings:
    """What a poller knows of the mapping (`stream`: what a stream's poller knows more)."""
    config = mapping.config
    patterns = [f["Pattern"] for f in (config.get("FilterCriteria") or {}).get("Filters", [])]
    return MappingSettings(
        mapping.uuid,
        config["EventSourceArn"],
        config["FunctionArn"],
        mapping.region,
        config["BatchSize"],
        config["MaximumBatchingWindowInSeconds"],
        (config.get("ScalingConfig") or {}).get("MaximumConcurrency"),
        "ReportBatchItemFailures" in config["FunctionResponseTypes"],
        FilterCriteria(patterns) if patterns else None,
        stream,
    )
