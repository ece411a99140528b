"""What a function prints reaches CloudWatch Logs storage: the engine with LogStore's sink."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path

from cloudlet.engine.engine import Engine
from cloudlet.engine.environment import InvokeRequest
from cloudlet.engine.spec import FunctionSpec
from cloudlet.logstore import GroupSearch, LogStore
from cloudlet.store import open_store

CODE = """
print("cold start")
def handler(event, context):
    print("hello", event["name"])
    return "ok"
"""


def make_spec(code_dir: Path) -> FunctionSpec:
    return FunctionSpec(
        function_name="greeter",
        version="$LATEST",
        function_arn="arn:aws:lambda:us-east-1:000000000000:function:greeter",
        runtime="python3.11",
        handler="app.handler",
        code_dir=str(code_dir),
        opt_dir=None,
        memory_size=128,
        timeout=3,
        region="us-east-1",
        account_id="000000000000",
        endpoint="http://localhost:4566",
        tmp_dir=str(code_dir.parent / "tmp"),
        revision="1",
    )


def test_function_output_lands_in_its_log_group_framed_by_lambda_lines(tmp_path):
    code_dir = tmp_path / "code"
    code_dir.mkdir()
    (code_dir / "app.py").write_text(CODE)
    spec = make_spec(code_dir)

    async def go() -> tuple[list[str], list[str], list[str]]:
        store = open_store(str(tmp_path / "db.sqlite"))
        logs = LogStore(store)
        engine = Engine(tmp_path / "state", logs.sink)
        await engine.start()
        ids = []
        try:
            for name in ("Ada", "Grace"):
                request_id = str(uuid.uuid4())
                payload = json.dumps({"name": name}).encode()
                await engine.invoke(spec, InvokeRequest(request_id, payload, spec.function_arn))
                ids.append(request_id)
        finally:
            await engine.stop()
            await logs.close()
        try:
            group = await logs.group("000000000000", "us-east-1", "/aws/lambda/greeter")
            assert group is not None
            found = await logs.search_group(GroupSearch(group.id))
            return ids, [e.message for e in found.events], [e.stream for e in found.events]
        finally:
            store.close()

    ids, messages, streams = asyncio.run(go())
    assert messages[0] == "cold start"
    first, second = ids
    start = messages.index(f"START RequestId: {first} Version: $LATEST")
    assert messages[start + 1] == "hello Ada"
    assert messages[start + 2] == f"END RequestId: {first}"
    assert messages[start + 3].startswith(f"REPORT RequestId: {first}\tDuration: ")
    assert "Init Duration: " in messages[start + 3]
    assert messages[start + 4 : start + 6] == [
        f"START RequestId: {second} Version: $LATEST",
        "hello Grace",
    ]
    assert "Init Duration: " not in messages[-1]
    # One warm environment served both: one stream, named as Lambda names them.
    assert len(set(streams)) == 1
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]+", streams[0])
