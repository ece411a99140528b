"""kill -9 while clients send: every acknowledged SendMessage must survive, and deletes too.

A few client threads send messages with unique bodies while the server is killed with
SIGKILL and restarted on the same port several times; a client retries a send until it gets
an answer. Afterwards the queue is drained: every acknowledged body must be there (0 lost).
Retried sends whose first try was committed before the kill turn up as duplicates, and sends
that never got an answer may or may not be there; both are counted and printed, not failed.
"""

from __future__ import annotations

import collections
import signal
import time

import boto3
import pytest
from killing import NO_RETRIES, send_while_killing

from server import Server

pytestmark = pytest.mark.slow

MESSAGES = 3000
KILLS = 5
SEED = 9


def sqs_client(server: Server):
    return boto3.client(
        "sqs",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=NO_RETRIES,
    )


def test_no_acknowledged_message_is_lost_across_kill9(tmp_path):
    server = Server(tmp_path / "state").start()
    try:
        url = sqs_client(server).create_queue(QueueName="chaos")["QueueUrl"]
        started = time.monotonic()
        result = send_while_killing(
            server, sender(server, url), minimum=MESSAGES, kills=KILLS, pause=(0.2, 0.5), seed=SEED
        )
        acknowledged = {body(n) for n in result.acknowledged}
        in_doubt = collections.Counter({body(n): c for n, c in result.in_doubt.items()})
        kills = result.kills
        sent = time.monotonic()

        bodies, deleted_ids = drain(sqs_client(server), url)
        drained = time.monotonic()
        copies = collections.Counter(bodies)
        lost = acknowledged - copies.keys()
        duplicates = sum(n - 1 for n in copies.values())
        print(
            f"\nkill -9 x{kills}: {len(acknowledged)} sends acknowledged, "
            f"{sum(in_doubt.values())} tries cut off after they may have reached the server, "
            f"{duplicates} of those kept (duplicates), {len(lost)} lost; sending took "
            f"{sent - started:.1f}s, draining {drained - sent:.1f}s"
        )
        assert not lost, f"{len(lost)} acknowledged messages lost, e.g. {sorted(lost)[:5]}"
        assert copies.keys() <= acknowledged, "a message nobody sent turned up"
        # A body is kept at most once per try that may have reached the server.
        overcounted = {b: n for b, n in copies.items() if n > 1 + in_doubt[b]}
        assert not overcounted, f"more copies than tries: {overcounted}"

        # Deletes are acknowledged writes too: after another kill -9 nothing comes back.
        server.restart(signal.SIGKILL)
        again = sqs_client(server).receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        returned = [m["MessageId"] for m in again.get("Messages", [])]
        assert not returned, f"deleted messages came back after kill -9: {returned}"
        assert len(deleted_ids) == len(bodies)
    finally:
        if server.process is not None:
            server.stop()


def body(n: int) -> str:
    return f"message-{n:05d}"


def sender(server: Server, url: str):
    def make():
        sqs = sqs_client(server)
        return lambda n: sqs.send_message(QueueUrl=url, MessageBody=body(n))

    return make


def drain(sqs, url: str) -> tuple[list[str], set[str]]:
    """Receive and delete until the queue stays empty; every body seen, and the ids deleted.

    A received message stays invisible far longer than the drain takes, so seeing one
    again means it came back after its delete."""
    bodies: list[str] = []
    deleted: set[str] = set()
    empty_in_a_row = 0
    deadline = time.monotonic() + 60
    while empty_in_a_row < 3:
        assert time.monotonic() < deadline, "the queue did not drain within 60 s"
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300)
        messages = answer.get("Messages", [])
        empty_in_a_row = 0 if messages else empty_in_a_row + 1
        for message in messages:
            assert message["MessageId"] not in deleted, "a deleted message was received again"
            bodies.append(message["Body"])
        if messages:
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ]
            answer = sqs.delete_message_batch(QueueUrl=url, Entries=entries)
            assert not answer.get("Failed"), answer["Failed"]
            deleted.update(m["MessageId"] for m in messages)
    return bodies, deleted
