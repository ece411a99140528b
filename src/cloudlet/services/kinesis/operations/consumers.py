"""Enhanced fan-out consumers: registered, described, listed and deregistered.

cloudlet keeps consumers so that tools which register them work; SubscribeToShard (HTTP/2
event streams) is not served.
"""

from __future__ import annotations

import time
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.kinesis import paging
from cloudlet.services.kinesis.base import KinesisBase
from cloudlet.services.kinesis.errors import consumer_not_found, invalid_argument
from cloudlet.services.kinesis.names import parse_consumer_arn
from cloudlet.services.kinesis.streams import Consumer, Stream
from cloudlet.services.kinesis.tagging import check_tags

MAX_CONSUMERS = 20
LIST_DEFAULT = 100  # and the most AWS answers at once


class ConsumerOperations(KinesisBase):
    async def register_stream_consumer(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        stream = self._stream(ctx, request)
        name = request["ConsumerName"]
        tags = request.get("Tags") or {}
        check_tags(tags)
        if name in stream.consumers:
            raise ServiceError(
                "ResourceInUseException",
                f"Consumer {name} under stream {stream.name} already exists for account"
                f" {stream.account}.",
            )
        if len(stream.consumers) >= MAX_CONSUMERS:
            raise ServiceError(
                "LimitExceededException",
                f"Consumer limit of {MAX_CONSUMERS} reached for stream {stream.name} under"
                f" account {stream.account}.",
            )
        now = time.time()
        consumer = Consumer(name, now, dict(tags))
        if self.state_delay > 0:
            consumer.transition, consumer.settles_at = "CREATING", now + self.state_delay
        await self.registry.add_consumer(stream, consumer)
        return {"Consumer": _described(stream, consumer, now, with_stream=False)}

    async def describe_stream_consumer(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        stream, consumer = self._consumer(ctx, request)
        return {"ConsumerDescription": _described(stream, consumer, time.time(), with_stream=True)}

    async def list_stream_consumers(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        stream = self._stream(ctx, request)
        consumers = sorted(stream.consumers.values(), key=lambda c: (c.created, c.name))
        if request.get("NextToken") is not None:
            (after,) = paging.read_token(request["NextToken"], 1)
            names = [c.name for c in consumers]
            consumers = consumers[names.index(after) + 1 :] if after in names else consumers
        limit = min(request.get("MaxResults") or LIST_DEFAULT, LIST_DEFAULT)
        now = time.time()
        result: dict[str, Any] = {
            "Consumers": [_described(stream, c, now, with_stream=False) for c in consumers[:limit]]
        }
        if len(consumers) > limit:
            result["NextToken"] = paging.next_token(consumers[limit - 1].name)
        return result

    async def deregister_stream_consumer(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> None:
        stream, consumer = self._consumer(ctx, request)
        await self.registry.remove_consumer(stream, consumer)

    def _consumer(self, ctx: RequestContext, request: dict[str, Any]) -> tuple[Stream, Consumer]:
        """The consumer named by ConsumerARN, or by StreamARN and ConsumerName."""
        arn = request.get("ConsumerARN")
        if arn is not None:
            parts = parse_consumer_arn(arn)
            if parts is None:
                raise invalid_argument(f"ConsumerARN {arn} is invalid.")
            region, account, stream_name, name, created = parts
            found = None
            if (account, region) == (ctx.account_id, ctx.region):
                found = self.registry.get(account, region, stream_name)
            consumer = found.consumers.get(name) if found is not None else None
            if found is None or consumer is None or int(consumer.created) != created:
                raise consumer_not_found(name, account)
            return found, consumer
        name = request.get("ConsumerName")
        if name is None or request.get("StreamARN") is None:
            raise invalid_argument(
                "Either ConsumerARN or both ConsumerName and StreamARN must be provided."
            )
        stream = self._stream(ctx, request)
        consumer = stream.consumers.get(name)
        if consumer is None:
            raise consumer_not_found(name, stream.account)
        return stream, consumer


def _described(stream: Stream, consumer: Consumer, now: float, with_stream: bool) -> dict[str, Any]:
    described = {
        "ConsumerName": consumer.name,
        "ConsumerARN": consumer.arn(stream),
        "ConsumerStatus": consumer.status(now),
        "ConsumerCreationTimestamp": consumer.created,
    }
    if with_stream:
        described["StreamARN"] = stream.arn
    return described
