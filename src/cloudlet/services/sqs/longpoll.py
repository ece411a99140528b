"""Long polling: receives that found nothing wait here until a queue may have a message.

Watchers (the queue port's `watch`) are called at the same moments, so that an event source
mapping learns of a message as soon as a waiting receive would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Waiters:
    """Receives waiting per queue id; `wake` releases them all (each then tries again)."""

    def __init__(self) -> None:
        self._waiting: dict[int, set[asyncio.Future[None]]] = {}
        self._watchers: dict[int, list[Callable[[], None]]] = {}

    async def wait(self, queue_id: int, timeout: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(queue_id, set()).add(future)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            pass
        finally:
            waiting = self._waiting.get(queue_id)
            if waiting is not None:
                waiting.discard(future)
                if not waiting:
                    del self._waiting[queue_id]

    def wake(self, queue_id: int) -> None:
        for future in self._waiting.pop(queue_id, ()):
            if not future.done():
                future.set_result(None)
        for watcher in self._watchers.get(queue_id, ()):
            watcher()

    def wake_all(self) -> None:
        for queue_id in list(self._waiting):
            self.wake(queue_id)

    def watch(self, queue_id: int, wake: Callable[[], None]) -> Callable[[], None]:
        """Call `wake` each time the queue's receives are woken; returns the unwatch."""
        self._watchers.setdefault(queue_id, []).append(wake)

        def unwatch() -> None:
            watchers = self._watchers.get(queue_id)
            if watchers is not None and wake in watchers:
                watchers.remove(wake)
                if not watchers:
                    del self._watchers[queue_id]

        return unwatch
