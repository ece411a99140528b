"""The legacy conditional parameters (KeyConditions, QueryFilter, ScanFilter, Expected,
AttributeUpdates), as older SDK layers still send them."""

from __future__ import annotations

from typing import Any

import pytest
from dynamodb_support import create_table, dynamodb_client, error_of


@pytest.fixture
def ddb(server: Any) -> Any:
    return dynamodb_client(server)


@pytest.fixture
def table(ddb: Any) -> str:
    name = create_table(ddb, range_key=("sk", "N"))
    for i in range(6):
        ddb.put_item(
            TableName=name,
            Item={
                "pk": {"S": "p"},
                "sk": {"N": str(i)},
                "color": {"S": "red" if i % 2 else "blue"},
            },
        )
    return name


def test_key_conditions_and_query_filter(ddb: Any, table: str) -> None:
    found = ddb.query(
        TableName=table,
        KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
            "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "4"}]},
        },
        QueryFilter={"color": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "red"}]}},
    )
    assert [item["sk"]["N"] for item in found["Items"]] == ["1", "3"]
    assert found["ScannedCount"] == 4


def test_scan_filter_with_or(ddb: Any, table: str) -> None:
    found = ddb.scan(
        TableName=table,
        ScanFilter={
            "sk": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "0"}, {"N": "5"}]},
            "color": {"ComparisonOperator": "NULL"},
        },
        ConditionalOperator="OR",
    )
    assert sorted(item["sk"]["N"] for item in found["Items"]) == ["0", "5"]


def test_expected_and_attribute_updates(ddb: Any, table: str) -> None:
    key = {"pk": {"S": "p"}, "sk": {"N": "0"}}
    ddb.update_item(
        TableName=table,
        Key=key,
        AttributeUpdates={
            "color": {"Action": "DELETE"},
            "count": {"Action": "ADD", "Value": {"N": "2"}},
            "name": {"Value": {"S": "zero"}},
        },
        Expected={"color": {"Value": {"S": "blue"}}},
    )
    assert ddb.get_item(TableName=table, Key=key)["Item"] == {
        **key,
        "count": {"N": "2"},
        "name": {"S": "zero"},
    }
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.put_item(TableName=table, Item=key, Expected={"pk": {"Exists": False}})
    assert error_of(
        ddb.put_item,
        TableName=table,
        Item=key,
        Expected={"pk": {"Exists": False}},
        ConditionExpression="attribute_not_exists(pk)",
    ) == (
        "ValidationException",
        "Can not use both expression and non-expression parameters in the same request:"
        " Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}",
    )
