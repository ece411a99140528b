"""What a receipt handle lets a consumer do: delete the message, change its visibility.

Each has SQS's answers for handles that no longer match the message: a handle from an
earlier receive ("stale"), a message already gone, a visibility timeout already over.
"""

from __future__ import annotations

import enum

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.sqs import rows
from cloudlet.services.sqs.errors import invalid_value
from cloudlet.services.sqs.receipts import Receipt
from cloudlet.store import Tx

MAX_VISIBILITY = 43_200  # 12 hours, from the receive


class Outcome(enum.Enum):
    DONE = "done"
    RELEASED = "released"  # done, and a message became deliverable (wake waiting receives)
    GONE = "gone"  # no such message any more (deleted, expired, moved)
    STALE = "stale"  # received again since this handle was issued
    EXPIRED = "expired"  # the handle's visibility timeout is over
    TOO_LONG = "too_long"  # beyond 12 hours from the receive


def delete(tx: Tx, queue_id: int, fifo: bool, receipt: Receipt, now: float) -> Outcome:
    row = rows.find(tx, queue_id, receipt.seq)
    if row is None:
        return Outcome.GONE
    if row.receive_count != receipt.receive_count:
        return Outcome.STALE
    if fifo and row.visible_at <= now:
        return Outcome.EXPIRED
    return Outcome.RELEASED if rows.remove(tx, queue_id, row) else Outcome.DONE


def change_visibility(tx: Tx, queue_id: int, receipt: Receipt, timeout: int, now: float) -> Outcome:
    row = rows.find(tx, queue_id, receipt.seq)
    if row is None:
        return Outcome.GONE
    if row.receive_count != receipt.receive_count:
        return Outcome.STALE
    if row.visible_at <= now:
        return Outcome.EXPIRED
    # Whole seconds, as SQS counts: 43200 right after a receive is still within the limit.
    if row.received_at is not None and int(now - row.received_at) + timeout > MAX_VISIBILITY:
        return Outcome.TOO_LONG
    tx.execute("UPDATE sqs_messages SET visible_at = ? WHERE seq = ?", (now + timeout, row.seq))
    return Outcome.RELEASED if timeout == 0 else Outcome.DONE


def deletion_error(outcome: Outcome, fifo: bool, handle: str) -> ServiceError | None:
    """SQS's answer to a delete: a standard queue accepts stale handles and does nothing."""
    if fifo and outcome in (Outcome.STALE, Outcome.EXPIRED):
        return invalid_value("ReceiptHandle", handle, "The receipt handle has expired.")
    return None


def visibility_error(outcome: Outcome, handle: str, timeout: int) -> ServiceError | None:
    """SQS's answer to a visibility change: once the timeout is over, it is a no-op."""
    if outcome in (Outcome.GONE, Outcome.STALE):
        return invalid_value(
            "ReceiptHandle",
            handle,
            "Message does not exist or is not available for visibility timeout change.",
        )
    if outcome is Outcome.TOO_LONG:
        return invalid_value(
            "VisibilityTimeout",
            timeout,
            f"Total VisibilityTimeout for the message is beyond the limit [{MAX_VISIBILITY} "
            "seconds].",
        )
    return None


def check_visibility_timeout(timeout: int) -> None:
    if not 0 <= timeout <= MAX_VISIBILITY:
        raise invalid_value(
            "VisibilityTimeout", timeout, f"Must be between 0 and {MAX_VISIBILITY}, if provided."
        )
