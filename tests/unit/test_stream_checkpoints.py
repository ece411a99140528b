"""Stream mappings' checkpoints in a real store: saved, seeded, forgotten, pruned, survive a
reopen; and one poller at a time per mapping."""

from __future__ import annotations

import asyncio
from typing import Any

from cloudlet.delivery.stream_checkpoints import Checkpoint, Checkpoints
from cloudlet.store import open_store


def test_checkpoints_are_saved_seeded_and_survive_a_reopen(tmp_path: Any) -> None:
    path = str(tmp_path / "db.sqlite")

    async def write() -> dict[str, Checkpoint]:
        checkpoints = Checkpoints(store)
        await checkpoints.seed("m1", {"shard-a": "10", "shard-b": "20"})
        await checkpoints.save("m1", "shard-a", "15")
        await checkpoints.save("m1", "shard-b", "29", finished=True)
        await checkpoints.save("m2", "shard-a", "3")
        return await checkpoints.load("m1")

    store = open_store(path)
    try:
        loaded = asyncio.run(write())
    finally:
        store.close()
    assert loaded == {"shard-a": Checkpoint("15", False), "shard-b": Checkpoint("29", True)}

    async def reread() -> tuple[dict[str, Checkpoint], dict[str, Checkpoint]]:
        checkpoints = Checkpoints(store)
        return await checkpoints.load("m1"), await checkpoints.load("m2")

    store = open_store(path)
    try:
        first, second = asyncio.run(reread())
    finally:
        store.close()
    assert first == loaded
    assert second == {"shard-a": Checkpoint("3", False)}


def test_a_deleted_mappings_checkpoints_go(tmp_path: Any) -> None:
    store = open_store(str(tmp_path / "db.sqlite"))

    async def scenario() -> list[dict[str, Checkpoint]]:
        checkpoints = Checkpoints(store)
        for mapping in ("kept", "deleted", "gone"):
            await checkpoints.save(mapping, "s", "1")
        await checkpoints.forget("deleted")
        await checkpoints.keep_only(["kept"])
        return [await checkpoints.load(m) for m in ("kept", "deleted", "gone")]

    try:
        kept, deleted, gone = asyncio.run(scenario())
    finally:
        store.close()
    assert kept == {"s": Checkpoint("1", False)}
    assert deleted == gone == {}


def test_a_mappings_next_poller_waits_for_the_previous_one(tmp_path: Any) -> None:
    store = open_store(str(tmp_path / "db.sqlite"))
    order: list[str] = []

    async def poller(name: str, checkpoints: Checkpoints, hold: float) -> None:
        async with checkpoints.lease("m"):
            order.append(f"{name} starts")
            await asyncio.sleep(hold)
            order.append(f"{name} ends")

    async def scenario() -> None:
        checkpoints = Checkpoints(store)
        first = asyncio.create_task(poller("old", checkpoints, 0.05))
        await asyncio.sleep(0)
        await asyncio.gather(first, poller("new", checkpoints, 0))

    try:
        asyncio.run(scenario())
    finally:
        store.close()
    assert order == ["old starts", "old ends", "new starts", "new ends"]
