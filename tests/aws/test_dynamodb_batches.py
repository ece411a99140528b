"""BatchGetItem, BatchWriteItem, TransactWriteItems and TransactGetItems through boto3."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from dynamodb_support import create_table, dynamodb_client, error_of, error_response


@pytest.fixture
def ddb(server: Any) -> Any:
    return dynamodb_client(server)


@pytest.fixture
def table(ddb: Any) -> str:
    return create_table(ddb)


def item(pk: str, **more: Any) -> dict[str, Any]:
    return {"pk": {"S": pk}, **more}


def test_batch_write_puts_and_deletes_across_tables(ddb: Any, table: str) -> None:
    other = create_table(ddb)
    ddb.put_item(TableName=table, Item=item("old"))
    answer = ddb.batch_write_item(
        RequestItems={
            table: [{"PutRequest": {"Item": item(f"k{i}")}} for i in range(20)]
            + [{"DeleteRequest": {"Key": item("old")}}],
            other: [{"PutRequest": {"Item": item("x")}}],
        }
    )
    assert answer["UnprocessedItems"] == {}
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 20
    assert "Item" in ddb.get_item(TableName=other, Key=item("x"))


def test_batch_write_limits_and_duplicates(ddb: Any, table: str) -> None:
    too_many = [{"PutRequest": {"Item": item(f"k{i}")}} for i in range(26)]
    code, _ = error_of(ddb.batch_write_item, RequestItems={table: too_many})
    assert code == "ValidationException"
    twice = [{"PutRequest": {"Item": item("a")}}, {"DeleteRequest": {"Key": item("a")}}]
    assert error_of(ddb.batch_write_item, RequestItems={table: twice}) == (
        "ValidationException",
        "Provided list of item keys contains duplicates",
    )
    bad = [{"PutRequest": {"Item": item("good")}}, {"PutRequest": {"Item": {"nokey": {"S": "x"}}}}]
    assert error_of(ddb.batch_write_item, RequestItems={table: bad})[0] == "ValidationException"
    assert "Item" not in ddb.get_item(TableName=table, Key=item("good"))  # nothing written
    assert error_of(ddb.batch_write_item, RequestItems={"missing-table": too_many[:1]}) == (
        "ResourceNotFoundException",
        "Requested resource not found",
    )


def test_batch_get_returns_found_items_with_projection(ddb: Any, table: str) -> None:
    for i in range(5):
        ddb.put_item(TableName=table, Item=item(f"k{i}", v={"N": str(i)}, w={"S": "w"}))
    answer = ddb.batch_get_item(
        RequestItems={
            table: {
                "Keys": [item(f"k{i}") for i in range(7)],
                "ProjectionExpression": "pk, v",
            }
        }
    )
    found = sorted(answer["Responses"][table], key=lambda i: i["pk"]["S"])
    assert [i["v"]["N"] for i in found] == ["0", "1", "2", "3", "4"]
    assert all("w" not in i for i in found)
    assert answer["UnprocessedKeys"] == {}
    assert error_of(ddb.batch_get_item, RequestItems={table: {"Keys": [item("a"), item("a")]}}) == (
        "ValidationException",
        "Provided list of item keys contains duplicates",
    )
    code, _ = error_of(
        ddb.batch_get_item, RequestItems={table: {"Keys": [item(f"k{i}") for i in range(101)]}}
    )
    assert code == "ValidationException"


# An item of 399,006 bytes as DynamoDB counts them: "pk" + "kNN" + "v" + 399,000 letters.
BIG = "x" * 399_000


def big_item(i: int) -> dict[str, Any]:
    return item(f"k{i:02d}", v={"S": BIG})


def test_batch_get_answers_at_most_16_mb_and_returns_the_rest_unprocessed(
    ddb: Any, table: str
) -> None:
    for i in range(45):
        ddb.put_item(TableName=table, Item=big_item(i))
    keys = [item(f"k{i:02d}") for i in range(45)]
    answer = ddb.batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
    # 42 items are 16,758,252 bytes; a 43rd would pass 16 MB (16,777,216).
    found = answer["Responses"][table]
    assert len(found) == 42
    rest = answer["UnprocessedKeys"][table]
    assert rest == {"Keys": keys[42:], "ConsistentRead": True}
    again = ddb.batch_get_item(RequestItems={table: rest})
    assert again["UnprocessedKeys"] == {}
    names = {i["pk"]["S"] for i in found} | {i["pk"]["S"] for i in again["Responses"][table]}
    assert names == {f"k{i:02d}" for i in range(45)}


def test_transactions_over_4_mb_are_refused(ddb: Any, table: str) -> None:
    # 11 items of 399,006 bytes are 4,389,066 bytes, past 4 MB (4,194,304): nothing written.
    puts = [{"Put": {"TableName": table, "Item": big_item(i)}} for i in range(11)]
    assert error_of(ddb.transact_write_items, TransactItems=puts) == (
        "ValidationException",
        "Transaction item size has exceeded the 4 MB limit",
    )
    assert ddb.describe_table(TableName=table)["Table"]["ItemCount"] == 0
    ddb.transact_write_items(TransactItems=puts[:10])  # 3,990,060 bytes
    assert ddb.describe_table(TableName=table)["Table"]["ItemCount"] == 10


def test_transaction_applies_all_or_nothing(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item=item("account", balance={"N": "10"}))
    transfer = [
        {
            "Update": {
                "TableName": table,
                "Key": item("account"),
                "UpdateExpression": "SET balance = balance - :amount",
                "ConditionExpression": "balance >= :amount",
                "ExpressionAttributeValues": {":amount": {"N": "7"}},
            }
        },
        {"Put": {"TableName": table, "Item": item("receipt", amount={"N": "7"})}},
    ]
    ddb.transact_write_items(TransactItems=transfer)
    assert ddb.get_item(TableName=table, Key=item("account"))["Item"]["balance"] == {"N": "3"}
    ddb.delete_item(TableName=table, Key=item("receipt"))
    response = error_response(ddb.transact_write_items, TransactItems=transfer)
    assert response["Error"]["Code"] == "TransactionCanceledException"
    assert response["Error"]["Message"] == (
        "Transaction cancelled, please refer cancellation reasons for specific reasons"
        " [ConditionalCheckFailed, None]"
    )
    assert response["CancellationReasons"] == [
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
        {"Code": "None"},
    ]
    assert "Item" not in ddb.get_item(TableName=table, Key=item("receipt"))


def test_condition_check_reports_the_item_in_order(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item=item("locked", state={"S": "busy"}))
    response = error_response(
        ddb.transact_write_items,
        TransactItems=[
            {"Put": {"TableName": table, "Item": item("new")}},
            {
                "ConditionCheck": {
                    "TableName": table,
                    "Key": item("locked"),
                    "ConditionExpression": "#s = :free",
                    "ExpressionAttributeNames": {"#s": "state"},
                    "ExpressionAttributeValues": {":free": {"S": "free"}},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        ],
    )
    reasons = response["CancellationReasons"]
    assert reasons[0] == {"Code": "None"}
    assert reasons[1]["Code"] == "ConditionalCheckFailed"
    assert reasons[1]["Item"] == item("locked", state={"S": "busy"})


def test_transaction_refuses_two_actions_on_one_item(ddb: Any, table: str) -> None:
    assert error_of(
        ddb.transact_write_items,
        TransactItems=[
            {"Put": {"TableName": table, "Item": item("a")}},
            {"Delete": {"TableName": table, "Key": item("a")}},
        ],
    ) == (
        "ValidationException",
        "Transaction request cannot include multiple operations on one item",
    )


def test_client_request_token_makes_the_transaction_idempotent(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item=item("counter", n={"N": "0"}))
    increment = [
        {
            "Update": {
                "TableName": table,
                "Key": item("counter"),
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }
    ]
    token = str(uuid.uuid4())
    ddb.transact_write_items(TransactItems=increment, ClientRequestToken=token)
    ddb.transact_write_items(TransactItems=increment, ClientRequestToken=token)
    assert ddb.get_item(TableName=table, Key=item("counter"))["Item"]["n"] == {"N": "1"}
    other = [{"Put": {"TableName": table, "Item": item("other")}}]
    code, _ = error_of(ddb.transact_write_items, TransactItems=other, ClientRequestToken=token)
    assert code == "IdempotentParameterMismatchException"


def test_transact_get_reads_items_in_order(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item=item("a", v={"S": "1"}))
    ddb.put_item(TableName=table, Item=item("c", v={"S": "3"}))
    answer = ddb.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": table, "Key": item("c")}},
            {"Get": {"TableName": table, "Key": item("b")}},
            {"Get": {"TableName": table, "Key": item("a"), "ProjectionExpression": "v"}},
        ]
    )
    assert answer["Responses"] == [
        {"Item": item("c", v={"S": "3"})},
        {},
        {"Item": {"v": {"S": "1"}}},
    ]


def test_transactions_over_100_actions_are_refused(ddb: Any, table: str) -> None:
    actions = [{"Put": {"TableName": table, "Item": item(f"k{i}")}} for i in range(101)]
    code, message = error_of(ddb.transact_write_items, TransactItems=actions)
    assert code == "ValidationException"
    assert "Member must have length less than or equal to 100" in message
