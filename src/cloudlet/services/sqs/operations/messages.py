"""Message operations: send, receive (with long polling), delete, change visibility."""

from __future__ import annotations

import asyncio
import time
from functools import partial
from typing import Any

from cloudlet.services.base import RequestContext
from cloudlet.services.sqs import claims, fifo, inflight, rows
from cloudlet.services.sqs.base import SqsBase
from cloudlet.services.sqs.claims import ClaimRequest
from cloudlet.services.sqs.errors import invalid_value
from cloudlet.services.sqs.outgoing import Outgoing, fifo_identity, prepare
from cloudlet.services.sqs.queues import Queue
from cloudlet.services.sqs.receipts import parse_receipt
from cloudlet.services.sqs.received import render, wanted_system_attributes
from cloudlet.store import Tx

MAX_MESSAGES = 10
MAX_WAIT = 20


class MessageOperations(SqsBase):
    async def send_message(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(ctx, request["QueueUrl"])
        if queue.fifo:
            fifo_identity(queue, request, batch=False)
        message = prepare(queue, request, ctx.trace_header)
        await self.store_messages(queue, [message], ctx.access_key_id or ctx.account_id)
        return message.answer

    async def store_messages(self, queue: Queue, messages: list[Outgoing], sender: str) -> None:
        """Commit prepared messages, then wake the receives waiting on the queue.

        A FIFO message's answer gets its SequenceNumber (and, for a duplicate, the original's
        MessageId) once committed.
        """
        now = time.time()
        if queue.fifo:
            queue_id, by_group, sequences = queue.id, queue.dedup_by_group, self.sequences

            def send(tx: Tx) -> list[fifo.Sent]:
                return [
                    fifo.send(tx, queue_id, by_group, message, sender, now, sequences)
                    for message in messages
                ]

            for message, sent in zip(messages, await self.store.write(send), strict=True):
                message.answer["MessageId"] = sent.message_id
                message.answer["SequenceNumber"] = sent.sequence_number
        else:
            await self.store.write(
                lambda tx: rows.insert_standard(tx, queue.id, messages, sender, now)
            )
        if any(not message.delay for message in messages):
            self.waiters.wake(queue.id)

    async def receive_message(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(ctx, request["QueueUrl"])
        limit, visibility, wait = _receive_settings(queue, request)
        attempt_id = request.get("ReceiveRequestAttemptId") if queue.fifo else None
        taken = await self.claim_messages(queue, limit, visibility, wait, attempt_id)
        if not taken:
            return {}
        system_names = wanted_system_attributes(request)
        attribute_names = request.get("MessageAttributeNames") or []
        return {"Messages": [render(row, queue.id, system_names, attribute_names) for row in taken]}

    async def claim_messages(
        self,
        queue: Queue,
        limit: int,
        visibility: int,
        wait: float,
        attempt_id: str | None = None,
    ) -> list[rows.Row]:
        """Take up to `limit` messages out of sight, waiting up to `wait` seconds for some
        (long polling): ReceiveMessage's work, which the queue port shares."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            now = time.time()
            claim_request = ClaimRequest(
                queue.id,
                queue.fifo,
                limit,
                visibility,
                now,
                now - queue.retention,
                self._dead_letter(queue),
                self.sequences,
                attempt_id,
            )
            claim = await self.store.write(partial(claims.claim, request=claim_request))
            if claim.dead_lettered and claim_request.dead_letter is not None:
                self.waiters.wake(claim_request.dead_letter.destination.queue_id)
            left = deadline - loop.time()
            if claim.rows or left <= 0 or self.draining or queue.id not in self.registry.by_id:
                return claim.rows
            if claim.promoted:
                continue  # another message of a FIFO group just became deliverable
            if claim.next_visible is not None:
                left = min(left, max(claim.next_visible - time.time(), 0.001))
            await self.waiters.wait(queue.id, left)

    async def delete_message(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        queue = self._queue(ctx, request["QueueUrl"])
        handle = request["ReceiptHandle"]
        receipt = parse_receipt(handle, queue.id)
        now = time.time()
        outcome = await self.store.write(
            lambda tx: inflight.delete(tx, queue.id, queue.fifo, receipt, now)
        )
        if outcome is inflight.Outcome.RELEASED:
            self.waiters.wake(queue.id)
        error = inflight.deletion_error(outcome, queue.fifo, handle)
        if error is not None:
            raise error

    async def change_message_visibility(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        queue = self._queue(ctx, request["QueueUrl"])
        handle = request["ReceiptHandle"]
        timeout = request["VisibilityTimeout"]
        receipt = parse_receipt(handle, queue.id)
        inflight.check_visibility_timeout(timeout)
        now = time.time()
        outcome = await self.store.write(
            lambda tx: inflight.change_visibility(tx, queue.id, receipt, timeout, now)
        )
        if outcome is inflight.Outcome.RELEASED:
            self.waiters.wake(queue.id)
        error = inflight.visibility_error(outcome, handle, timeout)
        if error is not None:
            raise error


def _receive_settings(queue: Queue, request: dict[str, Any]) -> tuple[int, int, int]:
    """MaxNumberOfMessages, VisibilityTimeout and WaitTimeSeconds, checked, with defaults."""
    limit = request.get("MaxNumberOfMessages")
    if limit is None:
        limit = 1
    elif not 1 <= limit <= MAX_MESSAGES:
        raise invalid_value(
            "MaxNumberOfMessages", limit, f"Must be between 1 and {MAX_MESSAGES}, if provided."
        )
    visibility = request.get("VisibilityTimeout")
    if visibility is None:
        visibility = queue.visibility
    else:
        inflight.check_visibility_timeout(visibility)
    wait = request.get("WaitTimeSeconds")
    if wait is None:
        wait = queue.wait
    elif not 0 <= wait <= MAX_WAIT:
        raise invalid_value(
            "WaitTimeSeconds", wait, f"Must be >= 0 and <= {MAX_WAIT}, if provided."
        )
    return limit, visibility, wait
