"""Expression errors through boto3: each expression kind's syntax errors, undefined and
unused names and values, reserved words; and nothing is written when a request is refused."""

from __future__ import annotations

from typing import Any

import pytest
from dynamodb_support import create_table, dynamodb_client, error_of


@pytest.fixture(scope="module")
def ddb(server: Any) -> Any:
    return dynamodb_client(server)


@pytest.fixture(scope="module")
def table(ddb: Any) -> str:
    name = create_table(ddb, range_key=("sk", "S"))
    ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": "s"}, "v": {"N": "1"}})
    return name


KEY = {"pk": {"S": "p"}, "sk": {"S": "s"}}


@pytest.mark.parametrize(
    ("operation", "params", "message"),
    [
        (
            "put_item",
            {"Item": KEY, "ConditionExpression": "attribute_exists(pk) AND"},
            'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND"',
        ),
        (
            "update_item",
            {
                "Key": KEY,
                "UpdateExpression": "SET v = :v,",
                "ExpressionAttributeValues": {":v": {"N": "2"}},
            },
            'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","',
        ),
        (
            "get_item",
            {"Key": KEY, "ProjectionExpression": "v,, pk"},
            'Invalid ProjectionExpression: Syntax error; token: ",", near: ",, pk"',
        ),
        (
            "scan",
            {"FilterExpression": "v = = :v", "ExpressionAttributeValues": {":v": {"N": "1"}}},
            'Invalid FilterExpression: Syntax error; token: "=", near: "= = :v"',
        ),
        (
            "query",
            {"KeyConditionExpression": "pk == :p", "ExpressionAttributeValues": {":p": {"S": "p"}}},
            'Invalid KeyConditionExpression: Syntax error; token: "=", near: "== :p"',
        ),
    ],
)
def test_syntax_errors_in_every_expression_kind(
    ddb: Any, table: str, operation: str, params: dict[str, Any], message: str
) -> None:
    assert error_of(getattr(ddb, operation), TableName=table, **params) == (
        "ValidationException",
        message,
    )


def test_undefined_values_are_refused_and_nothing_is_written(ddb: Any, table: str) -> None:
    assert error_of(
        ddb.update_item, TableName=table, Key=KEY, UpdateExpression="SET v = :missing"
    ) == (
        "ValidationException",
        "Invalid UpdateExpression: An expression attribute value used in expression is not"
        " defined; attribute value: :missing",
    )
    assert error_of(
        ddb.put_item,
        TableName=table,
        Item={**KEY, "v": {"N": "9"}},
        ConditionExpression="v = :one OR v = :two",
        ExpressionAttributeValues={":one": {"N": "1"}},
    ) == (
        "ValidationException",
        "Invalid ConditionExpression: An expression attribute value used in expression is not"
        " defined; attribute value: :two",
    )
    assert ddb.get_item(TableName=table, Key=KEY)["Item"]["v"] == {"N": "1"}


def test_undefined_and_unused_names_and_values(ddb: Any, table: str) -> None:
    assert error_of(
        ddb.update_item,
        TableName=table,
        Key=KEY,
        UpdateExpression="SET #v = :v",
        ExpressionAttributeValues={":v": {"N": "2"}},
    ) == (
        "ValidationException",
        "Invalid UpdateExpression: An expression attribute name used in the document path is"
        " not defined; attribute name: #v",
    )
    assert error_of(
        ddb.delete_item,
        TableName=table,
        Key=KEY,
        ConditionExpression="v = :v",
        ExpressionAttributeValues={":v": {"N": "1"}, ":extra": {"N": "2"}},
    ) == (
        "ValidationException",
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:extra}",
    )
    assert error_of(
        ddb.get_item,
        TableName=table,
        Key=KEY,
        ProjectionExpression="v",
        ExpressionAttributeNames={"#unused": "x"},
    ) == (
        "ValidationException",
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}",
    )
    assert error_of(
        ddb.put_item, TableName=table, Item=KEY, ExpressionAttributeValues={":v": {"N": "1"}}
    ) == (
        "ValidationException",
        "ExpressionAttributeValues can only be specified when using expressions",
    )
    assert error_of(
        ddb.update_item,
        TableName=table,
        Key=KEY,
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"SS": []}},
    ) == (
        "ValidationException",
        "ExpressionAttributeValues contains invalid value: One or more parameter values were"
        " invalid: An string set  may not be empty for key :v",
    )


def test_reserved_words_and_refused_requests_write_nothing(ddb: Any, table: str) -> None:
    assert error_of(
        ddb.update_item,
        TableName=table,
        Key=KEY,
        UpdateExpression="SET v = :v, comment = :v",
        ExpressionAttributeValues={":v": {"N": "9"}},
    ) == (
        "ValidationException",
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: comment",
    )
    assert ddb.get_item(TableName=table, Key=KEY)["Item"]["v"] == {"N": "1"}
