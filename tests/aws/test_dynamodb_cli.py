"""The real aws CLI against cloudlet's DynamoDB: tables, items, queries, an error."""

from __future__ import annotations

import json
from typing import Any

from dynamodb_support import unique

from aws_cli import aws, aws_json


def test_cli_creates_writes_queries_and_reports_errors(server: Any) -> None:
    name = unique("cli")
    aws_json(
        server,
        "dynamodb",
        "create-table",
        "--table-name",
        name,
        "--attribute-definitions",
        "AttributeName=pk,AttributeType=S",
        "AttributeName=sk,AttributeType=N",
        "--key-schema",
        "AttributeName=pk,KeyType=HASH",
        "AttributeName=sk,KeyType=RANGE",
        "--billing-mode",
        "PAY_PER_REQUEST",
    )
    aws(server, "dynamodb", "wait", "table-exists", "--table-name", name)
    for sk in ("2", "1", "3"):
        item = {"pk": {"S": "p"}, "sk": {"N": sk}, "note": {"S": f"n{sk}"}}
        aws(server, "dynamodb", "put-item", "--table-name", name, "--item", json.dumps(item))
    found = aws_json(
        server,
        "dynamodb",
        "query",
        "--table-name",
        name,
        "--key-condition-expression",
        "pk = :p AND sk >= :two",
        "--expression-attribute-values",
        json.dumps({":p": {"S": "p"}, ":two": {"N": "2"}}),
    )
    assert [item["sk"]["N"] for item in found["Items"]] == ["2", "3"]
    got = aws_json(
        server,
        "dynamodb",
        "get-item",
        "--table-name",
        name,
        "--key",
        json.dumps({"pk": {"S": "p"}, "sk": {"N": "1"}}),
        "--projection-expression",
        "note",
    )
    assert got["Item"] == {"note": {"S": "n1"}}
    failed = aws(
        server,
        "dynamodb",
        "update-item",
        "--table-name",
        name,
        "--key",
        json.dumps({"pk": {"S": "p"}, "sk": {"N": "1"}}),
        "--update-expression",
        "SET note = :v",
        check=False,
    )
    assert failed.returncode != 0
    assert (
        "ValidationException" in failed.stderr
        and "An expression attribute value used in expression is not defined; attribute value: :v"
        in failed.stderr
    )
