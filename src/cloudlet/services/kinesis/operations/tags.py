"""Tags: the stream operations (AddTagsToStream...) and the resource ones (TagResource...)."""

from __future__ import annotations

from typing import Any

from cloudlet.services.base import RequestContext
from cloudlet.services.kinesis import limits
from cloudlet.services.kinesis.base import KinesisBase
from cloudlet.services.kinesis.errors import consumer_not_found, stream_not_found
from cloudlet.services.kinesis.names import parse_consumer_arn, parse_stream_arn
from cloudlet.services.kinesis.streams import Consumer, Stream
from cloudlet.services.kinesis.tagging import merged


class TagOperations(KinesisBase):
    async def add_tags_to_stream(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        stream = self._stream(ctx, request)
        stream.tags = merged(stream.tags, request["Tags"], stream.name, stream.account)
        await self.registry.save(stream)

    async def remove_tags_from_stream(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        stream = self._stream(ctx, request)
        removed = set(request["TagKeys"])
        stream.tags = {k: v for k, v in stream.tags.items() if k not in removed}
        await self.registry.save(stream)

    async def list_tags_for_stream(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        stream = self._stream(ctx, request)
        keys = sorted(stream.tags)
        start = request.get("ExclusiveStartTagKey")
        if start is not None:
            keys = [key for key in keys if key > start]
        limit = request.get("Limit") or limits.MAX_TAGS
        return {
            "Tags": [{"Key": key, "Value": stream.tags[key]} for key in keys[:limit]],
            "HasMoreTags": len(keys) > limit,
        }

    async def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        stream, consumer = self._resource(ctx, request["ResourceARN"])
        if consumer is not None:
            consumer.tags = merged(consumer.tags, request["Tags"], stream.name, stream.account)
            await self.registry.save_consumer(stream, consumer)
        else:
            stream.tags = merged(stream.tags, request["Tags"], stream.name, stream.account)
            await self.registry.save(stream)

    async def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        stream, consumer = self._resource(ctx, request["ResourceARN"])
        removed = set(request["TagKeys"])
        holder = consumer if consumer is not None else stream
        holder.tags = {k: v for k, v in holder.tags.items() if k not in removed}
        if consumer is not None:
            await self.registry.save_consumer(stream, consumer)
        else:
            await self.registry.save(stream)

    async def list_tags_for_resource(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        stream, consumer = self._resource(ctx, request["ResourceARN"])
        tags = consumer.tags if consumer is not None else stream.tags
        return {"Tags": [{"Key": key, "Value": tags[key]} for key in sorted(tags)]}

    def _resource(self, ctx: RequestContext, arn: str) -> tuple[Stream, Consumer | None]:
        """The stream, or the stream and consumer, an ARN names."""
        consumer_parts = parse_consumer_arn(arn)
        if consumer_parts is not None:
            region, account, stream_name, name, created = consumer_parts
            stream = self._owned(ctx, region, account, stream_name)
            consumer = stream.consumers.get(name)
            if consumer is None or int(consumer.created) != created:
                raise consumer_not_found(name, account)
            return stream, consumer
        parts = parse_stream_arn(arn)
        if parts is None:
            raise stream_not_found(arn, ctx.account_id)
        return self._owned(ctx, *parts), None

    def _owned(self, ctx: RequestContext, region: str, account: str, name: str) -> Stream:
        stream = None
        if (region, account) == (ctx.region, ctx.account_id):
            stream = self.registry.get(account, region, name)
        if stream is None:
            raise stream_not_found(name, account)
        return stream
