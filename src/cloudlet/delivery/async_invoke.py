"""Asynchronous invocations: a durable queue of events, retried and recorded as Lambda does.

Anything may queue an event for a function (Lambda's Invoke with InvocationType=Event; S3,
SNS and EventBridge notifications later): `put` returns once the event is a committed row.
Events run through the `Functions` port, within the function's concurrency:

- a function error is retried after `retry_delays` (AWS: about 1, then 2 minutes), up to the
  function's MaximumRetryAttempts (0-2, default 2);
- a throttle or system error is retried with backoff (1 s doubling to 5 minutes) until the
  event is MaximumEventAgeInSeconds old (default 6 hours);
- then the invocation record goes to the OnFailure destination (RetriesExhausted or
  EventAgeExceeded) and the event to the dead-letter queue; a success's record goes to
  OnSuccess. Events refused for good (a recursive loop stopped, reserved concurrency 0)
  fail at once.

Events run up to the function's concurrency (its reserved concurrency, else the account's
unreserved pool): every held event that is due is invoked, and the engine's throttles send
the rest back to wait, as Lambda's are. Memory stays bounded: at most `MAX_HELD` events (and
`MAX_HELD_BYTES` of payloads) are held in memory; the others wait in their rows, oldest first,
until the window has room again.

Accepting comes first: while events keep arriving faster than the event loop can serve, only
a few run at once, and the backlog runs at full concurrency when arrivals pause (a queue
absorbs the burst, as Lambda's does).

Every change of an event's state (an attempt counted, a retry's due time, how the last
attempt ended) is written to its row before the event waits, and the row is deleted only once
the event is settled, its records delivered: after a crash every event runs again from its
last committed state, so an event is run at least once, as on AWS.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import heapq
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from cloudlet.delivery.destinations import DeliveryFailed, deliver
from cloudlet.delivery.invocation_records import (
    EVENT_AGE_EXCEEDED,
    RETRIES_EXHAUSTED,
    SUCCESS,
    Outcome,
    dead_letter_attributes,
    record,
)
from cloudlet.delivery.ports import FunctionTarget, Invocation, InvokeRefused, Ports
from cloudlet.store import Migration, Store, Tx

log = logging.getLogger("cloudlet.delivery")

# Events held in memory (waiting or running), and their payloads' bytes; the rest wait in
# their rows. Above the account's default concurrency (1,000), so that held events can fill it.
MAX_HELD = 2_000
MAX_HELD_BYTES = 256 * 1024 * 1024
REFILL_SHARE = 4  # rows are loaded once this share of the window is free (or all of them fit)
READ_CHUNK = 500  # ids per `IN (...)` when rows are loaded
# While events keep arriving on a saturated event loop, only this many run at once, so that
# accepting them (the 202s) keeps the CPU; the backlog runs at full concurrency afterwards.
BURST_RUNNING = 4
ARRIVING = 0.05  # seconds since the last accepted event during which events are "arriving"
PROBE = 0.005  # seconds of a timer that tells whether the loop is saturated...
SATURATED = 0.002  # ...by firing this much late
FIRST_BACKOFF = 1.0  # seconds before a throttled event is tried again; doubles each time
MAX_BACKOFF = 300.0

MIGRATIONS: list[Migration] = [
    """
    CREATE TABLE async_invocations (
        id INTEGER PRIMARY KEY,
        function_arn TEXT NOT NULL,
        payload BLOB NOT NULL,
        request_id TEXT NOT NULL,
        trace_header TEXT NOT NULL,
        received REAL NOT NULL,
        due REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        refusals INTEGER NOT NULL DEFAULT 0
    );
    """,
    # How the last attempt ended (`_dump_outcome`), for the record of an event that ages out
    # after a restart.
    "ALTER TABLE async_invocations ADD COLUMN last_outcome BLOB",
]

_COLUMNS = (
    "id, function_arn, payload, request_id, trace_header, received, due, attempts, refusals,"
    " last_outcome"
)


@dataclass(eq=False, slots=True)
class Event:
    """One queued invocation and its retry state (a row of async_invocations)."""

    id: int
    function_arn: str  # as invoked: unqualified, or with a version or alias
    payload: bytes
    request_id: str
    trace_header: str
    received: float  # when it was accepted: its age counts from here
    due: float  # when it may run next
    attempts: int = 0  # invocations that ran (the record's approximateInvokeCount)
    refusals: int = 0  # throttles and system errors in a row, for the backoff
    last: Outcome | None = None  # how the last attempt ended (the record of an aged-out event)

    def __lt__(self, other: Event) -> bool:
        return (self.due, self.id) < (other.due, other.id)


class AsyncInvoker:
    def __init__(
        self,
        store: Store,
        ports: Ports,
        *,
        retry_delays: Sequence[float] = (60.0, 120.0),
        age_scale: float = 1.0,
    ) -> None:
        store.migrate("async_invocations", MIGRATIONS)
        self.store = store
        self.ports = ports
        self.retry_delays = tuple(retry_delays) or (0.0,)
        self.age_scale = age_scale  # event ages count this much faster (tests)
        self.waiting: list[Event] = []  # a heap by due time
        self.running: set[asyncio.Task[None]] = set()
        self.held: dict[int, Event] = {}  # by id: the events in `waiting` or running
        self.held_bytes = 0
        self.queued = 0  # committed rows, held or not
        # Ids settled while rows are being loaded: a row read before its deletion is stale.
        self.settled_while_loading: set[int] | None = None
        self.wakeup = asyncio.Event()
        self.worker: asyncio.Task[None] | None = None
        self.last_accepted = 0.0  # the event loop's clock

    # -- accepting ----------------------------------------------------------------------------

    async def put(
        self, function_arn: str, payload: bytes, request_id: str, trace_header: str = ""
    ) -> None:
        """Queue an event for `function_arn`; return once it is committed."""
        now = time.time()

        def insert(tx: Tx) -> int:
            return int(
                tx.execute(
                    "INSERT INTO async_invocations (function_arn, payload, request_id,"
                    " trace_header, received, due) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    (function_arn, payload, request_id, trace_header, now, now),
                ).fetchone()[0]
            )

        event_id = await self.store.write(insert)
        self.last_accepted = asyncio.get_running_loop().time()
        # Rows left unheld before this one run first: this one waits in its row behind them.
        older_unheld = self.queued - len(self.held)
        self.queued += 1
        if event_id in self.held or older_unheld > 0 or not self._has_room(len(payload)):
            return  # loaded already (a refill read its row), or left to a refill
        event = Event(event_id, function_arn, payload, request_id, trace_header, now, now)
        self._hold(event)
        self._schedule(event)

    def pending(self) -> int:
        return self.queued

    # -- running ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Resume what was queued before the last stop (or crash), then whatever arrives."""

        def count(tx: Tx) -> int:
            return int(tx.execute("SELECT COUNT(*) FROM async_invocations").fetchone()[0])

        self.queued = await self.store.read(count)
        self.worker = asyncio.create_task(self._work())

    async def stop(self) -> None:
        tasks = [t for t in (self.worker, *self.running) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _schedule(self, event: Event) -> None:
        heapq.heappush(self.waiting, event)
        self.wakeup.set()

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if self._should_load():
                await self._load()
            now = time.time()
            while self.waiting and self.waiting[0].due <= now:
                await self._make_way(loop)
                task = asyncio.create_task(self._run(heapq.heappop(self.waiting)))
                self.running.add(task)
                task.add_done_callback(self.running.discard)
            self.wakeup.clear()
            timeout = self.waiting[0].due - time.time() if self.waiting else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), timeout)

    async def _make_way(self, loop: asyncio.AbstractEventLoop) -> None:
        """Hold the next event back while events arrive faster than the loop can serve both.

        A loop that is not saturated (light traffic, slow functions) runs every event at once.
        """
        while len(self.running) >= BURST_RUNNING and loop.time() - self.last_accepted < ARRIVING:
            # A timer that fires late says the loop is busy with other work (requests).
            tick = loop.time()
            await asyncio.sleep(PROBE)
            if loop.time() - tick - PROBE < SATURATED:
                return

    async def _run(self, event: Event) -> None:
        try:
            await self._attempt(event)
        except Exception:
            log.exception("asynchronous invocation %s failed", event.request_id)
            await self._back_off(event, None)

    async def _attempt(self, event: Event) -> None:
        functions = self.ports.functions
        target = functions.resolve(event.function_arn) if functions is not None else None
        if functions is None or target is None:
            log.info("dropping event %s: %s is gone", event.request_id, event.function_arn)
            await self._delete(event)
            return
        if self._expired(event, target, time.time()):
            # An event that aged out before any attempt was made (it waited in its row longer
            # than its maximum age) waited for capacity: it is recorded as a throttled one.
            outcome = event.last or Outcome(429, error_message="Rate Exceeded.")
            await self._fail(event, target, EVENT_AGE_EXCEEDED, outcome)
            return
        try:
            result = await functions.invoke(
                event.function_arn,
                event.payload,
                request_id=event.request_id,
                trace_header=event.trace_header,
            )
        except InvokeRefused as refused:
            event.last = Outcome(refused.status, error_message=refused.message)
            if refused.retryable:
                await self._back_off(event, target)
            else:
                await self._fail(event, target, RETRIES_EXHAUSTED, event.last)
            return
        event.attempts += 1
        outcome = event.last = _outcome(result)
        if result.function_error is None:
            await self._settle(event, target, SUCCESS, outcome)
        elif event.attempts > target.settings.maximum_retry_attempts:
            await self._fail(event, target, RETRIES_EXHAUSTED, outcome)
        else:
            delay = self.retry_delays[min(event.attempts, len(self.retry_delays)) - 1]
            event.refusals = 0
            await self._retry(event, target, time.time() + delay)

    # -- the window of held events ------------------------------------------------------------

    def _has_room(self, size: int) -> bool:
        if len(self.held) >= MAX_HELD:
            return False
        return not self.held or self.held_bytes + size <= MAX_HELD_BYTES

    def _hold(self, event: Event) -> None:
        self.held[event.id] = event
        self.held_bytes += len(event.payload)

    def _should_load(self) -> bool:
        unheld = self.queued - len(self.held)
        room = MAX_HELD - len(self.held)
        if unheld <= 0 or self.held_bytes >= MAX_HELD_BYTES:
            return False
        return room >= min(unheld, MAX_HELD // REFILL_SHARE)

    async def _load(self) -> None:
        """Hold the oldest rows not held yet, as many as the window has room for."""
        held = set(self.held)
        room = MAX_HELD - len(held)
        budget = MAX_HELD_BYTES - self.held_bytes

        def read(tx: Tx) -> list[tuple]:
            chosen: list[int] = []
            size = 0
            for event_id, length in tx.execute(
                "SELECT id, length(payload) FROM async_invocations ORDER BY id"
            ):
                if event_id in held:
                    continue
                if len(chosen) >= room or (chosen and size + length > budget):
                    break
                chosen.append(event_id)
                size += length
            rows: list[tuple] = []
            for start in range(0, len(chosen), READ_CHUNK):
                ids = chosen[start : start + READ_CHUNK]
                marks = ",".join("?" * len(ids))
                rows += tx.execute(
                    f"SELECT {_COLUMNS} FROM async_invocations WHERE id IN ({marks})", ids
                ).fetchall()
            return rows

        self.settled_while_loading = set()
        try:
            rows = await self.store.read(read)
        finally:
            settled, self.settled_while_loading = self.settled_while_loading, None
        if not rows:
            # Every row is held: whatever the count says, nothing waits unheld.
            log.warning("asynchronous queue: %d rows counted, all held", self.queued)
            self.queued = len(self.held)
            return
        for row in rows:
            if row[0] in self.held or row[0] in settled:
                continue  # held meanwhile (its put), or settled since the read
            event = Event(row[0], row[1], bytes(row[2]), *row[3:9], _load_outcome(row[9]))
            self._hold(event)
            heapq.heappush(self.waiting, event)

    # -- state changes ------------------------------------------------------------------------

    async def _back_off(self, event: Event, target: FunctionTarget | None) -> None:
        """A throttle or system error: try again later, sooner at first."""
        delay = min(FIRST_BACKOFF * 2**event.refusals, MAX_BACKOFF)
        event.refusals += 1
        await self._retry(event, target, time.time() + delay)

    async def _retry(self, event: Event, target: FunctionTarget | None, due: float) -> None:
        if target is not None:
            # Past its maximum age the event is not run again: wake it then, to fail it.
            due = min(due, self._expiry(event, target))
        event.due = due
        values = (event.due, event.attempts, event.refusals, _dump_outcome(event.last), event.id)

        def update(tx: Tx) -> None:
            tx.execute(
                "UPDATE async_invocations SET due = ?, attempts = ?, refusals = ?,"
                " last_outcome = ? WHERE id = ?",
                values,
            )

        await self.store.write(update)
        self._schedule(event)

    async def _fail(
        self, event: Event, target: FunctionTarget, condition: str, outcome: Outcome
    ) -> None:
        settings = target.settings
        if settings.dead_letter:
            await self._deliver(
                event,
                settings.dead_letter,
                event.payload,
                dead_letter_attributes(event.request_id, outcome),
            )
        await self._settle(event, target, condition, outcome)

    async def _settle(
        self, event: Event, target: FunctionTarget, condition: str, outcome: Outcome
    ) -> None:
        """The event is done: its record goes to the destination for `condition`, if any."""
        settings = target.settings
        destination = settings.on_success if condition == SUCCESS else settings.on_failure
        if destination:
            body = record(
                request_id=event.request_id,
                function_arn=target.qualified_arn,
                condition=condition,
                invoke_count=event.attempts,
                request_payload=event.payload,
                outcome=outcome,
            )
            await self._deliver(event, destination, body)
        elif condition != SUCCESS and not settings.dead_letter:
            log.info("event %s discarded: %s", event.request_id, condition)
        await self._delete(event)

    async def _deliver(
        self,
        event: Event,
        arn: str,
        body: bytes,
        attributes: dict[str, dict[str, str]] | None = None,
    ) -> None:
        try:
            await deliver(self.ports, arn, body, attributes, event.trace_header)
        except DeliveryFailed as failed:
            # Lambda counts a DestinationDeliveryFailures metric and drops the record.
            log.warning("record of event %s not delivered: %s", event.request_id, failed)

    async def _delete(self, event: Event) -> None:
        def delete(tx: Tx) -> None:
            tx.execute("DELETE FROM async_invocations WHERE id = ?", (event.id,))

        await self.store.write(delete)
        if self.held.pop(event.id, None) is not None:
            self.held_bytes -= len(event.payload)
        self.queued -= 1
        if self.settled_while_loading is not None:
            self.settled_while_loading.add(event.id)
        if self.queued > len(self.held):
            self.wakeup.set()  # room for a row left unheld

    # -- ages ---------------------------------------------------------------------------------

    def _expiry(self, event: Event, target: FunctionTarget) -> float:
        return event.received + target.settings.maximum_event_age / self.age_scale

    def _expired(self, event: Event, target: FunctionTarget, now: float) -> bool:
        return now >= self._expiry(event, target)


def _outcome(result: Invocation) -> Outcome:
    return Outcome(
        result.status_code, result.executed_version, result.function_error, result.payload
    )


def _dump_outcome(outcome: Outcome | None) -> bytes | None:
    """An outcome as its row keeps it (JSON; the function's payload in base64)."""
    if outcome is None:
        return None
    response = None if outcome.response is None else base64.b64encode(outcome.response).decode()
    return orjson.dumps(
        {
            "status": outcome.status_code,
            "version": outcome.executed_version,
            "error": outcome.function_error,
            "response": response,
            "message": outcome.error_message,
        }
    )


def _load_outcome(blob: bytes | None) -> Outcome | None:
    if blob is None:
        return None
    fields = orjson.loads(blob)
    response = fields["response"]
    return Outcome(
        fields["status"],
        fields["version"],
        fields["error"],
        None if response is None else base64.b64decode(response),
        fields["message"],
    )
