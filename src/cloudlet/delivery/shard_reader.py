"""One shard of a stream event source mapping: read in order, batched, checkpointed.

The reader reads ahead of the function (a bounded number of records) and hands each record
to one of ParallelizationFactor lanes, by a hash of its key (partition key, or the item's
key), so that records of one key stay in order while lanes run batches side by side. Records
no filter matches are done at once. The checkpoint is the last record of the unbroken run of
done records from the start: it never passes a record still to run, whatever order the lanes
finish in. A writer task of the reader writes it as it moves, without holding the lanes up
(a batch settled just before a crash runs again: at least once); the last one is written
before the reader stops.

With TumblingWindowInSeconds, a lane's batches never span two windows, and a window gets
its final invocation when a record of a later window comes or its end passes.

Idle, the reader waits on the stream's notification hook (`Streams.wait`): a new record
starts its batch as soon as its write commits. A closed shard read to its end, every record
done, is marked finished, so that its children may start.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import zlib
from collections import deque
from typing import TYPE_CHECKING

import orjson

from cloudlet.delivery.stream_batches import Entry
from cloudlet.delivery.stream_records import dynamodb_record, filter_view, kinesis_record
from cloudlet.delivery.stream_windows import Window

if TYPE_CHECKING:
    from cloudlet.delivery.ports import StreamRecord
    from cloudlet.delivery.stream_poller import StreamPoller

PAYLOAD_LIMIT = 6_291_456  # bytes: a synchronous invocation's request
IDLE_WAIT = 20.0  # seconds one wait on the stream lasts before the reader looks again
GONE_PAUSE = 1.0  # seconds before a reader whose stream vanished gives up
READ_LIMIT = 10_000  # records one read takes at most (GetRecords' limit)


class ShardReader:
    def __init__(self, poller: StreamPoller, shard_id: str, position: str | None) -> None:
        self.poller = poller
        self.settings = poller.settings
        self.shard_id = shard_id
        self.position = position  # last record read (None: start at the trim horizon)
        self.done = position  # last record of the unbroken run of done records
        self.saved = position  # last checkpoint written
        self.pending: deque[Entry] = deque()  # read, in shard order, not yet all done
        self.progress = asyncio.Event()  # set whenever records become done
        self.moved = asyncio.Event()  # set when `done` moves past `saved`
        self.saving = asyncio.Lock()
        parallel = poller.stream.parallelization
        self.lanes = [Lane(self) for _ in range(parallel)]
        self.ahead = self.settings.batch_size * (parallel + 1)
        self.waiting: asyncio.Future[bool] | None = None
        self.tasks: list[asyncio.Task[None]] = []

    async def run(self) -> bool:
        """Read the shard until halted (False) or finished (True)."""
        tasks = self.tasks = [asyncio.create_task(lane.run()) for lane in self.lanes]
        writer = asyncio.create_task(self._write_checkpoints())
        stop_lanes = True
        try:
            finished = await self._read()
            # Halted: the lanes finish the batches they are running; finished: they are idle.
            stop_lanes = finished
            return finished
        finally:
            for lane in self.lanes:
                lane.wake.set()
            for task in tasks:
                if stop_lanes:
                    task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
            with contextlib.suppress(Exception):
                await self._save()  # where the lanes got to

    def interrupt(self) -> None:
        """Stop waiting on the stream (the poller halts)."""
        self.progress.set()
        if self.waiting is not None:
            self.waiting.cancel()

    def abort(self) -> None:
        """Stop the batches in flight too (the server stops): they run again after it."""
        self.interrupt()
        for task in self.tasks:
            task.cancel()

    async def _read(self) -> bool:
        poller = self.poller
        streams, arn = poller.streams, self.settings.source_arn
        if self.position is None:
            self.position = await streams.position(arn, self.shard_id, "TRIM_HORIZON")
        while not poller.halted.is_set():
            room = self.ahead - len(self.pending)
            if room <= 0:
                self.progress.clear()
                await self.progress.wait()
                continue
            read = await streams.read(arn, self.shard_id, self.position, min(room, READ_LIMIT))
            if read.records:
                self._dispatch(read.records)
                self.position = read.records[-1].sequence_number
                self.advance()
                continue
            if read.ended:
                return await self._finish()
            self.waiting = asyncio.ensure_future(
                streams.wait(arn, self.shard_id, self.position, IDLE_WAIT)
            )
            await asyncio.wait({self.waiting})
            self.waiting = None
        return False

    def _dispatch(self, records: list[StreamRecord]) -> None:
        """Shape each record, then hand it to its lane (or mark it done: filtered out)."""
        settings, poller = self.settings, self.poller
        arn, region = settings.source_arn, settings.region
        filters = settings.filters
        lanes = self.lanes
        touched: set[Lane] = set()
        role = poller.role()
        for item in records:
            if poller.kinesis:
                record = kinesis_record(item, self.shard_id, arn, region, role)
            else:
                record = dynamodb_record(item, arn)
            entry = Entry(item, orjson.dumps(record))
            self.pending.append(entry)
            if filters is not None and not filters.matches(filter_view(record)):
                entry.done = True
                continue
            lane = lanes[zlib.crc32(item.key.encode()) % len(lanes)] if len(lanes) > 1 else lanes[0]
            lane.queue.append(entry)
            touched.add(lane)
        for lane in touched:
            lane.wake.set()

    def advance(self) -> None:
        """Move past the records now done (in shard order); the writer saves it."""
        last = None
        pending = self.pending
        while pending and pending[0].done:
            last = pending.popleft()
        if last is not None:
            self.done = last.sequence_number
            self.progress.set()
            self.moved.set()

    async def _write_checkpoints(self) -> None:
        while True:
            await self.moved.wait()
            self.moved.clear()
            await self._save()

    async def _save(self, finished: bool = False) -> None:
        async with self.saving:
            position = self.done
            if position is not None and (position != self.saved or finished):
                await self.poller.checkpoint(self.shard_id, position, finished)
                self.saved = position

    async def _finish(self) -> bool:
        """The shard is closed and read to its end: wait for its last records, then mark it
        finished."""
        while self.pending and not self.poller.halted.is_set():
            self.progress.clear()
            await self.progress.wait()
        if self.pending:
            return False
        self.done = self.position  # the end: past the last record, whatever it was
        await self._save(finished=True)
        return True


class Lane:
    """One of a shard's concurrent batches: records of the keys hashed to it, in order."""

    def __init__(self, reader: ShardReader) -> None:
        self.reader = reader
        self.queue: deque[Entry] = deque()
        self.wake = asyncio.Event()
        self.tumbling = reader.poller.stream.tumbling_window
        self.window: Window | None = None  # the tumbling window being run, if any

    async def run(self) -> None:
        reader = self.reader
        poller = reader.poller
        while not poller.halted.is_set():
            if not self.queue:
                await self._idle()
                continue
            batch = await self._gather()
            if not batch:
                continue
            if self.tumbling:
                window = Window.of(batch[0].item.arrival, self.tumbling)
                if self.window is not None and self.window.start != window.start:
                    await poller.runner.close_window(reader.shard_id, self.window)
                    self.window = None
                self.window = self.window or window
            settled = await poller.runner.settle(reader.shard_id, batch, self.window)
            reader.advance()
            if not settled:
                return

    async def _idle(self) -> None:
        """Wait for records; a tumbling window that ends meanwhile gets its last invocation."""
        self.wake.clear()
        if self.window is None:
            await self.wake.wait()
            return
        left = self.window.end - time.time()
        if left > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), left)
        if not self.queue and time.time() >= self.window.end:
            await self.reader.poller.runner.close_window(self.reader.shard_id, self.window)
            self.window = None

    async def _gather(self) -> list[Entry]:
        """The next batch: up to BatchSize records within the payload limit (and one tumbling
        window), waiting up to the batching window for it to fill."""
        settings = self.reader.settings
        halted = self.reader.poller.halted
        window = settings.batching_window
        if window and len(self.queue) < settings.batch_size:
            closes = time.monotonic() + window
            while len(self.queue) < settings.batch_size and not halted.is_set():
                left = closes - time.monotonic()
                if left <= 0:
                    break
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), left)
        batch: list[Entry] = []
        size = 16
        ends = (
            Window.of(self.queue[0].item.arrival, self.tumbling).end
            if self.tumbling and self.queue
            else None
        )
        while self.queue and len(batch) < settings.batch_size:
            entry = self.queue[0]
            size += len(entry.encoded) + 1
            if batch and size > PAYLOAD_LIMIT:
                break
            if ends is not None and entry.item.arrival >= ends:
                break
            batch.append(self.queue.popleft())
        return batch
