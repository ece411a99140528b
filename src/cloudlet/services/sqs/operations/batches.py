"""Batch operations: up to 10 sends, deletes or visibility changes, each answered apart.

Every batch is one transaction, whatever its size.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.sqs import inflight
from cloudlet.services.sqs.batches import check_entries, check_total_size, failure
from cloudlet.services.sqs.errors import missing_parameter
from cloudlet.services.sqs.operations.messages import MessageOperations
from cloudlet.services.sqs.outgoing import Outgoing, fifo_identity, prepare, size_of
from cloudlet.services.sqs.queues import Queue
from cloudlet.services.sqs.receipts import Receipt, parse_receipt
from cloudlet.store import Tx


class BatchOperations(MessageOperations):
    async def send_message_batch(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        queue = self._queue(ctx, request["QueueUrl"])
        entries = request["Entries"]
        check_entries(entries, "SendMessageBatchRequestEntry")
        sizes = [size_of(entry) for entry in entries]
        check_total_size(sum(sizes))
        if queue.fifo:
            for entry in entries:
                fifo_identity(queue, entry, batch=True)
        prepared: list[tuple[str, Outgoing]] = []
        failed = []
        for entry, size in zip(entries, sizes, strict=True):
            try:
                prepared.append((entry["Id"], prepare(queue, entry, ctx.trace_header, size)))
            except ServiceError as error:
                failed.append(failure(entry["Id"], error))
        if prepared:
            messages = [message for _, message in prepared]
            await self.store_messages(queue, messages, ctx.access_key_id or ctx.account_id)
        successful = [{"Id": entry_id, **message.answer} for entry_id, message in prepared]
        return {"Successful": successful, "Failed": failed}

    async def delete_message_batch(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        queue = self._queue(ctx, request["QueueUrl"])
        entries = request["Entries"]
        check_entries(entries, "DeleteMessageBatchRequestEntry")
        receipts, failed = _receipts(entries, queue.id)
        now = time.time()

        def delete(tx: Tx, _: dict[str, Any], receipt: Receipt) -> inflight.Outcome:
            return inflight.delete(tx, queue.id, queue.fifo, receipt, now)

        def error(entry: dict[str, Any], outcome: inflight.Outcome) -> ServiceError | None:
            return inflight.deletion_error(outcome, queue.fifo, entry["ReceiptHandle"])

        return await self._settle(queue, receipts, failed, delete, error)

    async def change_message_visibility_batch(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        queue = self._queue(ctx, request["QueueUrl"])
        entries = request["Entries"]
        check_entries(entries, "ChangeMessageVisibilityBatchRequestEntry")
        parsed, failed = _receipts(entries, queue.id)
        receipts = []
        for entry, receipt in parsed:
            try:
                if entry.get("VisibilityTimeout") is None:
                    raise missing_parameter("VisibilityTimeout")
                inflight.check_visibility_timeout(entry["VisibilityTimeout"])
            except ServiceError as error:
                failed.append(failure(entry["Id"], error))
            else:
                receipts.append((entry, receipt))
        now = time.time()

        def change(tx: Tx, entry: dict[str, Any], receipt: Receipt) -> inflight.Outcome:
            return inflight.change_visibility(
                tx, queue.id, receipt, entry["VisibilityTimeout"], now
            )

        def error(entry: dict[str, Any], outcome: inflight.Outcome) -> ServiceError | None:
            return inflight.visibility_error(
                outcome, entry["ReceiptHandle"], entry["VisibilityTimeout"]
            )

        return await self._settle(queue, receipts, failed, change, error)

    async def _settle(
        self,
        queue: Queue,
        receipts: list[tuple[dict[str, Any], Receipt]],
        failed: list[dict[str, Any]],
        apply: Callable[[Tx, dict[str, Any], Receipt], inflight.Outcome],
        error_of: Callable[[dict[str, Any], inflight.Outcome], ServiceError | None],
    ) -> dict[str, Any]:
        """A delete or visibility change batch's end: `apply` to each entry with a valid
        receipt, all in one transaction, then each outcome as `error_of` words it; the
        answer's failures are `failed` (refused before) and these."""

        def write(tx: Tx) -> list[inflight.Outcome]:
            return [apply(tx, entry, receipt) for entry, receipt in receipts]

        outcomes = await self.store.write(write) if receipts else []
        successful = []
        for (entry, _), outcome in zip(receipts, outcomes, strict=True):
            error = error_of(entry, outcome)
            if error is None:
                successful.append({"Id": entry["Id"]})
            else:
                failed.append(failure(entry["Id"], error))
        if inflight.Outcome.RELEASED in outcomes:
            self.waiters.wake(queue.id)
        return {"Successful": successful, "Failed": failed}


def _receipts(
    entries: list[dict[str, Any]], queue_id: int
) -> tuple[list[tuple[dict[str, Any], Receipt]], list[dict[str, Any]]]:
    """The entries whose receipt handles are valid for the queue, and failures for the rest."""
    valid, failed = [], []
    for entry in entries:
        try:
            valid.append((entry, parse_receipt(entry["ReceiptHandle"], queue_id)))
        except ServiceError as error:
            failed.append(failure(entry["Id"], error))
    return valid, failed
