"""Queue operations: create, find, list, delete, attributes, tags, purge."""

from __future__ import annotations

import time
from typing import Any

from cloudlet.services.base import RequestContext
from cloudlet.services.sqs import rows
from cloudlet.services.sqs.attributes import COUNTS, READABLE, check_values, defaults, merged
from cloudlet.services.sqs.base import SqsBase
from cloudlet.services.sqs.errors import invalid_parameter, sqs_error, unknown_attribute
from cloudlet.services.sqs.pagination import page
from cloudlet.services.sqs.queues import Queue, check_name
from cloudlet.services.sqs.redrive import (
    allow_policy_text,
    check_dead_letter_target,
    parse_allow_policy,
    parse_redrive_policy,
    redrive_text,
)

MAX_TAGS = 50


class QueueOperations(SqsBase):
    async def create_queue(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["QueueName"]
        given = request.get("Attributes") or {}
        fifo = str(given.get("FifoQueue", "")).lower() == "true"
        check_name(name, fifo)
        key = (ctx.account_id, ctx.region, name)
        if self.registry.deleted_within(key, self.DELETED_QUEUE_WINDOW, time.time()):
            raise sqs_error(
                "QueueDeletedRecently",
                "You must wait 60 seconds after deleting a queue before you can create another "
                "with the same name.",
            )
        attributes = check_values(given, fifo=fifo, creating=True)
        arn = f"arn:aws:sqs:{ctx.region}:{ctx.account_id}:{name}"
        self._check_redrive(attributes, arn, fifo)
        tags = request.get("tags") or {}
        _check_tags(tags, name)
        async with self.registry.creating:
            existing = self.registry.get(key)
            if existing is not None:
                _check_same(existing, attributes)
                return {"QueueUrl": existing.url(ctx.endpoint)}
            full = merged(defaults(fifo), attributes)
            queue = await self.registry.create(key, full, tags, time.time())
        return {"QueueUrl": queue.url(ctx.endpoint)}

    async def get_queue_url(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        account = request.get("QueueOwnerAWSAccountId") or ctx.account_id
        queue = self.registry.resolve(request["QueueName"], account, ctx.region)
        return {"QueueUrl": queue.url(ctx.endpoint)}

    async def list_queues(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        prefix = request.get("QueueNamePrefix") or ""
        names = [
            queue.name
            for queue in self.registry.in_region(ctx.account_id, ctx.region)
            if queue.name.startswith(prefix)
        ]
        chosen, token = page(names, request.get("MaxResults"), request.get("NextToken"))
        result: dict[str, Any] = {}
        if chosen:
            result["QueueUrls"] = [f"{ctx.endpoint}/{ctx.account_id}/{name}" for name in chosen]
        if token:
            result["NextToken"] = token
        return result

    async def delete_queue(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        queue = self._queue(ctx, request["QueueUrl"])
        await self.registry.delete(queue)
        self.waiters.wake(queue.id)  # long polls on it end now

    async def get_queue_attributes(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        queue = self._queue(ctx, request["QueueUrl"])
        names = request.get("AttributeNames") or []
        for name in names:
            if name != "All" and name not in READABLE:
                raise unknown_attribute(name)
        if not names:
            return {}
        every = "All" in names
        values = {
            **queue.attributes,
            "QueueArn": queue.arn,
            "CreatedTimestamp": str(int(queue.created)),
            "LastModifiedTimestamp": str(int(queue.modified)),
        }
        if every or any(name in COUNTS for name in names):
            now = time.time()
            oldest = now - queue.retention
            counted = await self.store.read(lambda tx: rows.counts(tx, queue.id, now, oldest))
            values.update(zip(COUNTS, map(str, counted), strict=True))
        if every:
            return {"Attributes": values}
        return {"Attributes": {name: values[name] for name in names if name in values}}

    async def set_queue_attributes(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        queue = self._queue(ctx, request["QueueUrl"])
        changes = check_values(request["Attributes"], fifo=queue.fifo, creating=False)
        self._check_redrive(changes, queue.arn, queue.fifo)
        await self.registry.save(queue, merged(queue.attributes, changes), queue.tags)

    async def tag_queue(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        queue = self._queue(ctx, request["QueueUrl"])
        tags = {**queue.tags, **request["Tags"]}
        _check_tags(tags, queue.name)
        await self.registry.save(queue, queue.attributes, tags)

    async def untag_queue(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        queue = self._queue(ctx, request["QueueUrl"])
        removed = set(request["TagKeys"])
        tags = {key: value for key, value in queue.tags.items() if key not in removed}
        await self.registry.save(queue, queue.attributes, tags)

    async def list_queue_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(ctx, request["QueueUrl"])
        return {"Tags": dict(queue.tags)}

    async def purge_queue(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        queue = self._queue(ctx, request["QueueUrl"])
        now = time.time()
        if now - queue.purged_at < self.PURGE_WINDOW:
            raise sqs_error(
                "PurgeQueueInProgress",
                f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds.",
            )
        queue.purged_at = now
        await self.store.write(lambda tx: rows.purge(tx, queue.id))

    def _check_redrive(self, attributes: dict[str, str], source_arn: str, fifo: bool) -> None:
        """Check the redrive policies among `attributes`, and store them in SQS's form."""
        text = attributes.get("RedrivePolicy")
        if text:
            redrive = parse_redrive_policy(text)
            target = self.registry.by_arn(redrive.dead_letter_arn)
            check_dead_letter_target(text, source_arn, fifo, target)
            attributes["RedrivePolicy"] = redrive_text(redrive)
        text = attributes.get("RedriveAllowPolicy")
        if text:
            attributes["RedriveAllowPolicy"] = allow_policy_text(parse_allow_policy(text))


def _check_same(existing: Queue, attributes: dict[str, str]) -> None:
    """Re-creating a queue answers its URL, unless an attribute given differs from its own."""
    for name, value in attributes.items():
        if existing.attributes.get(name) != value:
            raise sqs_error(
                "QueueNameExists",
                "A queue already exists with the same name and a different value for attribute "
                f"{name}",
            )


def _check_tags(tags: dict[str, str], queue_name: str) -> None:
    if len(tags) > MAX_TAGS:
        raise invalid_parameter(f"Too many tags added for queue {queue_name}.")
    if any(not key for key in tags):
        raise invalid_parameter("Tag keys must not be empty.")
