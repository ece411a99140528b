"""The rules every SQS batch request follows, and how a failed entry is reported."""

from __future__ import annotations

import re
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.sqs.errors import entry_code, sqs_error

MAX_ENTRIES = 10
MAX_BATCH_BYTES = 1_048_576
_ENTRY_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")


def check_entries(entries: list[dict[str, Any]], entry_shape: str) -> None:
    """1 to 10 entries with distinct, well-formed ids, else the whole request fails."""
    if not entries:
        raise sqs_error(
            "EmptyBatchRequest", f"There should be at least one {entry_shape} in the request."
        )
    if len(entries) > MAX_ENTRIES:
        raise sqs_error(
            "TooManyEntriesInBatchRequest",
            f"Maximum number of entries per request are {MAX_ENTRIES}. You have sent "
            f"{len(entries)}.",
        )
    seen: set[str] = set()
    for entry in entries:
        entry_id = entry["Id"]
        if not _ENTRY_ID.fullmatch(entry_id):
            raise sqs_error(
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and "
                "underscores. It can be at most 80 letters long.",
            )
        if entry_id in seen:
            raise sqs_error("BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.")
        seen.add(entry_id)


def check_total_size(total: int) -> None:
    if total > MAX_BATCH_BYTES:
        raise sqs_error(
            "BatchRequestTooLong",
            f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent "
            f"{total} bytes.",
        )


def failure(entry_id: str, error: ServiceError) -> dict[str, Any]:
    return {
        "Id": entry_id,
        "SenderFault": error.sender_fault,
        "Code": entry_code(error),
        "Message": error.message,
    }
