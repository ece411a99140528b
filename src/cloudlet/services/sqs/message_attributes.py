"""Message attributes: AWS's rules for names, types and values, their size, their storage.

User attributes (`MessageAttributes`) count towards the message size; system attributes
(`MessageSystemAttributes`, only `AWSTraceHeader` today) do not.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from cloudlet.services.sqs.errors import invalid_parameter, sqs_error

MAX_ATTRIBUTES = 10
SYSTEM_ATTRIBUTES = ("AWSTraceHeader",)
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,256}")
_TYPE = re.compile(r"(String|Number|Binary)(\.[^\s]{1,251})?")
_RESERVED_PREFIXES = ("aws.", "amazon.")
# The characters SQS accepts in bodies and string values (XML 1.0's Char production).
INVALID_CHARACTERS = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def check_user_attributes(attributes: dict[str, dict[str, Any]]) -> None:
    if len(attributes) > MAX_ATTRIBUTES:
        raise invalid_parameter(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum "
            f"[{MAX_ATTRIBUTES}]."
        )
    for name, attribute in attributes.items():
        _check_name(name)
        _check_value(name, attribute, "user")


def size(attributes: dict[str, dict[str, Any]]) -> int:
    """The bytes user attributes add to a message's size: names, types and values."""
    total = 0
    for name, attribute in attributes.items():
        total += len(name.encode()) + len(str(attribute.get("DataType") or "").encode())
        value = attribute.get("BinaryValue")
        if value is None:
            value = str(attribute.get("StringValue") or "").encode()
        total += len(value)
    return total


def check_system_attributes(attributes: dict[str, dict[str, Any]]) -> None:
    for name, attribute in attributes.items():
        if name not in SYSTEM_ATTRIBUTES:
            raise invalid_parameter(f"Message system attribute name '{name}' is invalid.")
        if attribute.get("DataType") != "String":
            raise invalid_parameter(
                f"Message (system) attribute '{name}' must be of type 'String'."
            )
        _check_value(name, attribute, "system")


def encode(attributes: dict[str, dict[str, Any]]) -> str:
    """The stored form of checked attributes: JSON, binary values in hex."""
    plain = {}
    for name, attribute in attributes.items():
        data_type = attribute["DataType"]
        if data_type.startswith("Binary"):
            plain[name] = {"DataType": data_type, "BinaryValue": attribute["BinaryValue"].hex()}
        else:
            plain[name] = {"DataType": data_type, "StringValue": attribute["StringValue"]}
    return orjson.dumps(plain).decode()


def decode(stored: str) -> dict[str, dict[str, Any]]:
    attributes: dict[str, dict[str, Any]] = orjson.loads(stored)
    for attribute in attributes.values():
        if "BinaryValue" in attribute:
            attribute["BinaryValue"] = bytes.fromhex(attribute["BinaryValue"])
    return attributes


def select(attributes: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The attributes a receive asked for: `All`, `*`, `.*`, exact names, `prefix.*`."""
    if "All" in names or "*" in names or ".*" in names:
        return attributes
    prefixes = tuple(name[:-2] for name in names if name.endswith(".*"))
    exact = set(names)
    return {
        name: value
        for name, value in attributes.items()
        if name in exact or (prefixes and name.startswith(prefixes))
    }


def _check_name(name: str) -> None:
    lowered = name.lower()
    if (
        not _NAME.fullmatch(name)
        or name.startswith(".")
        or name.endswith(".")
        or ".." in name
        or lowered.startswith(_RESERVED_PREFIXES)
    ):
        raise invalid_parameter(
            f"Message (user) attribute name '{name}' is invalid: names may contain "
            "alphanumeric characters, hyphens, underscores and periods (not first, last, or "
            "twice in a row), are at most 256 characters long, and may not start with AWS. or "
            "Amazon."
        )


def _check_value(name: str, attribute: dict[str, Any], kind: str) -> None:
    data_type = attribute.get("DataType") or ""
    match = _TYPE.fullmatch(data_type)
    if match is None:
        raise invalid_parameter(
            f"The type of message ({kind}) attribute '{name}' is invalid. You must use only the "
            "following supported type prefixes: Binary, Number, String."
        )
    base = match.group(1)
    if base == "Binary":
        value = attribute.get("BinaryValue")
        if not value:
            raise _empty(name, kind, base)
        return
    text = attribute.get("StringValue")
    if not text:
        raise _empty(name, kind, base)
    if INVALID_CHARACTERS.search(text):
        raise sqs_error(
            "InvalidMessageContents",
            f"Message ({kind}) attribute '{name}' contains characters outside the allowed set.",
        )
    if base == "Number":
        _check_number(name, text, kind)


def _check_number(name: str, text: str, kind: str) -> None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    # SQS's numbers: up to 38 significant digits, from -10^128 to 10^126.
    if number is None or not number.is_finite() or len(number.as_tuple().digits) > 38:
        raise invalid_parameter(
            f"Can't cast the value of message ({kind}) attribute '{name}' to a number."
        )
    if number != 0 and not Decimal("-1e128") <= number <= Decimal("1e126"):
        raise invalid_parameter(
            f"Value of message ({kind}) attribute '{name}' is out of range for a Number."
        )


def _empty(name: str, kind: str, base: str) -> Exception:
    return invalid_parameter(
        f"Message ({kind}) attribute '{name}' must contain a non-empty value of type '{base}'."
    )
