"""Reading a process's output from a pipe, line by line, as log events."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable

Events = list[tuple[int, str]]  # (timestamp ms, message)


class LogPipe:
    """The read end of a process's stdout/stderr, turned into events for `emit`.

    Reading happens when the event loop sees data, and on demand (`drain`): whatever the
    process wrote before it sent a message on another channel is already in the pipe, so
    draining on that message keeps its log lines ahead of what follows.
    """

    def __init__(self, fd: int, emit: Callable[[Events], None]) -> None:
        self.fd = fd
        self.emit = emit
        self._partial = b""
        os.set_blocking(fd, False)
        asyncio.get_running_loop().add_reader(fd, self._readable)

    def _readable(self) -> None:
        self._read_once()

    def drain(self) -> None:
        """Read everything written so far; a trailing partial line is emitted too."""
        while self.fd >= 0 and self._read_once():
            pass
        if self._partial:
            partial, self._partial = self._partial, b""
            self.emit([(int(time.time() * 1000), partial.decode("utf-8", "replace"))])

    def _read_once(self) -> bool:
        try:
            chunk = os.read(self.fd, 65536)
        except BlockingIOError:
            return False
        except OSError:
            chunk = b""
        if not chunk:
            self.close()
            return False
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        if lines:
            now = int(time.time() * 1000)
            self.emit([(now, line.decode("utf-8", "replace")) for line in lines])
        return True

    def close(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self.fd)
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1
