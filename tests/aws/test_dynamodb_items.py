"""DynamoDB items through boto3: put, get, update, delete, conditions, return values, limits."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from dynamodb_support import create_table, dynamodb_client, error_of, error_response


@pytest.fixture
def ddb(server: Any) -> Any:
    return dynamodb_client(server)


@pytest.fixture
def table(ddb: Any) -> str:
    return create_table(ddb, range_key=("sk", "N"))


def key(pk: str = "a", sk: str = "1") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": sk}}


def test_every_type_round_trips_and_numbers_come_back_canonical(ddb: Any, table: str) -> None:
    item = {
        **key(),
        "s": {"S": "héllo"},
        "n": {"N": "01.500"},
        "b": {"B": b"\x00\xff"},
        "ss": {"SS": ["x", "y"]},
        "ns": {"NS": ["1", "2.50"]},
        "bs": {"BS": [b"a", b"b"]},
        "m": {"M": {"inner": {"L": [{"NULL": True}, {"BOOL": False}]}}},
        "empty": {"S": ""},
    }
    ddb.put_item(TableName=table, Item=item)
    got = ddb.get_item(TableName=table, Key=key(), ConsistentRead=True)["Item"]
    assert got["n"] == {"N": "1.5"}
    assert sorted(got["ns"]["NS"]) == ["1", "2.5"]
    assert got["b"] == {"B": b"\x00\xff"}
    assert sorted(got["bs"]["BS"]) == [b"a", b"b"]
    assert got["m"] == item["m"]
    assert got["empty"] == {"S": ""}
    assert ddb.get_item(TableName=table, Key=key("missing"))
    assert "Item" not in ddb.get_item(TableName=table, Key=key("missing"))


def test_projection_expression_picks_nested_paths(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={
            **key(),
            "a": {"M": {"b": {"S": "x"}, "c": {"S": "y"}}},
            "l": {"L": [{"S": "0"}, {"S": "1"}, {"S": "2"}]},
            "other": {"S": "z"},
        },
    )
    got = ddb.get_item(
        TableName=table,
        Key=key(),
        ProjectionExpression="#a.b, l[2], l[0]",
        ExpressionAttributeNames={"#a": "a"},
    )["Item"]
    assert got == {"a": {"M": {"b": {"S": "x"}}}, "l": {"L": [{"S": "0"}, {"S": "2"}]}}


def test_condition_failure_carries_the_item_when_asked(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={**key(), "v": {"N": "1"}})
    response = error_response(
        ddb.put_item,
        TableName=table,
        Item={**key(), "v": {"N": "2"}},
        ConditionExpression="attribute_not_exists(pk)",
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    assert response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert response["Error"]["Message"] == "The conditional request failed"
    assert response["Item"] == {**key(), "v": {"N": "1"}}
    plain = error_response(
        ddb.delete_item,
        TableName=table,
        Key=key(),
        ConditionExpression="v = :two",
        ExpressionAttributeValues={":two": {"N": "2"}},
    )
    assert "Item" not in plain
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.update_item(
            TableName=table,
            Key=key(),
            UpdateExpression="SET v = :v",
            ConditionExpression="v > :v",
            ExpressionAttributeValues={":v": {"N": "5"}},
        )
    assert ddb.get_item(TableName=table, Key=key())["Item"]["v"] == {"N": "1"}


def test_attribute_type_tests_the_stored_type(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={**key(), "s": {"S": "1"}, "n": {"N": "1"}, "ss": {"SS": ["a"]}, "m": {"M": {}}},
    )

    def holds(condition: str, kind: str) -> bool:
        try:
            ddb.update_item(
                TableName=table,
                Key=key(),
                UpdateExpression="SET tested = :kind",
                ConditionExpression=condition,
                ExpressionAttributeValues={":kind": {"S": kind}},
            )
        except ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    assert holds("attribute_type(s, :kind)", "S")
    assert not holds("attribute_type(s, :kind)", "N")
    assert holds("attribute_type(n, :kind)", "N")
    assert holds("attribute_type(ss, :kind)", "SS")
    assert not holds("attribute_type(ss, :kind)", "L")
    assert holds("attribute_type(m, :kind)", "M")
    assert not holds("attribute_type(absent, :kind)", "NULL")
    assert holds("NOT attribute_type(n, :kind)", "S")
    assert error_of(
        ddb.delete_item,
        TableName=table,
        Key=key(),
        ConditionExpression="attribute_type(s, :kind)",
        ExpressionAttributeValues={":kind": {"S": "STRING"}},
    ) == (
        "ValidationException",
        "Invalid ConditionExpression: Invalid attribute type name found; type: STRING, valid"
        " types: { B,NULL,SS,BOOL,L,BS,N,NS,S,M }",
    )


def test_return_values_of_each_write(ddb: Any, table: str) -> None:
    assert "Attributes" not in ddb.put_item(TableName=table, Item={**key(), "v": {"N": "1"}})
    old = ddb.put_item(TableName=table, Item={**key(), "v": {"N": "2"}}, ReturnValues="ALL_OLD")
    assert old["Attributes"]["v"] == {"N": "1"}
    update = {
        "TableName": table,
        "Key": key(),
        "UpdateExpression": "SET v = v + :one, w = :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}},
    }
    assert ddb.update_item(**update, ReturnValues="UPDATED_OLD")["Attributes"] == {"v": {"N": "2"}}
    assert ddb.update_item(**update, ReturnValues="UPDATED_NEW")["Attributes"] == {
        "v": {"N": "4"},
        "w": {"N": "1"},
    }
    assert ddb.update_item(**update, ReturnValues="ALL_NEW")["Attributes"] == {
        **key(),
        "v": {"N": "5"},
        "w": {"N": "1"},
    }
    gone = ddb.delete_item(TableName=table, Key=key(), ReturnValues="ALL_OLD")
    assert gone["Attributes"]["v"] == {"N": "5"}
    assert error_of(ddb.put_item, TableName=table, Item=key(), ReturnValues="ALL_NEW") == (
        "ValidationException",
        "Return values set to invalid value",
    )


def test_update_creates_the_item_and_handles_every_clause(ddb: Any, table: str) -> None:
    ddb.update_item(
        TableName=table,
        Key=key(),
        UpdateExpression="SET #l = list_append(if_not_exists(#l, :empty), :new), m = :m"
        " ADD c :two, tags :tags",
        ExpressionAttributeNames={"#l": "list"},
        ExpressionAttributeValues={
            ":empty": {"L": []},
            ":new": {"L": [{"S": "a"}]},
            ":m": {"M": {"x": {"N": "1"}}},
            ":two": {"N": "2"},
            ":tags": {"SS": ["red", "blue"]},
        },
    )
    ddb.update_item(
        TableName=table,
        Key=key(),
        UpdateExpression="SET m.y = :v, #l[0] = :v REMOVE m.x DELETE tags :red ADD c :two",
        ExpressionAttributeNames={"#l": "list"},
        ExpressionAttributeValues={":v": {"S": "v"}, ":red": {"SS": ["red"]}, ":two": {"N": "2"}},
    )
    item = ddb.get_item(TableName=table, Key=key())["Item"]
    assert item["list"] == {"L": [{"S": "v"}]}
    assert item["m"] == {"M": {"y": {"S": "v"}}}
    assert item["c"] == {"N": "4"}
    assert item["tags"] == {"SS": ["blue"]}


def test_update_errors_are_validation_errors(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={**key(), "s": {"S": "text"}})
    base = {"TableName": table, "Key": key()}
    assert error_of(
        ddb.update_item,
        **base,
        UpdateExpression="SET s = s + :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    ) == ("ValidationException", "An operand in the update expression has an incorrect data type")
    assert error_of(
        ddb.update_item,
        **base,
        UpdateExpression="SET n = absent + :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    ) == (
        "ValidationException",
        "The provided expression refers to an attribute that does not exist in the item",
    )
    assert error_of(
        ddb.update_item,
        **base,
        UpdateExpression="SET pk = :v",
        ExpressionAttributeValues={":v": {"S": "b"}},
    ) == (
        "ValidationException",
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute"
        " is part of the key",
    )
    assert error_of(
        ddb.update_item,
        **base,
        UpdateExpression="SET nested.deep = :v",
        ExpressionAttributeValues={":v": {"S": "b"}},
    ) == (
        "ValidationException",
        "The document path provided in the update expression is invalid for update",
    )
    assert error_of(
        ddb.update_item,
        **base,
        UpdateExpression="ADD s :v",
        ExpressionAttributeValues={":v": {"S": "b"}},
    ) == (
        "ValidationException",
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator:"
        " ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND",
    )


def test_key_errors_use_dynamodbs_messages(ddb: Any, table: str) -> None:
    assert error_of(ddb.put_item, TableName=table, Item={"pk": {"S": "a"}}) == (
        "ValidationException",
        "One or more parameter values were invalid: Missing the key sk in the item",
    )
    assert error_of(ddb.put_item, TableName=table, Item={"pk": {"N": "1"}, "sk": {"N": "1"}}) == (
        "ValidationException",
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N",
    )
    assert error_of(ddb.get_item, TableName=table, Key={"pk": {"S": "a"}}) == (
        "ValidationException",
        "The provided key element does not match the schema",
    )
    assert error_of(ddb.put_item, TableName=table, Item={"pk": {"S": ""}, "sk": {"N": "1"}}) == (
        "ValidationException",
        "One or more parameter values are not valid. The AttributeValue for a key attribute"
        " cannot contain an empty string value. Key: pk",
    )


def test_attribute_value_errors(ddb: Any, table: str) -> None:
    cases = [
        (
            {"x": {"SS": []}},
            "One or more parameter values were invalid: An string set  may not be empty",
        ),
        (
            {"x": {"NS": ["1", "1.0"]}},
            "One or more parameter values were invalid: Input collection [1, 1] contains"
            " duplicates.",
        ),
        ({"x": {"N": "abc"}}, "The parameter cannot be converted to a numeric value: abc"),
        (
            {"x": {"N": "1E126"}},
            "Number overflow. Attempting to store a number with magnitude larger than"
            " supported range",
        ),
        (
            {"x": {"NULL": False}},
            "One or more parameter values were invalid: Null attribute value types must have"
            " the value of true",
        ),
        (
            {"x": {}},
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ),
        (
            {"x": {"S": "a", "N": "1"}},
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one"
            " of the supported datatypes",
        ),
    ]
    for extra, message in cases:
        assert error_of(ddb.put_item, TableName=table, Item={**key(), **extra}) == (
            "ValidationException",
            message,
        )


def test_items_over_400_kb_are_refused_and_just_under_accepted(ddb: Any, table: str) -> None:
    # name "big" (3 bytes) + the keys: pk "a" (2+1) and sk 1 (2+2) = 10 bytes besides the value.
    limit = 400 * 1024 - 3 - (2 + 1) - (2 + 2)
    ddb.put_item(TableName=table, Item={**key(), "big": {"S": "x" * limit}})
    assert error_of(
        ddb.put_item, TableName=table, Item={**key(), "big": {"S": "x" * (limit + 1)}}
    ) == (
        "ValidationException",
        "Item size has exceeded the maximum allowed size",
    )
    assert error_of(
        ddb.update_item,
        TableName=table,
        Key=key(),
        UpdateExpression="SET more = :v",
        ExpressionAttributeValues={":v": {"S": "yy"}},
    ) == ("ValidationException", "Item size to update has exceeded the maximum allowed size")


def test_binary_keys_order_and_round_trip(ddb: Any) -> None:
    name = create_table(ddb, hash_key=("h", "S"), range_key=("b", "B"))
    for raw in (b"\xff", b"\x00", b"\x01\x02", b"a"):
        ddb.put_item(TableName=name, Item={"h": {"S": "x"}, "b": {"B": raw}})
    found = ddb.query(
        TableName=name,
        KeyConditionExpression="h = :h",
        ExpressionAttributeValues={":h": {"S": "x"}},
    )["Items"]
    assert [item["b"]["B"] for item in found] == [b"\x00", b"\x01\x02", b"a", b"\xff"]
    raw_key = {"h": {"S": "x"}, "b": {"B": base64.b64decode(base64.b64encode(b"a"))}}
    assert ddb.get_item(TableName=name, Key=raw_key)["Item"]["b"] == {"B": b"a"}


def test_consumed_capacity_is_reported_when_asked(ddb: Any, table: str) -> None:
    answer = ddb.put_item(
        TableName=table, Item={**key(), "v": {"S": "x" * 3000}}, ReturnConsumedCapacity="TOTAL"
    )
    assert answer["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 3.0}
    read = ddb.get_item(TableName=table, Key=key(), ReturnConsumedCapacity="TOTAL")
    assert read["ConsumedCapacity"]["CapacityUnits"] == 0.5
