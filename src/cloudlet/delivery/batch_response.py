"""What a function reports with ReportBatchItemFailures: the records it did not process.

The rules are Lambda's. A success is an absent or null response, an object without
`batchItemFailures`, or with an empty or null list: the whole batch is done. Anything else
that does not name records of the batch (a response that is not a JSON object, an entry
without an `itemIdentifier`, an empty or unknown identifier) fails the whole batch.
"""

from __future__ import annotations

from collections.abc import Collection

import orjson


def failed_items(payload: bytes, batch: Collection[str]) -> set[str] | None:
    """The identifiers of `batch` reported as failed; None when the whole batch failed."""
    if not payload.strip():
        return set()
    try:
        response = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if response is None:
        return set()
    if not isinstance(response, dict):
        return None
    reported = response.get("batchItemFailures")
    if reported is None:
        return set()
    if not isinstance(reported, list):
        return None
    failed = set()
    for entry in reported:
        identifier = entry.get("itemIdentifier") if isinstance(entry, dict) else None
        if not isinstance(identifier, str) or identifier not in batch:
            return None
        failed.add(identifier)
    return failed
