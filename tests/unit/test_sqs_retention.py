"""SQS's rules of time with an explicit clock: retention (expired messages are never received,
then swept), FIFO sequence numbers and the 5-minute deduplication window."""

from __future__ import annotations

import asyncio

import pytest

from cloudlet.delivery.wakeups import Wakeups
from cloudlet.services.sqs import claims, rows
from cloudlet.services.sqs.attributes import defaults, merged
from cloudlet.services.sqs.fifo import SequenceNumbers, send
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
    sweeper = Sweeper(registry.store, registry, Wakeups(), 60.0)
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
    sweeper = Sweeper(registry.store, registry, Wakeups(), 60.0)
    asyncio.run(sweeper.sweep(T0 + RETENTION + 1))
    assert count(registry, queue) == 1


def test_sequence_numbers_increase_even_when_the_clock_stands_still():
    sequences = SequenceNumbers()
    drawn = [int(sequences.draw(T0)) for _ in range(3)]
    assert drawn == sorted(set(drawn))
    assert int(sequences.draw(T0 + 1)) > drawn[-1]
    assert len(str(drawn[0])) == 20


def test_a_deduplication_id_is_accepted_again_300_seconds_after_its_first_send(registry):
    queue = make_queue(registry, "deduplicated.fifo", fifo=True)
    sequences = SequenceNumbers()
    entry = {"MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "same"}

    def send_at(t):
        message = prepare(queue, entry)
        return asyncio.run(
            registry.store.write(lambda tx: send(tx, queue.id, False, message, "me", t, sequences))
        )

    first = send_at(T0)
    assert not first.duplicate
    # Duplicates within the window are answered as the first send and do not extend it.
    for later in (T0 + 1, T0 + 200, T0 + 299.999):
        assert send_at(later) == (first.message_id, first.sequence_number, True)
    second = send_at(T0 + 300)
    assert not second.duplicate
    assert second.message_id != first.message_id
    assert int(second.sequence_number) > int(first.sequence_number)
    # The new send opens a window of its own.
    assert send_at(T0 + 599) == (second.message_id, second.sequence_number, True)
    assert not send_at(T0 + 600).duplicate
    assert count(registry, queue) == 3
