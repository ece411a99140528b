"""LogStore on a real SQLite store: buffered function output, reads by position, retention."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from cloudlet import logstore
from cloudlet.engine.spec import FunctionSpec
from cloudlet.logstore import GroupSearch, LogStore
from cloudlet.store import open_store

ACCOUNT, REGION = "000000000000", "us-east-1"
DAY = 86_400_000


def spec(name: str = "fn", account: str = ACCOUNT) -> FunctionSpec:
    return FunctionSpec(
        function_name=name,
        version="$LATEST",
        function_arn=f"arn:aws:lambda:{REGION}:{account}:function:{name}",
        runtime="python3.11",
        handler="app.handler",
        code_dir="/nonexistent",
        opt_dir=None,
        memory_size=128,
        timeout=3,
        region=REGION,
        account_id=account,
        endpoint="http://localhost:4566",
        tmp_dir="/tmp",
        revision="1",
    )


def with_logs(tmp_path: Path, test) -> None:
    async def go() -> None:
        store = open_store(str(tmp_path / "db.sqlite"))
        logs = LogStore(store, flush_interval=0.02)
        try:
            await test(logs, store)
        finally:
            await logs.close()
            store.close()

    asyncio.run(go())


def test_function_output_is_written_in_batches_not_per_line(tmp_path):
    async def test(logs: LogStore, store) -> None:
        before = store.stats()["writes"]
        for line in range(200):
            logs.sink(spec(), "2026/01/01/[$LATEST]abc", [(1000 + line, f"line {line}")])
        await asyncio.sleep(0.1)
        assert store.stats()["writes"] - before == 1
        group = await logs.group(ACCOUNT, REGION, "/aws/lambda/fn")
        assert group is not None
        stream = await logs.stream(group, "2026/01/01/[$LATEST]abc")
        assert stream is not None
        events = await logs.read_stream(stream)
        assert [event.message for event in events] == [f"line {n}" for n in range(200)]
        assert (stream.first_event, stream.last_event) == (1000, 1199)

    with_logs(tmp_path, test)


def test_flush_makes_buffered_output_readable_at_once(tmp_path):
    async def test(logs: LogStore, store) -> None:
        logs.flush_interval = 60  # only an explicit flush writes
        logs.sink(spec(), "s", [(1, "hello")])
        assert await logs.group(ACCOUNT, REGION, "/aws/lambda/fn") is None
        await logs.flush()
        group = await logs.group(ACCOUNT, REGION, "/aws/lambda/fn")
        stream = await logs.stream(group, "s")
        assert [event.message for event in await logs.read_stream(stream)] == ["hello"]

    with_logs(tmp_path, test)


def test_output_closed_at_shutdown_is_committed(tmp_path):
    async def write() -> None:
        store = open_store(str(tmp_path / "db.sqlite"))
        logs = LogStore(store, flush_interval=60)
        logs.sink(spec(), "s", [(1, "last words")])
        await logs.close()
        store.close()

    asyncio.run(write())

    async def test(logs: LogStore, store) -> None:
        group = await logs.group(ACCOUNT, REGION, "/aws/lambda/fn")
        stream = await logs.stream(group, "s")
        assert [event.message for event in await logs.read_stream(stream)] == ["last words"]

    with_logs(tmp_path, test)


def test_output_beyond_the_backlog_is_dropped_and_counted_in_its_stream(tmp_path, monkeypatch):
    monkeypatch.setattr(logstore, "MAX_BACKLOG_BYTES", 100_000)

    async def test(logs: LogStore, store) -> None:
        # Printed faster than any write can finish: nothing is written while the loop is held.
        for line in range(10_000):
            logs.sink(spec(), "s", [(int(time.time() * 1000), f"line {line:05}")])
        await logs.flush()
        logs.sink(spec(), "s", [(int(time.time() * 1000), "after the flood")])
        await logs.flush()
        group = await logs.group(ACCOUNT, REGION, "/aws/lambda/fn")
        assert group is not None
        stream = await logs.stream(group, "s")
        assert stream is not None
        messages = [event.message for event in await logs.read_stream(stream, limit=10_000)]
        kept = [m for m in messages if m.startswith("line ")]
        assert 0 < len(kept) < 10_000
        assert kept == [f"line {n:05}" for n in range(len(kept))]  # the first ones, in order
        assert (
            f"[WARNING] cloudlet: {10_000 - len(kept)} lines of output dropped: the function"
            " wrote them faster than its log could be stored"
        ) in messages
        assert messages[-1] == "after the flood"

    with_logs(tmp_path, test)


def test_groups_are_partitioned_by_account(tmp_path):
    async def test(logs: LogStore, store) -> None:
        logs.sink(spec(account="111111111111"), "s", [(1, "theirs")])
        await logs.flush()
        assert await logs.group(ACCOUNT, REGION, "/aws/lambda/fn") is None
        assert await logs.group("111111111111", REGION, "/aws/lambda/fn") is not None

    with_logs(tmp_path, test)


def test_reading_a_stream_between_positions_and_from_the_end(tmp_path):
    async def test(logs: LogStore, store) -> None:
        group = await logs.create_group(ACCOUNT, REGION, "g")
        stream = await logs.create_stream(group, "s")
        await logs.put_events(group, stream, [(100 + n, f"m{n}") for n in range(10)])
        everything = await logs.read_stream(stream)
        newest = await logs.read_stream(stream, newest=True, limit=3)
        assert [e.message for e in newest] == ["m7", "m8", "m9"]
        after = await logs.read_stream(stream, after=everything[4].position, limit=2)
        assert [e.message for e in after] == ["m5", "m6"]
        before = await logs.read_stream(stream, before=everything[4].position, newest=True)
        assert [e.message for e in before] == ["m0", "m1", "m2", "m3"]
        in_range = await logs.read_stream(stream, start=102, end=105)
        assert [e.message for e in in_range] == ["m2", "m3", "m4"]

    with_logs(tmp_path, test)


def test_a_group_search_interleaves_streams_in_time_order_and_resumes(tmp_path):
    async def test(logs: LogStore, store) -> None:
        group = await logs.create_group(ACCOUNT, REGION, "g")
        a = await logs.create_stream(group, "app/a")
        b = await logs.create_stream(group, "app/b")
        c = await logs.create_stream(group, "other")
        await logs.put_events(group, a, [(1, "a1"), (4, "a4")])
        await logs.put_events(group, b, [(2, "b2"), (3, "b3")])
        await logs.put_events(group, c, [(5, "c5")])
        found = await logs.search_group(GroupSearch(group.id))
        assert [e.message for e in found.events] == ["a1", "b2", "b3", "a4", "c5"]
        assert found.resume_after is None
        first = await logs.search_group(GroupSearch(group.id, stream_prefix="app/", limit=2))
        assert [e.message for e in first.events] == ["a1", "b2"]
        rest = await logs.search_group(
            GroupSearch(group.id, stream_prefix="app/", after=first.resume_after)
        )
        assert [e.message for e in rest.events] == ["b3", "a4"]
        named = await logs.search_group(GroupSearch(group.id, stream_names=("other", "app/b")))
        assert [e.message for e in named.events] == ["b2", "b3", "c5"]
        odd = await logs.search_group(GroupSearch(group.id), lambda m: m.endswith(("1", "3")))
        assert [e.message for e in odd.events] == ["a1", "b3"]

    with_logs(tmp_path, test)


def test_streams_page_by_name_or_by_last_event(tmp_path):
    async def test(logs: LogStore, store) -> None:
        group = await logs.create_group(ACCOUNT, REGION, "g")
        for name, stamp in [("b", 30), ("a", 10), ("c", 20), ("ab", 40)]:
            stream = await logs.create_stream(group, name)
            await logs.put_events(group, stream, [(stamp, name)])
        names = [s.name for s in await logs.streams(group)]
        assert names == ["a", "ab", "b", "c"]
        assert [s.name for s in await logs.streams(group, prefix="a")] == ["a", "ab"]
        assert [s.name for s in await logs.streams(group, after=("ab",))] == ["b", "c"]
        latest = await logs.streams(group, by_last_event=True, descending=True, limit=2)
        assert [s.name for s in latest] == ["ab", "b"]
        key = (latest[-1].last_event, latest[-1].id)
        older = await logs.streams(group, by_last_event=True, descending=True, after=key)
        assert [s.name for s in older] == ["c", "a"]

    with_logs(tmp_path, test)


def test_expire_removes_events_older_than_the_retention_only(tmp_path):
    async def test(logs: LogStore, store) -> None:
        now = 100 * DAY
        kept = await logs.create_group(ACCOUNT, REGION, "kept")
        short = await logs.create_group(ACCOUNT, REGION, "short")
        await logs.set_retention(short, 1)
        for group in (kept, short):
            stream = await logs.create_stream(group, "s")
            await logs.put_events(group, stream, [(now - 3 * DAY, "old"), (now, "new")])
        assert await logs.expire(now) == 1
        for name, left in [("kept", ["old", "new"]), ("short", ["new"])]:
            group = await logs.group(ACCOUNT, REGION, name)
            stream = await logs.stream(group, "s")
            assert [e.message for e in await logs.read_stream(stream)] == left

    with_logs(tmp_path, test)


def test_counts_follow_every_write_without_asking_the_store(tmp_path):
    async def test(logs: LogStore, store) -> None:
        assert logs.stats() == {"log_groups": 0, "log_streams": 0}
        logs.sink(spec(), "env-1", [(1, "a")])
        logs.sink(spec(), "env-2", [(1, "b")])
        await logs.flush()
        group = await logs.create_group(ACCOUNT, REGION, "g")
        stream = await logs.create_stream(group, "s")
        await logs.create_stream(group, "t")
        assert logs.stats() == {"log_groups": 2, "log_streams": 4}
        await logs.delete_stream(group, stream)
        await logs.delete_group(await logs.group(ACCOUNT, REGION, "/aws/lambda/fn"))
        assert logs.stats() == {"log_groups": 1, "log_streams": 1}
        assert LogStore(store).stats() == logs.stats()  # what a restart counts

    with_logs(tmp_path, test)
