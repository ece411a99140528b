"""The poller of one SQS event source mapping: receive batches, invoke the function, settle.

Workers of a mapping each take a batch, invoke the function synchronously and settle the
batch as Lambda does. A success deletes the batch; with ReportBatchItemFailures only the
items the function reports stay; a failure leaves the batch in flight, so that it comes
back after the queue's visibility timeout and, past maxReceiveCount, moves to the queue's
dead-letter queue on SQS's own receive path. Records that no filter matches are deleted
without invoking. A batch's delete commits while its worker takes the next batch (a worker
has at most one delete in flight).

Scaling follows the backlog. One worker always long-polls, so an idle mapping costs one
waiting receive and a message starts a batch at once. While batches keep coming (a receive
found messages, or messages arrive while every worker is busy) another worker starts: the
first five at once, then one every 0.2 s (Lambda's 300 a minute), up to the mapping's
MaximumConcurrency. A worker that finds the queue empty or is throttled stops, unless it is
the last. A throttled invocation is retried with backoff while the batch is still out of
sight; then its messages return to the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import orjson

from cloudlet.delivery.batch_response import failed_items
from cloudlet.delivery.filters import json_or_text
from cloudlet.delivery.mapping_settings import MappingSettings
from cloudlet.delivery.ports import (
    Functions,
    Invocation,
    InvokeRefused,
    Ports,
    QueueInfo,
    QueueNotFound,
    Queues,
    RecursionStopped,
)
from cloudlet.delivery.sqs_records import sqs_record

log = logging.getLogger("cloudlet.esm")

PAYLOAD_LIMIT = 6_291_456  # bytes: a synchronous invocation's request
LONG_POLL = 20.0  # seconds the listening worker waits in one receive
DEFAULT_CEILING = 1250  # concurrent batches of a standard queue's mapping without a maximum
QUICK_START = 5  # workers that may start at once; more come one per SCALE_INTERVAL
SCALE_INTERVAL = 0.2
THROTTLE_BACKOFF = (0.05, 2.0)  # seconds: first and longest wait before invoking again
REFUSED_PAUSE = 1.0  # seconds a worker rests when the function cannot be invoked at all
QUEUE_GONE_PAUSE = 1.0  # seconds between looks for a queue that does not exist (any more)
SETTLE_MARGIN = 0.5  # seconds before the visibility timeout ends when retries give up

_ENVELOPE = (b'{"Records":[', b"]}")


@dataclass(slots=True)
class Entry:
    """A received message as its record, encoded once."""

    record: dict[str, Any]
    encoded: bytes
    received: float  # loop time of the receive

    @property
    def message_id(self) -> str:
        return str(self.record["messageId"])

    @property
    def receipt(self) -> str:
        return str(self.record["receiptHandle"])


class SqsPoller:
    def __init__(self, settings: MappingSettings, ports: Ports) -> None:
        if ports.queues is None or ports.functions is None:
            raise RuntimeError("an SQS event source mapping needs the queue and function ports")
        self.settings = settings
        self.queues: Queues = ports.queues
        self.functions: Functions = ports.functions
        self.ceiling = settings.maximum_concurrency or DEFAULT_CEILING
        self.workers: set[asyncio.Task[None]] = set()
        self.receiving: set[asyncio.Task[None]] = set()  # workers waiting in a receive
        self.stopping = False
        self.last_start = 0.0
        self.unwatch: Any = None

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._watch()
        self._start_worker()

    def halt(self) -> None:
        """Stop taking messages; batches being processed finish in the background."""
        self.stopping = True
        if self.unwatch is not None:
            self.unwatch()
            self.unwatch = None
        for task in self.receiving:
            task.cancel()

    def busy(self) -> bool:
        """Whether a worker is still running (a halted poller finishing its batches)."""
        return bool(self.workers)

    async def close(self) -> None:
        """Stop now (the server stops): unfinished batches return to the queue later."""
        self.halt()
        workers = list(self.workers)
        for task in workers:
            task.cancel()
        for task in workers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # -- scaling ------------------------------------------------------------------------------

    def _watch(self) -> None:
        try:
            self.unwatch = self.queues.watch(self.settings.source_arn, self._arrived)
        except QueueNotFound:
            self.unwatch = None

    def _arrived(self) -> None:
        """A message may be receivable: if no worker is there to take it, start one."""
        if not self.receiving:
            self._scale_up()

    def _scale_up(self) -> None:
        if self.stopping or len(self.workers) >= self.ceiling:
            return
        now = time.monotonic()
        if len(self.workers) >= QUICK_START and now - self.last_start < SCALE_INTERVAL:
            return
        self.last_start = now
        self._start_worker()

    def _start_worker(self) -> None:
        task = asyncio.create_task(self._work())
        self.workers.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.workers.discard(task)
        self.receiving.discard(task)

    def _leave(self) -> bool:
        """Whether this worker may stop: another one is left to listen."""
        me = asyncio.current_task()
        if len(self.workers) <= 1 or me is None:
            return False
        self.workers.discard(me)  # at once, so that the last two do not both leave
        return True

    # -- the work -----------------------------------------------------------------------------

    async def _work(self) -> None:
        pending: list[Entry] = []
        # The previous batch's delete commits while the next batch is received and invoked.
        deleting: asyncio.Task[None] | None = None
        try:
            while not self.stopping:
                wait = LONG_POLL if len(self.workers) == 1 else 0.0
                try:
                    batch = await self._next_batch(pending, wait)
                    if not batch:
                        if self._leave():
                            return
                        continue
                    if not self.receiving:
                        self._scale_up()  # more may be waiting behind this batch
                    done, throttled = await self._process(batch)
                    if deleting is not None:
                        await deleting
                    deleting = asyncio.create_task(self._delete(done)) if done else None
                except Exception:
                    # The batch comes back after its visibility timeout; the worker goes on.
                    log.exception("event source mapping %s: a batch failed", self.settings.uuid)
                    pending.clear()
                    await asyncio.sleep(REFUSED_PAUSE)
                    continue
                if throttled and not pending and self._leave():
                    return
        finally:
            if deleting is not None:
                await deleting

    async def _next_batch(self, pending: list[Entry], wait: float) -> list[Entry]:
        """Up to BatchSize records within the payload limit, gathered for up to the batching
        window; records past the limit stay in `pending` for the next batch."""
        settings = self.settings
        size = sum(len(entry.encoded) + 1 for entry in pending)

        def room() -> int:
            return settings.batch_size - len(pending) if size < PAYLOAD_LIMIT else 0

        if room():
            for entry in await self._receive(room(), 0 if pending else wait):
                pending.append(entry)
                size += len(entry.encoded) + 1
        if pending and settings.batching_window:
            loop = asyncio.get_running_loop()
            closes = pending[0].received + settings.batching_window
            while room() and not self.stopping and (left := closes - loop.time()) > 0:
                for entry in await self._receive(room(), left):
                    pending.append(entry)
                    size += len(entry.encoded) + 1
        batch: list[Entry] = []
        size = len(_ENVELOPE[0]) + len(_ENVELOPE[1])
        for entry in pending:
            size += len(entry.encoded) + 1
            if batch and size > PAYLOAD_LIMIT:
                break
            batch.append(entry)
        del pending[: len(batch)]
        return batch

    async def _receive(self, limit: int, wait: float) -> list[Entry]:
        task = asyncio.current_task()
        assert task is not None
        self.receiving.add(task)
        try:
            messages = await self.queues.receive(self.settings.source_arn, limit, wait=wait)
        except QueueNotFound:
            await asyncio.sleep(QUEUE_GONE_PAUSE)
            return []
        finally:
            self.receiving.discard(task)
        if self.unwatch is None and not self.stopping:
            self._watch()  # the queue exists (again)
        received = asyncio.get_running_loop().time()
        arn, region = self.settings.source_arn, self.settings.region
        entries = []
        for message in messages:
            record = sqs_record(message, arn, region)
            entries.append(Entry(record, orjson.dumps(record), received))
        return entries

    async def _process(self, batch: list[Entry]) -> tuple[list[str], bool]:
        """Invoke the function with `batch`: the receipts of the messages done with (to
        delete), and whether the function was throttled."""
        settings = self.settings
        dropped: list[str] = []
        chosen = batch
        if settings.filters is not None:
            chosen = []
            for entry in batch:
                view = {**entry.record, "body": json_or_text(entry.record["body"])}
                if settings.filters.matches(view):
                    chosen.append(entry)
                else:
                    dropped.append(entry.receipt)
        if not chosen:
            return dropped, False
        info = self.queues.describe(settings.source_arn)
        visibility = info.visibility_timeout if info is not None else 30
        deadline = min(entry.received for entry in chosen) + visibility - SETTLE_MARGIN
        payload = _ENVELOPE[0] + b",".join(e.encoded for e in chosen) + _ENVELOPE[1]
        try:
            result, throttled = await self._invoke(payload, _trace_header(chosen), deadline)
        except RecursionStopped:
            await self._stop_recursion(chosen, info)
            return dropped, False
        done = dropped
        if result is not None and result.function_error is None:
            failed: set[str] | None = set()
            if settings.report_failures:
                failed = failed_items(result.payload, {e.message_id for e in chosen})
            if failed is not None:
                done = done + [e.receipt for e in chosen if e.message_id not in failed]
        return done, throttled

    async def _invoke(
        self, payload: bytes, trace_header: str, deadline: float
    ) -> tuple[Invocation | None, bool]:
        """The invocation's result (None: it could not run), and whether it was throttled."""
        loop = asyncio.get_running_loop()
        backoff, longest = THROTTLE_BACKOFF
        throttled = False
        while True:
            try:
                result = await self.functions.invoke(
                    self.settings.function_arn, payload, trace_header=trace_header
                )
                return result, throttled
            except RecursionStopped:
                raise
            except InvokeRefused as refused:
                if not refused.retryable:
                    log.warning("event source mapping %s: %s: %s", self.settings.uuid,
                                refused.code, refused.message)  # fmt: skip
                    await asyncio.sleep(REFUSED_PAUSE)
                    return None, throttled
                throttled = True
                if self.stopping or loop.time() + backoff >= deadline:
                    return None, throttled
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, longest)

    async def _stop_recursion(self, batch: list[Entry], info: QueueInfo | None) -> None:
        """A recursive loop was stopped: the messages go to the queue's dead-letter queue
        (released at once, so that SQS moves them past maxReceiveCount), or are dropped."""
        receipts = [entry.receipt for entry in batch]
        arn = self.settings.source_arn
        with contextlib.suppress(QueueNotFound):
            if info is not None and info.dead_letter_arn:
                await self.queues.change_visibility(arn, receipts, 0)
            else:
                await self.queues.delete(arn, receipts)

    async def _delete(self, receipts: list[str]) -> None:
        if receipts:
            with contextlib.suppress(QueueNotFound):
                await self.queues.delete(self.settings.source_arn, receipts)


def _trace_header(batch: list[Entry]) -> str:
    """The trace header the invocation carries: the first message's AWSTraceHeader."""
    for entry in batch:
        header = entry.record["attributes"].get("AWSTraceHeader")
        if header:
            return str(header)
    return ""
