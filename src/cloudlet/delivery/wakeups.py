"""Wakeups: tasks waiting, per key, until something happens to it (a queue gets a message, a
shard or a stream a record); the write that makes it happen wakes them once it has committed.

SQS's long polls wait per queue id, Kinesis's pollers per shard, DynamoDB's per stream ARN.
A wake releases every task waiting on the key (each then looks again for itself), and calls
the key's watchers: callbacks that want the same moments without waiting for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)


class Wakeups(Generic[Key]):
    def __init__(self) -> None:
        self._waiting: dict[Key, set[asyncio.Future[None]]] = {}
        self._watchers: dict[Key, list[Callable[[], None]]] = {}

    async def wait(
        self, key: Key, timeout: float, ready: Callable[[], Awaitable[bool]] | None = None
    ) -> bool:
        """Wait until `key` is woken or `timeout` seconds pass; True if it was woken.

        `ready`, when the check for what the caller waits for itself awaits, is asked after
        this wait is registered, so that no wake slips in between: if it says True, the wait
        ends at once (True). A check that does not await needs no `ready`: nothing runs
        between it and the call.
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, set()).add(future)
        try:
            if ready is not None and await ready():
                return True
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            pass
        finally:
            waiting = self._waiting.get(key)
            if waiting is not None:
                waiting.discard(future)
                if not waiting:
                    del self._waiting[key]
        return future.done() and not future.cancelled()

    @property
    def idle(self) -> bool:
        """Nobody waits or watches: a writer may skip working out which key to wake."""
        return not self._waiting and not self._watchers

    def wake(self, key: Key) -> None:
        """Release every task waiting on `key` and call its watchers."""
        for future in self._waiting.pop(key, ()):
            if not future.done():
                future.set_result(None)
        for watcher in list(self._watchers.get(key, ())):
            watcher()

    def wake_all(self) -> None:
        """Release every waiting task (a shutdown: none should wait any longer)."""
        for key in list(self._waiting):
            self.wake(key)

    def watch(self, key: Key, watcher: Callable[[], None]) -> Callable[[], None]:
        """Call `watcher` each time `key` is woken; returns the function that stops it."""
        self._watchers.setdefault(key, []).append(watcher)

        def unwatch() -> None:
            watchers = self._watchers.get(key)
            if watchers is not None and watcher in watchers:
                watchers.remove(watcher)
                if not watchers:
                    del self._watchers[key]

        return unwatch
