"""cloudlet's development extension: a function whose code is a local directory, reloaded on
change; driven by boto3 and by the aws CLI."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from lambda_support import COUNTER, ROLE, error_of, make_zip, unique

from aws_cli import aws, aws_json

HANDLER = "def handler(event, context):\n    return {{'answer': {answer!r}}}\n"


def write(directory: Path, answer: str) -> None:
    path = directory / "app.py"
    path.write_text(HANDLER.format(answer=answer))
    # Make sure the change is seen even on file systems with coarse timestamps.
    stamp = time.time() + (1 if answer == "second" else 0)
    os.utime(path, (stamp, stamp))


def answer(lam, name: str) -> str:
    return json.loads(lam.invoke(FunctionName=name)["Payload"].read())["answer"]


def test_local_directory_code_is_reloaded_on_change(lam, tmp_path):
    write(tmp_path, "first")
    name = unique("local")
    created = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": "cloudlet-local", "S3Key": str(tmp_path)},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    assert created["CodeSize"] == 0
    assert lam.get_function(FunctionName=name)["Code"]["Location"] == f"file://{tmp_path}"
    assert answer(lam, name) == "first"
    write(tmp_path, "second")
    deadline = time.monotonic() + 10
    while answer(lam, name) != "second" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert answer(lam, name) == "second"


def test_missing_local_directory_is_refused(lam, tmp_path):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.create_function(
            FunctionName=unique("no-dir"),
            Runtime="python3.12",
            Role=ROLE,
            Handler="app.handler",
            Code={"S3Bucket": "cloudlet-local", "S3Key": str(tmp_path / "missing")},
        )
    assert "local code directory" in error_of(caught)[2]


def test_the_aws_cli_deploys_and_invokes(server, tmp_path):
    package = tmp_path / "function.zip"
    package.write_bytes(make_zip({"app.py": COUNTER}))
    name = unique("cli")
    created = aws_json(
        server, "lambda", "create-function", "--function-name", name, "--runtime",
        "python3.12", "--role", ROLE, "--handler", "app.handler",
        "--zip-file", f"fileb://{package}",
    )  # fmt: skip
    assert created["FunctionName"] == name
    aws(server, "lambda", "wait", "function-active-v2", "--function-name", name)
    out = tmp_path / "out.json"
    invoked = aws_json(
        server, "lambda", "invoke", "--function-name", name, "--payload", '{"from": "cli"}',
        str(out),
    )  # fmt: skip
    assert invoked["StatusCode"] == 200 and invoked["ExecutedVersion"] == "$LATEST"
    assert json.loads(out.read_text())["event"] == {"from": "cli"}
    missing = aws(server, "lambda", "get-function", "--function-name", "nope", check=False)
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr


def test_the_aws_cli_deploys_a_local_directory(server, tmp_path):
    write(tmp_path, "from the directory")
    name = unique("cli-local")
    aws_json(
        server, "lambda", "create-function", "--function-name", name, "--runtime",
        "python3.12", "--role", ROLE, "--handler", "app.handler",
        "--code", f"S3Bucket=cloudlet-local,S3Key={tmp_path}",
    )  # fmt: skip
    aws(server, "lambda", "wait", "function-active-v2", "--function-name", name)
    out = tmp_path / "out.json"
    aws_json(server, "lambda", "invoke", "--function-name", name, str(out))
    assert json.loads(out.read_text()) == {"answer": "from the directory"}
