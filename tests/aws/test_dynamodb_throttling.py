"""Provisioned capacity enforced (CLOUDLET_DYNAMODB_THROTTLING=1): requests past a
PROVISIONED table's read or write capacity get ProvisionedThroughputExceededException,
batches hand back the throttled tables' requests, on-demand tables are never throttled.

Each test spends a capacity of one unit a second with a single large request (a 3 KB item
is three write units, or a read unit when read consistently), so the request right after
it is refused however slow the machine."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from dynamodb_support import create_table, dynamodb_client, error_of, unique

from server import Server

EXCEEDED = (
    "ProvisionedThroughputExceededException",
    "The level of configured provisioned throughput for the table was exceeded. Consider"
    " increasing your provisioning level with the UpdateTable API.",
)
BIG = {"S": "x" * 3000}  # with its key, just under 3 KB: three write units


@pytest.fixture(scope="module")
def throttled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = Server(
        tmp_path_factory.mktemp("throttled"), env={"CLOUDLET_DYNAMODB_THROTTLING": "1"}
    ).start()
    yield instance
    instance.stop()


def provisioned_table(ddb: Any, reads: int = 1, writes: int = 1) -> str:
    name = unique("provisioned")
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": reads, "WriteCapacityUnits": writes},
    )
    return name


def eventually(attempt: Any, seconds: float = 20) -> Any:
    """`attempt()` once the table's capacity has refilled enough to let it through."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return attempt()
        except Exception as error:
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            if code != EXCEEDED[0] or time.monotonic() > deadline:
                raise
        time.sleep(0.25)


def test_writes_past_the_write_capacity_wait_for_it_to_refill(throttled: Server) -> None:
    ddb = dynamodb_client(throttled)
    name = provisioned_table(ddb, reads=100, writes=1)
    answer = ddb.put_item(
        TableName=name, Item={"pk": {"S": "big"}, "v": BIG}, ReturnConsumedCapacity="TOTAL"
    )
    assert answer["ConsumedCapacity"]["CapacityUnits"] == 3.0
    assert error_of(ddb.put_item, TableName=name, Item={"pk": {"S": "next"}}) == EXCEEDED
    assert error_of(ddb.delete_item, TableName=name, Key={"pk": {"S": "big"}}) == EXCEEDED
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "next"}})
    eventually(lambda: ddb.put_item(TableName=name, Item={"pk": {"S": "next"}}))
    assert "Item" in ddb.get_item(TableName=name, Key={"pk": {"S": "next"}})


def test_reads_past_the_read_capacity_are_refused(throttled: Server) -> None:
    ddb = dynamodb_client(throttled)
    name = provisioned_table(ddb, reads=1, writes=100)
    for key in ("a", "b", "c"):
        ddb.put_item(TableName=name, Item={"pk": {"S": key}, "v": {"S": "x" * 3990}})
    # Three items of 4 KB read consistently: three read units, two more than a second's.
    scanned = ddb.scan(TableName=name, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert (scanned["Count"], scanned["ConsumedCapacity"]["CapacityUnits"]) == (3, 3.0)
    assert error_of(ddb.get_item, TableName=name, Key={"pk": {"S": "a"}}) == EXCEEDED
    assert (
        error_of(
            ddb.query,
            TableName=name,
            KeyConditionExpression="pk = :a",
            ExpressionAttributeValues={":a": {"S": "a"}},
        )
        == EXCEEDED
    )
    assert (
        error_of(
            ddb.transact_get_items,
            TransactItems=[{"Get": {"TableName": name, "Key": {"pk": {"S": "a"}}}}],
        )
        == EXCEEDED
    )
    item = eventually(lambda: ddb.get_item(TableName=name, Key={"pk": {"S": "a"}}))
    assert item["Item"]["pk"] == {"S": "a"}


def test_batches_hand_back_the_throttled_tables_requests(throttled: Server) -> None:
    ddb = dynamodb_client(throttled)
    writes_spent = provisioned_table(ddb, reads=100, writes=1)
    open_ended = create_table(ddb)
    ddb.put_item(TableName=writes_spent, Item={"pk": {"S": "big"}, "v": BIG})
    held = [{"PutRequest": {"Item": {"pk": {"S": "held"}}}}]
    answer = ddb.batch_write_item(
        RequestItems={
            writes_spent: held,
            open_ended: [{"PutRequest": {"Item": {"pk": {"S": "in"}}}}],
        }
    )
    assert answer["UnprocessedItems"] == {writes_spent: held}
    assert error_of(ddb.batch_write_item, RequestItems={writes_spent: held}) == EXCEEDED
    put = {"Put": {"TableName": writes_spent, "Item": {"pk": {"S": "held"}}}}
    assert error_of(ddb.transact_write_items, TransactItems=[put]) == EXCEEDED
    assert "Item" in ddb.get_item(TableName=open_ended, Key={"pk": {"S": "in"}})
    assert "Item" not in ddb.get_item(TableName=writes_spent, Key={"pk": {"S": "held"}})

    reads_spent = provisioned_table(ddb, reads=1, writes=100)
    for key in ("a", "b", "c"):
        ddb.put_item(TableName=reads_spent, Item={"pk": {"S": key}, "v": {"S": "x" * 3990}})
    assert ddb.scan(TableName=reads_spent, ConsistentRead=True)["Count"] == 3  # 3 read units
    keys = {"Keys": [{"pk": {"S": "a"}}]}
    answer = ddb.batch_get_item(
        RequestItems={reads_spent: keys, open_ended: {"Keys": [{"pk": {"S": "in"}}]}}
    )
    assert answer["UnprocessedKeys"] == {reads_spent: keys}
    assert answer["Responses"] == {open_ended: [{"pk": {"S": "in"}}]}
    assert error_of(ddb.batch_get_item, RequestItems={reads_spent: keys}) == EXCEEDED


def test_on_demand_tables_are_never_throttled(throttled: Server) -> None:
    ddb = dynamodb_client(throttled)
    name = create_table(ddb)
    for i in range(20):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}, "v": BIG})
    assert ddb.scan(TableName=name, ConsistentRead=True)["Count"] == 20


def test_provisioned_tables_are_not_throttled_unless_configured(server: Server) -> None:
    ddb = dynamodb_client(server)
    name = provisioned_table(ddb, reads=1, writes=1)
    for i in range(10):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}, "v": BIG})
    assert ddb.scan(TableName=name, ConsistentRead=True)["Count"] == 10
