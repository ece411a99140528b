"""Asynchronous invocations (InvocationType=Event): queued durably, run in the background.

An accepted event is a committed row before its 202 goes out. Workers run events within the
function's concurrency and delete each row once its invocation has run, so an event is run
at least once: one in flight when the server dies runs again at the next start. A throttled
event waits and is tried again. Not yet (issue 4): retrying function errors, the maximum
event age, destinations and dead-letter queues.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from cloudlet.store import Store, Tx

log = logging.getLogger("cloudlet.lambda")

MAX_RUNNING = 64  # events in flight at once, across functions
THROTTLE_WAIT = 1.0  # seconds before a throttled event is tried again


@dataclass(eq=False)
class Event:
    id: int
    account: str
    region: str
    name: str
    qualifier: str | None
    payload: bytes
    request_id: str
    received: float


# Runs one event; False when it was throttled and must be tried again later.
Runner = Callable[[Event], Awaitable[bool]]


class EventQueue:
    def __init__(self, store: Store, run: Runner) -> None:
        self.store = store
        self.run = run
        self.ready: deque[Event] = deque()
        self.wakeup = asyncio.Event()
        self.running: set[asyncio.Task[None]] = set()
        self.slots = asyncio.Semaphore(MAX_RUNNING)
        self.worker: asyncio.Task[None] | None = None

    async def put(
        self,
        account: str,
        region: str,
        name: str,
        qualifier: str | None,
        payload: bytes,
        request_id: str,
    ) -> None:
        """Queue an event; return once it is committed."""
        received = time.time()

        def insert(tx: Tx) -> int:
            return int(
                tx.execute(
                    "INSERT INTO lambda_events (account, region, name, qualifier, payload,"
                    " request_id, received) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (account, region, name, qualifier, payload, request_id, received),
                ).fetchone()[0]
            )

        event_id = await self.store.write(insert)
        self.ready.append(
            Event(event_id, account, region, name, qualifier, payload, request_id, received)
        )
        self.wakeup.set()

    def pending(self) -> int:
        return len(self.ready) + len(self.running)

    async def start(self) -> None:
        """Run what was accepted before the last stop, then whatever arrives."""

        def load(tx: Tx) -> list[Event]:
            rows = tx.execute(
                "SELECT id, account, region, name, qualifier, payload, request_id, received"
                " FROM lambda_events ORDER BY id"
            ).fetchall()
            return [Event(*row[:5], bytes(row[5]), *row[6:]) for row in rows]

        self.ready.extend(await self.store.read(load))
        self.worker = asyncio.create_task(self._work())

    async def stop(self) -> None:
        tasks = [t for t in (self.worker, *self.running) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _work(self) -> None:
        while True:
            while not self.ready:
                self.wakeup.clear()
                await self.wakeup.wait()
            await self.slots.acquire()
            task = asyncio.create_task(self._run(self.ready.popleft()))
            self.running.add(task)
            task.add_done_callback(self.running.discard)

    async def _run(self, event: Event) -> None:
        try:
            done = await self.run(event)
        except Exception:
            log.exception("asynchronous invocation %s failed", event.request_id)
            done = True
        finally:
            self.slots.release()
        if not done:
            await asyncio.sleep(THROTTLE_WAIT)
            self.ready.append(event)
            self.wakeup.set()
            return

        def delete(tx: Tx) -> None:
            tx.execute("DELETE FROM lambda_events WHERE id = ?", (event.id,))

        await self.store.write(delete)
