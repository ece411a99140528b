"""boto3's resource API (Decimal numbers, batch_writer, boto3.dynamodb.conditions) and
Powertools' idempotency utility on its DynamoDB persistence layer, against cloudlet."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr, Key
from dynamodb_support import create_table, dynamodb_client, dynamodb_resource


@pytest.fixture
def table(server: Any) -> Any:
    ddb = dynamodb_client(server)
    name = create_table(ddb, range_key=("sk", "N"))
    return dynamodb_resource(server).Table(name)


def test_decimals_round_trip_with_38_digits(table: Any) -> None:
    precise = Decimal("3.1415926535897932384626433832795028841")
    table.put_item(Item={"pk": "a", "sk": 1, "pi": precise, "big": Decimal("1E+125")})
    item = table.get_item(Key={"pk": "a", "sk": 1})["Item"]
    assert item["pi"] == precise
    assert item["big"] == Decimal("1E+125")
    assert item["sk"] == 1


def test_batch_writer_and_conditions_query(table: Any) -> None:
    with table.batch_writer() as batch:
        for i in range(60):
            batch.put_item(Item={"pk": "p", "sk": i, "kind": "even" if i % 2 == 0 else "odd"})
    answer = table.query(
        KeyConditionExpression=Key("pk").eq("p") & Key("sk").between(10, 20),
        FilterExpression=Attr("kind").eq("even") & Attr("missing").not_exists(),
    )
    assert [int(item["sk"]) for item in answer["Items"]] == [10, 12, 14, 16, 18, 20]
    scanned = table.scan(FilterExpression=Attr("sk").is_in([1, 2, 3]) | Attr("sk").gt(57))
    assert sorted(int(item["sk"]) for item in scanned["Items"]) == [1, 2, 3, 58, 59]
    begins = table.query(
        KeyConditionExpression=Key("pk").eq("p") & Key("sk").lt(4),
        FilterExpression=Attr("kind").begins_with("od"),
    )
    assert [int(item["sk"]) for item in begins["Items"]] == [1, 3]


def test_update_with_resource_returns_decimals(table: Any) -> None:
    table.put_item(Item={"pk": "c", "sk": 0, "n": 1})
    answer = table.update_item(
        Key={"pk": "c", "sk": 0},
        UpdateExpression="SET n = n + :inc",
        ConditionExpression=Attr("n").lt(5),
        ExpressionAttributeValues={":inc": Decimal("0.5")},
        ReturnValues="UPDATED_NEW",
    )
    assert answer["Attributes"] == {"n": Decimal("1.5")}


def powertools_table(server: Any) -> str:
    return create_table(dynamodb_client(server), hash_key=("id", "S"), prefix="idempotency")


# Outside Lambda, Powertools cannot tell the invocation's remaining time, and says so.
@pytest.mark.filterwarnings("ignore:Couldn't determine the remaining time")
def test_powertools_idempotent_function_runs_its_body_once(server: Any) -> None:
    idempotency = pytest.importorskip("aws_lambda_powertools.utilities.idempotency")
    name = powertools_table(server)
    persistence = idempotency.DynamoDBPersistenceLayer(
        table_name=name, boto3_client=dynamodb_client(server)
    )
    runs: list[str] = []

    @idempotency.idempotent_function(
        data_keyword_argument="order",
        persistence_store=persistence,
        config=idempotency.IdempotencyConfig(expires_after_seconds=60),
    )
    def process(order: dict[str, Any]) -> dict[str, Any]:
        runs.append(order["id"])
        return {"processed": order["id"], "run": len(runs)}

    first = process(order={"id": "o-1", "amount": 3})
    second = process(order={"id": "o-1", "amount": 3})
    other = process(order={"id": "o-2", "amount": 3})
    assert runs == ["o-1", "o-2"]
    assert first == second == {"processed": "o-1", "run": 1}
    assert other["run"] == 2
    records = dynamodb_client(server).scan(TableName=name)["Items"]
    assert {record["status"]["S"] for record in records} == {"COMPLETED"}


POWERTOOLS_HANDLER = """
import os
import boto3
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer, IdempotencyConfig, idempotent,
)

persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE"])
counters = boto3.client("dynamodb")

@idempotent(persistence_store=persistence, config=IdempotencyConfig(event_key_jmespath="id"))
def handler(event, context):
    counters.update_item(
        TableName=os.environ["IDEMPOTENCY_TABLE"], Key={"id": {"S": "runs"}},
        UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}},
    )
    return {"id": event["id"], "ok": True}
"""


def _package(handler: str) -> bytes:
    """A deployment package of `handler` with Powertools and its dependencies, as a user
    would build it (`pip install -t`), copied from the installed packages."""
    import io
    import zipfile
    from pathlib import Path

    import aws_lambda_powertools
    import jmespath
    import typing_extensions

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", handler)
        for module in (aws_lambda_powertools, jmespath):
            root = Path(module.__file__).parent
            for path in root.rglob("*.py"):
                archive.write(path, str(path.relative_to(root.parent)))
        archive.write(typing_extensions.__file__, "typing_extensions.py")
    return buffer.getvalue()


def test_powertools_idempotent_handler_in_lambda_runs_once(server: Any) -> None:
    pytest.importorskip("aws_lambda_powertools.utilities.idempotency")
    from lambda_support import create_function

    from conftest import client

    name = powertools_table(server)
    lam = client(server, "lambda")
    function = f"idem-{uuid.uuid4().hex[:8]}"
    create_function(
        lam,
        function,
        _package(POWERTOOLS_HANDLER),
        Timeout=30,
        Environment={"Variables": {"IDEMPOTENCY_TABLE": name}},
    )
    event = json.dumps({"id": "evt-1"}).encode()
    answers = [
        json.loads(lam.invoke(FunctionName=function, Payload=event)["Payload"].read())
        for _ in range(2)
    ]
    assert answers[0] == answers[1] == {"id": "evt-1", "ok": True}
    runs = dynamodb_client(server).get_item(TableName=name, Key={"id": {"S": "runs"}})
    assert runs["Item"]["n"] == {"N": "1"}
