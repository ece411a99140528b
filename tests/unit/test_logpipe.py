"""A process's output as log events: long lines cut as Lambda cuts them, bounded reads."""

from __future__ import annotations

import asyncio
import os
import subprocess

from cloudlet.engine.logpipe import DRAIN_LIMIT, MAX_EVENT_BYTES, READ_SIZE, LogPipe


def events_of(*writes: bytes) -> list[str]:
    """The messages a LogPipe makes of `writes` to its pipe (read by the event loop while
    the pipe is full, as from a running process), drained after each."""
    messages: list[str] = []

    async def go() -> None:
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        pipe = LogPipe(read_end, lambda events: messages.extend(m for _, m in events))
        for data in writes:
            while data:
                try:
                    data = data[os.write(write_end, data) :]
                except BlockingIOError:
                    await asyncio.sleep(0.001)
            pipe.drain()
        os.close(write_end)
        pipe.close()

    asyncio.run(go())
    return messages


def test_a_line_longer_than_an_event_is_cut_into_several():
    messages = events_of(b"x" * (2 * MAX_EVENT_BYTES + 10) + b"\nnext\n")
    assert [len(m) for m in messages] == [MAX_EVENT_BYTES, MAX_EVENT_BYTES, 10, 4]


def test_an_unended_line_is_emitted_in_pieces_as_it_grows():
    # Never ended: the reader keeps no more than an event's worth of it at a time.
    messages = events_of(b"y" * 600_000)
    assert "".join(messages) == "y" * 600_000
    assert max(len(m) for m in messages) <= MAX_EVENT_BYTES


def test_a_cut_never_splits_a_character():
    line = ("a" + "é" * MAX_EVENT_BYTES).encode()  # two bytes each: the limit falls inside one
    messages = events_of(line + b"\n")
    assert "".join(messages) == line.decode()
    assert all(len(m.encode()) <= MAX_EVENT_BYTES for m in messages)


def test_bytes_that_are_not_utf8_are_replaced_not_fatal():
    assert events_of(b"ok \xff\xfe\x00 bytes\n") == ["ok \ufffd\ufffd\x00 bytes"]


def test_a_drain_ends_while_the_process_goes_on_writing():
    # `yes` writes as fast as the pipe is read: a drain reads a bounded amount and returns.
    messages: list[str] = []

    async def go() -> None:
        read_end, write_end = os.pipe()
        writer = subprocess.Popen(["yes", "spam"], stdout=write_end)
        os.close(write_end)
        pipe = LogPipe(read_end, lambda events: messages.extend(m for _, m in events))
        try:
            await asyncio.sleep(0.05)  # the pipe is full
            messages.clear()
            pipe.drain()
        finally:
            pipe.close()
            writer.kill()
            writer.wait()

    asyncio.run(go())
    assert 0 < sum(len(m) + 1 for m in messages) <= DRAIN_LIMIT + READ_SIZE
