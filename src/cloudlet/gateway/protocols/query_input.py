"""Reading query-protocol input: dotted form names back into an operation's input dict.

botocore's QuerySerializer flattens input into names such as `Attributes.entry.1.key`,
`Tags.member.2.Value` or, for flattened lists and maps, `MessageAttribute.1.Name`. Here the
form's names become a tree (`form_tree`), and a reader compiled once per input shape
(`compile_reader`) walks the tree the way the serializer walked the shape. Values that do not
convert (a non-number for an integer, bad base64) are passed on as text, so the validator
reports them with the service's own error code. Unknown names are ignored, as AWS does.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from botocore.model import Shape

from cloudlet.gateway.protocols.shapes import parse_timestamp

Reader = Callable[[Any], Any]

_INTEGER = re.compile(r"[+-]?[0-9]+")
_INTEGER_KINDS = frozenset({"integer", "long", "short", "byte"})


def form_tree(items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Dotted names as nested dicts: `A.member.1=x` gives `{"A": {"member": {"1": "x"}}}`."""
    root: dict[str, Any] = {}
    for name, value in items:
        node = root
        *parents, last = name.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                # `A=1` and `A.b=2` both given: the text of A lives on under "".
                child = node[part] = {} if child is None else {"": child}
            node = child
        if isinstance(node.get(last), dict):
            node[last][""] = value
        else:
            node[last] = value
    return root


def wire_name(name: str, member: Shape) -> str:
    """The name a structure member goes by on the wire (botocore's rule, both directions).

    A flattened list whose items are named (SQS's `Attribute`, `QueueUrl`) takes the item's
    name; any other member its `locationName`, or its own name.
    """
    if member.type_name == "list" and member.serialization.get("flattened"):
        item_name = member.member.serialization.get("name")
        if item_name:
            return str(item_name)
    return str(member.serialization.get("name", name))


def compile_reader(shape: Shape) -> Reader:
    """A function turning a `form_tree` into the input dict of `shape`."""
    return _reader(shape, {})


def _reader(shape: Shape, memo: dict[Any, Reader]) -> Reader:
    # The same shape can be flattened or renamed where a member refers to it: key on both.
    key = (shape.name, tuple(sorted(shape.serialization.items())))
    if key in memo:
        return memo[key]
    cell: list[Reader] = []
    memo[key] = lambda node: cell[0](node)  # recursive shapes refer to themselves
    kind = shape.type_name
    if kind == "structure":
        reader = _structure(shape, memo)
    elif kind == "list":
        reader = _list(shape, memo)
    elif kind == "map":
        reader = _map(shape, memo)
    else:
        reader = _SCALARS.get(kind, _string)
    cell.append(reader)
    memo[key] = reader
    return reader


def _structure(shape: Shape, memo: dict[Any, Reader]) -> Reader:
    fields = [
        (name, wire_name(name, member), _reader(member, memo))
        for name, member in shape.members.items()
    ]

    def read(node: Any) -> dict[str, Any]:
        if not isinstance(node, dict):
            return {}
        out: dict[str, Any] = {}
        for name, key, read_member in fields:
            child = node.get(key)
            if child is not None:
                value = read_member(child)
                if value is not None:
                    out[name] = value
        return out

    return read


def _list(shape: Shape, memo: dict[Any, Reader]) -> Reader:
    read_item = _reader(shape.member, memo)
    flattened = bool(shape.serialization.get("flattened"))
    item_key = shape.member.serialization.get("name", "member")

    def read(node: Any) -> list[Any] | None:
        if not flattened:
            if not isinstance(node, dict):
                return [] if node == "" else None
            node = node.get(item_key)
            if node is None:
                return []
        if isinstance(node, str):
            # `Name=` is an empty list; `AttributeName=All` one item, as old SDKs send it.
            return [read_item(node)] if node else []
        items = (read_item(child) for child in _numbered(node))
        return [item for item in items if item is not None]

    return read


def _map(shape: Shape, memo: dict[Any, Reader]) -> Reader:
    read_value = _reader(shape.value, memo)
    flattened = bool(shape.serialization.get("flattened"))
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")

    def read(node: Any) -> dict[str, Any] | None:
        if not isinstance(node, dict):
            return {} if node == "" else None
        if not flattened:
            node = node.get("entry")
            if not isinstance(node, dict):
                return {}
        out: dict[str, Any] = {}
        for entry in _numbered(node):
            if not isinstance(entry, dict) or not isinstance(entry.get(key_name), str):
                continue
            raw = entry.get(value_name)
            out[entry[key_name]] = None if raw is None else read_value(raw)
        return out

    return read


def _numbered(node: dict[str, Any]) -> Iterator[Any]:
    """The children named 1, 2, 3... in numeric order (gaps are tolerated)."""
    numbered = [(int(k), v) for k, v in node.items() if k.isascii() and k.isdigit()]
    numbered.sort(key=lambda pair: pair[0])
    return (value for _, value in numbered)


# -- scalars: text in, Python value out; text that does not convert stays text -------------


def _text(node: Any) -> str | None:
    return node if isinstance(node, str) else node.get("") if isinstance(node, dict) else None


def _string(node: Any) -> Any:
    return _text(node)


def _integer(node: Any) -> Any:
    text = _text(node)
    if text is None:
        return None
    return int(text) if _INTEGER.fullmatch(text) else text


def _float(node: Any) -> Any:
    text = _text(node)
    if text is None:
        return None
    try:
        return float(text) if "_" not in text else text
    except ValueError:
        return text


def _boolean(node: Any) -> Any:
    text = _text(node)
    if text is None:
        return None
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    return text


def _timestamp(node: Any) -> Any:
    text = _text(node)
    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return text


def _blob(node: Any) -> Any:
    node = _text(node)
    if node is None:
        return None
    try:
        return base64.b64decode(node, validate=True)
    except (binascii.Error, ValueError):
        return node


_SCALARS: dict[str, Reader] = {
    **dict.fromkeys(_INTEGER_KINDS, _integer),
    "float": _float,
    "double": _float,
    "boolean": _boolean,
    "timestamp": _timestamp,
    "blob": _blob,
}
