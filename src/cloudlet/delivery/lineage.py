"""X-Ray trace headers, and the `Lineage` field that counts an event's rounds through functions.

Lambda's recursive loop detection follows an event by its trace header
(`Root=1-...;Parent=...;Sampled=0;Lineage=a87bd80c:3|68fd508a:1`): each function invoked for
the event adds one to its own entry (a short hash of its ARN, and a count). The header
travels with the event: in the function's `_X_AMZN_TRACE_ID`, from there in the SDK's
`X-Amzn-Trace-Id` request header (botocore adds it inside a function), in SQS's
`AWSTraceHeader` and back into the next invocation. A function about to run for the 17th
time in one chain is stopped instead.
"""

from __future__ import annotations

import random
import time
import zlib
from urllib.parse import unquote

MAX_ROUNDS = 16  # invocations of one function by one chain of events; the next is stopped

_random = random.Random()


def new_trace_header() -> str:
    """A fresh root trace header, as Lambda makes for an invocation that comes without one."""
    return (
        f"Root=1-{int(time.time()):08x}-{_random.getrandbits(96):024x};"
        f"Parent={_random.getrandbits(64):016x};Sampled=0"
    )


def function_hash(function_arn: str) -> str:
    """The 8 hex digits that name a function in the Lineage field (its unqualified ARN's)."""
    return f"{zlib.crc32(function_arn.encode()):08x}"


def rounds(header: str, function_arn: str) -> int:
    """How many times the chain `header` belongs to has already run the function."""
    lineage = _fields(header).get("Lineage", "")
    return _counts(lineage).get(function_hash(function_arn), 0)


def next_round(header: str, function_arn: str) -> tuple[str, int]:
    """The trace header the function's next invocation carries, and its round number.

    A header without a root gets a new one; the function's Lineage count goes up by one.
    """
    fields = _fields(header) if header else {}
    if "Root" not in fields:
        fields = _fields(new_trace_header())
    counts = _counts(fields.get("Lineage", ""))
    key = function_hash(function_arn)
    counts[key] = counts.get(key, 0) + 1
    fields["Lineage"] = "|".join(f"{name}:{count}" for name, count in counts.items())
    return ";".join(f"{name}={value}" for name, value in fields.items()), counts[key]


def _fields(header: str) -> dict[str, str]:
    # botocore percent-encodes the header it copies from _X_AMZN_TRACE_ID (`|` as %7C).
    fields: dict[str, str] = {}
    for part in unquote(header).split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            fields[name] = value
    return fields


def _counts(lineage: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in lineage.split("|"):
        name, _, count = entry.partition(":")
        if name and count.isdigit():
            counts[name] = int(count)
    return counts
