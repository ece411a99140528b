"""PutLogEvents' batch rules: order, size, the 24-hour span and the rejected-events info."""

from __future__ import annotations

import pytest

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.logs.batches import DAY_MS, check_batch

NOW = 1_800_000_000_000
HOUR = 3_600_000


def test_a_batch_in_the_window_is_kept_whole():
    events = [(NOW - HOUR, "a"), (NOW, "b")]
    batch = check_batch(events, NOW, None)
    assert batch.accepted == events
    assert batch.rejected == {}


def test_events_out_of_order_fail_the_whole_batch():
    with pytest.raises(ServiceError) as refused:
        check_batch([(NOW, "b"), (NOW - 1, "a")], NOW, None)
    assert refused.value.code == "InvalidParameterException"
    assert refused.value.message == (
        "Log events in a single PutLogEvents request must be in chronological order."
    )


def test_the_size_counts_utf8_bytes_plus_26_per_event():
    fits = [(NOW, "x" * (1_048_576 - 26))]
    assert check_batch(fits, NOW, None).accepted == fits
    with pytest.raises(ServiceError) as refused:
        check_batch([(NOW, "é" * 524_276)], NOW, None)
    assert refused.value.message == "Upload too large: 1048578 bytes exceeds limit of 1048576"


def test_too_old_and_too_new_events_are_rejected_by_index_and_the_rest_kept():
    events = [
        (NOW - 15 * DAY_MS, "old"),
        (NOW - 14 * DAY_MS - 1, "old too"),
        (NOW, "kept"),
        (NOW + 2 * HOUR + 1, "new"),
    ]
    batch = check_batch(events, NOW, None)
    assert batch.accepted == [(NOW, "kept")]
    assert batch.rejected == {"tooOldLogEventEndIndex": 1, "tooNewLogEventStartIndex": 3}


def test_events_older_than_the_retention_are_expired():
    events = [(NOW - 2 * DAY_MS, "expired"), (NOW - HOUR, "kept")]
    batch = check_batch(events, NOW, 1)
    assert batch.accepted == [(NOW - HOUR, "kept")]
    assert batch.rejected == {"expiredLogEventEndIndex": 0}


def test_kept_events_may_not_span_more_than_a_day():
    with pytest.raises(ServiceError) as refused:
        check_batch([(NOW - DAY_MS - 1, "a"), (NOW, "b")], NOW, None)
    assert "cannot span more than 24 hours" in refused.value.message
    # Rejected events do not count towards the span.
    batch = check_batch([(NOW - 20 * DAY_MS, "old"), (NOW - HOUR, "a"), (NOW, "b")], NOW, None)
    assert len(batch.accepted) == 2
