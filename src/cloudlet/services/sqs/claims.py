"""ReceiveMessage's transaction: take visible messages out of sight, in the queue's order.

A standard queue hands out its visible messages oldest-visible first, through the
(queue_id, visible_at, seq) index. A FIFO queue hands out the heads of its message groups
(see `rows`), each followed by the next messages of its group, and never a message of a group
that has one in flight. On either, a message received more than its queue's maxReceiveCount
times goes to the dead-letter queue instead, and an expired one is never handed out.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from cloudlet.services.sqs import rows
from cloudlet.services.sqs.fifo import DEDUPLICATION_WINDOW, SequenceNumbers
from cloudlet.services.sqs.rows import COLUMNS, Destination, Row
from cloudlet.store import Tx

# How many rounds a FIFO receive makes when heads leave (expired, dead-lettered) under it.
_MAX_ROUNDS = 4
# Heads read beyond those needed, to step over groups waiting on an in-flight message.
_HEAD_SLACK = 10
# How far a FIFO group's delivered-but-not-deleted messages are looked through.
_MAX_IN_FLIGHT_SCAN = 100

_VISIBLE = (
    f"SELECT {COLUMNS} FROM sqs_messages WHERE queue_id = ? AND visible_at <= ? AND sent_at > ?"
    " ORDER BY visible_at, seq LIMIT ?"
)
_HEADS = (
    f"SELECT {COLUMNS} FROM sqs_messages WHERE queue_id = ? AND head = 1 AND visible_at <= ?"
    " ORDER BY visible_at, seq LIMIT ?"
)
_FOLLOWERS = (
    f"SELECT {COLUMNS} FROM sqs_messages WHERE queue_id = ? AND group_id = ? AND seq > ?"
    " ORDER BY seq LIMIT ?"
)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Where a queue's redrive policy sends messages, and after how many receives."""

    destination: Destination
    max_receives: int
    source_arn: str


@dataclass(slots=True)
class ClaimRequest:
    queue_id: int
    fifo: bool
    limit: int
    visibility: int
    now: float
    oldest: float  # messages sent at or before this have outlived the retention period
    dead_letter: DeadLetter | None
    sequences: SequenceNumbers
    attempt_id: str | None = None


@dataclass(slots=True)
class Claim:
    rows: list[Row]
    # When the next message becomes visible, if nothing could be taken now.
    next_visible: float | None = None
    dead_lettered: int = 0
    # Whether a removed FIFO head let another message of its group become deliverable.
    promoted: bool = False


def claim(tx: Tx, request: ClaimRequest) -> Claim:
    """Take up to `request.limit` messages for `request.visibility` seconds."""
    if request.fifo:
        if request.attempt_id is not None:
            repeated = _repeat_attempt(tx, request)
            if repeated is not None:
                return Claim(repeated)
        result = _claim_fifo(tx, request)
        if request.attempt_id is not None and result.rows:
            _remember_attempt(tx, request, result.rows)
    else:
        result = _claim_standard(tx, request)
    if not result.rows:
        result.next_visible = _next_visible(tx, request)
    return result


def _claim_standard(tx: Tx, request: ClaimRequest) -> Claim:
    result = Claim([])
    taken: list[Row] = []
    while len(taken) < request.limit:
        wanted = request.limit - len(taken)
        found = tx.execute(
            _VISIBLE, (request.queue_id, request.now, request.oldest, wanted)
        ).fetchall()
        moved = 0
        for values in found:
            row = Row._make(values)
            if _dead_letter(tx, request, row, result):
                moved += 1
            else:
                taken.append(row)
        if len(found) < wanted or not moved:
            break
    result.rows = rows.mark_received(tx, taken, request.now + request.visibility, request.now)
    return result


def _claim_fifo(tx: Tx, request: ClaimRequest) -> Claim:
    result = Claim([])
    visible_at = request.now + request.visibility
    for _ in range(_MAX_ROUNDS):
        changed = False
        heads = tx.execute(
            _HEADS, (request.queue_id, request.now, request.limit + _HEAD_SLACK)
        ).fetchall()
        for values in heads:
            if len(result.rows) >= request.limit:
                break
            head = Row._make(values)
            if head.sent_at <= request.oldest:
                result.promoted |= rows.remove(tx, request.queue_id, head)
                changed = True
            elif _dead_letter(tx, request, head, result):
                changed = True
            elif not _group_busy(tx, request, head):
                group = [head, *_followers(tx, request, head, request.limit - len(result.rows))]
                result.rows += rows.mark_received(tx, group, visible_at, request.now)
        if len(result.rows) >= request.limit or not changed:
            break
    return result


def _followers(tx: Tx, request: ClaimRequest, head: Row, room: int) -> list[Row]:
    """The messages after `head` in its group that may go out with it, in order."""
    taken: list[Row] = []
    if room <= 1:
        return taken
    for values in tx.execute(_FOLLOWERS, (request.queue_id, head.group_id, head.seq, room - 1)):
        row = Row._make(values)
        due = request.dead_letter and row.receive_count >= request.dead_letter.max_receives
        if row.visible_at > request.now or row.sent_at <= request.oldest or due:
            break
        taken.append(row)
    return taken


def _group_busy(tx: Tx, request: ClaimRequest, head: Row) -> bool:
    """Whether a message of `head`'s group is in flight (the head itself is visible).

    Delivered messages come first in a group, so only those are looked at.
    """
    found = tx.execute(
        "SELECT visible_at, received_at FROM sqs_messages"
        " WHERE queue_id = ? AND group_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        (request.queue_id, head.group_id, head.seq, _MAX_IN_FLIGHT_SCAN),
    )
    for visible_at, received_at in found:
        if received_at is None:
            return False
        if visible_at > request.now:
            return True
    return False


def _dead_letter(tx: Tx, request: ClaimRequest, row: Row, result: Claim) -> bool:
    """Move `row` to the dead-letter queue if this receive would exceed maxReceiveCount."""
    target = request.dead_letter
    if target is None or row.receive_count < target.max_receives:
        return False
    sequence_number = request.sequences.draw(request.now) if target.destination.fifo else None
    result.promoted |= rows.transfer(
        tx,
        request.queue_id,
        row,
        target.destination,
        request.now,
        sequence_number=sequence_number,
        dead_letter_source=target.source_arn,
    )
    result.dead_lettered += 1
    return True


def _next_visible(tx: Tx, request: ClaimRequest) -> float | None:
    heads_only = " AND head = 1" if request.fifo else ""
    found = tx.execute(
        "SELECT MIN(visible_at) FROM sqs_messages WHERE queue_id = ? AND visible_at > ?"
        + heads_only,
        (request.queue_id, request.now),
    ).fetchone()
    return found[0] if found else None


def _remember_attempt(tx: Tx, request: ClaimRequest, taken: list[Row]) -> None:
    receipts = [[row.seq, row.receive_count, row.visible_at] for row in taken]
    tx.execute(
        "INSERT INTO sqs_receive_attempts (queue_id, attempt_id, expires_at, receipts)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (queue_id, attempt_id)"
        " DO UPDATE SET expires_at = excluded.expires_at, receipts = excluded.receipts",
        (request.queue_id, request.attempt_id, request.now + DEDUPLICATION_WINDOW,
         orjson.dumps(receipts).decode()),
    )  # fmt: skip


def _repeat_attempt(tx: Tx, request: ClaimRequest) -> list[Row] | None:
    """The messages an earlier receive with this ReceiveRequestAttemptId returned, again.

    Only while none of them changed since (deleted, received again, visibility changed);
    their visibility timeout starts afresh and their receipt handles stay the same.
    """
    found = tx.execute(
        "SELECT receipts FROM sqs_receive_attempts"
        " WHERE queue_id = ? AND attempt_id = ? AND expires_at > ?",
        (request.queue_id, request.attempt_id, request.now),
    ).fetchone()
    if found is None:
        return None
    again = []
    for seq, receive_count, visible_at in orjson.loads(found[0]):
        row = rows.find(tx, request.queue_id, seq)
        if row is None or row.receive_count != receive_count or row.visible_at != visible_at:
            return None
        again.append(row)
    visible_at = request.now + request.visibility
    tx.executemany(
        "UPDATE sqs_messages SET visible_at = ? WHERE seq = ?",
        [(visible_at, row.seq) for row in again],
    )
    again = [row._replace(visible_at=visible_at) for row in again]
    _remember_attempt(tx, request, again)
    return again
