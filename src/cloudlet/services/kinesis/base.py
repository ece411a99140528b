"""What every group of Kinesis operations shares: the streams, the arrivals hook, the
optional write limits, and how a request names its stream."""

from __future__ import annotations

import time
from typing import Any

from cloudlet.services.base import Platform, RequestContext, Service
from cloudlet.services.kinesis.arrivals import Arrivals
from cloudlet.services.kinesis.errors import invalid_argument, stream_not_active, stream_not_found
from cloudlet.services.kinesis.names import parse_stream_arn
from cloudlet.services.kinesis.registry import StreamRegistry
from cloudlet.services.kinesis.retention import RetentionSweeper
from cloudlet.services.kinesis.schema import MIGRATIONS
from cloudlet.services.kinesis.streams import ACTIVE, Stream
from cloudlet.services.kinesis.throughput import Throttle


class KinesisBase(Service):
    name = "kinesis"
    migrations = MIGRATIONS

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.registry = StreamRegistry(self.store)
        self.arrivals = Arrivals(self.registry.get)
        self.sweeper = RetentionSweeper(self.store, self.registry)
        self.throttle = Throttle() if self.config.kinesis_throttle else None
        # How long CREATING, UPDATING, DELETING show before a change settles (AWS: seconds).
        self.state_delay = self.config.kinesis_state_delay

    def _stream(self, ctx: RequestContext, request: dict[str, Any]) -> Stream:
        """The stream a request names by StreamARN or StreamName; ResourceNotFoundException."""
        arn = request.get("StreamARN")
        if arn is not None:
            parts = parse_stream_arn(arn)
            if parts is None:
                raise invalid_argument(f"StreamARN {arn} is invalid.")
            region, account, name = parts
            if (region, account) != (ctx.region, ctx.account_id):
                raise stream_not_found(name, account)
        else:
            name = request.get("StreamName")
            if name is None:
                raise invalid_argument("Either StreamName or StreamARN must be provided.")
            account = ctx.account_id
        stream = self.registry.get(account, ctx.region, name)
        if stream is None:
            raise stream_not_found(name, account)
        return stream

    def _readable(self, ctx: RequestContext, request: dict[str, Any]) -> Stream:
        """A stream records go to and come from: one being created or deleted is not found."""
        stream = self._stream(ctx, request)
        if stream.status(time.time()) in ("CREATING", "DELETING"):
            raise stream_not_found(stream.name, stream.account)
        return stream

    def _changeable(self, ctx: RequestContext, request: dict[str, Any]) -> Stream:
        """A stream that takes a change now: ACTIVE, else ResourceInUseException."""
        stream = self._stream(ctx, request)
        status = stream.status(time.time())
        if status != ACTIVE:
            raise stream_not_active(stream.name, stream.account, status)
        return stream

    def _begin(self, stream: Stream, transition: str) -> None:
        """Show `transition` (CREATING, UPDATING, DELETING) for the configured delay."""
        stream.transition = transition
        stream.settles_at = time.time() + self.state_delay if self.state_delay > 0 else 0.0
