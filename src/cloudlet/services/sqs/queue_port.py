"""SQS as the queue port (`delivery.ports.Queues`): what event source mappings and Lambda's
destinations do with queues, through the same receive, delete and send as the API's.

Receives here may take more than ReceiveMessage's 10 messages at once (an event source
mapping's batch holds up to 10,000), and return every attribute, as Lambda's poller asks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from cloudlet.delivery.ports import MessageRejected, QueueInfo, QueueNotFound
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.sqs import inflight
from cloudlet.services.sqs.outgoing import fifo_identity, prepare
from cloudlet.services.sqs.queues import Queue
from cloudlet.services.sqs.receipts import Receipt, parse_receipt
from cloudlet.services.sqs.received import render
from cloudlet.store import Tx

if TYPE_CHECKING:
    from cloudlet.services.sqs.operations.messages import MessageOperations

_EVERY_SYSTEM_ATTRIBUTE = frozenset(("All",))
_EVERY_MESSAGE_ATTRIBUTE = ["All"]
_DELETE_RECEIVED = "DELETE FROM sqs_messages WHERE seq = ? AND queue_id = ? AND receive_count = ?"


class SqsQueues:
    def __init__(self, service: MessageOperations) -> None:
        self.service = service
        self.registry = service.registry

    def describe(self, arn: str) -> QueueInfo | None:
        queue = self.registry.by_arn(arn)
        if queue is None:
            return None
        redrive = queue.redrive
        return QueueInfo(
            queue.arn,
            queue.fifo,
            queue.visibility,
            redrive.dead_letter_arn if redrive else None,
            redrive.max_receive_count if redrive else None,
        )

    async def receive(
        self, arn: str, limit: int, *, wait: float = 0.0, visibility: int | None = None
    ) -> list[dict[str, Any]]:
        queue = self._queue(arn)
        timeout = queue.visibility if visibility is None else visibility
        taken = await self.service.claim_messages(queue, limit, timeout, wait)
        return [
            render(row, queue.id, _EVERY_SYSTEM_ATTRIBUTE, _EVERY_MESSAGE_ATTRIBUTE)
            for row in taken
        ]

    async def delete(self, arn: str, receipt_handles: Sequence[str]) -> None:
        queue = self._queue(arn)
        receipts = _receipts(queue, receipt_handles)
        if not receipts:
            return
        if not queue.fifo:
            # What DeleteMessage does on a standard queue, as one statement: a handle from an
            # earlier receive (another receive count) deletes nothing.
            keys = [(r.seq, queue.id, r.receive_count) for r in receipts]

            def delete_received(tx: Tx) -> None:
                tx.executemany(_DELETE_RECEIVED, keys)

            await self.service.store.write(delete_received)
            return
        now = time.time()

        def delete(tx: Tx) -> list[inflight.Outcome]:
            return [inflight.delete(tx, queue.id, True, r, now) for r in receipts]

        if inflight.Outcome.RELEASED in await self.service.store.write(delete):
            self.service.waiters.wake(queue.id)

    async def change_visibility(
        self, arn: str, receipt_handles: Sequence[str], timeout: int
    ) -> None:
        queue = self._queue(arn)
        receipts = _receipts(queue, receipt_handles)
        if not receipts:
            return
        now = time.time()

        def change(tx: Tx) -> list[inflight.Outcome]:
            return [inflight.change_visibility(tx, queue.id, r, timeout, now) for r in receipts]

        if inflight.Outcome.RELEASED in await self.service.store.write(change):
            self.service.waiters.wake(queue.id)

    def watch(self, arn: str, wake: Callable[[], None]) -> Callable[[], None]:
        return self.service.waiters.watch(self._queue(arn).id, wake)

    async def send(
        self,
        arn: str,
        body: str,
        *,
        message_attributes: dict[str, dict[str, Any]] | None = None,
        trace_header: str | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        sender: str | None = None,
    ) -> str:
        queue = self._queue(arn)
        entry: dict[str, Any] = {"MessageBody": body}
        if message_attributes:
            entry["MessageAttributes"] = message_attributes
        if trace_header:
            entry["MessageSystemAttributes"] = {
                "AWSTraceHeader": {"DataType": "String", "StringValue": trace_header}
            }
        if group_id is not None:
            entry["MessageGroupId"] = group_id
        if deduplication_id is not None:
            entry["MessageDeduplicationId"] = deduplication_id
        try:
            if queue.fifo:
                fifo_identity(queue, entry, batch=False)
            message = prepare(queue, entry)
        except ServiceError as refused:
            raise MessageRejected(refused.message) from None
        await self.service.store_messages(queue, [message], sender or queue.account)
        return str(message.answer["MessageId"])

    def _queue(self, arn: str) -> Queue:
        queue = self.registry.by_arn(arn)
        if queue is None:
            raise QueueNotFound(arn)
        return queue


def _receipts(queue: Queue, handles: Sequence[str]) -> list[Receipt]:
    """The handles that name messages of `queue`; others cannot match anything."""
    receipts = []
    for handle in handles:
        try:
            receipts.append(parse_receipt(handle, queue.id))
        except ServiceError:
            continue
    return receipts
