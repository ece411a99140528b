"""AttributeValues: checked as DynamoDB checks them, compared as DynamoDB compares them.

Values stay in their wire form (`{"S": "x"}`, `{"N": "1.5"}`, binaries as base64 text), so
a stored item is the JSON a read returns. `check_value` also makes numbers canonical
(`"1.50"` is stored and returned as `"1.5"`), which lets equality compare number text.
"""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodb.errors import invalid_parameters, validation
from cloudlet.services.dynamodb.numbers import normalize_text

Value = dict[str, Any]
Item = dict[str, Value]

TYPES = frozenset(("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"))
SET_TYPES = frozenset(("SS", "NS", "BS"))
# DynamoDB's names for a set type in "An string set  may not be empty" (its spelling).
_SET_NAMES = {"SS": "string", "NS": "number", "BS": "binary"}
MAX_DEPTH = 32


def check_value(value: Any, depth: int = 0) -> Value:
    """`value` as stored (numbers canonical), or the ValidationException DynamoDB gives."""
    if not isinstance(value, dict) or not value:
        raise validation(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        )
    if len(value) > 1:
        known = [key for key in value if key in TYPES]
        if len(known) > 1:
            raise validation(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly"
                " one of the supported datatypes"
            )
        value = {key: value[key] for key in known}
        if not value:
            return check_value(value)
    kind, inner = next(iter(value.items()))
    if kind == "S":
        _expect(inner, str, "String")
        return value
    if kind == "N":
        _expect(inner, str, "String")
        text = normalize_text(inner)
        return value if text == inner else {"N": text}
    if kind == "BOOL":
        _expect(inner, bool, "Boolean")
        return value
    if kind == "NULL":
        _expect(inner, bool, "Boolean")
        if not inner:
            raise invalid_parameters("Null attribute value types must have the value of true")
        return value
    if kind == "B":
        _expect(inner, str, "Blob")
        _check_base64(inner)
        return value
    if kind in SET_TYPES:
        return _check_set(kind, inner)
    if depth >= MAX_DEPTH:
        raise validation("Nesting Levels have exceeded supported limits")
    if kind == "M":
        _expect(inner, dict, "Map")
        checked = {name: check_value(item, depth + 1) for name, item in inner.items()}
        return {"M": checked}
    if kind == "L":
        _expect(inner, list, "List")
        return {"L": [check_value(item, depth + 1) for item in inner]}
    raise validation(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
    )


def check_item(item: Any) -> Item:
    """Every attribute of `item` checked (see `check_value`)."""
    if not isinstance(item, dict):
        raise ServiceError("SerializationException", "Unexpected value type in payload")
    return {name: check_value(value) for name, value in item.items()}


def check_expression_values(values: dict[str, Any]) -> Item:
    """ExpressionAttributeValues checked, with DynamoDB's wording for the bad one."""
    checked = {}
    for key, value in values.items():
        try:
            checked[key] = check_value(value)
        except ServiceError as error:
            raise validation(
                f"ExpressionAttributeValues contains invalid value: {error.message} for key {key}"
            ) from None
    return checked


def value_type(value: Value) -> str:
    return next(iter(value))


def binary(value: Value) -> bytes:
    """The bytes of a B value (stored as base64 text)."""
    return base64.b64decode(value["B"])


def number(value: Value) -> Decimal:
    return Decimal(value["N"])


def equal(a: Value, b: Value) -> bool:
    """DynamoDB's equality: same type and value, sets in any order."""
    kind = value_type(a)
    if kind != value_type(b):
        return False
    x, y = a[kind], b[kind]
    if kind in SET_TYPES:
        return len(x) == len(y) and set(x) == set(y)
    if kind == "M":
        return x.keys() == y.keys() and all(equal(x[k], y[k]) for k in x)
    if kind == "L":
        return len(x) == len(y) and all(equal(i, j) for i, j in zip(x, y, strict=True))
    return bool(x == y)


def compare(a: Value, b: Value) -> int | None:
    """-1, 0 or 1 for two S, N or B values of one type; None when they do not compare."""
    kind = value_type(a)
    if kind != value_type(b) or kind not in ("S", "N", "B"):
        return None
    if kind == "N":
        x: Any = number(a)
        y: Any = number(b)
    elif kind == "B":
        x, y = binary(a), binary(b)
    else:
        # Python orders str by code point, which is the order of their UTF-8 bytes.
        x, y = a["S"], b["S"]
    return (x > y) - (x < y)


def _expect(inner: Any, kind: type, name: str) -> None:
    if not isinstance(inner, kind) or (kind is not bool and isinstance(inner, bool)):
        got = {str: "STRING_VALUE", bool: "BOOLEAN_VALUE", list: "START_ARRAY"}.get(
            type(inner), "NUMBER_VALUE" if isinstance(inner, int | float) else "START_OBJECT"
        )
        raise ServiceError("SerializationException", f"{got} cannot be converted to {name}")


def _check_base64(text: str) -> None:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ServiceError(
            "SerializationException", "Base64 encoded binary value is not valid"
        ) from None


def _check_set(kind: str, members: Any) -> Value:
    _expect(members, list, "List")
    if not members:
        raise invalid_parameters(f"An {_SET_NAMES[kind]} set  may not be empty")
    for member in members:
        _expect(member, str, "String")
    if kind == "NS":
        members = [normalize_text(member) for member in members]
    elif kind == "BS":
        for member in members:
            _check_base64(member)
    if len(set(members)) != len(members):
        raise invalid_parameters(f"Input collection [{', '.join(members)}] contains duplicates.")
    return {kind: members}
