"""Durable state: one interface, with SQLite (embedded, the default) behind it.

Services hand the store plain functions that run SQL inside a transaction:

    def insert(tx: Tx) -> int:
        return tx.execute("INSERT INTO t (v) VALUES (?) RETURNING id", (v,)).fetchone()[0]

    new_id = await store.write(insert)

`write` returns only after the transaction holding the function's changes has committed, so
an answer sent after it never acknowledges a write that could be lost. Writes from many
requests are grouped into one commit (group commit); each function runs in its own savepoint,
so one that raises leaves no trace and does not disturb the others. SQL uses `?` placeholders
and the subset of SQL that SQLite and PostgreSQL share (`INSERT ... ON CONFLICT`, `RETURNING`),
so that a PostgreSQL backend can run the same service code.

Entry point: `open_store(config)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Any: ...


class Tx(Protocol):
    """What a read or write function gets: SQL execution inside one transaction."""

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Cursor: ...

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> Cursor: ...


# A migration is a SQL script, or one script per dialect when they must differ.
Migration = str | dict[str, str]


class Store(Protocol):
    dialect: str

    def migrate(self, component: str, migrations: Sequence[Migration]) -> None:
        """Bring `component`'s tables up to date: run the scripts not yet applied, in order."""

    async def write(self, fn: Callable[[Tx], T]) -> T:
        """Run `fn` in a write transaction; return its result once the change is committed."""

    async def read(self, fn: Callable[[Tx], T]) -> T:
        """Run `fn` on a consistent snapshot of committed state."""

    def read_now(self, fn: Callable[[Tx], T]) -> T:
        """`read` for start-up code that runs before the event loop serves requests."""

    def stats(self) -> dict[str, int]:
        """Counters for `cloudlet status` and benchmarks: commits, writes, largest group."""

    def close(self) -> None:
        """Finish pending writes and release the database."""


def open_store(path: str, *, sync: str = "normal") -> Store:
    """Open the SQLite store at `path` (created, with its directory, if missing)."""
    from cloudlet.store.sqlite import SQLiteStore

    return SQLiteStore(path, sync=sync)
