"""SQS retention with an explicit clock: expired messages are never received, then swept."""

from __future__ import annotations

import asyncio

import pytest

from cloudlet.services.sqs import claims, rows
from cloudlet.services.sqs.attributes import defaults, merged
from cloudlet.services.sqs.fifo import SequenceNumbers, send
from cloudlet.services.sqs.longpoll import Waiters
from cloudlet.services.sqs.outgoing import prepare
from cloudlet.services.sqs.registry import QueueRegistry
from cloudlet.services.sqs.schema import MIGRATIONS
from cloudlet.services.sqs.sweeper import Sweeper
from cloudlet.store import open_store

T0 = 1_800_000_000.0
RETENTION = 60


@pytest.fixture
def registry(tmp_path):
    store = open_store(str(tmp_path / "state.db"), sync="off")
    store.migrate("sqs", MIGRATIONS)
    yield QueueRegistry(store)
    store.close()


def make_queue(registry, name, fifo=False):
    attributes = merged(defaults(fifo), {"MessageRetentionPeriod": str(RETENTION)})
    key = ("000000000000", "us-east-1", name)
    return asyncio.run(registry.create(key, attributes, {}, T0))


def claim(registry, queue, now):
    request = claims.ClaimRequest(
        queue.id, queue.fifo, 10, 30, now, now - queue.retention, None, SequenceNumbers()
    )
    return asyncio.run(registry.store.write(lambda tx: claims.claim(tx, request))).rows


def count(registry, queue):
    return asyncio.run(
        registry.store.read(
            lambda tx: tx.execute(
                "SELECT COUNT(*) FROM sqs_messages WHERE queue_id = ?", (queue.id,)
            ).fetchone()[0]
        )
    )


def test_an_expired_message_is_not_received_and_is_swept(registry):
    queue = make_queue(registry, "standard")
    message = prepare(queue, {"MessageBody": "old"})
    asyncio.run(
        registry.store.write(lambda tx: rows.insert_standard(tx, queue.id, [message], "me", T0))
    )
    assert [row.body for row in claim(registry, queue, T0 + RETENTION - 1)] == ["old"]
    assert claim(registry, queue, T0 + RETENTION + 1) == []
    sweeper = Sweeper(registry.store, registry, Waiters(), 60.0)
    asyncio.run(sweeper.sweep(T0 + RETENTION + 1))
    assert count(registry, queue) == 0


def test_an_expired_fifo_head_gives_way_to_the_next_message_of_its_group(registry):
    queue = make_queue(registry, "ordered.fifo", fifo=True)
    sequences = SequenceNumbers()
    for body, sent_at in (("old", T0), ("new", T0 + 30)):
        message = prepare(queue, {"MessageBody": body, "MessageGroupId": "g",
                                  "MessageDeduplicationId": body})  # fmt: skip
        asyncio.run(
            registry.store.write(
                lambda tx, m=message, t=sent_at: send(tx, queue.id, False, m, "me", t, sequences)
            )
        )
    assert [row.body for row in claim(registry, queue, T0 + RETENTION + 1)] == ["new"]
    sweeper = Sweeper(registry.store, registry, Waiters(), 60.0)
    asyncio.run(sweeper.sweep(T0 + RETENTION + 1))
    assert count(registry, queue) == 1


def test_sequence_numbers_increase_even_when_the_clock_stands_still():
    sequences = SequenceNumbers()
    drawn = [int(sequences.draw(T0)) for _ in range(3)]
    assert drawn == sorted(set(drawn))
    assert int(sequences.draw(T0 + 1)) > drawn[-1]
    assert len(str(drawn[0])) == 20
