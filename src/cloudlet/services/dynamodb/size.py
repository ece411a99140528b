"""Item size as DynamoDB counts it against the 400 KB limit.

The rules of the DynamoDB developer guide ("Item sizes and formats"): names and strings in
UTF-8 bytes, binaries in raw bytes, BOOL and NULL one byte, a list or map 3 bytes plus one
per element, and numbers one byte plus one per pair of significant digits. DynamoDB stores
numbers in base 100, so the pairs are counted aligned on the decimal point, and a negative
number takes one more byte (its terminator).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cloudlet.services.dynamodb.numbers import EXACT

MAX_ITEM_BYTES = 400 * 1024


def item_size(item: dict[str, Any]) -> int:
    """The size of an item: each attribute's name and value."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def value_size(value: dict[str, Any]) -> int:
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return _utf8(inner)
    if kind == "N":
        return number_size(inner)
    if kind == "B":
        return _binary(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(map(_utf8, inner))
    if kind == "NS":
        return sum(map(number_size, inner))
    if kind == "BS":
        return sum(map(_binary, inner))
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in inner)
    # M
    return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in inner.items())


def number_size(text: str) -> int:
    value = Decimal(text)
    if not value:
        return 1
    sign, digits, exponent = value.normalize(EXACT).as_tuple()
    assert isinstance(exponent, int)
    low = exponent // 2
    high = (exponent + len(digits) - 1) // 2
    return high - low + 2 + sign


def _utf8(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


def _binary(text: str) -> int:
    # The decoded length, without decoding: 3 bytes per 4 characters, less the padding.
    return len(text) * 3 // 4 - text[-2:].count("=") if text else 0
