"""Query and Scan through boto3: key conditions, order, filters, pages, indexes, segments."""

from __future__ import annotations

from typing import Any

import pytest
from dynamodb_support import create_table, dynamodb_client, error_of


@pytest.fixture(scope="module")
def ddb(server: Any) -> Any:
    return dynamodb_client(server)


@pytest.fixture(scope="module")
def numbers(ddb: Any) -> str:
    """A table of partition "p" with sort keys -5..14 (N), and a second partition "q"."""
    name = create_table(ddb, range_key=("sk", "N"))
    for i in range(-5, 15):
        ddb.put_item(
            TableName=name,
            Item={
                "pk": {"S": "p"},
                "sk": {"N": str(i)},
                "odd": {"BOOL": i % 2 == 1},
                "pad": {"S": "x" * 10},
            },
        )
    ddb.put_item(TableName=name, Item={"pk": {"S": "q"}, "sk": {"N": "0"}})
    return name


def sort_keys(answer: dict[str, Any]) -> list[int]:
    return [int(item["sk"]["N"]) for item in answer["Items"]]


def query(ddb: Any, table: str, condition: str, **values: Any) -> dict[str, Any]:
    return ddb.query(
        TableName=table,
        KeyConditionExpression=condition,
        ExpressionAttributeValues={":p": {"S": "p"}, **values},
    )


@pytest.mark.parametrize(
    ("condition", "values", "expected"),
    [
        ("pk = :p AND sk = :a", {":a": {"N": "3"}}, [3]),
        ("pk = :p AND sk < :a", {":a": {"N": "-3"}}, [-5, -4]),
        ("pk = :p AND sk <= :a", {":a": {"N": "-3"}}, [-5, -4, -3]),
        ("pk = :p AND sk > :a", {":a": {"N": "12"}}, [13, 14]),
        ("pk = :p AND sk >= :a", {":a": {"N": "12.5"}}, [13, 14]),
        ("pk = :p AND sk BETWEEN :a AND :b", {":a": {"N": "-1"}, ":b": {"N": "1"}}, [-1, 0, 1]),
        (":a <= sk AND pk = :p", {":a": {"N": "13"}}, [13, 14]),
    ],
)
def test_key_conditions_select_numeric_ranges(
    ddb: Any, numbers: str, condition: str, values: dict[str, Any], expected: list[int]
) -> None:
    assert sort_keys(query(ddb, numbers, condition, **values)) == expected


def test_results_come_in_sort_key_order_both_ways(ddb: Any, numbers: str) -> None:
    forward = sort_keys(query(ddb, numbers, "pk = :p"))
    assert forward == list(range(-5, 15))
    backward = ddb.query(
        TableName=numbers,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
        ScanIndexForward=False,
    )
    assert sort_keys(backward) == list(range(14, -6, -1))


def test_begins_with_on_string_sort_keys(ddb: Any) -> None:
    name = create_table(ddb, range_key=("sk", "S"))
    for sk in ("a", "ab", "abc", "abd", "b", "a\xff", "ac"):
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": sk}})
    found = query(ddb, name, "pk = :p AND begins_with(sk, :ab)", **{":ab": {"S": "ab"}})
    assert [item["sk"]["S"] for item in found["Items"]] == ["ab", "abc", "abd"]


def test_limit_and_exclusive_start_key_page_through(ddb: Any, numbers: str) -> None:
    seen: list[int] = []
    start = None
    pages = 0
    while True:
        params = {
            "TableName": numbers,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "p"}},
            "Limit": 6,
        }
        if start:
            params["ExclusiveStartKey"] = start
        answer = ddb.query(**params)
        seen.extend(sort_keys(answer))
        pages += 1
        start = answer.get("LastEvaluatedKey")
        if not start:
            break
    assert seen == list(range(-5, 15))
    assert pages == 4  # 6 + 6 + 6 + 2


def test_filter_counts_and_scanned_count(ddb: Any, numbers: str) -> None:
    answer = ddb.query(
        TableName=numbers,
        KeyConditionExpression="pk = :p",
        FilterExpression="odd = :t",
        ExpressionAttributeValues={":p": {"S": "p"}, ":t": {"BOOL": True}},
        Limit=10,
    )
    assert answer["ScannedCount"] == 10
    assert sort_keys(answer) == [-5, -3, -1, 1, 3]
    assert answer["Count"] == 5
    counted = ddb.query(
        TableName=numbers,
        KeyConditionExpression="pk = :p",
        Select="COUNT",
        ExpressionAttributeValues={":p": {"S": "p"}},
    )
    assert counted["Count"] == 20 and "Items" not in counted


def test_query_pages_stop_at_one_megabyte(ddb: Any) -> None:
    name = create_table(ddb, range_key=("sk", "N"))
    for i in range(30):
        ddb.put_item(
            TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "v": {"S": "x" * 100_000}}
        )
    first = query(ddb, name, "pk = :p")
    assert 9 <= first["Count"] <= 11
    assert "LastEvaluatedKey" in first


def test_query_refusals(ddb: Any, numbers: str) -> None:
    base = {"TableName": numbers}
    assert error_of(ddb.query, **base) == (
        "ValidationException",
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the"
        " request.",
    )
    assert error_of(
        ddb.query,
        **base,
        KeyConditionExpression="sk = :a",
        ExpressionAttributeValues={":a": {"N": "1"}},
    ) == ("ValidationException", "Query condition missed key schema element: pk")
    assert error_of(
        ddb.query,
        **base,
        KeyConditionExpression="pk > :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
    ) == ("ValidationException", "Query key condition not supported")
    assert error_of(
        ddb.query,
        **base,
        KeyConditionExpression="pk = :p OR sk = :a",
        ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "1"}},
    ) == ("ValidationException", "Invalid operator used in KeyConditionExpression: OR")
    assert error_of(
        ddb.query,
        **base,
        KeyConditionExpression="pk = :p AND sk = :a",
        ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"S": "1"}},
    ) == (
        "ValidationException",
        "One or more parameter values were invalid: Condition parameter type does not match"
        " schema type",
    )
    assert error_of(
        ddb.query,
        **base,
        KeyConditionExpression="pk = :p",
        FilterExpression="sk = :a",
        ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "1"}},
    ) == (
        "ValidationException",
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
    )
    assert error_of(
        ddb.query,
        **base,
        KeyConditionExpression="pk = :p AND sk = :a AND sk = :a",
        ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "1"}},
    ) == ("ValidationException", "KeyConditionExpressions must only contain one condition per key")
    _, message = error_of(
        ddb.query,
        **base,
        KeyConditionExpression="pk = :p AND",
        ExpressionAttributeValues={":p": {"S": "p"}},
    )
    assert message == 'Invalid KeyConditionExpression: Syntax error; token: "<EOF>", near: "AND"'


def indexed_table(ddb: Any) -> str:
    name = create_table(
        ddb,
        range_key=("sk", "S"),
        extra_attributes={"g": "S", "gs": "N", "l": "N"},
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "gs", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["inc"]},
            }
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "lsi",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "l", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    for i in range(6):
        item = {
            "pk": {"S": "p"},
            "sk": {"S": f"s{i}"},
            "l": {"N": str(10 - i)},
            "inc": {"S": f"inc{i}"},
            "other": {"S": "o"},
        }
        if i % 2 == 0:  # sparse: only even items are in the GSI
            item.update(g={"S": "G"}, gs={"N": str(i)})
        ddb.put_item(TableName=name, Item=item)
    return name


def test_gsi_queries_are_sparse_and_projected(ddb: Any) -> None:
    name = indexed_table(ddb)
    found = ddb.query(
        TableName=name,
        IndexName="gsi",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "G"}},
        ScanIndexForward=False,
    )
    assert [item["sk"]["S"] for item in found["Items"]] == ["s4", "s2", "s0"]
    assert set(found["Items"][0]) == {"pk", "sk", "g", "gs", "inc"}
    page = ddb.query(
        TableName=name,
        IndexName="gsi",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "G"}},
        Limit=1,
    )
    assert set(page["LastEvaluatedKey"]) == {"pk", "sk", "g", "gs"}
    rest = ddb.query(
        TableName=name,
        IndexName="gsi",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "G"}},
        ExclusiveStartKey=page["LastEvaluatedKey"],
    )
    assert [item["sk"]["S"] for item in rest["Items"]] == ["s2", "s4"]
    assert error_of(
        ddb.query,
        TableName=name,
        IndexName="gsi",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "G"}},
        ConsistentRead=True,
    ) == ("ValidationException", "Consistent reads are not supported on global secondary indexes")


def test_empty_secondary_index_keys_are_refused(ddb: Any) -> None:
    name = create_table(
        ddb,
        extra_attributes={"g": "S", "b": "B"},
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
            for index, attribute in (("by-g", "g"), ("by-b", "b"))
        ],
    )
    prefix = (
        "One or more parameter values are not valid. A value specified for a secondary index"
        " key is not supported. The AttributeValue for a key attribute cannot contain an empty"
    )
    assert error_of(ddb.put_item, TableName=name, Item={"pk": {"S": "a"}, "g": {"S": ""}}) == (
        "ValidationException",
        f"{prefix} string value. IndexName: by-g, IndexKey: g",
    )
    assert error_of(ddb.put_item, TableName=name, Item={"pk": {"S": "a"}, "b": {"B": b""}}) == (
        "ValidationException",
        f"{prefix} binary value. IndexName: by-b, IndexKey: b",
    )
    assert ddb.scan(TableName=name)["Count"] == 0
    # Outside the index keys, empty strings and binaries are ordinary values.
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "other": {"S": ""}, "g": {"S": "x"}})
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"]["other"] == {"S": ""}


def test_lsi_queries_order_by_the_index_key_and_fetch_all_attributes(ddb: Any) -> None:
    name = indexed_table(ddb)
    found = ddb.query(
        TableName=name,
        IndexName="lsi",
        KeyConditionExpression="pk = :p AND l < :l",
        ExpressionAttributeValues={":p": {"S": "p"}, ":l": {"N": "8"}},
    )
    assert [item["l"]["N"] for item in found["Items"]] == ["5", "6", "7"]
    assert set(found["Items"][0]) == {"pk", "sk", "l"}
    full = ddb.query(
        TableName=name,
        IndexName="lsi",
        KeyConditionExpression="pk = :p AND l < :l",
        ExpressionAttributeValues={":p": {"S": "p"}, ":l": {"N": "6"}},
        Select="ALL_ATTRIBUTES",
    )
    assert full["Items"][0]["other"] == {"S": "o"}


def test_scan_filters_pages_and_segments(ddb: Any, numbers: str) -> None:
    everything = []
    for page in ddb.get_paginator("scan").paginate(
        TableName=numbers, PaginationConfig={"PageSize": 7}
    ):
        everything.extend(page["Items"])
    assert len(everything) == 21
    filtered = ddb.scan(
        TableName=numbers,
        FilterExpression="attribute_exists(odd) AND odd = :f",
        ExpressionAttributeValues={":f": {"BOOL": False}},
    )
    assert filtered["Count"] == 10 and filtered["ScannedCount"] == 21
    segments = [ddb.scan(TableName=numbers, Segment=i, TotalSegments=3)["Items"] for i in range(3)]
    keys = sorted((item["pk"]["S"], int(item["sk"]["N"])) for part in segments for item in part)
    assert len(keys) == 21 and len(set(keys)) == 21
    assert error_of(ddb.scan, TableName=numbers, Segment=3, TotalSegments=3) == (
        "ValidationException",
        "The Segment parameter is zero-based and must be less than parameter TotalSegments:"
        " Segment: 3 is not less than TotalSegments: 3",
    )


def test_index_entries_follow_updates_and_deletes(ddb: Any) -> None:
    name = indexed_table(ddb)

    def in_gsi() -> list[str]:
        found = ddb.query(
            TableName=name,
            IndexName="gsi",
            KeyConditionExpression="g = :g",
            ExpressionAttributeValues={":g": {"S": "G"}},
        )
        return [item["sk"]["S"] for item in found["Items"]]

    key = {"pk": {"S": "p"}, "sk": {"S": "s1"}}
    ddb.update_item(
        TableName=name,
        Key=key,
        UpdateExpression="SET g = :g, gs = :n",
        ExpressionAttributeValues={":g": {"S": "G"}, ":n": {"N": "-1"}},
    )
    assert in_gsi() == ["s1", "s0", "s2", "s4"]
    ddb.update_item(TableName=name, Key=key, UpdateExpression="REMOVE g")
    ddb.delete_item(TableName=name, Key={"pk": {"S": "p"}, "sk": {"S": "s2"}})
    assert in_gsi() == ["s0", "s4"]
    code, message = error_of(
        ddb.put_item,
        TableName=name,
        Item={"pk": {"S": "p"}, "sk": {"S": "bad"}, "g": {"N": "1"}, "gs": {"N": "1"}},
    )
    assert (code, message) == (
        "ValidationException",
        "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S"
        " Actual: N IndexName: gsi",
    )
