"""The asynchronous invocation queue in a real store, with functions and queues faked behind
their ports: system errors backed off until the maximum event age, the window of held events,
and the last response kept across a restart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from cloudlet.delivery import async_invoke
from cloudlet.delivery.async_invoke import AsyncInvoker
from cloudlet.delivery.ports import (
    AsyncSettings,
    FunctionTarget,
    Invocation,
    InvokeRefused,
    Ports,
    QueueInfo,
)
from cloudlet.store import Store, open_store

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:f"
SUCCESS_QUEUE = "arn:aws:sqs:us-east-1:000000000000:success"
FAILURE_QUEUE = "arn:aws:sqs:us-east-1:000000000000:failure"
DEAD_LETTERS = "arn:aws:sqs:us-east-1:000000000000:dead-letters"

Behaviour = Callable[[bytes], Coroutine[Any, Any, Invocation]]


class FakeFunctions:
    """One function whose every invocation is `behaviour`, with destinations on both sides."""

    def __init__(self, behaviour: Behaviour, maximum_event_age: int = 21_600) -> None:
        self.behaviour = behaviour
        self.settings = AsyncSettings(
            maximum_event_age=maximum_event_age,
            on_success=SUCCESS_QUEUE,
            on_failure=FAILURE_QUEUE,
            dead_letter=DEAD_LETTERS,
        )
        self.calls = 0

    def resolve(self, arn: str) -> FunctionTarget | None:
        return FunctionTarget(FUNCTION, None, self.settings) if arn == FUNCTION else None

    async def invoke(
        self, arn: str, payload: bytes, *, request_id: str = "", trace_header: str = ""
    ) -> Invocation:
        self.calls += 1
        return await self.behaviour(payload)


class FakeQueues:
    """Queues that keep what is sent to them."""

    def __init__(self) -> None:
        self.sent: dict[str, list[tuple[str, dict[str, Any] | None]]] = {}
        self.arrived = asyncio.Event()

    def describe(self, arn: str) -> QueueInfo | None:
        return QueueInfo(arn, False, 30)

    async def send(self, arn: str, body: str, *, message_attributes=None, **_: Any) -> str:
        self.sent.setdefault(arn, []).append((body, message_attributes))
        self.arrived.set()
        return "message-id"


def refusing(status: int, code: str, times: int | None) -> Behaviour:
    """A system error (`times` times, or for ever), then a success."""
    refused = 0

    async def behaviour(payload: bytes) -> Invocation:
        nonlocal refused
        if times is None or refused < times:
            refused += 1
            raise InvokeRefused(status, code, f"{code} for a while", retryable=True)
        return Invocation(b'"done"', None, "$LATEST")

    return behaviour


async def failing(payload: bytes) -> Invocation:
    return Invocation(b'{"errorMessage":"it broke"}', "Unhandled", "$LATEST")


def run(store: Store, scenario: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    try:
        return asyncio.run(scenario())
    finally:
        store.close()


async def wait_for(queues: FakeQueues, arn: str, timeout: float = 10.0) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while arn not in queues.sent:
            queues.arrived.clear()
            await queues.arrived.wait()
    body, _ = queues.sent[arn][0]
    return json.loads(body)


@pytest.fixture(autouse=True)
def short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(async_invoke, "FIRST_BACKOFF", 0.01)


@pytest.mark.parametrize(
    ("status", "code"), [(409, "ResourceConflictException"), (502, "InvalidRuntimeException")]
)
def test_a_system_error_is_backed_off_until_the_function_runs(tmp_path, status, code):
    store = open_store(str(tmp_path / "db.sqlite"))
    functions = FakeFunctions(refusing(status, code, times=3))
    queues = FakeQueues()

    async def scenario() -> dict[str, Any]:
        invoker = AsyncInvoker(store, Ports(functions=functions, queues=queues))
        await invoker.start()
        await invoker.put(FUNCTION, b'{"n": 1}', "request-1")
        record = await wait_for(queues, SUCCESS_QUEUE)
        await invoker.stop()
        return record

    record = run(store, scenario)
    assert functions.calls == 4
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responsePayload"] == "done"


@pytest.mark.parametrize(
    ("status", "code"), [(409, "ResourceConflictException"), (502, "InvalidRuntimeException")]
)
def test_a_system_error_past_the_maximum_event_age_fails_the_event(tmp_path, status, code):
    store = open_store(str(tmp_path / "db.sqlite"))
    functions = FakeFunctions(refusing(status, code, times=None), maximum_event_age=60)
    queues = FakeQueues()

    async def scenario() -> tuple[dict[str, Any], tuple[str, Any]]:
        # Ages count 200 times faster: the 60-second maximum age is 0.3 s.
        invoker = AsyncInvoker(store, Ports(functions=functions, queues=queues), age_scale=200)
        await invoker.start()
        await invoker.put(FUNCTION, b'{"n": 2}', "request-2")
        record = await wait_for(queues, FAILURE_QUEUE)
        await invoker.stop()
        return record, queues.sent[DEAD_LETTERS][0]

    record, (dead_body, attributes) = run(store, scenario)
    assert functions.calls > 2  # tried again and again, never failed for good
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert record["responseContext"] == {"statusCode": status}
    assert dead_body == '{"n": 2}'
    assert attributes["ErrorCode"]["StringValue"] == str(status)
    assert attributes["ErrorMessage"]["StringValue"] == f"{code} for a while"


def test_more_events_than_the_window_all_run_with_no_more_held(tmp_path, monkeypatch):
    monkeypatch.setattr(async_invoke, "MAX_HELD", 8)
    store = open_store(str(tmp_path / "db.sqlite"))
    ran: list[int] = []
    most_held = 0

    async def slow(payload: bytes) -> Invocation:
        nonlocal most_held
        most_held = max(most_held, len(invoker.held))
        await asyncio.sleep(0.01)
        ran.append(json.loads(payload)["n"])
        return Invocation(b"null", None, "$LATEST")

    functions = FakeFunctions(slow)
    queues = FakeQueues()
    invoker = AsyncInvoker(store, Ports(functions=functions, queues=queues))

    async def scenario() -> None:
        await invoker.start()
        for n in range(50):
            await invoker.put(FUNCTION, b'{"n": %d}' % n, f"request-{n}")
        async with asyncio.timeout(10):
            while invoker.pending():
                await asyncio.sleep(0.01)
        await invoker.stop()

    run(store, scenario)
    assert sorted(ran) == list(range(50))
    assert most_held <= 8


def test_an_event_aged_out_after_a_restart_carries_its_last_response(tmp_path):
    path = str(tmp_path / "db.sqlite")
    store = open_store(path)
    queues = FakeQueues()

    # Ages count 120 times faster: the 60-second maximum age is half a second, and the
    # minute before the retry is past it: the event waits in its row to be failed then.
    async def first_attempt() -> None:
        functions = FakeFunctions(failing, maximum_event_age=60)
        invoker = AsyncInvoker(store, Ports(functions=functions, queues=queues), age_scale=120)
        await invoker.start()
        await invoker.put(FUNCTION, b'{"n": 3}', "request-3")
        async with asyncio.timeout(10):
            # Back in the waiting heap once the retry's row is written.
            while not (invoker.waiting and invoker.waiting[0].attempts == 1):
                await asyncio.sleep(0.01)
        await invoker.stop()

    run(store, first_attempt)
    store = open_store(path)

    async def after_restart() -> dict[str, Any]:
        functions = FakeFunctions(failing, maximum_event_age=60)
        invoker = AsyncInvoker(store, Ports(functions=functions, queues=queues), age_scale=120)
        await invoker.start()
        record = await wait_for(queues, FAILURE_QUEUE)
        await invoker.stop()
        assert functions.calls == 0
        return record

    record = run(store, after_restart)
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"] == {"errorMessage": "it broke"}
