"""CloudWatch Logs storage: log groups, streams and events, for the Logs API and the engine.

Both write here: the Logs service for PutLogEvents and the rest of its API, the engine for
what functions print (`LogStore.sink`, its LogSink). Function output is never written a line
at a time: the sink appends to an in-memory buffer, flushed to the store in one write every
FLUSH_INTERVAL seconds, off the invoke path. Before a read the Logs API flushes, so a client
sees every line a function printed before it asked. What waits for the store is bounded
(MAX_BACKLOG_BYTES): a flood beyond it is dropped, and counted in its stream.

Events are ordered by (timestamp, id): `id` is the insertion order, so events with equal
timestamps keep the order they were written in. Indexes on (stream, timestamp, id) and
(group, timestamp, id) make reading a stream or a group's time range cost what it returns.
Groups are partitioned by account and region, as on AWS.

Entry point: `LogStore(store)`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.store import Migration, Store, Tx

if TYPE_CHECKING:
    from cloudlet.engine.spec import FunctionSpec

log = logging.getLogger("cloudlet.logs")

FLUSH_INTERVAL = 0.05  # seconds between function output and its write to the store
FLUSH_NOW_EVENTS = 20_000  # a buffer this large is written at once, not at the next tick
FLUSH_NOW_BYTES = 4 * 1024 * 1024  # and so is one holding this much text
# Function output waiting for the store (buffered, or being written) is bounded: a function
# printing faster than the store writes loses lines beyond this, and its log says how many.
MAX_BACKLOG_BYTES = 64 * 1024 * 1024
EVENT_OVERHEAD = 64  # what an event costs in memory besides its text, roughly
# A function's line longer than this is cut, as CloudWatch Logs' event size limit requires.
MAX_MESSAGE_BYTES = 1_048_576 - 26
NO_EVENT = -1  # first_event / last_event of a stream that has none (timestamps are >= 0)
DELETE_CHUNK = 10_000  # events deleted per transaction when a retention sweep removes many

Position = tuple[int, int]  # (timestamp, event id): where an event sits in a stream or group

MIGRATIONS: list[Migration] = [
    """
    CREATE TABLE logs_groups (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        created INTEGER NOT NULL,
        retention_days INTEGER,
        kms_key_id TEXT,
        log_group_class TEXT NOT NULL,
        tags TEXT NOT NULL,
        stored_bytes INTEGER NOT NULL DEFAULT 0,
        UNIQUE (account, region, name)
    );
    CREATE TABLE logs_streams (
        id INTEGER PRIMARY KEY,
        group_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        created INTEGER NOT NULL,
        first_event INTEGER NOT NULL,
        last_event INTEGER NOT NULL,
        last_ingestion INTEGER NOT NULL,
        UNIQUE (group_id, name)
    );
    CREATE INDEX logs_streams_by_last_event ON logs_streams (group_id, last_event, id);
    CREATE TABLE logs_events (
        id INTEGER PRIMARY KEY,
        group_id INTEGER NOT NULL,
        stream_id INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        ingestion INTEGER NOT NULL,
        message TEXT NOT NULL
    );
    CREATE INDEX logs_events_by_stream ON logs_events (stream_id, ts, id);
    CREATE INDEX logs_events_by_group ON logs_events (group_id, ts, id);
    """,
]

_GROUP_COLUMNS = (
    "id, account, region, name, created, retention_days, kms_key_id, log_group_class, tags,"
    " stored_bytes"
)
_STREAM_COLUMNS = "id, group_id, name, created, first_event, last_event, last_ingestion"


@dataclass(frozen=True, slots=True)
class LogGroup:
    id: int
    account: str
    region: str
    name: str
    created: int  # ms since the epoch, as every time here
    retention_days: int | None
    kms_key_id: str | None
    log_group_class: str
    tags: dict[str, str]
    stored_bytes: int

    @property
    def group_arn(self) -> str:
        """The ARN tagging takes (DescribeLogGroups' `logGroupArn`)."""
        return f"arn:aws:logs:{self.region}:{self.account}:log-group:{self.name}"

    @property
    def arn(self) -> str:
        """The ARN DescribeLogGroups shows as `arn`: it covers the group's streams too."""
        return f"{self.group_arn}:*"


@dataclass(frozen=True, slots=True)
class LogStream:
    id: int
    group_id: int
    name: str
    created: int
    first_event: int  # NO_EVENT until the stream has one
    last_event: int
    last_ingestion: int


@dataclass(frozen=True, slots=True)
class LogEvent:
    id: int
    stream: str
    timestamp: int
    ingestion: int
    message: str

    @property
    def position(self) -> Position:
        return (self.timestamp, self.id)


@dataclass(frozen=True, slots=True)
class GroupSearch:
    """What FilterLogEvents reads: a group's events in a time range, in order, from a point."""

    group_id: int
    stream_names: tuple[str, ...] | None = None  # None: every stream of the group
    stream_prefix: str = ""
    start: int | None = None  # first timestamp included
    end: int | None = None  # last timestamp included
    after: Position | None = None  # resume strictly after (or before, newest first) this
    newest_first: bool = False
    limit: int = 10_000
    max_bytes: int = 1_048_576
    max_scanned: int = 100_000  # events looked at per call; the caller gets a resume point


@dataclass(frozen=True, slots=True)
class SearchResult:
    events: list[LogEvent]
    # Where to resume, when the search stopped before the end of the range.
    resume_after: Position | None


# Key of the write buffer: account, region, group name, stream name.
_BufferKey = tuple[str, str, str, str]


class LogStore:
    """Log groups, streams and events in the store, with a write buffer for function output."""

    def __init__(self, store: Store, *, flush_interval: float = FLUSH_INTERVAL) -> None:
        self.store = store
        self.flush_interval = flush_interval
        store.migrate("logs", MIGRATIONS)
        self._buffer: dict[_BufferKey, list[tuple[int, str]]] = {}
        self._buffered = 0  # events in the buffer
        self._buffered_bytes = 0  # their size, as MAX_BACKLOG_BYTES counts it
        self._backlog = 0  # the size of what is buffered or being written
        self._dropped: dict[_BufferKey, int] = {}  # lines dropped per stream, not yet said
        self._timer: asyncio.TimerHandle | None = None
        self._flushes: set[asyncio.Task[None]] = set()
        # Kept up to date by every write, so `cloudlet status` never waits for the store.
        self.counts = store.read_now(_count)

    # -- function output ----------------------------------------------------------------------

    def sink(self, spec: FunctionSpec, stream: str, events: list[tuple[int, str]]) -> None:
        """The engine's LogSink: buffer a function's output for the next flush (or drop it,
        counted, while the backlog is full)."""
        key = (spec.account_id, spec.region, spec.log_group, stream)
        if self._backlog + _size(events) > MAX_BACKLOG_BYTES:
            self._dropped[key] = self._dropped.get(key, 0) + len(events)
            return
        self._buffer_events(key, events)

    def _buffer_events(self, key: _BufferKey, events: list[tuple[int, str]]) -> None:
        pending = self._buffer.get(key)
        if pending is None:
            self._buffer[key] = list(events)
        else:
            pending.extend(events)
        size = _size(events)
        self._buffered += len(events)
        self._buffered_bytes += size
        self._backlog += size
        if self._buffered >= FLUSH_NOW_EVENTS or self._buffered_bytes >= FLUSH_NOW_BYTES:
            self._start_flush()
        elif self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.flush_interval, self._start_flush)

    def _start_flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._buffer:
            return
        batch, size = self._buffer, self._buffered_bytes
        self._buffer, self._buffered, self._buffered_bytes = {}, 0, 0
        task = asyncio.get_running_loop().create_task(self._write_buffered(batch, size))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _write_buffered(
        self, batch: dict[_BufferKey, list[tuple[int, str]]], size: int
    ) -> None:
        try:
            groups, streams = await self.store.write(
                lambda tx: _append_output(tx, batch, _now_ms())
            )
        except Exception:
            count = sum(len(events) for events in batch.values())
            log.exception("lost %d lines of function output: the store refused them", count)
            return
        finally:
            self._backlog -= size
            self._say_dropped()
        self.counts["log_groups"] += groups
        self.counts["log_streams"] += streams

    def _say_dropped(self) -> None:
        """Once there is room again, tell each stream that lost lines how many it lost."""
        if not self._dropped or self._backlog >= MAX_BACKLOG_BYTES:
            return
        dropped, self._dropped = self._dropped, {}
        now = _now_ms()
        for key, count in dropped.items():
            message = (
                f"[WARNING] cloudlet: {count} lines of output dropped: the function wrote"
                f" them faster than its log could be stored"
            )
            self._buffer_events(key, [(now, message)])

    async def flush(self) -> None:
        """Write everything buffered so far; return once it is committed."""
        if self._buffer:
            self._start_flush()
        while pending := [task for task in self._flushes if not task.done()]:
            await asyncio.gather(*pending)

    async def close(self) -> None:
        """Flush what is buffered; called at shutdown, before the store closes."""
        await self.flush()

    # -- groups ---------------------------------------------------------------------------------

    async def create_group(
        self,
        account: str,
        region: str,
        name: str,
        *,
        tags: dict[str, str] | None = None,
        kms_key_id: str | None = None,
        log_group_class: str = "STANDARD",
    ) -> LogGroup | None:
        """Create a group; None when one of that name exists already."""
        now = _now_ms()
        tag_text = orjson.dumps(tags or {}).decode()

        def insert(tx: Tx) -> LogGroup | None:
            row = tx.execute(
                "INSERT INTO logs_groups (account, region, name, created, kms_key_id,"
                " log_group_class, tags) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (account, region, name) DO NOTHING RETURNING " + _GROUP_COLUMNS,
                (account, region, name, now, kms_key_id, log_group_class, tag_text),
            ).fetchone()
            return _group(row) if row else None

        created = await self.store.write(insert)
        if created is not None:
            self.counts["log_groups"] += 1
        return created

    async def group(self, account: str, region: str, name: str) -> LogGroup | None:
        return await self.store.read(lambda tx: _find_group(tx, account, region, name))

    async def groups(
        self,
        account: str,
        region: str,
        *,
        prefix: str = "",
        contains: str = "",
        classes: set[str] | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> list[LogGroup]:
        """Groups in name order after `after`, with a name prefix or containing a string,
        of the given log group classes (any when None)."""

        def select(tx: Tx) -> list[LogGroup]:
            sql = f"SELECT {_GROUP_COLUMNS} FROM logs_groups WHERE account = ? AND region = ?"
            params: list[Any] = [account, region]
            if after is not None:
                sql += " AND name > ?"
                params.append(after)
            sql += _prefix_range(prefix, params)
            found: list[LogGroup] = []
            for row in tx.execute(sql + " ORDER BY name", params):
                if contains in row[3] and (classes is None or row[7] in classes):
                    found.append(_group(row))
                    if len(found) == limit:
                        break
            return found

        return await self.store.read(select)

    async def delete_group(self, group: LogGroup) -> None:
        def delete(tx: Tx) -> tuple[int, int]:
            tx.execute("DELETE FROM logs_events WHERE group_id = ?", (group.id,))
            streams = tx.execute("DELETE FROM logs_streams WHERE group_id = ?", (group.id,))
            groups = tx.execute("DELETE FROM logs_groups WHERE id = ?", (group.id,))
            return groups.rowcount, streams.rowcount

        groups, streams = await self.store.write(delete)
        self.counts["log_groups"] -= groups
        self.counts["log_streams"] -= streams

    async def set_retention(self, group: LogGroup, days: int | None) -> None:
        await self.store.write(
            lambda tx: tx.execute(
                "UPDATE logs_groups SET retention_days = ? WHERE id = ?", (days, group.id)
            )
        )

    async def set_tags(self, group: LogGroup, tags: dict[str, str]) -> None:
        text = orjson.dumps(tags).decode()
        await self.store.write(
            lambda tx: tx.execute("UPDATE logs_groups SET tags = ? WHERE id = ?", (text, group.id))
        )

    # -- streams --------------------------------------------------------------------------------

    async def create_stream(self, group: LogGroup, name: str) -> LogStream | None:
        """Create a stream; None when one of that name exists already."""
        now = _now_ms()

        def insert(tx: Tx) -> LogStream | None:
            row = tx.execute(
                "INSERT INTO logs_streams (group_id, name, created, first_event, last_event,"
                " last_ingestion) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (group_id, name)"
                " DO NOTHING RETURNING " + _STREAM_COLUMNS,
                (group.id, name, now, NO_EVENT, NO_EVENT, NO_EVENT),
            ).fetchone()
            return LogStream(*row) if row else None

        created = await self.store.write(insert)
        if created is not None:
            self.counts["log_streams"] += 1
        return created

    async def stream(self, group: LogGroup, name: str) -> LogStream | None:
        def select(tx: Tx) -> LogStream | None:
            row = tx.execute(
                f"SELECT {_STREAM_COLUMNS} FROM logs_streams WHERE group_id = ? AND name = ?",
                (group.id, name),
            ).fetchone()
            return LogStream(*row) if row else None

        return await self.store.read(select)

    async def streams(
        self,
        group: LogGroup,
        *,
        prefix: str = "",
        by_last_event: bool = False,
        descending: bool = False,
        after: tuple[Any, ...] | None = None,
        limit: int = 50,
    ) -> list[LogStream]:
        """A page of a group's streams, by name or by last event time; `after` is a
        previous page's `stream_key` of its last stream."""

        def select(tx: Tx) -> list[LogStream]:
            sql = f"SELECT {_STREAM_COLUMNS} FROM logs_streams WHERE group_id = ?"
            params: list[Any] = [group.id]
            direction = "<" if descending else ">"
            if after is not None and by_last_event:
                sql += f" AND (last_event, id) {direction} (?, ?)"
                params += list(after)
            elif after is not None:
                sql += f" AND name {direction} ?"
                params.append(after[0])
            sql += _prefix_range(prefix, params)
            order = " DESC" if descending else ""
            columns = f"last_event{order}, id{order}" if by_last_event else f"name{order}"
            rows = tx.execute(f"{sql} ORDER BY {columns} LIMIT ?", [*params, limit])
            return [LogStream(*row) for row in rows]

        return await self.store.read(select)

    async def delete_stream(self, group: LogGroup, stream: LogStream) -> None:
        def delete(tx: Tx) -> int:
            (size,) = tx.execute(
                "SELECT COALESCE(SUM(LENGTH(message)), 0) FROM logs_events WHERE stream_id = ?",
                (stream.id,),
            ).fetchone()
            tx.execute("DELETE FROM logs_events WHERE stream_id = ?", (stream.id,))
            deleted = tx.execute("DELETE FROM logs_streams WHERE id = ?", (stream.id,)).rowcount
            _add_stored_bytes(tx, group.id, -size)
            return deleted

        self.counts["log_streams"] -= await self.store.write(delete)

    # -- events ---------------------------------------------------------------------------------

    async def put_events(
        self, group: LogGroup, stream: LogStream, events: list[tuple[int, str]]
    ) -> int:
        """Append events (in timestamp order) to a stream; return the last event's id."""
        now = _now_ms()
        return await self.store.write(
            lambda tx: _insert_events(tx, group.id, stream.id, events, now)
        )

    async def read_stream(
        self,
        stream: LogStream,
        *,
        start: int | None = None,
        end: int | None = None,
        after: Position | None = None,
        before: Position | None = None,
        newest: bool = False,
        limit: int = 10_000,
        max_bytes: int = 1_048_576,
    ) -> list[LogEvent]:
        """Events of a stream in [start, end), strictly between `after` and `before`, in
        order: the first `limit` of them, or with `newest` the last `limit`."""

        def select(tx: Tx) -> list[LogEvent]:
            sql = "SELECT id, ts, ingestion, message FROM logs_events WHERE stream_id = ?"
            params: list[Any] = [stream.id]
            if start is not None:
                sql += " AND ts >= ?"
                params.append(start)
            if end is not None:
                sql += " AND ts < ?"
                params.append(end)
            if after is not None:
                sql += " AND (ts, id) > (?, ?)"
                params += list(after)
            if before is not None:
                sql += " AND (ts, id) < (?, ?)"
                params += list(before)
            order = " ORDER BY ts DESC, id DESC" if newest else " ORDER BY ts, id"
            rows = tx.execute(sql + order + " LIMIT ?", [*params, limit])
            found = list(_within_bytes(rows, max_bytes))
            if newest:
                found.reverse()
            return [LogEvent(row[0], stream.name, row[1], row[2], row[3]) for row in found]

        return await self.store.read(select)

    async def search_group(
        self, search: GroupSearch, matches: Callable[[str], bool] | None = None
    ) -> SearchResult:
        """FilterLogEvents' read: a group's events in time order, those `matches` accepts."""
        return await self.store.read(lambda tx: _search(tx, search, matches))

    # -- retention -------------------------------------------------------------------------------

    async def expire(self, now: int | None = None) -> int:
        """Delete events older than their group's retention; return how many went."""
        now = _now_ms() if now is None else now
        groups = await self.store.read(
            lambda tx: tx.execute(
                "SELECT id, retention_days FROM logs_groups WHERE retention_days IS NOT NULL"
            ).fetchall()
        )
        removed = 0
        for group_id, days in groups:
            cutoff = now - days * 86_400_000
            while True:
                count = await self.store.write(lambda tx, g=group_id, c=cutoff: _expire(tx, g, c))
                removed += count
                if count < DELETE_CHUNK:
                    break
        return removed

    def stats(self) -> dict[str, int]:
        """Counts for `cloudlet status`."""
        return dict(self.counts)


# -- SQL, run in the store's threads -----------------------------------------------------------


def _now_ms() -> int:
    return int(time.time() * 1000)


def _group(row: Any) -> LogGroup:
    values = list(row)
    values[8] = orjson.loads(values[8])
    return LogGroup(*values)


def _find_group(tx: Tx, account: str, region: str, name: str) -> LogGroup | None:
    row = tx.execute(
        f"SELECT {_GROUP_COLUMNS} FROM logs_groups WHERE account = ? AND region = ? AND name = ?",
        (account, region, name),
    ).fetchone()
    return _group(row) if row else None


def _count(tx: Tx) -> dict[str, int]:
    (groups,) = tx.execute("SELECT COUNT(*) FROM logs_groups").fetchone()
    (streams,) = tx.execute("SELECT COUNT(*) FROM logs_streams").fetchone()
    return {"log_groups": groups, "log_streams": streams}


def _append_output(
    tx: Tx, batch: dict[_BufferKey, list[tuple[int, str]]], now: int
) -> tuple[int, int]:
    """Write buffered function output, creating groups and streams on first use; return how
    many groups and streams were created."""
    group_ids: dict[tuple[str, str, str], int] = {}
    created = [0, 0]
    for (account, region, group_name, stream_name), events in batch.items():
        group_key = (account, region, group_name)
        group_id = group_ids.get(group_key)
        if group_id is None:
            group_id = group_ids[group_key] = _ensure_group(tx, *group_key, now, created)
        stream_id = _ensure_stream(tx, group_id, stream_name, now, created)
        _insert_events(tx, group_id, stream_id, [_fit(event) for event in events], now)
    return created[0], created[1]


def _ensure_group(
    tx: Tx, account: str, region: str, name: str, now: int, created: list[int]
) -> int:
    row = tx.execute(
        "SELECT id FROM logs_groups WHERE account = ? AND region = ? AND name = ?",
        (account, region, name),
    ).fetchone()
    if row:
        return int(row[0])
    created[0] += 1
    return int(
        tx.execute(
            "INSERT INTO logs_groups (account, region, name, created, log_group_class, tags)"
            " VALUES (?, ?, ?, ?, 'STANDARD', '{}') RETURNING id",
            (account, region, name, now),
        ).fetchone()[0]
    )


def _ensure_stream(tx: Tx, group_id: int, name: str, now: int, created: list[int]) -> int:
    row = tx.execute(
        "SELECT id FROM logs_streams WHERE group_id = ? AND name = ?", (group_id, name)
    ).fetchone()
    if row:
        return int(row[0])
    created[1] += 1
    return int(
        tx.execute(
            "INSERT INTO logs_streams (group_id, name, created, first_event, last_event,"
            " last_ingestion) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (group_id, name, now, NO_EVENT, NO_EVENT, NO_EVENT),
        ).fetchone()[0]
    )


def _size(events: list[tuple[int, str]]) -> int:
    """What buffered events cost, as MAX_BACKLOG_BYTES counts it."""
    return sum(len(message) for _, message in events) + EVENT_OVERHEAD * len(events)


def _fit(event: tuple[int, str]) -> tuple[int, str]:
    timestamp, message = event
    if len(message) * 4 <= MAX_MESSAGE_BYTES:  # cannot be too long, whatever its characters
        return event
    data = message.encode()
    if len(data) <= MAX_MESSAGE_BYTES:
        return event
    return timestamp, data[:MAX_MESSAGE_BYTES].decode("utf-8", "ignore")


def _insert_events(
    tx: Tx, group_id: int, stream_id: int, events: list[tuple[int, str]], now: int
) -> int:
    if not events:
        return 0
    tx.executemany(
        "INSERT INTO logs_events (group_id, stream_id, ts, ingestion, message)"
        " VALUES (?, ?, ?, ?, ?)",
        [(group_id, stream_id, ts, now, message) for ts, message in events],
    )
    # One writer inserts at a time, so the newest row is this batch's last.
    (last_id,) = tx.execute("SELECT MAX(id) FROM logs_events").fetchone()
    first = min(ts for ts, _ in events)
    last = max(ts for ts, _ in events)
    tx.execute(
        "UPDATE logs_streams SET"
        " first_event = CASE WHEN first_event = ? OR first_event > ? THEN ? ELSE first_event END,"
        " last_event = CASE WHEN last_event < ? THEN ? ELSE last_event END,"
        " last_ingestion = ? WHERE id = ?",
        (NO_EVENT, first, first, last, last, now, stream_id),
    )
    _add_stored_bytes(tx, group_id, sum(len(message) for _, message in events))
    return int(last_id)


def _add_stored_bytes(tx: Tx, group_id: int, size: int) -> None:
    # Counted in characters (SQL's LENGTH), which is bytes for the ASCII most logs are.
    tx.execute(
        "UPDATE logs_groups SET stored_bytes = CASE WHEN stored_bytes + ? < 0 THEN 0"
        " ELSE stored_bytes + ? END WHERE id = ?",
        (size, size, group_id),
    )


def _prefix_range(prefix: str, params: list[Any], column: str = "name") -> str:
    """SQL (and its parameters) selecting the names that start with `prefix`, as an index
    range: every such name sorts at or after `prefix` and before its successor."""
    if not prefix:
        return ""
    following = ord(prefix[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:  # surrogates are not characters: skip past them
        following = 0xE000
    if following > 0x10FFFF:  # no successor to bound the range: compare each name's start
        params += [prefix, len(prefix), prefix]
        return f" AND {column} >= ? AND substr({column}, 1, ?) = ?"
    params += [prefix, prefix[:-1] + chr(following)]
    return f" AND {column} >= ? AND {column} < ?"


def _within_bytes(rows: Any, max_bytes: int) -> Iterator[Any]:
    """Rows until their messages (plus AWS's 26 bytes each) would pass `max_bytes`."""
    total = 0
    for count, row in enumerate(rows):
        total += len(row[3]) + 26
        if total > max_bytes and count:
            return
        yield row


def _search(tx: Tx, search: GroupSearch, matches: Callable[[str], bool] | None) -> SearchResult:
    sql = (
        "SELECT e.id, s.name, e.ts, e.ingestion, e.message FROM logs_events e"
        " JOIN logs_streams s ON s.id = e.stream_id WHERE e.group_id = ?"
    )
    params: list[Any] = [search.group_id]
    if search.stream_names is not None:
        if not search.stream_names:
            return SearchResult([], None)
        sql += f" AND s.name IN ({', '.join('?' * len(search.stream_names))})"
        params += search.stream_names
    sql += _prefix_range(search.stream_prefix, params, column="s.name")
    if search.start is not None:
        sql += " AND e.ts >= ?"
        params.append(search.start)
    if search.end is not None:
        sql += " AND e.ts <= ?"
        params.append(search.end)
    if search.after is not None:
        sql += " AND (e.ts, e.id) " + ("<" if search.newest_first else ">") + " (?, ?)"
        params += list(search.after)
    order = " DESC" if search.newest_first else ""
    sql += f" ORDER BY e.ts{order}, e.id{order} LIMIT ?"
    params.append(search.max_scanned)
    found: list[LogEvent] = []
    size = 0
    scanned = 0
    last: Position | None = None
    for row in tx.execute(sql, params):
        scanned += 1
        event = LogEvent(row[0], row[1], row[2], row[3], row[4])
        if matches is None or matches(event.message):
            size += len(event.message) + 26
            if found and size > search.max_bytes:
                return SearchResult(found, last)
            found.append(event)
        last = event.position
        if len(found) == search.limit:
            return SearchResult(found, last)
    # Stopped by the scan budget rather than the end of the range: say where to go on.
    return SearchResult(found, last if scanned == search.max_scanned else None)


def _expire(tx: Tx, group_id: int, cutoff: int) -> int:
    rows = tx.execute(
        "SELECT id, LENGTH(message) FROM logs_events WHERE group_id = ? AND ts < ?"
        " ORDER BY ts LIMIT ?",
        (group_id, cutoff, DELETE_CHUNK),
    ).fetchall()
    if not rows:
        return 0
    ids = [row[0] for row in rows]
    for chunk in _chunks(ids, 500):
        tx.execute(f"DELETE FROM logs_events WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
    _add_stored_bytes(tx, group_id, -sum(row[1] for row in rows))
    return len(rows)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
