"""The CloudWatch Logs provider: groups, streams, events, retention and tags over `LogStore`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.validate import Problem
from cloudlet.logstore import GroupSearch, LogGroup, LogStore, LogStream
from cloudlet.services.base import Platform, RequestContext, Service
from cloudlet.services.logs import tokens
from cloudlet.services.logs.batches import check_batch
from cloudlet.services.logs.errors import (
    group_exists,
    group_not_found,
    invalid_parameter,
    invalid_resource_arn,
    invalid_token,
    stream_exists,
    stream_not_found,
)
from cloudlet.services.logs.patterns import PatternError, compile_pattern

log = logging.getLogger("cloudlet.logs")

RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip
SWEEP_INTERVAL = 60.0  # seconds between retention sweeps
MAX_RESPONSE_BYTES = 1_048_576
_GROUP_ARN = re.compile(r"arn:aws[\w-]*:logs:([\w-]+):(\d{12}):log-group:([\.\-_/#A-Za-z0-9]+)")


class LogsService(Service):
    name = "logs"
    validation_error_code = "InvalidParameterException"

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.logs = platform.logs or LogStore(platform.store)
        self._sweeper: asyncio.Task[None] | None = None
        self._sweep_now = asyncio.Event()

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper

    def status(self) -> dict[str, Any]:
        return self.logs.stats()

    def invalid_input(self, operation: str, problems: list[Problem]) -> ServiceError:
        # The tagging operations check ARNs themselves, with their own answer.
        if any(problem.member == "resourceArn" for problem in problems):
            return invalid_resource_arn()
        return super().invalid_input(operation, problems)

    async def _sweep(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._sweep_now.wait(), SWEEP_INTERVAL)
            self._sweep_now.clear()
            try:
                removed = await self.logs.expire()
            except Exception:
                log.exception("retention sweep failed; trying again at the next one")
                continue
            if removed:
                log.info("retention sweep removed %d expired log events", removed)

    # -- finding things -----------------------------------------------------------------------

    async def _group(self, ctx: RequestContext, request: dict[str, Any]) -> LogGroup:
        name = request.get("logGroupName")
        identifier = request.get("logGroupIdentifier")
        if name is not None and identifier is not None:
            raise invalid_parameter(
                "LogGroupName and LogGroupIdentifier are mutually exclusive parameters."
            )
        if name is None and identifier is None:
            raise invalid_parameter("Should provide either logGroupName or logGroupIdentifier.")
        if identifier is not None:
            name = _name_from_identifier(ctx, identifier)
        group = await self.logs.group(ctx.account_id, ctx.region, name)
        if group is None:
            raise group_not_found()
        return group

    async def _stream(self, group: LogGroup, name: str) -> LogStream:
        stream = await self.logs.stream(group, name)
        if stream is None:
            raise stream_not_found()
        return stream

    async def _group_by_arn(self, ctx: RequestContext, arn: str) -> LogGroup:
        found = _GROUP_ARN.fullmatch(arn)
        if found is None:
            raise invalid_resource_arn()
        region, account, name = found.groups()
        group = None
        if (account, region) == (ctx.account_id, ctx.region):
            group = await self.logs.group(account, region, name)
        if group is None:
            raise group_not_found()
        return group

    # -- groups ---------------------------------------------------------------------------------

    async def create_log_group(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        created = await self.logs.create_group(
            ctx.account_id,
            ctx.region,
            request["logGroupName"],
            tags=request.get("tags"),
            kms_key_id=request.get("kmsKeyId"),
            log_group_class=request.get("logGroupClass") or "STANDARD",
        )
        if created is None:
            raise group_exists()

    async def delete_log_group(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        await self.logs.delete_group(await self._group(ctx, request))

    async def describe_log_groups(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        prefix = request.get("logGroupNamePrefix") or ""
        pattern = request.get("logGroupNamePattern")
        if prefix and pattern is not None:
            raise invalid_parameter(
                "LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters."
            )
        limit = request.get("limit") or 50
        after = str(_page_key(request)[0]) if request.get("nextToken") else None
        wanted = _class_filter(request.get("logGroupClass"))
        await self.logs.flush()
        identifiers = request.get("logGroupIdentifiers")
        if identifiers is not None:
            found = await self._named_groups(ctx, identifiers, after, wanted, limit + 1)
        else:
            found = await self.logs.groups(
                ctx.account_id,
                ctx.region,
                prefix=prefix,
                contains=pattern or "",
                classes=wanted,
                after=after,
                limit=limit + 1,
            )
        page = found[:limit]
        result: dict[str, Any] = {
            "logGroups": [_describe_group(group, brief=pattern is not None) for group in page]
        }
        if len(found) > limit:
            result["nextToken"] = tokens.page_token([found[limit - 1].name])
        return result

    async def _named_groups(
        self,
        ctx: RequestContext,
        identifiers: list[str],
        after: str | None,
        classes: set[str] | None,
        limit: int,
    ) -> list[LogGroup]:
        names = sorted({_name_from_identifier(ctx, identifier) for identifier in identifiers})
        found = []
        for name in names:
            if after is not None and name <= after:
                continue
            group = await self.logs.group(ctx.account_id, ctx.region, name)
            if group is not None and (classes is None or group.log_group_class in classes):
                found.append(group)
                if len(found) == limit:
                    break
        return found

    async def put_retention_policy(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        days = request["retentionInDays"]
        if days not in RETENTION_DAYS:
            raise invalid_parameter(
                f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to"
                " satisfy constraint: Member must satisfy enum value set: ["
                + ", ".join(str(value) for value in RETENTION_DAYS)
                + "]"
            )
        await self.logs.set_retention(await self._group(ctx, request), days)
        self._sweep_now.set()  # apply it now rather than at the next periodic sweep

    async def delete_retention_policy(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        await self.logs.set_retention(await self._group(ctx, request), None)

    # -- tags -----------------------------------------------------------------------------------

    async def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        group = await self._group_by_arn(ctx, request["resourceArn"])
        await self.logs.set_tags(group, {**group.tags, **request["tags"]})

    async def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        group = await self._group_by_arn(ctx, request["resourceArn"])
        removed = set(request["tagKeys"])
        await self.logs.set_tags(group, {k: v for k, v in group.tags.items() if k not in removed})

    async def list_tags_for_resource(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        group = await self._group_by_arn(ctx, request["resourceArn"])
        return {"tags": group.tags}

    async def tag_log_group(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        group = await self._group(ctx, request)
        await self.logs.set_tags(group, {**group.tags, **request["tags"]})

    async def untag_log_group(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        group = await self._group(ctx, request)
        removed = set(request["tags"])
        await self.logs.set_tags(group, {k: v for k, v in group.tags.items() if k not in removed})

    async def list_tags_log_group(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        return {"tags": (await self._group(ctx, request)).tags}

    # -- streams --------------------------------------------------------------------------------

    async def create_log_stream(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        group = await self._group(ctx, request)
        if await self.logs.create_stream(group, request["logStreamName"]) is None:
            raise stream_exists()

    async def delete_log_stream(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        await self.logs.flush()  # a function's buffered lines would bring the stream back
        group = await self._group(ctx, request)
        await self.logs.delete_stream(group, await self._stream(group, request["logStreamName"]))

    async def describe_log_streams(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        by_last_event = request.get("orderBy") == "LastEventTime"
        prefix = request.get("logStreamNamePrefix") or ""
        if by_last_event and prefix:
            raise invalid_parameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
        limit = request.get("limit") or 50
        after = tuple(_page_key(request)) if request.get("nextToken") else None
        await self.logs.flush()
        group = await self._group(ctx, request)
        found = await self.logs.streams(
            group,
            prefix=prefix,
            by_last_event=by_last_event,
            descending=bool(request.get("descending")),
            after=after,
            limit=limit + 1,
        )
        result: dict[str, Any] = {
            "logStreams": [_describe_stream(group, stream) for stream in found[:limit]]
        }
        if len(found) > limit:
            last = found[limit - 1]
            key = [last.last_event, last.id] if by_last_event else [last.name]
            result["nextToken"] = tokens.page_token(key)
        return result

    # -- events ---------------------------------------------------------------------------------

    async def put_log_events(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        group = await self._group(ctx, request)
        stream = await self._stream(group, request["logStreamName"])
        events = [(event["timestamp"], event["message"]) for event in request["logEvents"]]
        batch = check_batch(events, int(time.time() * 1000), group.retention_days)
        last_id = await self.logs.put_events(group, stream, batch.accepted) if batch.accepted else 0
        result: dict[str, Any] = {"nextSequenceToken": f"{last_id:056d}"}
        if batch.rejected:
            result["rejectedLogEventsInfo"] = batch.rejected
        return result

    async def get_log_events(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        token = request.get("nextToken")
        try:
            direction, position = (
                tokens.parse_stream_token(token)
                if token is not None
                else ("f" if request.get("startFromHead") else "b", None)
            )
        except tokens.TokenError:
            raise invalid_token() from None
        await self.logs.flush()
        group = await self._group(ctx, request)
        stream = await self._stream(group, request["logStreamName"])
        forward = direction == "f"
        events = await self.logs.read_stream(
            stream,
            start=request.get("startTime"),
            end=request.get("endTime"),
            after=position if forward else None,
            before=None if forward else position,
            newest=not forward,
            limit=request.get("limit") or 10_000,
            max_bytes=MAX_RESPONSE_BYTES,
        )
        if events:
            next_forward = tokens.stream_token("f", events[-1].position)
            next_backward = tokens.stream_token("b", events[0].position)
        else:
            # Nothing further that way: the token passed in comes back, as on AWS.
            here = position or tokens.START
            next_forward = token if token and forward else tokens.stream_token("f", here)
            next_backward = token if token and not forward else tokens.stream_token("b", here)
        return {
            "events": [
                {"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion}
                for e in events
            ],
            "nextForwardToken": next_forward,
            "nextBackwardToken": next_backward,
        }

    async def filter_log_events(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        names = request.get("logStreamNames")
        prefix = request.get("logStreamNamePrefix")
        if names is not None and prefix is not None:
            raise invalid_parameter(
                "logStreamNames and logStreamNamePrefix are mutually exclusive parameters."
            )
        try:
            matches = compile_pattern(request.get("filterPattern"))
        except PatternError as error:
            raise invalid_parameter(str(error)) from None
        newest_first = request.get("startFromHead") is False
        after = None
        if request.get("nextToken"):
            try:
                direction, after = tokens.parse_stream_token(request["nextToken"])
            except tokens.TokenError:
                raise invalid_token() from None
            newest_first = direction == "b"
        await self.logs.flush()
        group = await self._group(ctx, request)
        search = GroupSearch(
            group_id=group.id,
            stream_names=None if names is None else tuple(names),
            stream_prefix=prefix or "",
            start=request.get("startTime"),
            end=request.get("endTime"),
            after=after,
            newest_first=newest_first,
            limit=request.get("limit") or 10_000,
            max_bytes=MAX_RESPONSE_BYTES,
        )
        found = await self.logs.search_group(search, matches)
        result: dict[str, Any] = {
            "events": [
                {
                    "logStreamName": e.stream,
                    "timestamp": e.timestamp,
                    "message": e.message,
                    "ingestionTime": e.ingestion,
                    "eventId": tokens.event_id(e.position),
                }
                for e in found.events
            ],
            "searchedLogStreams": [],  # no longer filled in by AWS either
        }
        if found.resume_after is not None:
            result["nextToken"] = tokens.stream_token(
                "b" if newest_first else "f", found.resume_after
            )
        return result


# -- shapes of answers ------------------------------------------------------------------------


def _describe_group(group: LogGroup, *, brief: bool) -> dict[str, Any]:
    described: dict[str, Any] = {
        "logGroupName": group.name,
        "creationTime": group.created,
        "arn": group.arn,
    }
    if brief:  # AWS answers a logGroupNamePattern search with these three only
        return described
    if group.retention_days is not None:
        described["retentionInDays"] = group.retention_days
    described["metricFilterCount"] = 0
    described["storedBytes"] = group.stored_bytes
    if group.kms_key_id:
        described["kmsKeyId"] = group.kms_key_id
    described["logGroupClass"] = group.log_group_class
    described["logGroupArn"] = group.group_arn
    return described


def _describe_stream(group: LogGroup, stream: LogStream) -> dict[str, Any]:
    described: dict[str, Any] = {
        "logStreamName": stream.name,
        "creationTime": stream.created,
    }
    if stream.first_event >= 0:
        described["firstEventTimestamp"] = stream.first_event
        described["lastEventTimestamp"] = stream.last_event
        described["lastIngestionTime"] = stream.last_ingestion
    described["uploadSequenceToken"] = f"{stream.id:056d}"
    described["arn"] = f"{group.group_arn}:log-stream:{stream.name}"
    described["storedBytes"] = 0  # AWS stopped reporting it for streams in 2019
    return described


def _name_from_identifier(ctx: RequestContext, identifier: str) -> str:
    """A log group's name from a name or an ARN of the caller's account and region."""
    if not identifier.startswith("arn:"):
        return identifier
    found = _GROUP_ARN.fullmatch(identifier)
    if found is None:
        raise invalid_parameter("Invalid logGroupIdentifier.")
    region, account, name = found.groups()
    if (account, region) != (ctx.account_id, ctx.region):
        raise group_not_found()
    return name


def _page_key(request: dict[str, Any]) -> list[Any]:
    try:
        return tokens.parse_page_token(request["nextToken"])
    except tokens.TokenError:
        raise invalid_token() from None


def _class_filter(log_group_class: str | None) -> set[str] | None:
    if log_group_class is None:
        return None
    if log_group_class in ("INFREQUENT_ACCESS", "ESSENTIALS"):
        return {"INFREQUENT_ACCESS", "ESSENTIALS"}
    return {log_group_class}
