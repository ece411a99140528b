"""Reading a process's output from a pipe, line by line, as log events."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable

Events = list[tuple[int, str]]  # (timestamp ms, message)

# Lambda cuts a line longer than this into several log events.
MAX_EVENT_BYTES = 256 * 1024
# What one drain reads at most: more than a pipe holds (64 KB, 1 MB at most when enlarged),
# so everything written before a reply is read, but bounded, so that a process writing
# without pause (a thread printing in a loop) cannot hold the event loop.
DRAIN_LIMIT = 2 * 1024 * 1024
READ_SIZE = 65536


class LogPipe:
    """The read end of a process's stdout/stderr, turned into events for `emit`.

    Reading happens when the event loop sees data, and on demand (`drain`): whatever the
    process wrote before it sent a message on another channel is already in the pipe, so
    draining on that message keeps its log lines ahead of what follows. Memory stays
    bounded whatever the process writes: a line without an end is emitted in pieces of
    MAX_EVENT_BYTES as it grows, as Lambda splits long lines.
    """

    def __init__(self, fd: int, emit: Callable[[Events], None]) -> None:
        self.fd = fd
        self.emit = emit
        self._partial = bytearray()
        os.set_blocking(fd, False)
        asyncio.get_running_loop().add_reader(fd, self._readable)

    def _readable(self) -> None:
        self._read_once()

    def drain(self) -> None:
        """Read what was written so far (up to DRAIN_LIMIT); a trailing partial line is
        emitted too."""
        budget = DRAIN_LIMIT
        while budget > 0 and self.fd >= 0 and self._read_once():
            budget -= READ_SIZE
        if self._partial:
            partial, self._partial = bytes(self._partial), bytearray()
            self.emit([(int(time.time() * 1000), _text(partial))])

    def _read_once(self) -> bool:
        try:
            chunk = os.read(self.fd, READ_SIZE)
        except BlockingIOError:
            return False
        except OSError:
            chunk = b""
        if not chunk:
            self.close()
            return False
        *lines, rest = chunk.split(b"\n")
        messages: list[bytes] = []
        if lines:
            lines[0] = bytes(self._partial) + lines[0]
            self._partial = bytearray(rest)
            for line in lines:
                messages.extend(_pieces(line))
        else:
            self._partial += rest
        # A line still open at the limit is emitted in full pieces now, the rest kept.
        while len(self._partial) > MAX_EVENT_BYTES:
            cut = _boundary(self._partial, MAX_EVENT_BYTES)
            messages.append(bytes(self._partial[:cut]))
            del self._partial[:cut]
        if messages:
            now = int(time.time() * 1000)
            self.emit([(now, _text(message)) for message in messages])
        return True

    def close(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self.fd)
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1


def _pieces(line: bytes) -> list[bytes]:
    """A line as the events Lambda makes of it: pieces of at most MAX_EVENT_BYTES."""
    pieces = []
    while len(line) > MAX_EVENT_BYTES:
        cut = _boundary(line, MAX_EVENT_BYTES)
        pieces.append(line[:cut])
        line = line[cut:]
    pieces.append(line)
    return pieces


def _boundary(data: bytes | bytearray, limit: int) -> int:
    """Where to cut `data` at or before `limit` without splitting a UTF-8 character."""
    cut = limit
    # Continuation bytes (10xxxxxx) belong to the character that started before them.
    while cut > limit - 3 and data[cut] & 0xC0 == 0x80:
        cut -= 1
    return cut


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")
