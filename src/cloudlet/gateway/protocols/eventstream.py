"""Event streams (`application/vnd.amazon.eventstream`): the framing of the events a REST
operation streams back, such as Lambda's InvokeWithResponseStream and S3's
SelectObjectContent.

A provider returns the stream member as an iterator (async or not) of events, each a dict
naming one event type: `{"PayloadChunk": {"Payload": b"..."}}` (a modelled exception member
is sent as an exception, which the client raises). Each becomes one message:
a prelude (total and header lengths, CRC32), headers (`:message-type`, `:event-type`,
`:content-type`, and the event's `eventheader` members), the payload (the `eventpayload`
member raw, or the other members as a JSON/XML document), and a CRC32 of it all.
"""

from __future__ import annotations

import datetime
import struct
import zlib
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from botocore.model import Shape

EVENT_STREAM = "application/vnd.amazon.eventstream"
WriteDocument = Callable[[Shape, str], Callable[[Any], bytes]]
Events = AsyncIterator[dict[str, Any]] | Iterable[dict[str, Any]]


def encode_message(headers: list[tuple[str, Any]], payload: bytes) -> bytes:
    """One event stream message."""
    encoded = b"".join(_header(name, value) for name, value in headers)
    total = 16 + len(encoded) + len(payload)
    prelude = struct.pack(">II", total, len(encoded))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + encoded + payload
    return message + struct.pack(">I", zlib.crc32(message))


class EventStreamWriter:
    """Frames the events of one event stream shape; `write_document` is the protocol's."""

    def __init__(self, shape: Shape, write_document: WriteDocument, document_type: str) -> None:
        self.events = {
            name: _EventWriter(name, member, write_document, document_type)
            for name, member in shape.members.items()
        }

    def __call__(self, events: Events) -> AsyncIterator[bytes]:
        return self._frames(events)

    async def _frames(self, events: Events) -> AsyncIterator[bytes]:
        if isinstance(events, AsyncIterator):
            async for event in events:
                yield self._frame(event)
        else:
            for event in events:
                yield self._frame(event)

    def _frame(self, event: dict[str, Any]) -> bytes:
        ((name, value),) = event.items()
        return self.events[name].encode(value or {})


class _EventWriter:
    def __init__(
        self, name: str, shape: Shape, write_document: WriteDocument, document_type: str
    ) -> None:
        self.name = name
        # A modelled error ends the stream as an exception message the client raises.
        if shape.metadata.get("exception"):
            self.kind = (":exception-type", "exception")
        else:
            self.kind = (":event-type", "event")
        self.headers = [n for n, m in shape.members.items() if m.serialization.get("eventheader")]
        self.payload: str | None = None
        self.content_type = document_type
        self.write: Callable[[Any], bytes] | None = None
        for member_name, member in shape.members.items():
            if member.serialization.get("eventpayload"):
                self.payload = member_name
                if member.type_name == "blob":
                    self.content_type = "application/octet-stream"
                elif member.type_name == "string":
                    self.content_type = "text/plain"
                else:
                    self.write = write_document(member, member_name)
                break
        else:
            if len(self.headers) < len(shape.members):
                self.write = write_document(shape, name)

    def encode(self, value: dict[str, Any]) -> bytes:
        type_header, message_type = self.kind
        headers: list[tuple[str, Any]] = [
            (":message-type", message_type),
            (type_header, self.name),
            (":content-type", self.content_type),
        ]
        headers.extend((h, value[h]) for h in self.headers if value.get(h) is not None)
        if self.payload is not None:
            item = value.get(self.payload)
            if self.write is not None:
                payload = self.write(item) if item is not None else b""
            else:
                payload = item.encode() if isinstance(item, str) else (item or b"")
        elif self.write is not None:
            body = {k: v for k, v in value.items() if k not in self.headers}
            payload = self.write(body) if body else b""
        else:
            payload = b""
        return encode_message(headers, payload)


def _header(name: str, value: Any) -> bytes:
    raw_name = name.encode()
    head = struct.pack(">B", len(raw_name)) + raw_name
    if isinstance(value, bool):
        return head + (b"\x00" if value else b"\x01")
    if isinstance(value, int):
        return head + b"\x05" + struct.pack(">q", value)
    if isinstance(value, datetime.datetime):
        millis = round(value.timestamp() * 1000)
        return head + b"\x08" + struct.pack(">q", millis)
    if isinstance(value, bytes | bytearray):
        return head + b"\x06" + struct.pack(">H", len(value)) + bytes(value)
    text = str(value).encode()
    return head + b"\x07" + struct.pack(">H", len(text)) + text
