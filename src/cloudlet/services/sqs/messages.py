"""Message digests as SQS computes them, and receipt handles."""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from typing import Any

from cloudlet.services.sqs.errors import sqs_error


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8")).hexdigest()


def md5_of_attributes(attributes: dict[str, dict[str, Any]]) -> str:
    """SQS's digest of message (or message system) attributes.

    Each attribute, in name order: the name, the data type, a transport byte (1 for string
    values, 2 for binary) and the value, every variable part prefixed by its length as a
    4-byte big-endian integer.
    """
    digest = hashlib.md5()
    for name in sorted(attributes):
        attribute = attributes[name]
        data_type = attribute["DataType"]
        digest.update(_sized(name.encode("utf-8")))
        digest.update(_sized(data_type.encode("utf-8")))
        if "BinaryValue" in attribute and attribute["BinaryValue"] is not None:
            digest.update(b"\x02")
            digest.update(_sized(_as_bytes(attribute["BinaryValue"])))
        else:
            digest.update(b"\x01")
            digest.update(_sized(str(attribute.get("StringValue", "")).encode("utf-8")))
    return digest.hexdigest()


def _sized(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _as_bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def new_receipt(queue_id: int, seq: int) -> tuple[str, str]:
    """A fresh receipt handle for a receive of message `seq`, and the nonce stored with it."""
    nonce = base64.urlsafe_b64encode(os.urandom(12)).decode("ascii")
    handle = base64.urlsafe_b64encode(f"{queue_id}:{seq}:{nonce}".encode()).decode("ascii")
    return handle, nonce


def parse_receipt(handle: str) -> tuple[int, int, str]:
    """(queue id, message seq, nonce) of a receipt handle; anything else is refused."""
    try:
        queue_id, seq, nonce = base64.urlsafe_b64decode(handle.encode("ascii")).decode().split(":")
        return int(queue_id), int(seq), nonce
    except (ValueError, UnicodeError):
        raise sqs_error(
            "ReceiptHandleIsInvalid",
            f'The input receipt handle "{handle}" is not a valid receipt handle.',
        ) from None
