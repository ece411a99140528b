"""DynamoDB tables through boto3: create, describe, waiters, update, delete, list, tags."""

from __future__ import annotations

from typing import Any

import pytest
from dynamodb_support import KEYED_BY_PK, create_table, dynamodb_client, error_of, unique


@pytest.fixture
def ddb(server: Any) -> Any:
    return dynamodb_client(server)


def test_create_table_answers_creating_and_waiters_see_it_active(ddb: Any) -> None:
    name = unique("w")
    answer = ddb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7},
    )["TableDescription"]
    assert answer["TableStatus"] == "CREATING"
    assert answer["TableArn"] == f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 7
    assert table["KeySchema"][1] == {"AttributeName": "sk", "KeyType": "RANGE"}
    assert table["ItemCount"] == 0
    assert "BillingModeSummary" not in table
    ddb.delete_table(TableName=name)
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1})


def test_a_table_created_by_its_arn_is_named_by_the_arn_s_last_part(ddb: Any) -> None:
    name = unique("arn")
    arn = f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"
    answer = ddb.create_table(
        TableName=arn,
        **KEYED_BY_PK,
    )["TableDescription"]
    assert (answer["TableName"], answer["TableArn"]) == (name, arn)
    assert ddb.describe_table(TableName=name)["Table"]["TableArn"] == arn
    assert name in ddb.list_tables()["TableNames"]
    assert arn not in ddb.list_tables()["TableNames"]
    ddb.delete_table(TableName=arn)


def test_existing_and_missing_tables_get_aws_errors(ddb: Any) -> None:
    name = create_table(ddb)
    code, message = error_of(
        ddb.create_table,
        TableName=name,
        **KEYED_BY_PK,
    )
    assert (code, message) == ("ResourceInUseException", f"Table already exists: {name}")
    assert error_of(ddb.describe_table, TableName="nope-nope") == (
        "ResourceNotFoundException",
        "Requested resource not found: Table: nope-nope not found",
    )
    assert error_of(ddb.get_item, TableName="nope-nope", Key={"pk": {"S": "a"}}) == (
        "ResourceNotFoundException",
        "Requested resource not found",
    )
    assert error_of(ddb.delete_table, TableName="nope-nope")[0] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("definitions", "schema", "extra", "message"),
    [
        (
            [("pk", "S")],
            [("pk", "RANGE")],
            {},
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ),
        (
            [("pk", "S")],
            [("pk", "HASH"), ("pk", "RANGE")],
            {},
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ),
        (
            [("pk", "S")],
            [("id", "HASH")],
            {},
            "One or more parameter values were invalid: Some index key attributes are not"
            " defined in AttributeDefinitions. Keys: [id], AttributeDefinitions: [pk]",
        ),
        (
            [("pk", "S"), ("extra", "S")],
            [("pk", "HASH")],
            {},
            "One or more parameter values were invalid: Number of attributes in KeySchema does"
            " not exactly match number of attributes defined in AttributeDefinitions",
        ),
        (
            [("pk", "S")],
            [("pk", "HASH")],
            {"BillingMode": "PROVISIONED"},
            "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits"
            " must both be specified when BillingMode is PROVISIONED",
        ),
        (
            [("pk", "S"), ("l", "S")],
            [("pk", "HASH")],
            {
                "LocalSecondaryIndexes": [
                    {
                        "IndexName": "lsi",
                        "KeySchema": [
                            {"AttributeName": "pk", "KeyType": "HASH"},
                            {"AttributeName": "l", "KeyType": "RANGE"},
                        ],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ]
            },
            "One or more parameter values were invalid: Table KeySchema does not have a range"
            " key, which is required when specifying a LocalSecondaryIndex",
        ),
    ],
)
def test_bad_table_definitions_get_validation_errors(
    ddb: Any, definitions: Any, schema: Any, extra: dict[str, Any], message: str
) -> None:
    params = {
        "TableName": unique("bad"),
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in definitions],
        "KeySchema": [{"AttributeName": n, "KeyType": k} for n, k in schema],
        "BillingMode": "PAY_PER_REQUEST",
        **extra,
    }
    assert error_of(ddb.create_table, **params) == ("ValidationException", message)


def test_list_tables_pages_by_name(ddb: Any) -> None:
    names = sorted(create_table(ddb, prefix="list") for _ in range(3))
    seen: list[str] = []
    for page in ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2}):
        seen.extend(page["TableNames"])
    assert [name for name in seen if name in names] == names
    assert seen == sorted(seen)


def test_gsi_added_with_update_table_is_backfilled_and_removed(ddb: Any) -> None:
    name = create_table(ddb)
    for i in range(5):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"p{i}"}, "g": {"S": "same"}})
    answer = ddb.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "by-g",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            }
        ],
    )["TableDescription"]
    assert answer["GlobalSecondaryIndexes"][0]["IndexStatus"] == "CREATING"
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    found = ddb.query(
        TableName=name,
        IndexName="by-g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "same"}},
    )
    assert found["Count"] == 5
    assert sorted(item["pk"]["S"] for item in found["Items"]) == [f"p{i}" for i in range(5)]
    ddb.update_table(
        TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}]
    )
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=name)["Table"]
    code, message = error_of(
        ddb.query,
        TableName=name,
        IndexName="by-g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "same"}},
    )
    assert (code, message) == (
        "ValidationException",
        "The table does not have the specified index: by-g",
    )


def test_gsi_backfill_leaves_out_index_key_violations(ddb: Any) -> None:
    # Items whose index key has the wrong type or is empty do not stop the index: AWS
    # creates it and leaves them out of it; new writes of such items are refused.
    name = create_table(ddb)
    ddb.put_item(TableName=name, Item={"pk": {"S": "good"}, "g": {"S": "x"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "number"}, "g": {"N": "1"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "empty"}, "g": {"S": ""}})
    ddb.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "by-g",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )
    index = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]
    assert (index["IndexStatus"], index["ItemCount"]) == ("ACTIVE", 1)
    assert ddb.scan(TableName=name, IndexName="by-g")["Items"] == [
        {"pk": {"S": "good"}, "g": {"S": "x"}}
    ]
    assert ddb.scan(TableName=name)["Count"] == 3
    # A new write with the same violation is refused, with AWS's message.
    assert error_of(ddb.put_item, TableName=name, Item={"pk": {"S": "new"}, "g": {"N": "2"}}) == (
        "ValidationException",
        "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S"
        " Actual: N IndexName: by-g",
    )
    # The items left out can still be deleted, or fixed, which puts them in the index.
    ddb.delete_item(TableName=name, Key={"pk": {"S": "empty"}})
    ddb.update_item(
        TableName=name,
        Key={"pk": {"S": "number"}},
        UpdateExpression="SET g = :g",
        ExpressionAttributeValues={":g": {"S": "x"}},
    )
    found = ddb.query(
        TableName=name,
        IndexName="by-g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "x"}},
    )
    assert sorted(item["pk"]["S"] for item in found["Items"]) == ["good", "number"]


def test_billing_mode_switches_and_is_described(ddb: Any) -> None:
    name = create_table(ddb)
    assert ddb.describe_table(TableName=name)["Table"]["BillingModeSummary"] == {
        "BillingMode": "PAY_PER_REQUEST"
    }
    ddb.update_table(
        TableName=name,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
    )
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 3


def test_deletion_protection_refuses_delete(ddb: Any) -> None:
    name = create_table(ddb, DeletionProtectionEnabled=True)
    assert error_of(ddb.delete_table, TableName=name) == (
        "ValidationException",
        "Resource cannot be deleted as it is currently protected against deletion. Disable"
        " deletion protection first.",
    )
    ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
    assert ddb.delete_table(TableName=name)["TableDescription"]["TableStatus"] == "DELETING"


def test_tags_are_added_listed_and_removed(ddb: Any) -> None:
    name = create_table(ddb, Tags=[{"Key": "team", "Value": "a"}])
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    tags = ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "dev"), ("team", "a")]
    ddb.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    missing = arn + "x"
    assert error_of(ddb.list_tags_of_resource, ResourceArn=missing) == (
        "ResourceNotFoundException",
        f"Requested resource not found: ResourcArn: {missing} not found",
    )


def test_describe_limits(ddb: Any) -> None:
    limits = ddb.describe_limits()
    assert limits["TableMaxWriteCapacityUnits"] == 40000
    assert limits["AccountMaxReadCapacityUnits"] == 80000


def test_tables_survive_a_restart(tmp_path: Any) -> None:
    from server import Server

    server = Server(tmp_path).start()
    try:
        ddb = dynamodb_client(server)
        name = create_table(ddb, range_key=("sk", "N"))
        ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "x"}})
        server.restart()
        ddb = dynamodb_client(server)
        assert ddb.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "1"}})["Item"][
            "v"
        ] == {"S": "x"}
    finally:
        server.stop()
