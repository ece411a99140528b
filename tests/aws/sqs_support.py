"""Helpers shared by the SQS tests: unique names, error details, raw json requests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError


def sqs_client(endpoint: str, region: str = "us-east-1") -> Any:
    """An SQS client for `endpoint` in `region` (conftest's `client` fixes both)."""
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def unique(prefix: str, fifo: bool = False) -> str:
    """A queue name no other test uses (the server is shared by the session)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}" + (".fifo" if fifo else "")


def error_of(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    """(code, message, HTTP status) of the ClientError `call(**kwargs)` raises."""
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    error = response["Error"]
    return error["Code"], error["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def arn_of(sqs: Any, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


def raw_call(endpoint: str, operation: str, body: bytes | dict[str, Any]) -> tuple[int, dict, Any]:
    """POST a signed json-protocol request as a non-SDK client would: (status, headers, JSON)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = AWSRequest(
        "POST",
        endpoint + "/",
        data=data,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"AmazonSQS.{operation}",
        },
    )
    SigV4Auth(Credentials("test", "test"), "sqs", "us-east-1").add_auth(request)
    prepared = request.prepare()
    outgoing = urllib.request.Request(prepared.url, prepared.body, dict(prepared.headers))
    try:
        with urllib.request.urlopen(outgoing, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"{}")
