"""A streamed invocation: the function's chunks handed on as it produces them.

The engine calls `on_chunk` for each chunk a streaming function writes (Node.js's
`awslambda.streamifyResponse`, the Runtime API's streaming response mode, a Python handler
that returns a generator); a `StreamedInvocation` queues them for one reader, the function
URL's response body or InvokeWithResponseStream's events, and ends the queue when the
invocation ends. A function that does not stream ends with no chunks and its whole answer in
the result's payload.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from cloudlet.engine.environment import InvokeResult

ChunkSink = Callable[[bytes], None]


class StreamedInvocation:
    def __init__(self, run: Callable[[ChunkSink], Coroutine[Any, Any, InvokeResult]]) -> None:
        """Start `run(on_chunk)`: the invocation, handing its chunks to `on_chunk`."""
        self._chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._ended = False
        self.task = asyncio.ensure_future(run(self._chunks.put_nowait))
        self.task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Future[InvokeResult]) -> None:
        self._chunks.put_nowait(None)
        if not task.cancelled():
            task.exception()  # the reader may be gone (client disconnected): not an error

    async def next_chunk(self) -> bytes | None:
        """The next chunk, or None once the invocation has ended."""
        if self._ended:
            return None
        chunk = await self._chunks.get()
        if chunk is None:
            self._ended = True
        return chunk

    async def result(self) -> InvokeResult:
        """How the invocation ended; raises what the run raised (InvokeRefused)."""
        return await asyncio.shield(self.task)
