"""JSON values read and written by shape, compiled once per shape.

On the wire a member may have another name (`locationName`), blobs are base64 text and
timestamps are numbers or strings; providers see member names, bytes and datetimes. A
compiled converter does exactly the work a shape needs, and none when the JSON value is
already what the provider gets (`json_reader` and `json_writer` then return None), so the
common case costs nothing. Members that are not in the model are dropped.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from botocore.model import Shape

from cloudlet.gateway.protocols.shapes import format_timestamp, parse_timestamp

Convert = Callable[[Any], Any]


def json_reader(shape: Shape | None, body_only: bool = False) -> Convert | None:
    """Wire JSON of `shape` to provider input; None when no conversion is needed.

    `body_only`: `shape` is a REST input whose located members (path, query, headers) are
    not in the body.
    """
    if shape is None:
        return None
    return _Compiler(reading=True, timestamp_format="").top(shape, body_only)


def json_writer(
    shape: Shape | None, timestamp_format: str, body_only: bool = False
) -> Convert | None:
    """Provider output of `shape` to wire JSON (timestamps in `timestamp_format` unless the
    model says otherwise); None when no conversion is needed."""
    if shape is None:
        return None
    return _Compiler(reading=False, timestamp_format=timestamp_format).top(shape, body_only)


def conversion_markers(shape: Shape | None) -> tuple[bytes, ...]:
    """The quoted wire names of the members that hold blobs or timestamps, anywhere in
    `shape`: JSON text containing none of them needs no conversion (a batch of plain SQS
    messages, whose attributes could carry binary values but do not)."""
    markers: set[bytes] = set()

    def walk(current: Shape, seen: set[str]) -> None:
        if current.name in seen:
            return
        seen.add(current.name)
        kind = current.type_name
        if kind == "structure":
            for name, member in current.members.items():
                if _holds_scalar(member, ("blob", "timestamp")):
                    wire = member.serialization.get("name", name)
                    markers.add(f'"{wire}"'.encode())
                walk(member, seen)
        elif kind == "list":
            walk(current.member, seen)
        elif kind == "map":
            walk(current.value, seen)

    if shape is not None:
        walk(shape, set())
    return tuple(sorted(markers))


def _holds_scalar(shape: Shape, kinds: tuple[str, ...]) -> bool:
    """Whether `shape` is one of `kinds`, or a list or map of them."""
    if shape.type_name == "list":
        return shape.member.type_name in kinds
    if shape.type_name == "map":
        return shape.value.type_name in kinds
    return shape.type_name in kinds


def is_located(member: Shape) -> bool:
    """Whether a REST member lives outside the body (path, query string, headers, status)."""
    return "location" in member.serialization


class _Compiler:
    def __init__(self, reading: bool, timestamp_format: str) -> None:
        self.reading = reading
        self.timestamp_format = timestamp_format
        self.memo: dict[str, Convert | None] = {}
        self.needs_memo: dict[str, bool] = {}

    def top(self, shape: Shape, body_only: bool) -> Convert | None:
        if body_only and shape.type_name == "structure":
            located = [m for m in shape.members.values() if is_located(m)]
            if located:
                return self._structure(shape, body_only=True)
        return self.compile(shape)

    def compile(self, shape: Shape) -> Convert | None:
        needs = self.needs_memo.get(shape.name)
        if needs is None:
            needs = self.needs_memo[shape.name] = self._needs(shape, set())
        if not needs:
            return None
        kind = shape.type_name
        if kind not in ("structure", "list", "map"):
            return self._scalar(shape)
        if shape.name in self.memo:
            return self.memo[shape.name]
        # Recursive shapes refer to themselves: bind late.
        cell: list[Convert] = []
        self.memo[shape.name] = lambda value: cell[0](value)
        if kind == "structure":
            convert = self._structure(shape, body_only=False)
        elif kind == "list":
            convert = self._list(shape)
        else:
            convert = self._map(shape)
        cell.append(convert)
        self.memo[shape.name] = convert
        return convert

    def _needs(self, shape: Shape, seen: set[str]) -> bool:
        kind = shape.type_name
        if kind in ("blob", "timestamp"):
            return True
        if kind not in ("structure", "list", "map") or getattr(shape, "is_document_type", False):
            return False
        if shape.name in seen:
            return False
        seen.add(shape.name)
        # Only a whole search's answer is kept (in `compile`): inside one, a shape already on
        # the path counts as needing nothing, which is right for the root alone.
        if kind == "structure":
            return any(
                member.serialization.get("name", name) != name or self._needs(member, seen)
                for name, member in shape.members.items()
            )
        if kind == "list":
            return self._needs(shape.member, seen)
        return self._needs(shape.value, seen)

    def _structure(self, shape: Shape, body_only: bool) -> Convert:
        if getattr(shape, "is_document_type", False):
            return _identity
        table: dict[str, tuple[str, Convert | None]] = {}
        for name, member in shape.members.items():
            if body_only and is_located(member):
                continue
            wire = member.serialization.get("name", name)
            convert = self.compile(member)
            if self.reading:
                table[wire] = (name, convert)
            else:
                table[name] = (wire, convert)

        def convert_structure(value: Any) -> Any:
            if not isinstance(value, dict):
                return value  # the validator reports the wrong type
            out = {}
            for key, item in value.items():
                found = table.get(key)
                if found is not None:
                    name, convert = found
                    out[name] = item if convert is None or item is None else convert(item)
            return out

        return convert_structure

    def _list(self, shape: Shape) -> Convert:
        convert = self.compile(shape.member)
        assert convert is not None

        def convert_list(value: Any) -> Any:
            if not isinstance(value, list):
                return value
            return [None if item is None else convert(item) for item in value]

        return convert_list

    def _map(self, shape: Shape) -> Convert:
        convert = self.compile(shape.value)
        assert convert is not None

        def convert_map(value: Any) -> Any:
            if not isinstance(value, dict):
                return value
            return {k: None if v is None else convert(v) for k, v in value.items()}

        return convert_map

    def _scalar(self, shape: Shape) -> Convert:
        if shape.type_name == "blob":
            return _read_blob if self.reading else _write_blob
        if self.reading:
            return _read_timestamp
        fmt = shape.serialization.get("timestampFormat", self.timestamp_format)
        return lambda value: format_timestamp(value, fmt)


def _identity(value: Any) -> Any:
    return value


def _read_blob(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # the validator reports the wrong type
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise ValueError("Base64 encoded binary value is not valid") from None


def _write_blob(value: Any) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode("ascii")


def _read_timestamp(value: Any) -> Any:
    try:
        return parse_timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise ValueError(f"Timestamp value {value!r} is not valid") from None
