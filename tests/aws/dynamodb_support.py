"""Helpers shared by the DynamoDB tests: clients, tables with unique names, error details."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
# CreateTable's arguments for a table keyed by a string `pk`, billed per request.
KEYED_BY_PK: dict[str, Any] = {
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST",
}


def dynamodb_client(server: Any, service: str = "dynamodb", validate: bool = True) -> Any:
    """A client; `validate=False` sends what botocore's own checks would stop."""
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, parameter_validation=validate),
    )


def dynamodb_resource(server: Any) -> Any:
    return boto3.resource(
        "dynamodb",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def unique(prefix: str) -> str:
    """A table name no other test uses (the server is shared by the session)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create_table(
    ddb: Any,
    hash_key: tuple[str, str] = ("pk", "S"),
    range_key: tuple[str, str] | None = None,
    prefix: str = "t",
    **kwargs: Any,
) -> str:
    """A PAY_PER_REQUEST table with the given keys (and more definitions in kwargs)."""
    name = unique(prefix)
    attributes = {hash_key[0]: hash_key[1]}
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    if range_key:
        attributes[range_key[0]] = range_key[1]
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
    attributes.update(kwargs.pop("extra_attributes", {}))
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": n, "AttributeType": t} for n, t in attributes.items()
        ],
        KeySchema=schema,
        BillingMode="PAY_PER_REQUEST",
        **kwargs,
    )
    return name


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    """(code, message) of the ClientError `call(**kwargs)` raises."""
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def error_response(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response  # type: ignore[no-any-return]
