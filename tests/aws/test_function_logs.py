"""A function's output through the Logs API, the aws CLI, `cloudlet logs` and `cloudlet invoke`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import REGION, client

AWS = str(Path(sys.executable).parent / "aws")
CODE = """
print("module loaded")
def handler(event, context):
    print("hello", event["who"])
    if event.get("fail"):
        raise ValueError("it broke")
    return "hi " + event["who"]
"""


@pytest.fixture(scope="module")
def function(server) -> str:
    """A deployed function; the tests skip while the server has no Lambda service."""
    lam = client(server, "lambda")
    try:
        lam.list_functions()
    except ClientError:
        pytest.skip("this server does not serve Lambda yet")
    name = f"greeter-{uuid.uuid4().hex[:8]}"
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", CODE)
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role="arn:aws:iam::000000000000:role/lambda-role",
        Handler="app.handler",
        Code={"ZipFile": package.getvalue()},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_an_invocations_lines_reach_filter_log_events_and_cloudlet_logs(server, function):
    answer = client(server, "lambda").invoke(FunctionName=function, Payload=b'{"who": "Ada"}')
    assert json.loads(answer["Payload"].read()) == "hi Ada"
    request_id = answer["ResponseMetadata"]["RequestId"]
    env = {**os.environ, "AWS_ENDPOINT_URL": server.endpoint, "AWS_DEFAULT_REGION": REGION}
    filtered = subprocess.run(
        [AWS, "logs", "filter-log-events", "--log-group-name", f"/aws/lambda/{function}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert filtered.returncode == 0, filtered.stderr
    messages = [event["message"] for event in json.loads(filtered.stdout)["events"]]
    start = messages.index(f"START RequestId: {request_id} Version: $LATEST")
    assert messages[start + 1] == "hello Ada"
    assert messages[start + 2] == f"END RequestId: {request_id}"
    assert messages[start + 3].startswith(f"REPORT RequestId: {request_id}\tDuration: ")
    assert "Init Duration: " in messages[start + 3]
    assert "module loaded" in messages[:start]

    shown = run(sys.executable, "-m", "cloudlet", "logs", function, "--port", str(server.port))
    assert shown.returncode == 0, shown.stderr
    printed = [line.split(" ", 2)[2] for line in shown.stdout.splitlines()]
    assert printed[printed.index(f"START RequestId: {request_id} Version: $LATEST") + 1] == (
        "hello Ada"
    )


def test_cloudlet_invoke_prints_the_answer_and_with_log_the_tail(server, function):
    shown = run(
        sys.executable, "-m", "cloudlet", "invoke", function,
        "--payload", '{"who": "Grace"}', "--log", "--port", str(server.port),
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == '"hi Grace"'
    assert "hello Grace" in shown.stderr and "REPORT RequestId: " in shown.stderr


def test_cloudlet_invoke_exits_non_zero_when_the_function_fails(server, function, tmp_path):
    event = tmp_path / "event.json"
    event.write_text('{"who": "Linus", "fail": true}')
    shown = run(
        sys.executable, "-m", "cloudlet", "invoke", function,
        "--payload", f"@{event}", "--port", str(server.port),
    )  # fmt: skip
    assert shown.returncode == 1
    error = json.loads(shown.stdout)
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "it broke")


def test_cloudlet_invoke_says_so_when_the_function_does_not_exist(server, function):
    shown = run(
        sys.executable, "-m", "cloudlet", "invoke", "no-such-function", "--port", str(server.port)
    )
    assert shown.returncode == 1
    assert shown.stderr.startswith("cloudlet: function no-such-function does not exist (")
    assert len(shown.stderr.strip().splitlines()) == 1
