"""Message move tasks: a dead-letter queue's messages moved back to their source queues (or
to another queue) in the background, at a chosen rate.

A task is a row of `sqs_move_tasks`. Each batch of moves commits together with the task's
progress, so a crash neither loses nor duplicates a message, and the next start resumes
every task that was running.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson

from cloudlet.delivery.wakeups import Wakeups
from cloudlet.services.sqs import rows
from cloudlet.services.sqs.errors import invalid_parameter
from cloudlet.services.sqs.fifo import SequenceNumbers
from cloudlet.services.sqs.queues import Queue
from cloudlet.services.sqs.registry import QueueRegistry
from cloudlet.services.sqs.rows import COLUMNS, Destination, Row
from cloudlet.store import Store, Tx

log = logging.getLogger("cloudlet.sqs")

RUNNING, COMPLETED, CANCELLING, CANCELLED, FAILED = (
    "RUNNING", "COMPLETED", "CANCELLING", "CANCELLED", "FAILED"
)  # fmt: skip
NO_QUEUE = "AWS.SimpleQueueService.NonExistentQueue"
# Messages moved per transaction when the task has no rate of its own.
UNLIMITED_BATCH = 100
MAX_RATE = 500
_FIELDS = "task_id, source_arn, destination_arn, rate, status, moved, to_move, failure, started"


@dataclass
class MoveTask:
    task_id: str
    source_arn: str
    destination_arn: str | None
    rate: int | None
    status: str
    moved: int
    to_move: int
    failure: str | None
    started: float

    @property
    def handle(self) -> str:
        document = {"taskId": self.task_id, "sourceArn": self.source_arn}
        return base64.b64encode(orjson.dumps(document)).decode()

    def describe(self) -> dict[str, Any]:
        """The task as ListMessageMoveTasks shows it."""
        entry: dict[str, Any] = {
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": int(self.started * 1000),
        }
        if self.status == RUNNING:
            entry["TaskHandle"] = self.handle
        if self.destination_arn:
            entry["DestinationArn"] = self.destination_arn
        if self.rate:
            entry["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure:
            entry["FailureReason"] = self.failure
        return entry


def parse_task_handle(handle: str) -> tuple[str, str]:
    """(task id, source ARN) of a task handle."""
    try:
        document = orjson.loads(base64.b64decode(handle.encode("ascii"), validate=True))
        return str(document["taskId"]), str(document["sourceArn"])
    except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error, orjson.JSONDecodeError):
        raise invalid_parameter("Value for parameter TaskHandle is invalid.") from None


class _DestinationMissing(Exception):
    """A message's destination queue no longer exists: the task fails."""


class MoveTaskRunner:
    def __init__(
        self,
        store: Store,
        registry: QueueRegistry,
        waiters: Wakeups[int],
        sequences: SequenceNumbers,
    ) -> None:
        self.store = store
        self.registry = registry
        self.waiters = waiters
        self.sequences = sequences
        self._running: dict[str, tuple[MoveTask, asyncio.Task[None]]] = {}

    def active(self, source_arn: str) -> MoveTask | None:
        for task, _ in self._running.values():
            if task.source_arn == source_arn:
                return task
        return None

    async def start(
        self, source_arn: str, destination_arn: str | None, rate: int | None, to_move: int
    ) -> MoveTask:
        task = MoveTask(
            str(uuid.uuid4()), source_arn, destination_arn, rate, RUNNING, 0, to_move, None,
            time.time(),
        )  # fmt: skip
        values = (task.task_id, source_arn, destination_arn, rate, RUNNING, 0, to_move, None,
                  task.started)  # fmt: skip
        await self.store.write(
            lambda tx: tx.execute(
                f"INSERT INTO sqs_move_tasks ({_FIELDS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
        )
        self._spawn(task)
        return task

    async def resume(self) -> None:
        """Carry on with the tasks that were running when the server last stopped."""
        found = await self.store.read(
            lambda tx: tx.execute(
                f"SELECT {_FIELDS} FROM sqs_move_tasks WHERE status IN (?, ?)",
                (RUNNING, CANCELLING),
            ).fetchall()
        )
        for values in found:
            self._spawn(MoveTask(*values))

    async def stop(self) -> None:
        tasks = [runner for _, runner in self._running.values()]
        for runner in tasks:
            runner.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def cancel(self, task: MoveTask) -> None:
        await self.store.write(
            lambda tx: tx.execute(
                "UPDATE sqs_move_tasks SET status = ? WHERE task_id = ?",
                (CANCELLING, task.task_id),
            )
        )
        running = self._running.get(task.task_id)
        (running[0] if running else task).status = CANCELLING

    async def find(self, task_id: str) -> MoveTask | None:
        running = self._running.get(task_id)
        if running is not None:
            return running[0]
        found = await self.store.read(
            lambda tx: tx.execute(
                f"SELECT {_FIELDS} FROM sqs_move_tasks WHERE task_id = ?", (task_id,)
            ).fetchone()
        )
        return MoveTask(*found) if found else None

    async def recent(self, source_arn: str, limit: int) -> list[MoveTask]:
        """The latest tasks of a source queue, newest first, as they stand now."""
        found = await self.store.read(
            lambda tx: tx.execute(
                f"SELECT {_FIELDS} FROM sqs_move_tasks WHERE source_arn = ?"
                " ORDER BY started DESC LIMIT ?",
                (source_arn, limit),
            ).fetchall()
        )
        tasks = [MoveTask(*values) for values in found]
        return [self._running.get(t.task_id, (t, None))[0] for t in tasks]

    def _spawn(self, task: MoveTask) -> None:
        runner = asyncio.get_running_loop().create_task(self._run(task))
        self._running[task.task_id] = (task, runner)

    async def _run(self, task: MoveTask) -> None:
        try:
            await self._move_all(task)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("message move task %s failed", task.task_id)
            await self._finish(task, FAILED, "InternalFailure")
        finally:
            self._running.pop(task.task_id, None)

    async def _move_all(self, task: MoveTask) -> None:
        batch = task.rate or UNLIMITED_BATCH
        while True:
            if task.status == CANCELLING:
                return await self._finish(task, CANCELLED)
            source = self.registry.by_arn(task.source_arn)
            fixed = self.registry.by_arn(task.destination_arn) if task.destination_arn else None
            if source is None or (task.destination_arn and fixed is None):
                return await self._finish(task, FAILED, NO_QUEUE)
            wanted = min(batch, task.to_move - task.moved)
            if wanted <= 0:
                return await self._finish(task, COMPLETED)
            started = time.monotonic()
            now = time.time()

            move = partial(
                self._move_batch,
                task=task,
                source_id=source.id,
                wanted=wanted,
                now=now,
                oldest=now - source.retention,
                fixed=fixed,
            )
            try:
                touched = await self.store.write(move)
            except _DestinationMissing:
                return await self._finish(task, FAILED, NO_QUEUE)
            task.moved += len(touched)
            for queue_id in set(touched):
                self.waiters.wake(queue_id)
            if len(touched) < wanted:
                return await self._finish(task, COMPLETED)
            if task.rate:
                await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
            else:
                await asyncio.sleep(0)

    def _move_batch(
        self,
        tx: Tx,
        task: MoveTask,
        source_id: int,
        wanted: int,
        now: float,
        oldest: float,
        fixed: Queue | None,
    ) -> list[int]:
        """Move up to `wanted` available messages; the destination queue id of each."""
        # Without a destination, messages go back where they were dead-lettered from; one
        # sent to the dead-letter queue directly has nowhere to go back to, and stays.
        sourced = "" if task.destination_arn else " AND source_arn IS NOT NULL"
        found = tx.execute(
            f"SELECT {COLUMNS} FROM sqs_messages WHERE queue_id = ? AND visible_at <= ?"
            f" AND sent_at > ?{sourced} ORDER BY visible_at, seq LIMIT ?",
            (source_id, now, oldest, wanted),
        ).fetchall()
        touched = []
        for values in found:
            row = Row._make(values)
            destination = self._destination(fixed, row)
            number = self.sequences.draw(now) if destination.fifo else None
            rows.transfer(
                tx, source_id, row, destination, now, sequence_number=number,
                dead_letter_source=None,
            )  # fmt: skip
            touched.append(destination.queue_id)
        tx.execute(
            "UPDATE sqs_move_tasks SET moved = moved + ? WHERE task_id = ?",
            (len(touched), task.task_id),
        )
        return touched

    def _destination(self, fixed: Queue | None, row: Row) -> Destination:
        queue = fixed or self.registry.by_arn(row.source_arn or "")
        if queue is None:
            raise _DestinationMissing
        return Destination(queue.id, queue.fifo)

    async def _finish(self, task: MoveTask, status: str, failure: str | None = None) -> None:
        await self.store.write(
            lambda tx: tx.execute(
                "UPDATE sqs_move_tasks SET status = ?, failure = ? WHERE task_id = ?",
                (status, failure, task.task_id),
            )
        )
        task.status = status
        task.failure = failure
