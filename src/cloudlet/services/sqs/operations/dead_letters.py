"""Dead-letter queue operations: finding a DLQ's sources, and message move tasks."""

from __future__ import annotations

import time
from typing import Any

from cloudlet.services.base import RequestContext
from cloudlet.services.sqs import rows
from cloudlet.services.sqs.base import SqsBase
from cloudlet.services.sqs.errors import invalid_parameter, invalid_value, resource_not_found
from cloudlet.services.sqs.move_tasks import MAX_RATE, RUNNING, MoveTaskRunner, parse_task_handle
from cloudlet.services.sqs.pagination import page
from cloudlet.services.sqs.queues import Queue

MAX_LISTED_TASKS = 10


class DeadLetterOperations(SqsBase):
    move_tasks: MoveTaskRunner

    async def list_dead_letter_source_queues(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        queue = self._queue(ctx, request["QueueUrl"])
        sources = {
            source.name: source
            for source in self.registry.in_region(queue.account, queue.region)
            if source.redrive and source.redrive.dead_letter_arn == queue.arn
        }
        chosen, token = page(list(sources), request.get("MaxResults"), request.get("NextToken"))
        result: dict[str, Any] = {"queueUrls": [sources[name].url(ctx.endpoint) for name in chosen]}
        if token:
            result["NextToken"] = token
        return result

    async def start_message_move_task(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        source = self._arn_queue(request["SourceArn"], "SourceArn")
        if not self._is_dead_letter_queue(source):
            raise invalid_parameter("Source queue must be configured as a Dead Letter Queue.")
        destination_arn = request.get("DestinationArn")
        if destination_arn:
            destination = self._arn_queue(destination_arn, "DestinationArn")
            if destination.fifo != source.fifo:
                raise invalid_parameter(
                    "The source queue and the destination queue must be of the same type."
                )
        rate = request.get("MaxNumberOfMessagesPerSecond")
        if rate is not None and not 1 <= rate <= MAX_RATE:
            raise invalid_value(
                "MaxNumberOfMessagesPerSecond", rate, f"Must be between 1 and {MAX_RATE}."
            )
        if self.move_tasks.active(source.arn) is not None:
            raise invalid_parameter(
                "There is already a task running. Only one active task is allowed for a source "
                "queue arn at a given time."
            )
        to_move = await self._available(source)
        task = await self.move_tasks.start(source.arn, destination_arn or None, rate, to_move)
        return {"TaskHandle": task.handle}

    async def list_message_move_tasks(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        source = self._arn_queue(request["SourceArn"], "SourceArn")
        limit = request.get("MaxResults")
        if limit is None:
            limit = 1
        elif not 1 <= limit <= MAX_LISTED_TASKS:
            raise invalid_value(
                "MaxResults", limit, f"Must be between 1 and {MAX_LISTED_TASKS}, if provided."
            )
        tasks = await self.move_tasks.recent(source.arn, limit)
        return {"Results": [task.describe() for task in tasks]}

    async def cancel_message_move_task(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        task_id, source_arn = parse_task_handle(request["TaskHandle"])
        self._arn_queue(source_arn, "SourceArn")
        task = await self.move_tasks.find(task_id)
        if task is None or task.source_arn != source_arn:
            raise resource_not_found("Task does not exist.")
        if task.status != RUNNING:
            raise invalid_parameter(
                f"Only a task in status {RUNNING} can be cancelled; this one is {task.status}."
            )
        await self.move_tasks.cancel(task)
        return {"ApproximateNumberOfMessagesMoved": task.moved}

    def _arn_queue(self, arn: str, parameter: str) -> Queue:
        queue = self.registry.by_arn(arn)
        if queue is None:
            raise resource_not_found(
                f"The resource that you specified for the {parameter} parameter doesn't exist."
            )
        return queue

    def _is_dead_letter_queue(self, queue: Queue) -> bool:
        return any(
            other.redrive is not None and other.redrive.dead_letter_arn == queue.arn
            for other in self.registry.by_id.values()
        )

    async def _available(self, queue: Queue) -> int:
        """Messages a move task would find in `queue` now (ApproximateNumberOfMessagesToMove)."""
        now = time.time()
        visible, _, _ = await self.store.read(
            lambda tx: rows.counts(tx, queue.id, now, now - queue.retention)
        )
        return visible
