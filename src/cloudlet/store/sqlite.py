"""The embedded SQLite store: WAL, one writer thread with group commit, pooled readers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from cloudlet.store import Migration, Tx

T = TypeVar("T")
log = logging.getLogger("cloudlet.store")

# Enough to amortize one commit over a burst of requests, small enough that the first
# writer in a group does not wait long for the last.
MAX_GROUP = 1024
_STOP = object()


class SQLiteStore:
    dialect = "sqlite"

    def __init__(self, path: str, *, sync: str = "normal") -> None:
        self.path = path
        self._sync = sync
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._writer_conn = self._connect()
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._local = threading.local()
        self._readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="store-read")
        self._commits = 0
        self._writes = 0
        self._largest_group = 0
        self._writer = threading.Thread(target=self._write_loop, name="store-write", daemon=True)
        self._writer.start()

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves to control grouping.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self._sync.upper()}")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA cache_size=-16384")
        return conn

    # -- schema -------------------------------------------------------------------------

    def migrate(self, component: str, migrations: Sequence[Migration]) -> None:
        conn = self._writer_conn
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        )
        row = conn.execute(
            "SELECT version FROM schema_migrations WHERE component = ?", (component,)
        ).fetchone()
        applied = row[0] if row else 0
        for version, migration in enumerate(migrations, start=1):
            if version <= applied:
                continue
            script = migration if isinstance(migration, str) else migration[self.dialect]
            # executescript commits on its own; the version row follows in the same script
            # so a crash leaves either both or neither.
            try:
                conn.executescript(
                    "BEGIN;\n"
                    + script
                    + f";\nINSERT INTO schema_migrations (component, version) VALUES "
                    f"('{component}', {version}) ON CONFLICT (component) DO UPDATE SET "
                    "version = excluded.version;\nCOMMIT;"
                )
            except sqlite3.Error:
                # A script that fails stops inside its transaction: undo it, or the writer's
                # next BEGIN would fail and every later write with it.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            log.info("migrated %s to schema version %d", component, version)

    # -- writes -------------------------------------------------------------------------

    async def write(self, fn: Callable[[Tx], T]) -> T:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._jobs.put((fn, future, loop))
        return await future

    def _write_loop(self) -> None:
        conn = self._writer_conn
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            group = [job]
            stop = False
            while len(group) < MAX_GROUP:
                try:
                    nxt = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                group.append(nxt)
            self._commit_group(conn, group)
            if stop:
                return

    def _commit_group(self, conn: sqlite3.Connection, group: list[Any]) -> None:
        outcomes: list[tuple[asyncio.Future[Any], bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for fn, future, _ in group:
                conn.execute("SAVEPOINT job")
                try:
                    result = fn(conn)
                except BaseException as error:  # the job's own failure: undo only its changes
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    outcomes.append((future, False, error))
                else:
                    conn.execute("RELEASE job")
                    outcomes.append((future, True, result))
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            log.exception("group commit of %d writes failed", len(group))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(future, False, error) for _, future, _ in group]
        self._commits += 1
        self._writes += len(group)
        self._largest_group = max(self._largest_group, len(group))
        by_loop: dict[asyncio.AbstractEventLoop, list[Any]] = {}
        for (_, _, loop), outcome in zip(group, outcomes, strict=True):
            by_loop.setdefault(loop, []).append(outcome)
        for loop, settled in by_loop.items():
            with contextlib.suppress(RuntimeError):  # the loop closed while we committed
                loop.call_soon_threadsafe(_settle, settled)

    # -- reads --------------------------------------------------------------------------

    async def read(self, fn: Callable[[Tx], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._read_in_thread, fn)

    def _read_in_thread(self, fn: Callable[[Tx], T]) -> T:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        conn.execute("BEGIN")
        try:
            return fn(conn)
        finally:
            conn.execute("COMMIT")

    def read_now(self, fn: Callable[[Tx], T]) -> T:
        return self._readers.submit(self._read_in_thread, fn).result()

    def stats(self) -> dict[str, int]:
        return {
            "commits": self._commits,
            "writes": self._writes,
            "largest_group": self._largest_group,
        }

    def close(self) -> None:
        self._jobs.put(_STOP)
        self._writer.join()
        self._readers.shutdown(wait=True)
        self._writer_conn.close()


def _settle(outcomes: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in outcomes:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
