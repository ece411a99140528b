"""Key schemas, key checks with DynamoDB's messages, and keys as ordered bytes.

An item's row is keyed by (partition key bytes, sort key bytes): S as its UTF-8 bytes, B as
its bytes, N by `numbers.number_key`. Byte order (memcmp) is DynamoDB's order for each
type, so a Query is one range scan of the primary key or of an index.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cloudlet.services.dynamodb.errors import invalid_parameters, key_schema_mismatch, validation
from cloudlet.services.dynamodb.numbers import number_key
from cloudlet.services.dynamodb.values import Item, Value, check_value

MAX_HASH_KEY_BYTES = 2048
MAX_RANGE_KEY_BYTES = 1024
Key = tuple[bytes, bytes]


def encode(value: Value, kind: str) -> bytes:
    """The ordered bytes of a key value of type `kind` (S, N or B)."""
    if kind == "S":
        return value["S"].encode()  # type: ignore[no-any-return]
    if kind == "N":
        return number_key(Decimal(value["N"]))
    return base64.b64decode(value["B"])


@dataclass(frozen=True, slots=True)
class KeySchema:
    hash_name: str
    hash_type: str
    range_name: str | None = None
    range_type: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.hash_name, self.range_name) if self.range_name else (self.hash_name,)

    def describe(self) -> list[dict[str, str]]:
        schema = [{"AttributeName": self.hash_name, "KeyType": "HASH"}]
        if self.range_name:
            schema.append({"AttributeName": self.range_name, "KeyType": "RANGE"})
        return schema

    def item_key(self, item: Item) -> Key:
        """A table item's key; DynamoDB's PutItem errors when the item lacks or mistypes it."""
        pk = self._item_part(item, self.hash_name, self.hash_type)
        if len(pk) > MAX_HASH_KEY_BYTES:
            raise invalid_parameters(
                "Size of hashkey has exceeded the maximum size limit of2048 bytes"
            )
        if self.range_name is None:
            return pk, b""
        sk = self._item_part(item, self.range_name, self.range_type)  # type: ignore[arg-type]
        if len(sk) > MAX_RANGE_KEY_BYTES:
            raise invalid_parameters(
                "Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
            )
        return pk, sk

    def _item_part(self, item: Item, name: str, kind: str) -> bytes:
        value = item.get(name)
        if value is None:
            raise invalid_parameters(f"Missing the key {name} in the item")
        actual = next(iter(value))
        if actual != kind:
            raise invalid_parameters(
                f"Type mismatch for key {name} expected: {kind} actual: {actual}"
            )
        _refuse_empty(value, kind, name)
        return encode(value, kind)

    def request_key(self, key: Any) -> tuple[Key, Item]:
        """The key a request names (GetItem's `Key`...), checked, and the key attributes."""
        if not isinstance(key, dict) or len(key) != len(self.names):
            raise key_schema_mismatch()
        checked = {}
        parts = []
        for name, kind in ((self.hash_name, self.hash_type), (self.range_name, self.range_type)):
            if name is None:
                parts.append(b"")
                continue
            raw = key.get(name)
            if raw is None:
                raise key_schema_mismatch()
            value = check_value(raw)
            if next(iter(value)) != kind:
                raise key_schema_mismatch()
            _refuse_empty(value, kind, name)  # type: ignore[arg-type]
            checked[name] = value
            parts.append(encode(value, kind))  # type: ignore[arg-type]
        return (parts[0], parts[1]), checked

    def key_attributes(self, item: Item) -> Item:
        """Just the key attributes of a (valid) item."""
        if self.range_name is None:
            return {self.hash_name: item[self.hash_name]}
        return {self.hash_name: item[self.hash_name], self.range_name: item[self.range_name]}

    def index_key(self, item: Item, index_name: str, lenient: bool = False) -> Key | None:
        """An item's key in a secondary index, or None when the item is not in it (sparse).

        An index key of the wrong type or empty is refused, as a write is; `lenient` leaves
        such an item out of the index instead (an "index key violation"), as AWS does with the
        items already in a table when it backfills a new index, and with those items later.
        """
        parts = []
        for name, kind in ((self.hash_name, self.hash_type), (self.range_name, self.range_type)):
            if name is None:
                parts.append(b"")
                continue
            value = item.get(name)
            if value is None:
                return None
            actual = next(iter(value))
            if actual != kind:
                if lenient:
                    return None
                raise invalid_parameters(
                    f"Type mismatch for Index Key {name} Expected: {kind} Actual: {actual}"
                    f" IndexName: {index_name}"
                )
            if (kind == "S" and not value["S"]) or (kind == "B" and not value["B"]):
                if lenient:
                    return None
                raise validation(
                    "One or more parameter values are not valid. A value specified for a"
                    " secondary index key is not supported. The AttributeValue for a key"
                    f" attribute cannot contain an empty {'string' if kind == 'S' else 'binary'}"
                    f" value. IndexName: {index_name}, IndexKey: {name}"
                )
            parts.append(encode(value, kind))  # type: ignore[arg-type]
        return parts[0], parts[1]


def _refuse_empty(value: Value, kind: str, name: str) -> None:
    if (kind == "S" and not value["S"]) or (kind == "B" and not value["B"]):
        noun = "string" if kind == "S" else "binary"
        raise validation(
            "One or more parameter values are not valid. The AttributeValue for a key attribute"
            f" cannot contain an empty {noun} value. Key: {name}"
        )
