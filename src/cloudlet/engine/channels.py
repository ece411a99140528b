"""How the server talks to an environment's runtime: the socket channel of the built-in Python
runtime, or the HTTP Runtime API (runtime_api.py) for every other runtime client.

Both give the environment the same three steps: `ready()` (init finished or failed),
`send(meta, payload)` (an invocation), `reply()` (its result or error). A dead process shows
as `ConnectionError` from `ready()` or `reply()`. A function that streams its response
hands each chunk to `on_chunk` (set before `send`) as it is produced; its `reply()` then
comes once the stream has ended, with ("ok", b"") or the error that cut it short.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from cloudlet.engine.bootstrap.channel import HEADER

ChunkSink = Callable[[bytes], None]


class Channel(Protocol):
    on_chunk: ChunkSink | None
    # The runtime's peak resident size in KB, when its last reply said it (else None).
    peak_memory_kb: int | None

    async def ready(self) -> tuple[str, float, bytes]:
        """("ready", init ms, b"") or ("init_error", init ms, error JSON)."""

    def send(self, meta: dict[str, Any], payload: bytes) -> None: ...

    async def reply(self) -> tuple[str, bytes]:
        """("ok", result bytes) or ("error", error JSON)."""

    def lost(self, reason: str) -> None:
        """The process exited: fail whatever still waits on it."""

    def close(self) -> None: ...


class SocketChannel:
    """Frames over a Unix socket inherited by the zygote's child (bootstrap/channel.py)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer: asyncio.StreamWriter | None = writer
        self.on_chunk: ChunkSink | None = None
        self.peak_memory_kb: int | None = None

    @classmethod
    async def open(cls, sock: socket.socket) -> SocketChannel:
        reader, writer = await asyncio.open_unix_connection(sock=sock)
        return cls(reader, writer)

    async def ready(self) -> tuple[str, float, bytes]:
        meta, payload = await self._frame()
        # An environment forked from a snapshot reports how long its restore took instead.
        took = meta.get("init_ms", meta.get("restore_ms"))
        return meta["t"], float(took or 0.0), payload

    def send(self, meta: dict[str, Any], payload: bytes) -> None:
        if self.writer is None:
            raise ConnectionError("the environment's channel is closed")
        head = orjson.dumps(meta)
        self.writer.write(HEADER.pack(len(head), len(payload)) + head + payload)

    async def reply(self) -> tuple[str, bytes]:
        while True:
            meta, payload = await self._frame()
            if meta["t"] != "chunk":
                self.peak_memory_kb = meta.get("mem")
                return meta["t"], payload
            if self.on_chunk is not None:
                self.on_chunk(payload)

    async def _frame(self) -> tuple[dict[str, Any], bytes]:
        try:
            head = await self.reader.readexactly(HEADER.size)
            meta_size, payload_size = HEADER.unpack(head)
            meta = orjson.loads(await self.reader.readexactly(meta_size))
            payload = await self.reader.readexactly(payload_size) if payload_size else b""
        except asyncio.IncompleteReadError:
            raise ConnectionError("the environment's process closed its channel") from None
        return meta, payload

    def lost(self, reason: str) -> None:
        pass  # the socket's end of file already fails any reader

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
