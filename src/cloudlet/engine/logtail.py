"""The end of an environment's log as it is written: what LogType=Tail returns."""

from __future__ import annotations

from collections import deque

TAIL_BYTES = 4096  # Lambda's LogType=Tail: the last 4 KB of the invocation's log


class LogTail:
    """The last lines of a log, at least `limit` characters of them when there are that
    many: a flood of output costs no more memory than the tail it can show (and one line)."""

    def __init__(self, limit: int = TAIL_BYTES) -> None:
        self.limit = limit
        self._lines: deque[str] = deque()
        self._size = 0

    def add(self, message: str) -> None:
        self._lines.append(message)
        self._size += len(message) + 1
        # Older lines go once the rest still hold `limit` characters without them.
        while self._size - len(self._lines[0]) - 1 >= self.limit:
            self._size -= len(self._lines.popleft()) + 1

    def text(self) -> str:
        """The last `limit` bytes of the log in UTF-8, less a character the cut would split."""
        data = "\n".join(self._lines).encode()[-self.limit :]
        return data.decode("utf-8", "ignore")
