"""The engine on real processes: zygote forks, warm reuse, errors, timeouts, crashes, logs."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest

from cloudlet.engine.engine import Engine
from cloudlet.engine.environment import InvokeRequest
from cloudlet.engine.spec import FunctionSpec

CODE = """
import os, sys, time
COUNT = 0
print("init ran")
def handler(event, context):
    global COUNT
    COUNT += 1
    print("invoked", COUNT)
    return {"count": COUNT, "event": event, "name": context.function_name,
            "request": context.aws_request_id, "tmp": os.environ["TMPDIR"],
            "left": context.get_remaining_time_in_millis()}
def boom(event, context):
    raise ValueError("boom")
def sleepy(event, context):
    time.sleep(5)
def crash(event, context):
    os._exit(3)
def unserializable(event, context):
    return {1, 2}
"""


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "app.py").write_text(CODE)
    (tmp_path / "code" / "broken.py").write_text("import not_a_module_anywhere\n")
    return tmp_path / "code"


def make_spec(code_dir: Path, handler: str, *, timeout: float = 3) -> FunctionSpec:
    return FunctionSpec(
        function_name="fn",
        version="$LATEST",
        function_arn=f"arn:aws:lambda:us-east-1:000000000000:function:fn-{handler}",
        runtime="python3.11",
        handler=handler,
        code_dir=str(code_dir),
        opt_dir=None,
        memory_size=128,
        timeout=timeout,
        region="us-east-1",
        account_id="000000000000",
        endpoint="http://localhost:4566",
        tmp_dir=str(code_dir.parent / "tmp"),
        revision="1",
    )


def run(code_dir: Path, calls: list[tuple[str, dict]], **spec_args) -> tuple[list, list[str]]:
    lines: list[str] = []

    def sink(spec: FunctionSpec, stream: str, events: list[tuple[int, str]]) -> None:
        lines.extend(message for _, message in events)

    async def go() -> list:
        engine = Engine(code_dir.parent / "state", sink)
        await engine.start()
        try:
            results = []
            for handler, event in calls:
                spec = make_spec(code_dir, handler, **spec_args)
                request = InvokeRequest(
                    str(uuid.uuid4()), json.dumps(event).encode(), spec.function_arn
                )
                results.append(await engine.invoke(spec, request))
            return results
        finally:
            await engine.stop()

    return asyncio.run(go()), lines


def test_globals_persist_across_warm_invokes(code_dir):
    results, lines = run(code_dir, [("app.handler", {"n": 1}), ("app.handler", {"n": 2})])
    first, second = (json.loads(r.payload) for r in results)
    assert (first["count"], second["count"]) == (1, 2)
    assert second["event"] == {"n": 2}
    assert first["name"] == "fn" and first["left"] > 0
    assert results[0].init_ms is not None and results[1].init_ms is None
    assert lines.count("init ran") == 1


def test_lambda_log_lines_frame_each_invocation(code_dir):
    results, lines = run(code_dir, [("app.handler", {})])
    request_id = results[0].request_id
    start = lines.index(f"START RequestId: {request_id} Version: $LATEST")
    assert lines[start + 1] == "invoked 1"
    assert lines[start + 2] == f"END RequestId: {request_id}"
    report = lines[start + 3]
    assert report.startswith(f"REPORT RequestId: {request_id}\tDuration: ")
    assert "Billed Duration: " in report and "Memory Size: 128 MB" in report
    assert "Init Duration: " in report


def test_handler_exception_is_reported_as_lambda_does(code_dir):
    [result], _ = run(code_dir, [("app.boom", {})])
    error = json.loads(result.payload)
    assert result.function_error == "Unhandled"
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "boom"
    assert error["requestId"] == result.request_id
    assert any("raise ValueError" in frame for frame in error["stackTrace"])


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        ("app.missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'app'"),
        (
            "broken.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'broken': No module named 'not_a_module_anywhere'",
        ),
        ("nodots", "Runtime.MalformedHandlerName", "Bad handler 'nodots'"),
    ],
)
def test_init_failures_are_runtime_errors(code_dir, handler, error_type, message):
    [result], _ = run(code_dir, [(handler, {})])
    error = json.loads(result.payload)
    assert result.function_error == "Unhandled"
    assert error["errorType"] == error_type
    assert error["errorMessage"].startswith(message)


def test_timeout_kills_the_environment_and_the_next_invoke_works(code_dir):
    results, lines = run(code_dir, [("app.sleepy", {}), ("app.sleepy", {})], timeout=1)
    error = json.loads(results[0].payload)
    assert results[0].outcome == "timeout"
    assert "Task timed out after 1.0" in error["errorMessage"]
    assert results[1].init_ms is not None  # a fresh environment
    assert any(line.endswith("Status: timeout") for line in lines)


def test_crash_is_an_exit_error_and_the_next_invoke_works(code_dir):
    results, _ = run(code_dir, [("app.crash", {}), ("app.crash", {})])
    error = json.loads(results[0].payload)
    assert error["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in error["errorMessage"]
    assert results[1].outcome == "crash"


def test_unserializable_result_is_a_marshal_error(code_dir):
    [result], _ = run(code_dir, [("app.unserializable", {})])
    error = json.loads(result.payload)
    assert error["errorType"] == "Runtime.MarshalError"
    assert error["errorMessage"].startswith("Unable to marshal response:")
