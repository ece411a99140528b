"""Wakeups: tasks waiting per key until a write wakes the key (SQS long polls, Kinesis and
DynamoDB stream pollers)."""

from __future__ import annotations

import asyncio

import pytest

from cloudlet.delivery.wakeups import Wakeups


def test_a_wake_releases_every_waiter_of_its_key_and_no_other() -> None:
    async def scenario() -> tuple[list[bool], bool]:
        wakeups: Wakeups[str] = Wakeups()
        mine = [asyncio.create_task(wakeups.wait("mine", 5)) for _ in range(3)]
        other = asyncio.create_task(wakeups.wait("other", 0.05))
        await asyncio.sleep(0)
        wakeups.wake("mine")
        return list(await asyncio.gather(*mine)), await other

    assert asyncio.run(scenario()) == ([True, True, True], False)


def test_a_wait_after_a_wake_waits_for_the_next_one() -> None:
    async def scenario() -> bool:
        wakeups: Wakeups[int] = Wakeups()
        first = asyncio.create_task(wakeups.wait(1, 5))
        await asyncio.sleep(0)
        wakeups.wake(1)
        await first
        return await wakeups.wait(1, 0.05)

    assert asyncio.run(scenario()) is False


def test_ready_ends_the_wait_at_once_and_a_wake_during_it_is_not_lost() -> None:
    async def scenario() -> tuple[bool, bool, bool]:
        wakeups: Wakeups[str] = Wakeups()

        async def yes() -> bool:
            return True

        async def woken_while_looking() -> bool:
            wakeups.wake("k")  # a commit between registering and looking
            return False

        return (
            await wakeups.wait("k", 5, ready=yes),
            await wakeups.wait("k", 5, ready=woken_while_looking),
            wakeups.idle,
        )

    assert asyncio.run(scenario()) == (True, True, True)


def test_wake_all_releases_every_key_and_cancelled_waits_leave_nothing_behind() -> None:
    async def scenario() -> tuple[list[bool], bool]:
        wakeups: Wakeups[int] = Wakeups()
        waits = [asyncio.create_task(wakeups.wait(key, 5)) for key in (1, 2, 3)]
        cancelled = asyncio.create_task(wakeups.wait(4, 5))
        await asyncio.sleep(0)
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        wakeups.wake_all()
        return list(await asyncio.gather(*waits)), wakeups.idle

    assert asyncio.run(scenario()) == ([True, True, True], True)


def test_watchers_are_called_at_each_wake_until_unwatched() -> None:
    wakeups: Wakeups[int] = Wakeups()
    calls: list[str] = []
    unwatch = wakeups.watch(7, lambda: calls.append("seven"))
    wakeups.watch(8, lambda: calls.append("eight"))
    wakeups.wake(7)
    wakeups.wake(7)
    unwatch()
    wakeups.wake(7)
    assert calls == ["seven", "seven"]
