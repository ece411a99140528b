"""Fixtures shared by the whole suite: a real server, boto3 clients pointed at it, and what
the API Gateway tests share (an echoing function, a function answering as told, cloudlet's
issuer)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config as BotoConfig

sys.path.insert(0, str(Path(__file__).parent))
# The support modules of tests/aws, which pytest puts on the path only once it collects a
# test there: too late for this file's imports.
sys.path.insert(0, str(Path(__file__).parent / "aws"))

from apigw_support import ANSWER, ECHO, function

from server import Server

REGION = "us-east-1"
# Tests' own files (state directories, files a function writes for the test to read) live
# outside /tmp: as root, a function's /tmp is its own (engine/bootstrap/private_tmp.py).
if os.path.isdir("/var/tmp"):
    os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", "/var/tmp")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the session's tests that do not restart it."""
    instance = Server(tmp_path_factory.mktemp("cloudlet")).start()
    yield instance
    instance.stop()


@pytest.fixture(scope="session", autouse=True)
def aws_environment() -> None:
    # Never reach real AWS, never read the developer's own profile.
    os.environ.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    os.environ.pop("AWS_PROFILE", None)


def client(server: Server, service: str, **kwargs: object):
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=BotoConfig(retries={"max_attempts": 1}),
        **kwargs,
    )


@pytest.fixture
def sqs(server: Server):
    return client(server, "sqs")


@pytest.fixture(scope="module")
def lam(server: Server):
    return client(server, "lambda")


@pytest.fixture(scope="module")
def gw(server: Server):
    return client(server, "apigatewayv2")


@pytest.fixture(scope="module")
def rest(server: Server):
    return client(server, "apigateway")


@pytest.fixture(scope="module")
def echo(lam) -> str:
    """The ARN of a function answering with the event API Gateway gave it (apigw_support.ECHO)."""
    return function(lam, ECHO, "echo")


@pytest.fixture(scope="module")
def answer(lam) -> str:
    """The ARN of a function answering as the request's body tells it (apigw_support.ANSWER)."""
    return function(lam, ANSWER, "answer", Timeout=10)


@pytest.fixture(scope="module")
def issuer(server: Server) -> str:
    """cloudlet's own token issuer, as a JWT authorizer names it."""
    return f"http://localhost:{server.port}/_cloudlet/issuer"
