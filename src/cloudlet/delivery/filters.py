"""An event source mapping's FilterCriteria: which records reach the function.

A record passes when any of the mapping's patterns (the EventBridge language, `patterns.py`)
matches it. Patterns see a record as the function would, except that a payload holding JSON
is matched as JSON: an SQS body, (later) a Kinesis record's decoded data. A record whose
payload is not JSON only matches patterns that test it as a plain string, as on AWS.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from cloudlet.delivery.patterns import Pattern


class FilterCriteria:
    """The compiled patterns of `FilterCriteria.Filters[].Pattern`; raises PatternError."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = [Pattern(text) for text in patterns]

    def matches(self, view: dict[str, Any]) -> bool:
        return any(pattern.matches(view) for pattern in self.patterns)


def json_or_text(text: str) -> Any:
    """`text` parsed when it holds a JSON object, else `text` itself."""
    if not text.startswith("{"):
        return text
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    return value if isinstance(value, dict) else text
