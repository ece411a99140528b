"""Invoking functions through boto3: results, errors, limits, logs, the invocation types."""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path

import pytest
from lambda_support import create_function, error_of, make_zip, unique

from conftest import client

CODE = """
import json, os, time
CALLS = 0
def handler(event, context):
    global CALLS
    CALLS += 1
    print("handling", json.dumps(event))
    return {"calls": CALLS, "event": event, "request": context.aws_request_id}
def boom(event, context):
    raise ValueError("it broke")
def sleepy(event, context):
    time.sleep(5)
def crash(event, context):
    os._exit(3)
def unserializable(event, context):
    return {1, 2}
def huge(event, context):
    return "x" * 7_000_000
def client_context(event, context):
    return context.client_context.custom
def write_file(event, context):
    with open(event["path"], "w") as out:
        out.write(json.dumps(event))
def hog(event, context):
    if event.get("small"):
        return "fits"
    blocks = []
    for _ in range(64):  # 512 MB, well past the function's 128
        blocks.append(bytearray(8 * 1024 * 1024))
        time.sleep(0.01)
def chatty(event, context):
    for n in range(200):  # about 10 KB of log
        print(f"line {n:04d} " + "x" * 40)
"""


@pytest.fixture(scope="module")
def app(server):
    """One function whose handlers the tests pick by updating nothing: one per name."""
    lam = client(server, "lambda")
    names = {}
    for handler in (
        "handler",
        "boom",
        "sleepy",
        "crash",
        "unserializable",
        "huge",
        "client_context",
        "write_file",
        "hog",
        "chatty",
    ):
        name = unique(handler.replace("_", "-"))
        create_function(lam, name, CODE, handler=f"app.{handler}", Timeout=2)
        names[handler] = name
    return names


def invoke(lam, name, payload=None, **kwargs):
    if payload is not None:
        kwargs["Payload"] = json.dumps(payload).encode()
    response = lam.invoke(FunctionName=name, **kwargs)
    return response, response["Payload"].read()


def test_invoke_returns_the_result(lam, app):
    response, body = invoke(lam, app["handler"], {"hello": "world"})
    result = json.loads(body)
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert result["event"] == {"hello": "world"}
    assert result["request"] == response["ResponseMetadata"]["RequestId"]


def test_globals_persist_across_warm_invokes(lam, app):
    first = json.loads(invoke(lam, app["handler"], {})[1])["calls"]
    second = json.loads(invoke(lam, app["handler"], {})[1])["calls"]
    assert second == first + 1


def test_an_empty_payload_is_an_empty_event(lam, app):
    assert json.loads(invoke(lam, app["handler"])[1])["event"] == {}


def test_function_error_is_reported_with_the_error_header(lam, app):
    response, body = invoke(lam, app["boom"], {})
    error = json.loads(body)
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "it broke")
    assert any("raise ValueError" in line for line in error["stackTrace"])


def test_timeout_answers_task_timed_out(lam, app):
    response, body = invoke(lam, app["sleepy"], {})
    error = json.loads(body)
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Sandbox.Timedout"
    request_id = response["ResponseMetadata"]["RequestId"]
    assert re.fullmatch(
        rf"RequestId: {request_id} Error: Task timed out after 2\.0\d seconds",
        error["errorMessage"],
    )


def crash_log(response) -> list[str]:
    """The lines Lambda logs for an environment that died: the error, END, and REPORT."""
    request_id = response["ResponseMetadata"]["RequestId"]
    lines = base64.b64decode(response["LogResult"]).decode().splitlines()
    assert lines[-2] == f"END RequestId: {request_id}"
    assert lines[-1].startswith(f"REPORT RequestId: {request_id}\t")
    return [*lines[-4:-2], "Status:" + lines[-1].split("\tStatus:")[-1]]


def test_crash_is_an_exit_error_and_the_next_invoke_works(lam, app):
    response, body = invoke(lam, app["crash"], {}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(body)["errorType"] == "Runtime.ExitError"
    request_id = response["ResponseMetadata"]["RequestId"]
    assert crash_log(response) == [
        f"RequestId: {request_id} Error: Runtime exited with error: exit status 3",
        "Runtime.ExitError",
        "Status: error\tError Type: Runtime.ExitError",
    ]
    assert json.loads(invoke(lam, app["crash"], {})[1])["errorType"] == "Runtime.ExitError"


def test_exceeding_memory_size_is_lambda_s_out_of_memory_error(lam, app):
    assert lam.get_function_configuration(FunctionName=app["hog"])["MemorySize"] == 128
    response, body = invoke(lam, app["hog"], {}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    request_id = response["ResponseMetadata"]["RequestId"]
    message = f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"
    assert json.loads(body) == {"errorType": "Runtime.OutOfMemory", "errorMessage": message}
    assert crash_log(response) == [
        message,
        "Runtime.OutOfMemory",
        "Status: error\tError Type: Runtime.OutOfMemory",
    ]
    assert json.loads(invoke(lam, app["hog"], {"small": True})[1]) == "fits"


def test_unserializable_result_is_a_marshal_error(lam, app):
    response, body = invoke(lam, app["unserializable"], {})
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(body)["errorType"] == "Runtime.MarshalError"


def test_response_over_6_mb_is_the_error_lambda_reports(lam, app):
    response, body = invoke(lam, app["huge"], {})
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(body) == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556"
        " bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }


@pytest.mark.parametrize(
    ("module", "handler", "error_type", "message"),
    [
        (
            "def handler(e, c):\n    return 1\n",
            "app.missing",
            "Runtime.HandlerNotFound",
            "Handler 'missing' missing on module 'app'",
        ),
        (
            "import not_a_module_anywhere\n",
            "app.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'app': No module named 'not_a_module_anywhere'",
        ),
        ("raise RuntimeError('init failed')\n", "app.handler", None, "init failed"),
    ],
)
def test_init_errors_are_reported_as_lambda_does(lam, module, handler, error_type, message):
    name = unique("init-error")
    create_function(lam, name, module, handler=handler)
    response, body = invoke(lam, name, {})
    error = json.loads(body)
    assert response["FunctionError"] == "Unhandled"
    if error_type:
        assert error["errorType"] == error_type
    assert message in error["errorMessage"]


@pytest.mark.parametrize(
    ("module", "handler", "error_line", "error_type"),
    [
        (
            "import not_a_module_anywhere\n",
            "app.handler",
            "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named"
            " 'not_a_module_anywhere'\rTraceback (most recent call last):",
            "Runtime.ImportModuleError",
        ),
        # A missing handler fails the init too, as with AWS's runtimes since awslambdaric 3.
        (
            "def handler(e, c):\n    return 1\n",
            "app.missing",
            "[ERROR] Runtime.HandlerNotFound: Handler 'missing' missing on module 'app'\r"
            "Traceback (most recent call last):",
            "Runtime.HandlerNotFound",
        ),
        # An exception of the function's own is no runtime error type: Lambda says Unknown.
        (
            "raise KeyError('init failed')\n",
            "app.handler",
            "[ERROR] KeyError: 'init failed'",
            "Runtime.Unknown",
        ),
    ],
)
def test_an_init_failure_is_logged_and_tailed_as_lambda_does(
    lam, server, module, handler, error_line, error_type
):
    name = unique("init-log")
    create_function(lam, name, module, handler=handler)
    response = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
    request_id = response["ResponseMetadata"]["RequestId"]
    expected = [
        re.escape(error_line) + ".*",  # the runtime's error, as one event
        r"INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: error\tError Type: "
        + re.escape(error_type),
        re.escape(f"START RequestId: {request_id} Version: $LATEST"),
        re.escape(f"END RequestId: {request_id}"),
        rf"REPORT RequestId: {request_id}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
        rf"Memory Size: 128 MB\tMax Memory Used: \d+ MB\tStatus: error\tError Type: "
        + re.escape(error_type),
    ]
    tail = base64.b64decode(response["LogResult"]).decode().split("\n")
    assert len(tail) == len(expected), tail
    for line, pattern in zip(tail, expected, strict=True):
        assert re.fullmatch(pattern, line, re.DOTALL), (line, pattern)
    events = client(server, "logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")
    assert [event["message"] for event in events["events"]] == tail
    assert response["FunctionError"] == "Unhandled"


def test_log_tail_returns_the_invocation_log(lam, app):
    response, _ = invoke(lam, app["handler"], {"tail": 1}, LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()
    request_id = response["ResponseMetadata"]["RequestId"]
    assert f"START RequestId: {request_id} Version: $LATEST" in log
    assert 'handling {"tail": 1}' in log
    assert f"END RequestId: {request_id}" in log
    assert f"REPORT RequestId: {request_id}" in log


def test_log_tail_is_the_last_4_kb_of_the_log(lam, app):
    response, _ = invoke(lam, app["chatty"], {}, LogType="Tail")
    tail = base64.b64decode(response["LogResult"])
    request_id = response["ResponseMetadata"]["RequestId"]
    assert len(tail) == 4096
    lines = tail.decode().splitlines()
    assert lines[-1].startswith(f"REPORT RequestId: {request_id}\t")
    assert lines[-2] == f"END RequestId: {request_id}"
    assert lines[-3] == "line 0199 " + "x" * 40
    assert "START RequestId" not in tail.decode()  # the beginning is cut off


def test_dry_run_checks_without_running(lam, app):
    response = lam.invoke(FunctionName=app["handler"], InvocationType="DryRun")
    assert response["StatusCode"] == 204
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="no-such-function", InvocationType="DryRun")


def test_client_context_reaches_the_function(lam, app):
    context = base64.b64encode(json.dumps({"custom": {"tenant": "t1"}}).encode()).decode()
    _, body = invoke(lam, app["client_context"], {}, ClientContext=context)
    assert json.loads(body) == {"tenant": "t1"}


def test_payload_over_6_mb_is_too_large(lam, app):
    payload = json.dumps({"data": "x" * 6_291_456}).encode()
    with pytest.raises(lam.exceptions.ClientError) as caught:
        lam.invoke(FunctionName=app["handler"], Payload=payload)
    assert error_of(caught) == (
        "RequestEntityTooLargeException",
        413,
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
    )


def test_payload_that_is_not_json_is_refused(lam, app):
    with pytest.raises(lam.exceptions.InvalidRequestContentException) as caught:
        lam.invoke(FunctionName=app["handler"], Payload=b"not json")
    code, status, message = error_of(caught)
    assert (code, status) == ("InvalidRequestContentException", 400)
    assert message.startswith("Could not parse request body into json: Could not parse payload")


def test_event_invocation_is_accepted_and_runs(lam, app, tmp_path: Path):
    target = tmp_path / "ran.json"
    response = lam.invoke(
        FunctionName=app["write_file"],
        InvocationType="Event",
        Payload=json.dumps({"path": str(target)}).encode(),
    )
    assert response["StatusCode"] == 202
    deadline = time.monotonic() + 20
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert json.loads(target.read_text()) == {"path": str(target)}


def test_event_payload_over_1_mb_is_too_large(lam, app):
    payload = json.dumps({"data": "x" * 1_048_576}).encode()
    with pytest.raises(lam.exceptions.ClientError) as caught:
        lam.invoke(FunctionName=app["handler"], InvocationType="Event", Payload=payload)
    code, status, message = error_of(caught)
    assert (code, status) == ("RequestEntityTooLargeException", 413)
    assert message == (
        f"{len(payload)} byte payload is too large for the Event invocation type (limit 1048576"
        " bytes)"
    )


def test_custom_runtime_bootstrap_keeps_its_mode_and_runs(lam):
    bootstrap = """#!/bin/sh
set -eu
while true; do
  HEADERS=$(mktemp)
  EVENT=$(curl -sS -D "$HEADERS" "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next")
  ID=$(grep -i lambda-runtime-aws-request-id "$HEADERS" | tr -d '\\r' | cut -d' ' -f2)
  curl -sS -X POST -d "{\\"echo\\": $EVENT}" \\
    "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/$ID/response" >/dev/null
done
"""
    package = make_zip({"bootstrap": bootstrap}, {"bootstrap": 0o755})
    name = unique("bootstrap")
    create_function(lam, name, package, runtime="provided.al2023", handler="unused")
    response, body = invoke(lam, name, {"n": 1})
    assert "FunctionError" not in response, body
    assert json.loads(body) == {"echo": {"n": 1}}


@pytest.mark.parametrize(
    ("error_type", "logged_type"),
    [
        ("Runtime.ConfigError", "Runtime.ConfigError"),
        # Lambda names only Runtime.* and Function.* types in its logs; others are Unknown.
        ("ConfigError", "Runtime.Unknown"),
    ],
)
def test_custom_runtime_init_error_is_the_invocations_error(lam, error_type, logged_type):
    bootstrap = f"""#!/bin/sh
echo "reading configuration"
curl -sS -X POST -H "Lambda-Runtime-Function-Error-Type: {error_type}" \\
  -d '{{"errorMessage": "DATABASE_URL is not set", "errorType": "{error_type}"}}' \\
  "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/init/error" >/dev/null
exit 1
"""
    package = make_zip({"bootstrap": bootstrap}, {"bootstrap": 0o755})
    name = unique("init-error-bootstrap")
    create_function(lam, name, package, runtime="provided.al2023", handler="unused")
    for _ in range(2):  # each invocation tries the init again, as on Lambda
        response = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
        assert response["StatusCode"] == 200
        assert response["FunctionError"] == "Unhandled"
        assert json.loads(response["Payload"].read()) == {
            "errorMessage": "DATABASE_URL is not set",
            "errorType": error_type,
        }
        tail = base64.b64decode(response["LogResult"]).decode().split("\n")
        assert tail[0] == "reading configuration"
        assert tail[1].endswith(f"\tPhase: init\tStatus: error\tError Type: {logged_type}")
        assert tail[-1].endswith(f"\tStatus: error\tError Type: {logged_type}")
