"""What function code sees, through boto3: its context, Lambda's environment variables,
credentials and endpoint that reach cloudlet, and environments that do not share state."""

from __future__ import annotations

import json
import re
import sys
import threading
import urllib.parse

import pytest
from lambda_support import create_function, make_zip, unique

from conftest import client

SEES = """
import os
import boto3

NAMES = [
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "LAMBDA_TASK_ROOT", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
    "AWS_REGION",
]

def handler(event, context):
    # The credentials and endpoint Lambda gives are enough for boto3 to call back.
    itself = boto3.client("lambda").get_function_configuration(
        FunctionName=context.function_name
    )
    root = os.environ["LAMBDA_TASK_ROOT"]
    return {
        "env": {name: os.environ.get(name) for name in NAMES},
        "code_in_task_root": os.path.isfile(os.path.join(root, "app.py")),
        "called_back": itself["FunctionArn"],
        "caller": boto3.client("sts").get_caller_identity()["Arn"],
        "context": {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "identity": [
                context.identity.cognito_identity_id,
                context.identity.cognito_identity_pool_id,
            ],
            "time_left": context.get_remaining_time_in_millis(),
        },
    }
"""
STREAM = re.compile(r"\d{4}/\d\d/\d\d/\[(\$LATEST|\d+)\][0-9a-f]+")


def deploy(lam, name: str, runtime_client: str) -> None:
    """`SEES` on cloudlet's own Python runtime, or on AWS's awslambdaric (a custom runtime
    whose bootstrap runs it: the package and boto3 come from the server's environment)."""
    if runtime_client == "built-in":
        create_function(lam, name, SEES, MemorySize=256, Timeout=30)
        return
    pytest.importorskip("awslambdaric")
    bootstrap = f"#!/bin/sh\nexec {sys.executable} -m awslambdaric $_HANDLER\n"
    package = make_zip({"bootstrap": bootstrap, "app.py": SEES}, {"bootstrap": 0o755})
    create_function(lam, name, package, runtime="provided.al2023", MemorySize=256, Timeout=30)


@pytest.mark.parametrize("runtime_client", ["built-in", "awslambdaric"])
def test_a_function_sees_lambda_s_context_and_environment(lam, server, runtime_client):
    name = unique("sees")
    deploy(lam, name, runtime_client)
    arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
    response = lam.invoke(FunctionName=name, Payload=b"{}")
    seen = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, seen
    env, context = seen["env"], seen["context"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == context["function_name"] == name
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == context["function_version"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == context["memory_limit_in_mb"] == "256"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == context["log_group_name"] == f"/aws/lambda/{name}"
    stream = env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert stream == context["log_stream_name"] and STREAM.fullmatch(stream)
    assert seen["code_in_task_root"]
    # The execution role's session, as on AWS: temporary keys with their token.
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert env["AWS_SECRET_ACCESS_KEY"] and env["AWS_SESSION_TOKEN"]
    assert seen["caller"] == f"arn:aws:sts::000000000000:assumed-role/lambda-role/{name}"
    assert env["AWS_REGION"] == "us-east-1"
    assert urllib.parse.urlsplit(env["AWS_ENDPOINT_URL"]).port == server.port
    assert seen["called_back"] == arn  # boto3 inside the function reached cloudlet
    assert context["invoked_function_arn"] == arn
    assert context["identity"] == [None, None]  # no Cognito identity through Invoke
    assert 0 < context["time_left"] <= 30_000
    logs = client(server, "logs")
    streams = logs.describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]
    assert stream in [s["logStreamName"] for s in streams]  # the function's output goes there


def test_a_published_version_sees_its_own_number(lam):
    name = unique("sees-version")
    deploy(lam, name, "built-in")
    lam.publish_version(FunctionName=name)
    response = lam.invoke(FunctionName=name, Qualifier="1", Payload=b"{}")
    seen = json.loads(response["Payload"].read())
    assert seen["env"]["AWS_LAMBDA_FUNCTION_VERSION"] == seen["context"]["function_version"] == "1"
    assert STREAM.fullmatch(seen["env"]["AWS_LAMBDA_LOG_STREAM_NAME"]).group(1) == "1"


def test_an_error_through_awslambdaric_is_lambda_s_error(lam):
    pytest.importorskip("awslambdaric")
    name = unique("ric-error")
    bootstrap = f"#!/bin/sh\nexec {sys.executable} -m awslambdaric $_HANDLER\n"
    code = "def handler(event, context):\n    raise KeyError('missing')\n"
    package = make_zip({"bootstrap": bootstrap, "app.py": code}, {"bootstrap": 0o755})
    create_function(lam, name, package, runtime="provided.al2023")
    response = lam.invoke(FunctionName=name, Payload=b"{}")
    error = json.loads(response["Payload"].read())
    assert response["FunctionError"] == "Unhandled"
    assert (error["errorType"], error["errorMessage"]) == ("KeyError", "'missing'")
    assert any("raise KeyError" in line for line in error["stackTrace"])


RANDOM = """
import os, random, time
def handler(event, context):
    time.sleep(0.5)  # long enough for the other invocation to need its own environment
    return {"pid": os.getpid(), "random": random.random()}
"""


def test_each_environment_draws_its_own_random_numbers(lam):
    # Environments are forks of one zygote: without a reseed they would share its sequence.
    name = unique("random")
    create_function(lam, name, RANDOM)
    results: list[dict] = []

    def call() -> None:
        results.append(json.loads(lam.invoke(FunctionName=name)["Payload"].read()))

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = results
    assert first["pid"] != second["pid"]  # two environments
    assert first["random"] != second["random"]
