"""MD5 digests of message bodies and attributes, computed exactly as SQS computes them.

SDKs (Java, .NET, Go...) verify these against what they sent and reject a mismatch.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any

_LENGTH = struct.Struct(">I")


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8")).hexdigest()


def md5_of_attributes(attributes: dict[str, dict[str, Any]]) -> str:
    """SQS's digest of message (or message system) attributes.

    Each attribute, in name order: the name, the data type, a transport byte (1 for String
    and Number values, 2 for Binary) and the value, every variable part prefixed by its
    length as a 4-byte big-endian integer.
    """
    digest = hashlib.md5()
    for name in sorted(attributes):
        attribute = attributes[name]
        data_type = attribute["DataType"]
        _sized(digest, name.encode("utf-8"))
        _sized(digest, data_type.encode("utf-8"))
        if data_type.startswith("Binary"):
            digest.update(b"\x02")
            _sized(digest, attribute["BinaryValue"])
        else:
            digest.update(b"\x01")
            _sized(digest, attribute["StringValue"].encode("utf-8"))
    return digest.hexdigest()


def _sized(digest: Any, data: bytes) -> None:
    digest.update(_LENGTH.pack(len(data)))
    digest.update(data)
