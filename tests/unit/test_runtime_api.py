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
