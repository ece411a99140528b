"""Key bytes order as DynamoDB orders keys: S by UTF-8 bytes, B by bytes, N numerically."""

from __future__ import annotations

import base64

import pytest

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodb.keys import KeySchema, encode


def test_strings_order_by_their_utf8_bytes() -> None:
    words = ["a", "B", "é", "z", "€", "😀", "aa", "", "\u00ff", "\uffff"]
    by_bytes = sorted(words, key=lambda w: w.encode())
    assert sorted(words, key=lambda w: encode({"S": w}, "S")) == by_bytes
    # UTF-8 byte order differs from UTF-16 order for characters beyond the BMP.
    assert encode({"S": "😀"}, "S") > encode({"S": "\uffff"}, "S")


def test_binaries_order_by_their_bytes() -> None:
    values = [b"\x00", b"\xff", b"\x00\x01", b"a", b""]
    encoded = sorted(values, key=lambda b: encode({"B": base64.b64encode(b).decode()}, "B"))
    assert encoded == sorted(values)


def test_item_key_errors_name_the_key() -> None:
    schema = KeySchema("id", "S", "n", "N")
    with pytest.raises(ServiceError, match="Missing the key n in the item"):
        schema.item_key({"id": {"S": "a"}})
    with pytest.raises(ServiceError, match="Type mismatch for key id expected: S actual: N"):
        schema.item_key({"id": {"N": "1"}, "n": {"N": "1"}})
    with pytest.raises(ServiceError, match=r"cannot contain an empty string value\. Key: id"):
        schema.item_key({"id": {"S": ""}, "n": {"N": "1"}})


def test_request_key_must_match_the_schema_exactly() -> None:
    schema = KeySchema("id", "S")
    for key in ({}, {"id": {"N": "1"}}, {"id": {"S": "a"}, "x": {"S": "b"}}, {"other": {"S": "a"}}):
        with pytest.raises(
            ServiceError, match="The provided key element does not match the schema"
        ):
            schema.request_key(key)
    assert schema.request_key({"id": {"S": "a"}})[0] == (b"a", b"")
