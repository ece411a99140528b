"""DynamoDB's answers to input that breaks its rules before any table is looked at: table
and index names, and the model's other constraints, as AWS words them."""

from __future__ import annotations

from typing import Any

import pytest
from dynamodb_support import KEYED_BY_PK, create_table, dynamodb_client, error_response, unique

PATTERN = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
AT_LEAST_3 = "Member must have length greater than or equal to 3"
LONG = "x" * 256


@pytest.fixture(scope="module")
def ddb(server: Any) -> Any:
    # botocore would stop some of these requests itself (an empty name, a short IndexName).
    return dynamodb_client(server, validate=False)


@pytest.fixture(scope="module")
def table(ddb: Any) -> str:
    return create_table(ddb)


def refused(call: Any, **kwargs: Any) -> tuple[str, str]:
    """(code, message) of a 400 answer."""
    response = error_response(call, **kwargs)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return response["Error"]["Code"], response["Error"]["Message"]


def invalid(member: str, value: str, *constraints: str) -> tuple[str, str]:
    count = len(constraints)
    noun = "error" if count == 1 else "errors"
    parts = "; ".join(
        f"Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
        for constraint in constraints
    )
    return "ValidationException", f"{count} validation {noun} detected: {parts}"


def all_table_names(ddb: Any) -> list[str]:
    return [
        name for page in ddb.get_paginator("list_tables").paginate() for name in page["TableNames"]
    ]


@pytest.mark.parametrize(
    ("name", "constraints"),
    [
        ("t", [AT_LEAST_3]),
        ("a b", [PATTERN]),
        (LONG, ["Member must have length less than or equal to 255"]),
        ("", [AT_LEAST_3, PATTERN]),
        ("t!", [AT_LEAST_3, PATTERN]),
    ],
)
def test_table_operations_hold_a_name_to_the_naming_rules(
    ddb: Any, name: str, constraints: list[str]
) -> None:
    expected = invalid("tableName", name, *constraints)
    create = refused(
        ddb.create_table,
        TableName=name,
        **KEYED_BY_PK,
    )
    assert create == expected
    assert name not in all_table_names(ddb)
    assert refused(ddb.describe_table, TableName=name) == expected
    assert refused(ddb.delete_table, TableName=name) == expected


def test_item_operations_hold_a_name_to_255_characters_of_the_pattern(ddb: Any) -> None:
    item = {"pk": {"S": "a"}}
    assert refused(ddb.put_item, TableName="a b", Item=item) == invalid("tableName", "a b", PATTERN)
    assert refused(ddb.get_item, TableName=LONG, Key=item) == invalid(
        "tableName", LONG, "Member must have length less than or equal to 255"
    )
    assert refused(ddb.query, TableName="", KeyConditionExpression="pk = :v") == invalid(
        "tableName", "", "Member must have length greater than or equal to 1"
    )
    # A name of one or two characters passes, and is not found.
    assert refused(ddb.put_item, TableName="t", Item=item) == (
        "ResourceNotFoundException",
        "Requested resource not found",
    )


def test_a_table_arn_is_not_held_to_the_naming_rules(ddb: Any, table: str) -> None:
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    ddb.put_item(TableName=arn, Item={"pk": {"S": "by-arn"}})
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "by-arn"}})["Item"]


def test_a_bad_name_in_a_batch_or_transaction_writes_nothing(ddb: Any, table: str) -> None:
    put = {"PutRequest": {"Item": {"pk": {"S": "batched"}}}}
    assert refused(ddb.batch_write_item, RequestItems={table: [put], "a b": [put]}) == invalid(
        "requestItems", "a b", PATTERN
    )
    code, message = refused(
        ddb.transact_write_items,
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "batched"}}}},
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "batched"}}}},
        ],
    )
    assert (code, message) == invalid("transactItems.2.member.put.tableName", "t", AT_LEAST_3)
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "batched"}})


def test_index_names_are_held_to_the_same_rules(ddb: Any, table: str) -> None:
    query = {"TableName": table, "KeyConditionExpression": "pk = :v"}
    query["ExpressionAttributeValues"] = {":v": {"S": "a"}}
    assert refused(ddb.query, IndexName="i", **query) == invalid("indexName", "i", AT_LEAST_3)
    assert refused(ddb.scan, TableName=table, IndexName="by x") == invalid(
        "indexName", "by x", PATTERN
    )
    name = unique("gsi")
    code, message = refused(
        ddb.create_table,
        TableName=name,
        **KEYED_BY_PK,
        GlobalSecondaryIndexes=[
            {
                "IndexName": "g!",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    assert (code, message) == invalid(
        "globalSecondaryIndexes.1.member.indexName", "g!", AT_LEAST_3, PATTERN
    )
    assert name not in all_table_names(ddb)


def test_numbers_out_of_range_are_quoted_as_dynamodb_quotes_them(ddb: Any, table: str) -> None:
    at_least_1 = "Member must have value greater than or equal to 1"
    assert refused(ddb.list_tables, Limit=0) == invalid("limit", "0", at_least_1)
    assert refused(ddb.scan, TableName=table, Segment=-1, TotalSegments=4) == invalid(
        "segment", "-1", "Member must have value greater than or equal to 0"
    )
    assert refused(ddb.scan, TableName=table, Segment=0, TotalSegments=1000001) == invalid(
        "totalSegments", "1000001", "Member must have value less than or equal to 1000000"
    )
    code, message = refused(
        ddb.update_table,
        TableName=table,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 1},
    )
    assert (code, message) == invalid("provisionedThroughput.readCapacityUnits", "0", at_least_1)
    described = ddb.describe_table(TableName=table)["Table"]
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_streams_quote_numbers_too(server: Any) -> None:
    streams = dynamodb_client(server, "dynamodbstreams", validate=False)
    assert refused(streams.list_streams, Limit=0) == invalid(
        "limit", "0", "Member must have value greater than or equal to 1"
    )


def test_enum_values_are_listed_in_dynamodb_s_order(ddb: Any, table: str) -> None:
    def one_of(member: str, value: str, values: str) -> tuple[str, str]:
        return invalid(member, value, f"Member must satisfy enum value set: [{values}]")

    name = unique("enums")
    code, message = refused(
        ddb.create_table,
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "X"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert (code, message) == one_of("attributeDefinitions.1.member.attributeType", "X", "B, N, S")
    assert name not in all_table_names(ddb)
    assert refused(
        ddb.update_table,
        TableName=table,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": ""},
    ) == one_of(
        "streamSpecification.streamViewType",
        "",
        "OLD_IMAGE, KEYS_ONLY, NEW_AND_OLD_IMAGES, NEW_IMAGE",
    )
    assert "StreamSpecification" not in ddb.describe_table(TableName=table)["Table"]
    assert refused(ddb.scan, TableName=table, Select="ALL") == one_of(
        "select", "ALL", "SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES"
    )
    item = {"pk": {"S": "rv"}}
    assert refused(ddb.put_item, TableName=table, Item=item, ReturnValues="BOGUS") == one_of(
        "returnValues", "BOGUS", "ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW"
    )
    assert "Item" not in ddb.get_item(TableName=table, Key=item)
    assert refused(ddb.scan, TableName=table, ConditionalOperator="XOR") == one_of(
        "conditionalOperator", "XOR", "OR, AND"
    )
    assert refused(
        ddb.create_table, **_definition(unique("billing"), BillingMode="FREE")
    ) == one_of("billingMode", "FREE", "PROVISIONED, PAY_PER_REQUEST")


def test_several_problems_are_one_message(ddb: Any) -> None:
    # AWS lists them in an order of its own (GlobalSecondaryIndexes before LocalSecondaryIndexes
    # whatever the request's order); cloudlet lists missing members first, then the request's.
    name = "t"
    assert refused(ddb.create_table, **_definition(name, BillingMode="FREE")) == (
        "ValidationException",
        "2 validation errors detected: Value 't' at 'tableName' failed to satisfy constraint: "
        f"{AT_LEAST_3}; Value 'FREE' at 'billingMode' failed to satisfy constraint: "
        "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]",
    )


def _definition(name: str, **more: Any) -> dict[str, Any]:
    return {
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        **more,
    }
