"""XML documents read and written by shape, as rest-xml services (S3) send and expect them.

Follows botocore's XML traits: an element per member, named by `locationName`; lists wrap
their items in `<member>` (or the item's `locationName`) unless `flattened`, when the items
repeat in the parent; maps are `<entry><key/><value/></entry>` (or flattened); members with
`xmlAttribute` are attributes; `xmlNamespace` declares a namespace. Readers take an
ElementTree element and ignore namespaces; writers append text to a list of strings.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element

from botocore.model import Shape

from cloudlet.gateway.protocols.jsonshape import is_located
from cloudlet.gateway.protocols.shapes import format_timestamp, parse_timestamp

Read = Callable[[Element], Any]
# (output parts, element name, extra attributes text, value)
Write = Callable[[list[str], str, str, Any], None]

_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTRIBUTE_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;"}
)


def escape_text(text: str) -> str:
    return text.translate(_TEXT_ESCAPES)


def xml_reader(shape: Shape, body_only: bool = False) -> Read:
    """Read an element of `shape` into provider input (`body_only`: skip located members)."""
    compiler = _ReaderCompiler()
    if body_only and shape.type_name == "structure":
        return compiler.structure(shape, body_only=True)
    return compiler.compile(shape)


def xml_writer(shape: Shape, timestamp_format: str = "iso8601", body_only: bool = False) -> Write:
    """Write a value of `shape` as an element (`body_only`: skip located members)."""
    compiler = _WriterCompiler(timestamp_format)
    if body_only and shape.type_name == "structure":
        return compiler.structure(shape, body_only=True)
    return compiler.compile(shape)


def namespace_attribute(shape: Shape, default: str = "") -> str:
    """The `xmlns` attribute text `shape` declares (or `default`'s, if it declares none)."""
    namespace = shape.serialization.get("xmlNamespace")
    if isinstance(namespace, dict):
        prefix = namespace.get("prefix")
        name = f"xmlns:{prefix}" if prefix else "xmlns"
        return f' {name}="{namespace["uri"]}"'
    if isinstance(namespace, str):
        return f' xmlns="{namespace}"'
    return f' xmlns="{default}"' if default else ""


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2] if tag[:1] == "{" else tag


def _element_name(name: str, member: Shape) -> str:
    # A flattened list's items are named after the list's member, when it has a name.
    if member.type_name == "list" and member.serialization.get("flattened"):
        item_name = member.member.serialization.get("name")
        if item_name:
            return str(item_name)
    return str(member.serialization.get("name", name))


# -- reading --------------------------------------------------------------------------------

_SINGLE, _FLAT_LIST, _FLAT_MAP = 0, 1, 2


class _ReaderCompiler:
    def __init__(self) -> None:
        self.memo: dict[str, Read] = {}

    def compile(self, shape: Shape) -> Read:
        kind = shape.type_name
        if kind not in ("structure", "list", "map"):
            return _SCALAR_READERS.get(kind, _read_string)
        key = f"{shape.name}/{bool(shape.serialization.get('flattened'))}"
        if key in self.memo:
            return self.memo[key]
        cell: list[Read] = []
        self.memo[key] = lambda node: cell[0](node)
        if kind == "structure":
            read = self.structure(shape, body_only=False)
        elif kind == "list":
            read = self._list(shape)
        else:
            read = self._map(shape)
        cell.append(read)
        self.memo[key] = read
        return read

    def structure(self, shape: Shape, body_only: bool) -> Read:
        slots: dict[str, tuple[str, int, Any]] = {}
        aliases: list[tuple[str, tuple[str, int, Any]]] = []
        attributes: list[tuple[str, str]] = []
        for name, member in shape.members.items():
            if body_only and is_located(member):
                continue
            if member.serialization.get("xmlAttribute"):
                wire = member.serialization.get("name", name)
                attributes.append((name, wire.rpartition(":")[2]))
                continue
            flattened = member.serialization.get("flattened")
            if member.type_name == "list" and flattened:
                slot = (name, _FLAT_LIST, self.compile(member.member))
                slots[str(member.serialization.get("name", name))] = slot
                # botocore writes flattened items under the member's name and reads them
                # under the item's: accept that too, unless another member has the name.
                aliases.append((_element_name(name, member), slot))
            elif member.type_name == "map" and flattened:
                slots[member.serialization.get("name", name)] = (
                    name,
                    _FLAT_MAP,
                    self._entry(member),
                )
            else:
                slots[member.serialization.get("name", name)] = (
                    name,
                    _SINGLE,
                    self.compile(member),
                )
        for alias, slot in aliases:
            slots.setdefault(alias, slot)

        def read_structure(node: Element) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for child in node:
                tag = child.tag
                found = slots.get(tag[tag.rfind("}") + 1 :] if tag[:1] == "{" else tag)
                if found is None:
                    continue
                name, how, read = found
                if how == _SINGLE:
                    out[name] = read(child)
                elif how == _FLAT_LIST:
                    out.setdefault(name, []).append(read(child))
                else:
                    key, value = read(child)
                    out.setdefault(name, {})[key] = value
            if attributes:
                present = {local_name(k): v for k, v in node.attrib.items()}
                for name, attribute in attributes:
                    if attribute in present:
                        out[name] = present[attribute]
            return out

        return read_structure

    def _list(self, shape: Shape) -> Read:
        read_item = self.compile(shape.member)

        def read_list(node: Element) -> list[Any]:
            return [read_item(child) for child in node]

        return read_list

    def _entry(self, shape: Shape) -> Callable[[Element], tuple[Any, Any]]:
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        read_key = self.compile(shape.key)
        read_value = self.compile(shape.value)

        def read_entry(node: Element) -> tuple[Any, Any]:
            key = value = None
            for child in node:
                tag = local_name(child.tag)
                if tag == key_name:
                    key = read_key(child)
                elif tag == value_name:
                    value = read_value(child)
            return key, value

        return read_entry

    def _map(self, shape: Shape) -> Read:
        read_entry = self._entry(shape)

        def read_map(node: Element) -> dict[Any, Any]:
            return dict(read_entry(child) for child in node)

        return read_map


def _read_string(node: Element) -> str:
    return node.text or ""


def _read_boolean(node: Element) -> bool:
    text = (node.text or "").strip()
    if text not in ("true", "false"):
        raise ValueError(f"{text!r} is not a boolean")
    return text == "true"


_SCALAR_READERS: dict[str, Read] = {
    "string": _read_string,
    "character": _read_string,
    "boolean": _read_boolean,
    "integer": lambda node: int((node.text or "").strip()),
    "long": lambda node: int((node.text or "").strip()),
    "short": lambda node: int((node.text or "").strip()),
    "byte": lambda node: int((node.text or "").strip()),
    "float": lambda node: float((node.text or "").strip()),
    "double": lambda node: float((node.text or "").strip()),
    "timestamp": lambda node: parse_timestamp((node.text or "").strip()),
    "blob": lambda node: base64.b64decode((node.text or "").strip(), validate=True),
}


# -- writing --------------------------------------------------------------------------------


class _WriterCompiler:
    def __init__(self, timestamp_format: str) -> None:
        self.timestamp_format = timestamp_format
        self.memo: dict[str, Write] = {}

    def compile(self, shape: Shape) -> Write:
        kind = shape.type_name
        if kind not in ("structure", "list", "map"):
            return self._scalar(shape)
        key = f"{shape.name}/{bool(shape.serialization.get('flattened'))}"
        if key in self.memo:
            return self.memo[key]
        cell: list[Write] = []
        self.memo[key] = lambda out, tag, attrs, value: cell[0](out, tag, attrs, value)
        if kind == "structure":
            write = self.structure(shape, body_only=False)
        elif kind == "list":
            write = self._list(shape)
        else:
            write = self._map(shape)
        cell.append(write)
        self.memo[key] = write
        return write

    def structure(self, shape: Shape, body_only: bool) -> Write:
        elements: list[tuple[str, str, str, Write]] = []
        attributes: list[tuple[str, str]] = []
        for name, member in shape.members.items():
            if body_only and is_located(member):
                continue
            if member.serialization.get("xmlAttribute"):
                attributes.append((name, member.serialization.get("name", name)))
                continue
            elements.append(
                (
                    name,
                    _element_name(name, member),
                    namespace_attribute(member),
                    self.compile(member),
                )
            )

        def write_structure(out: list[str], tag: str, attrs: str, value: Any) -> None:
            for name, attribute in attributes:
                item = value.get(name)
                if item is not None:
                    attrs += f' {attribute}="{str(item).translate(_ATTRIBUTE_ESCAPES)}"'
            out.append(f"<{tag}{attrs}>")
            for name, element, element_attrs, write in elements:
                item = value.get(name)
                if item is not None:
                    write(out, element, element_attrs, item)
            out.append(f"</{tag}>")

        return write_structure

    def _list(self, shape: Shape) -> Write:
        write_item = self.compile(shape.member)
        item_attrs = namespace_attribute(shape.member)
        if shape.serialization.get("flattened"):

            def write_flat(out: list[str], tag: str, attrs: str, value: Any) -> None:
                for item in value:
                    write_item(out, tag, attrs, item)

            return write_flat
        item_tag = shape.member.serialization.get("name", "member")

        def write_list(out: list[str], tag: str, attrs: str, value: Any) -> None:
            out.append(f"<{tag}{attrs}>")
            for item in value:
                write_item(out, item_tag, item_attrs, item)
            out.append(f"</{tag}>")

        return write_list

    def _map(self, shape: Shape) -> Write:
        key_tag = shape.key.serialization.get("name", "key")
        value_tag = shape.value.serialization.get("name", "value")
        write_key = self.compile(shape.key)
        write_value = self.compile(shape.value)
        flattened = bool(shape.serialization.get("flattened"))

        def write_map(out: list[str], tag: str, attrs: str, value: Any) -> None:
            if not flattened:
                out.append(f"<{tag}{attrs}>")
            entry = tag if flattened else "entry"
            for key, item in value.items():
                out.append(f"<{entry}>")
                write_key(out, key_tag, "", key)
                if item is not None:
                    write_value(out, value_tag, "", item)
                out.append(f"</{entry}>")
            if not flattened:
                out.append(f"</{tag}>")

        return write_map

    def _scalar(self, shape: Shape) -> Write:
        kind = shape.type_name
        if kind == "boolean":
            render: Callable[[Any], str] = _render_boolean
        elif kind == "timestamp":
            fmt = shape.serialization.get("timestampFormat", self.timestamp_format)

            def render(value: Any) -> str:
                return str(format_timestamp(value, fmt))

        elif kind == "blob":
            render = _render_blob
        else:
            render = str

        def write_scalar(out: list[str], tag: str, attrs: str, value: Any) -> None:
            out.append(f"<{tag}{attrs}>{render(value).translate(_TEXT_ESCAPES)}</{tag}>")

        return write_scalar


def _render_boolean(value: Any) -> str:
    return "true" if value else "false"


def _render_blob(value: Any) -> str:
    return base64.b64encode(value.encode() if isinstance(value, str) else value).decode("ascii")
