"""FIFO queues' sending side: sequence numbers and the 5-minute deduplication window."""

from __future__ import annotations

from typing import NamedTuple

from cloudlet.services.sqs import rows
from cloudlet.services.sqs.outgoing import Outgoing
from cloudlet.store import Tx

DEDUPLICATION_WINDOW = 300.0


class SequenceNumbers:
    """SequenceNumber values: 20 digits, increasing, never reused, even across restarts.

    They derive from the clock (microseconds, then a counter), so nothing is stored for
    them; only the store's writer thread draws them, which keeps them in commit order.
    """

    def __init__(self) -> None:
        self.last = 0

    def draw(self, now: float) -> str:
        self.last = max(self.last + 1, int(now * 1_000_000) * 10_000)
        return str(self.last)


class Sent(NamedTuple):
    message_id: str
    sequence_number: str
    duplicate: bool  # accepted, but a message with its deduplication id was sent already


def send(
    tx: Tx,
    queue_id: int,
    by_group: bool,
    message: Outgoing,
    sender: str,
    now: float,
    sequences: SequenceNumbers,
) -> Sent:
    """Store `message` unless its deduplication id was seen within the window.

    A duplicate is answered as its original was (same MessageId and SequenceNumber), as
    SQS does for a retried send.
    """
    scope = (message.group_id or "") if by_group else ""
    seen = tx.execute(
        "SELECT message_id, sequence_number FROM sqs_dedup"
        " WHERE queue_id = ? AND scope = ? AND dedup_id = ? AND expires_at > ?",
        (queue_id, scope, message.dedup_id, now),
    ).fetchone()
    if seen is not None:
        return Sent(seen[0], seen[1], True)
    sequence_number = sequences.draw(now)
    rows.insert_fifo(tx, queue_id, message, sender, now, sequence_number)
    tx.execute(
        "INSERT INTO sqs_dedup (queue_id, scope, dedup_id, message_id, sequence_number,"
        " expires_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (queue_id, scope, dedup_id)"
        " DO UPDATE SET message_id = excluded.message_id,"
        " sequence_number = excluded.sequence_number, expires_at = excluded.expires_at",
        (queue_id, scope, message.dedup_id, message.message_id, sequence_number,
         now + DEDUPLICATION_WINDOW),
    )  # fmt: skip
    return Sent(message.message_id, sequence_number, False)


def forget_expired(tx: Tx, now: float) -> None:
    """Drop deduplication ids and receive attempts past their 5 minutes."""
    tx.execute("DELETE FROM sqs_dedup WHERE expires_at <= ?", (now,))
    tx.execute("DELETE FROM sqs_receive_attempts WHERE expires_at <= ?", (now,))
