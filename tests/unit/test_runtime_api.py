"""Runtimes that speak the HTTP Runtime API: a shell bootstrap, Node.js, and awslambdaric."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from test_engine import make_spec

from cloudlet.engine.engine import Engine
from cloudlet.engine.environment import InvokeRequest

SHELL_BOOTSTRAP = """#!/bin/sh
set -eu
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
echo "shell runtime starting for $_HANDLER"
while true; do
  HEADERS="$(mktemp)"
  EVENT=$(curl -sS -D "$HEADERS" "$API/invocation/next")
  ID=$(grep -i Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  case "$EVENT" in
    *fail*) curl -sS -X POST "$API/invocation/$ID/error" \
              -d '{"errorMessage":"asked to fail","errorType":"ShellError"}' >/dev/null ;;
    *) curl -sS -X POST "$API/invocation/$ID/response" -d "{\\"echo\\": $EVENT}" >/dev/null ;;
  esac
done
"""


def invoke_all(spec, events: list[dict], state: Path) -> list:
    async def go() -> list:
        engine = Engine(state, lambda *args: None)
        try:
            results = []
            for event in events:
                request = InvokeRequest(
                    str(uuid.uuid4()), json.dumps(event).encode(), spec.function_arn
                )
                results.append(await engine.invoke(spec, request))
            return results
        finally:
            await engine.stop()

    return asyncio.run(go())


def write_bootstrap(directory: Path, text: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    bootstrap = directory / "bootstrap"
    bootstrap.write_text(text)
    bootstrap.chmod(0o755)


@pytest.mark.skipif(shutil.which("curl") is None, reason="the shell bootstrap uses curl")
def test_shell_bootstrap_custom_runtime(tmp_path):
    write_bootstrap(tmp_path / "code", SHELL_BOOTSTRAP)
    spec = replace(make_spec(tmp_path / "code", "any.handler"), runtime="provided.al2023")
    ok, failed, again = invoke_all(spec, [{"n": 1}, {"fail": True}, {"n": 2}], tmp_path / "s")
    assert json.loads(ok.payload) == {"echo": {"n": 1}}
    assert ok.init_ms is not None
    assert failed.function_error == "Unhandled"
    assert json.loads(failed.payload)["errorType"] == "ShellError"
    assert json.loads(again.payload) == {"echo": {"n": 2}}
    assert again.init_ms is None  # the same warm environment


def test_missing_bootstrap_is_an_invalid_entrypoint(tmp_path):
    (tmp_path / "code").mkdir()
    spec = replace(make_spec(tmp_path / "code", "any.handler"), runtime="provided.al2")
    [result] = invoke_all(spec, [{}], tmp_path / "s")
    error = json.loads(result.payload)
    assert error["errorType"] == "Runtime.InvalidEntrypoint"
    assert "Couldn't find valid bootstrap(s)" in error["errorMessage"]


def test_bootstrap_that_exits_is_an_exit_error(tmp_path):
    write_bootstrap(tmp_path / "code", "#!/bin/sh\necho cannot start\nexit 7\n")
    spec = replace(make_spec(tmp_path / "code", "any.handler"), runtime="provided.al2023")
    [result] = invoke_all(spec, [{}], tmp_path / "s")
    error = json.loads(result.payload)
    assert error["errorType"] == "Runtime.ExitError"
    assert "exit status 7" in error["errorMessage"]


def test_awslambdaric_as_the_runtime_client(tmp_path):
    pytest.importorskip("awslambdaric")
    code = tmp_path / "code"
    write_bootstrap(code, f"#!/bin/sh\nexec {sys.executable} -m awslambdaric $_HANDLER\n")
    (code / "app.py").write_text(
        "def handler(event, context):\n"
        "    return {'got': event, 'request': context.aws_request_id}\n"
        "def boom(event, context):\n    raise KeyError('missing')\n"
    )
    spec = replace(make_spec(code, "app.handler"), runtime="provided.al2023")
    [result] = invoke_all(spec, [{"x": 1}], tmp_path / "s")
    answer = json.loads(result.payload)
    assert answer == {"got": {"x": 1}, "request": result.request_id}
    spec = replace(spec, handler="app.boom", revision="2")
    [result] = invoke_all(spec, [{}], tmp_path / "s2")
    error = json.loads(result.payload)
    assert result.function_error == "Unhandled"
    assert error["errorType"] == "KeyError"


def test_awslambdaric_reports_a_missing_handler_as_an_init_error(tmp_path):
    # awslambdaric 3 and later (as AWS's Python runtimes) fail the init for a bad handler,
    # through /runtime/init/error, rather than each invocation.
    pytest.importorskip("awslambdaric")
    code = tmp_path / "code"
    write_bootstrap(code, f"#!/bin/sh\nexec {sys.executable} -m awslambdaric $_HANDLER\n")
    (code / "app.py").write_text("def handler(event, context):\n    return 1\n")
    spec = replace(make_spec(code, "app.missing"), runtime="provided.al2023")
    first, second = invoke_all(spec, [{}, {}], tmp_path / "s")
    for result in (first, second):  # each invocation tries the init again, as on Lambda
        assert result.function_error == "Unhandled"
        assert result.init_ms is not None
        error = json.loads(result.payload)
        assert error["errorType"] == "Runtime.HandlerNotFound"
        assert error["errorMessage"] == "Handler 'missing' missing on module 'app'"


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_nodejs_handlers_async_and_callback(tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "index.js").write_text(
        "let count = 0;\n"
        "exports.handler = async (event, context) => {\n"
        "  count += 1; console.log('hello', event.n);\n"
        "  return { count, n: event.n, name: context.functionName };\n"
        "};\n"
        "exports.cb = (event, context, callback) => callback(null, { cb: true });\n"
        "exports.fail = async () => { throw new TypeError('bad type'); };\n"
    )
    base = replace(make_spec(code, "index.handler"), runtime="nodejs20.x")
    first, second = invoke_all(base, [{"n": 1}, {"n": 2}], tmp_path / "s")
    assert json.loads(first.payload) == {"count": 1, "n": 1, "name": "fn"}
    assert json.loads(second.payload)["count"] == 2
    [callback] = invoke_all(replace(base, handler="index.cb"), [{}], tmp_path / "s2")
    assert json.loads(callback.payload) == {"cb": True}
    [failure] = invoke_all(replace(base, handler="index.fail"), [{}], tmp_path / "s3")
    error = json.loads(failure.payload)
    assert (error["errorType"], error["errorMessage"]) == ("TypeError", "bad type")


def stream_all(spec, state: Path) -> tuple[list[tuple[float, bytes]], float, object]:
    async def go() -> tuple:
        engine = Engine(state, lambda *args: None)
        loop = asyncio.get_running_loop()
        arrivals: list[tuple[float, bytes]] = []
        try:
            started = loop.time()
            request = InvokeRequest(
                str(uuid.uuid4()),
                b"{}",
                spec.function_arn,
                on_chunk=lambda chunk: arrivals.append((loop.time() - started, chunk)),
            )
            result = await engine.invoke(spec, request)
            return arrivals, loop.time() - started, result
        finally:
            await engine.stop()

    return asyncio.run(go())


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_nodejs_stream_ifyresponse_streams_chunks_before_the_handler_ends(tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "index.js").write_text(
        "exports.handler = awslambda.streamifyResponse(async (event, stream, context) => {\n"
        "  for (const word of ['one ', 'two ', 'three']) {\n"
        "    stream.write(word);\n"
        "    await new Promise((r) => setTimeout(r, 300));\n"
        "  }\n"
        "  stream.end();\n"
        "});\n"
        "exports.broken = awslambda.streamifyResponse(async (event, stream) => {\n"
        "  stream.write('partial');\n"
        "  throw new RangeError('stream broke');\n"
        "});\n"
    )
    spec = replace(make_spec(code, "index.handler"), runtime="nodejs20.x")
    arrivals, total, result = stream_all(spec, tmp_path / "s")
    assert b"".join(chunk for _, chunk in arrivals) == b"one two three"
    assert arrivals[0][0] < total - 0.5  # the first word arrived long before the end
    assert result.streamed and result.function_error is None
    arrivals, _, failed = stream_all(replace(spec, handler="index.broken"), tmp_path / "s2")
    assert b"".join(chunk for _, chunk in arrivals) == b"partial"
    assert failed.function_error == "Unhandled"
    assert json.loads(failed.payload)["errorType"] == "RangeError"


@pytest.mark.skipif(shutil.which("curl") is None, reason="the shell bootstrap uses curl")
def test_custom_runtime_streams_with_the_response_mode_header(tmp_path):
    write_bootstrap(
        tmp_path / "code",
        """#!/bin/bash
# Streams its answer over a raw HTTP/1.1 connection, chunk by chunk.
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
HOST="${AWS_LAMBDA_RUNTIME_API%:*}"
PORT="${AWS_LAMBDA_RUNTIME_API#*:}"
while true; do
  HEADERS="$(mktemp)"
  curl -sS -D "$HEADERS" -o /dev/null "$API/invocation/next"
  ID=$(grep -i Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  exec 3<>"/dev/tcp/$HOST/$PORT"
  printf 'POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\n' "$ID" >&3
  printf 'Host: %s\r\nLambda-Runtime-Function-Response-Mode: streaming\r\n' "$HOST" >&3
  printf 'Transfer-Encoding: chunked\r\n\r\n6\r\nfirst,\r\n' >&3
  sleep 0.5
  printf '6\r\nsecond\r\n0\r\n\r\n' >&3
  head -c 12 <&3 >/dev/null
  exec 3>&-
done
""",
    )
    spec = replace(make_spec(tmp_path / "code", "x.y"), runtime="provided.al2023")
    arrivals, total, result = stream_all(spec, tmp_path / "s")
    assert b"".join(chunk for _, chunk in arrivals) == b"first,second"
    assert arrivals[0][0] < total - 0.3
    assert result.streamed
