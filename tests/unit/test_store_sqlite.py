"""The SQLite store on a real database file: group commits, savepoints, migrations, close."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from cloudlet.store import Store, Tx, open_store

TABLE = "CREATE TABLE items (name TEXT PRIMARY KEY, size INTEGER)"


def run(path: Path, test: Callable[[Store], Awaitable[Any]]) -> Any:
    """Open the store at `path`, run `test` on an event loop, close the store."""

    async def go() -> Any:
        store = open_store(str(path))
        try:
            return await test(store)
        finally:
            store.close()

    return asyncio.run(go())


def insert(name: str, size: int = 1) -> Callable[[Tx], None]:
    def write(tx: Tx) -> None:
        tx.execute("INSERT INTO items (name, size) VALUES (?, ?)", (name, size))

    return write


def names(tx: Tx) -> list[str]:
    return [row[0] for row in tx.execute("SELECT name FROM items ORDER BY name")]


class WriterHeld:
    """A write that keeps the writer thread busy until released, so that the writes queued
    meanwhile form the next group (or are still queued when the store closes)."""

    def __init__(self) -> None:
        self.running = threading.Event()
        self.release = threading.Event()

    def __call__(self, tx: Tx) -> None:
        self.running.set()
        assert self.release.wait(10), "the test never released the writer"

    async def hold(self, store: Store) -> asyncio.Task[None]:
        task = asyncio.ensure_future(store.write(self))
        await asyncio.to_thread(self.running.wait, 10)
        return task


async def queued(store: Store, writes: list[Callable[[Tx], Any]]) -> list[asyncio.Task[Any]]:
    """Start `writes` and return once each is in the writer's queue."""
    tasks = [asyncio.ensure_future(store.write(write)) for write in writes]
    await asyncio.sleep(0)  # each task runs up to its await: its job is queued
    return tasks


def test_a_failing_write_undoes_only_its_own_changes_and_the_group_commits(tmp_path):
    class Refused(Exception):
        pass

    def half_done_then_refused(tx: Tx) -> None:
        tx.execute("INSERT INTO items (name, size) VALUES ('half', 1)")
        tx.execute("UPDATE items SET size = 99 WHERE name = 'before'")
        raise Refused("no")

    async def test(store: Store) -> None:
        store.migrate("items", [TABLE])
        await store.write(insert("before"))
        holder = WriterHeld()
        held = await holder.hold(store)
        commits = store.stats()["commits"]
        tasks = await queued(
            store,
            [
                insert("first"),
                half_done_then_refused,
                insert("first"),  # the primary key refuses it: SQLite's own error
                insert("last"),
            ],
        )
        holder.release.set()
        await held
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        assert outcomes[0] is None and outcomes[3] is None
        assert isinstance(outcomes[1], Refused)
        assert isinstance(outcomes[2], sqlite3.IntegrityError)
        # The held write's commit, then one commit for the four queued behind it.
        assert store.stats()["commits"] - commits == 2
        assert store.stats()["largest_group"] >= 4
        assert await store.read(names) == ["before", "first", "last"]
        sizes = await store.read(lambda tx: tx.execute("SELECT size FROM items").fetchall())
        assert {row[0] for row in sizes} == {1}

    run(tmp_path / "db.sqlite", test)


def test_a_write_returns_its_function_s_result_once_committed(tmp_path):
    def add(tx: Tx) -> int:
        return tx.execute("INSERT INTO counters (n) VALUES (7) RETURNING id").fetchone()[0]

    async def test(store: Store) -> None:
        store.migrate("counters", ["CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER)"])
        first, second = await store.write(add), await store.write(add)
        assert second == first + 1
        # A reader on another connection sees it: the answer came after the commit.
        count = await store.read(lambda tx: tx.execute("SELECT count(*) FROM counters").fetchone())
        assert count[0] == 2

    run(tmp_path / "db.sqlite", test)


def test_migrations_run_in_order_once_each_and_resume_from_the_recorded_version(tmp_path):
    path = tmp_path / "db.sqlite"
    steps = [
        TABLE,
        # Needs the table of the first: run out of order, it would fail.
        "ALTER TABLE items ADD COLUMN colour TEXT; INSERT INTO items VALUES ('seed', 1, 'red')",
        {"sqlite": "CREATE INDEX items_by_colour ON items (colour)", "postgresql": "-- unused"},
    ]

    def version(tx: Tx) -> list[tuple[str, int]]:
        return tx.execute("SELECT component, version FROM schema_migrations").fetchall()

    async def first_two(store: Store) -> None:
        store.migrate("items", steps[:2])
        store.migrate("items", steps[:2])  # already applied: nothing runs again
        assert await store.read(version) == [("items", 2)]
        assert await store.read(names) == ["seed"]

    async def then_the_third(store: Store) -> None:
        # A script that ran again would fail (the table exists) or insert 'seed' twice.
        store.migrate("items", steps)
        assert await store.read(version) == [("items", 3)]
        assert await store.read(names) == ["seed"]
        index = await store.read(
            lambda tx: tx.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items'"
                " AND name = 'items_by_colour'"
            ).fetchall()
        )
        assert index == [("items_by_colour",)]
        # Components keep their own versions.
        store.migrate("other", ["CREATE TABLE other (id INTEGER)"])
        assert sorted(await store.read(version)) == [("items", 3), ("other", 1)]

    run(path, first_two)
    run(path, then_the_third)


def test_a_failing_migration_applies_nothing_and_leaves_the_store_usable(tmp_path):
    path = tmp_path / "db.sqlite"
    broken = "CREATE TABLE half (id INTEGER); INSERT INTO no_such_table VALUES (1)"

    async def test(store: Store) -> None:
        store.migrate("items", [TABLE])
        with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
            store.migrate("items", [TABLE, broken])
        tables = await store.read(
            lambda tx: tx.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchall()
        )
        assert tables == []
        await store.write(insert("after"))
        assert await store.read(names) == ["after"]

    async def reopened(store: Store) -> None:
        # Still at version 1: the fixed second migration runs at the next start.
        store.migrate("items", [TABLE, "CREATE TABLE half (id INTEGER)"])
        version = await store.read(
            lambda tx: tx.execute("SELECT version FROM schema_migrations").fetchone()
        )
        assert version == (2,)

    run(path, test)
    run(path, reopened)


def test_close_commits_the_writes_still_queued(tmp_path):
    path = tmp_path / "db.sqlite"
    count = 200

    async def close_with_writes_queued(store: Store) -> None:
        store.migrate("items", [TABLE])
        holder = WriterHeld()
        held = await holder.hold(store)
        tasks = await queued(store, [insert(f"item-{n:03}") for n in range(count)])
        holder.release.set()
        store.close()  # returns once the writer has committed everything queued before it
        await held
        assert await asyncio.gather(*tasks) == [None] * count

    async def reopened(store: Store) -> list[str]:
        return await store.read(names)

    run(path, close_with_writes_queued)  # closing again after close() does nothing
    assert run(path, reopened) == [f"item-{n:03}" for n in range(count)]


def test_committed_state_survives_reopening_the_store(tmp_path):
    path = tmp_path / "nested" / "dir" / "db.sqlite"  # created with its directories

    async def write(store: Store) -> None:
        store.migrate("items", [TABLE])
        await store.write(insert("kept", 3))
        await store.write(lambda tx: tx.execute("UPDATE items SET size = 4 WHERE name = 'kept'"))

    async def read(store: Store) -> list[tuple[str, int]]:
        store.migrate("items", [TABLE])  # a restart migrates again: nothing to do
        return await store.read(lambda tx: tx.execute("SELECT name, size FROM items").fetchall())

    run(path, write)
    assert run(path, read) == [("kept", 4)]
    # read_now serves start-up code before the loop runs.
    store = open_store(str(path))
    try:
        assert store.read_now(names) == ["kept"]
    finally:
        store.close()
