"""PutLogEvents' rules for a batch: order, size, and which events are too old or too new."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import pairwise

from cloudlet.services.logs.errors import invalid_parameter

MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26  # bytes AWS adds to each message when sizing a batch
DAY_MS = 86_400_000
MAX_SPAN_MS = DAY_MS
TOO_NEW_MS = 2 * 3_600_000
TOO_OLD_MS = 14 * DAY_MS


@dataclass
class Batch:
    """The events of a batch to store, and AWS's `rejectedLogEventsInfo` for the others."""

    accepted: list[tuple[int, str]]
    rejected: dict[str, int] = field(default_factory=dict)


def check_batch(events: list[tuple[int, str]], now: int, retention_days: int | None) -> Batch:
    """Apply PutLogEvents' rules to (timestamp, message) events; raise the
    InvalidParameterException AWS answers for a batch it refuses whole."""
    stamps = [timestamp for timestamp, _ in events]
    if any(later < earlier for earlier, later in pairwise(stamps)):
        raise invalid_parameter(
            "Log events in a single PutLogEvents request must be in chronological order."
        )
    size = sum(len(message.encode()) + EVENT_OVERHEAD for _, message in events)
    if size > MAX_BATCH_BYTES:
        raise invalid_parameter(
            f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}"
        )
    # The events are in order, so each rejected kind is a run at one end of the batch.
    rejected: dict[str, int] = {}
    first = bisect_left(stamps, now - TOO_OLD_MS)
    if first:
        rejected["tooOldLogEventEndIndex"] = first - 1
    if retention_days is not None:
        expired = bisect_left(stamps, now - retention_days * DAY_MS)
        if expired:
            rejected["expiredLogEventEndIndex"] = expired - 1
            first = max(first, expired)
    stop = bisect_right(stamps, now + TOO_NEW_MS)
    if stop < len(events):
        rejected["tooNewLogEventStartIndex"] = stop
    kept = events[first:stop]
    if kept and kept[-1][0] - kept[0][0] > MAX_SPAN_MS:
        raise invalid_parameter(
            "The batch of log events in a single PutLogEvents request cannot span more than"
            " 24 hours."
        )
    return Batch(kept, rejected)
