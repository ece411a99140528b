"""The poller of one Kinesis or DynamoDB Streams event source mapping: a reader per shard.

A shard is read once its parents (the shards it was split or merged from) are finished, or
gone from the stream; the shard list is looked at again when a shard finishes and every few
seconds, so that resharding is followed. Where each shard is read from is its checkpoint
(`stream_checkpoints`), else its trim horizon: LATEST and AT_TIMESTAMP positions are
written when the mapping is created.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from cloudlet.delivery.destinations import service_of
from cloudlet.delivery.mapping_settings import MappingSettings
from cloudlet.delivery.ports import Ports, StreamNotFound, Streams
from cloudlet.delivery.shard_reader import GONE_PAUSE, ShardReader
from cloudlet.delivery.stream_batches import BatchRunner
from cloudlet.delivery.stream_checkpoints import Checkpoints
from cloudlet.delivery.stream_settings import StreamSettings

log = logging.getLogger("cloudlet.esm")

REFRESH = 5.0  # seconds between looks at a stream's shards


def streams_port(ports: Ports, source_arn: str) -> Streams | None:
    """The port that reads the stream `source_arn` names (Kinesis or DynamoDB Streams)."""
    return ports.kinesis if service_of(source_arn) == "kinesis" else ports.dynamodb_streams


class StreamPoller:
    def __init__(self, settings: MappingSettings, ports: Ports, checkpoints: Checkpoints) -> None:
        streams = streams_port(ports, settings.source_arn)
        if streams is None or ports.functions is None or settings.stream is None:
            raise RuntimeError("a stream event source mapping needs its stream and function ports")
        self.settings = settings
        self.stream: StreamSettings = settings.stream
        self.streams: Streams = streams
        self.functions = ports.functions
        self.checkpoints = checkpoints
        self.kinesis = streams is ports.kinesis
        self.halted = asyncio.Event()
        self.runner = BatchRunner(settings, ports, kinesis=self.kinesis, halted=self.halted)
        self.readers: dict[str, ShardReader] = {}
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    def halt(self) -> None:
        """Take no more records; the batches being run finish in the background."""
        self.halted.set()
        for reader in self.readers.values():
            reader.interrupt()

    def busy(self) -> bool:
        return self.task is not None and not self.task.done()

    async def close(self) -> None:
        """Stop now (the server stops): unfinished batches run again from the checkpoint."""
        self.halt()
        for reader in self.readers.values():
            reader.abort()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task

    def role(self) -> str:
        """The function's execution role, which Kinesis records name."""
        target = self.functions.resolve(self.settings.function_arn)
        return target.role if target is not None else ""

    async def checkpoint(self, shard_id: str, position: str, finished: bool = False) -> None:
        await self.checkpoints.save(self.settings.uuid, shard_id, position, finished)

    async def _run(self) -> None:
        async with self.checkpoints.lease(self.settings.uuid):
            if self.halted.is_set():
                return
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event source mapping %s: the poller failed", self.settings.uuid)

    async def _follow(self) -> None:
        """Start a reader for each shard that is ready, until halted."""
        saved = await self.checkpoints.load(self.settings.uuid)
        positions = {shard: c.position for shard, c in saved.items()}
        finished = {shard for shard, c in saved.items() if c.finished}
        running: dict[asyncio.Task[bool], ShardReader] = {}
        halted = asyncio.ensure_future(self.halted.wait())
        try:
            while not self.halted.is_set():
                for shard_id in await self._ready(finished, {r.shard_id for r in running.values()}):
                    reader = ShardReader(self, shard_id, positions.get(shard_id))
                    self.readers[shard_id] = reader
                    running[asyncio.create_task(reader.run())] = reader
                done, _ = await asyncio.wait(
                    [*running, halted], timeout=REFRESH, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    reader = running.pop(task, None)  # type: ignore[arg-type]
                    if reader is None:
                        continue
                    self.readers.pop(reader.shard_id, None)
                    if reader.saved is not None:
                        positions[reader.shard_id] = reader.saved
                    error = None if task.cancelled() else task.exception()
                    if error is not None:
                        await self._shard_failed(reader, error)
                    elif not task.cancelled() and task.result():
                        finished.add(reader.shard_id)
            await asyncio.gather(*running, return_exceptions=True)
        finally:
            halted.cancel()
            for task in running:
                task.cancel()

    async def _ready(self, finished: set[str], running: set[str]) -> list[str]:
        """The shards to start reading now: not finished, not read yet, parents done."""
        try:
            shards = await self.streams.shards(self.settings.source_arn)
        except StreamNotFound:
            return []
        listed = {shard.shard_id for shard in shards}
        return [
            shard.shard_id
            for shard in shards
            if shard.shard_id not in finished
            and shard.shard_id not in running
            and all(parent in finished or parent not in listed for parent in shard.parents)
        ]

    async def _shard_failed(self, reader: ShardReader, error: BaseException) -> None:
        if not isinstance(error, StreamNotFound):
            log.error("event source mapping %s: reading %s failed", self.settings.uuid,
                      reader.shard_id, exc_info=error)  # fmt: skip
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.halted.wait(), GONE_PAUSE)
