"""Receipt handles: which message a receive returned, and which receive it was.

A handle names the queue, the message's row and its receive count at that receive, so a
handle from an earlier receive of the same message is recognisably stale, with nothing
stored per receive.
"""

from __future__ import annotations

import base64
import binascii
from typing import NamedTuple

from cloudlet.services.sqs.errors import receipt_handle_is_invalid


class Receipt(NamedTuple):
    queue_id: int
    seq: int
    receive_count: int


def receipt_handle(queue_id: int, seq: int, receive_count: int) -> str:
    return base64.urlsafe_b64encode(f"{queue_id}:{seq}:{receive_count}".encode()).decode()


def parse_receipt(handle: str, queue_id: int) -> Receipt:
    """The receipt `handle` stands for; ReceiptHandleIsInvalid unless it is one of `queue_id`."""
    try:
        parts = base64.urlsafe_b64decode(handle.encode("ascii")).decode("ascii").split(":")
        receipt = Receipt(*(int(part) for part in parts))
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        raise receipt_handle_is_invalid(handle) from None
    if receipt.queue_id != queue_id:
        raise receipt_handle_is_invalid(handle)
    return receipt
