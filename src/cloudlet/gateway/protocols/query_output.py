"""Writing query-protocol output: an output dict as the XML botocore's QueryParser reads.

A writer compiled once per output shape appends XML text to a list: structure members in
model order under their wire names, lists as `<member>` items (or repeated elements when
flattened), maps as `<entry><key/><value/></entry>` (or repeated elements when flattened),
timestamps in ISO 8601, blobs in base64, booleans in lower case.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Callable
from typing import Any

from botocore.model import Shape

from cloudlet.gateway.protocols.query_input import wire_name
from cloudlet.gateway.protocols.shapes import format_timestamp

Writer = Callable[[Any, list[str]], None]

UTC = datetime.UTC
# \r survives XML parsing only as a character reference (parsers turn a bare one into \n).
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;"})


def escape(text: str) -> str:
    """`text` as XML character data."""
    return text.translate(_ESCAPES)


def compile_writer(shape: Shape) -> Writer:
    """A function appending the XML content of a value of `shape` (its members, for a structure)."""
    return _content(shape, {})


def iso8601(value: Any) -> str:
    """A datetime or epoch seconds as IAM and STS write them: `2024-05-01T12:00:00Z`, or with
    milliseconds when there are any."""
    if isinstance(value, datetime.datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
    else:
        moment = datetime.datetime.fromtimestamp(float(value), UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    millis = moment.microsecond // 1000
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"


def _content(shape: Shape, memo: dict[Any, Writer]) -> Writer:
    key = (shape.name, tuple(sorted(shape.serialization.items())))
    if key in memo:
        return memo[key]
    cell: list[Writer] = []
    memo[key] = lambda value, out: cell[0](value, out)  # recursive shapes refer to themselves
    kind = shape.type_name
    if kind == "structure":
        writer = _structure(shape, memo)
    elif kind == "list":
        writer = _list(shape, memo)
    elif kind == "map":
        writer = _map(shape, memo)
    else:
        writer = _scalar(shape)
    cell.append(writer)
    memo[key] = writer
    return writer


def _structure(shape: Shape, memo: dict[Any, Writer]) -> Writer:
    fields = [
        (name, _element(wire_name(name, member), member, memo))
        for name, member in shape.members.items()
    ]

    def write(value: Any, out: list[str]) -> None:
        if not isinstance(value, dict):
            return
        for name, write_member in fields:
            item = value.get(name)
            if item is not None:
                write_member(item, out)

    return write


def _element(tag: str, shape: Shape, memo: dict[Any, Writer]) -> Writer:
    """The element(s) of a structure member: one, or one per item when flattened."""
    flattened = shape.serialization.get("flattened")
    if flattened and shape.type_name == "list":
        return _items(tag, _content(shape.member, memo))
    opening, closing = f"<{tag}>", f"</{tag}>"
    if flattened and shape.type_name == "map":
        return _entries(shape, opening, closing, memo)
    write_content = _content(shape, memo)

    def write(value: Any, out: list[str]) -> None:
        out.append(opening)
        write_content(value, out)
        out.append(closing)

    return write


def _list(shape: Shape, memo: dict[Any, Writer]) -> Writer:
    name = shape.member.serialization.get("name", "member")
    return _items(name, _content(shape.member, memo))


def _items(tag: str, write_item: Writer) -> Writer:
    """A list's items, each in an element `tag` of its own (a flattened list's are the
    member's elements, another's the children of its element)."""
    opening, closing = f"<{tag}>", f"</{tag}>"

    def write(value: Any, out: list[str]) -> None:
        for item in value:
            out.append(opening)
            write_item(item, out)
            out.append(closing)

    return write


def _map(shape: Shape, memo: dict[Any, Writer]) -> Writer:
    return _entries(shape, "<entry>", "</entry>", memo)


def _entries(shape: Shape, opening: str, closing: str, memo: dict[Any, Writer]) -> Writer:
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    key_open, key_close = f"<{key_name}>", f"</{key_name}>"
    value_open, value_close = f"<{value_name}>", f"</{value_name}>"
    write_value = _content(shape.value, memo)

    def write(value: Any, out: list[str]) -> None:
        for key, item in value.items():
            out.append(f"{opening}{key_open}{escape(str(key))}{key_close}{value_open}")
            write_value(item, out)
            out.append(f"{value_close}{closing}")

    return write


def _scalar(shape: Shape) -> Writer:
    kind = shape.type_name
    if kind == "boolean":
        return lambda value, out: out.append("true" if value else "false")
    if kind in ("integer", "long", "short", "byte"):
        return lambda value, out: out.append(str(int(value)))
    if kind in ("float", "double"):
        return lambda value, out: out.append(repr(float(value)))
    if kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat", "iso8601")
        if fmt == "iso8601":
            return lambda value, out: out.append(iso8601(value))
        return lambda value, out: out.append(escape(str(format_timestamp(value, fmt))))
    if kind == "blob":
        return lambda value, out: out.append(
            base64.b64encode(value.encode() if isinstance(value, str) else value).decode("ascii")
        )
    return lambda value, out: out.append(escape(str(value)))
