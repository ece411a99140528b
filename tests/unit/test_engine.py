"""The engine on real processes: zygote forks, warm reuse, errors, timeouts, crashes, logs."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import uuid
from pathlib import Path

import pytest

from cloudlet.engine.engine import Engine
from cloudlet.engine.environment import InvokeRequest
from cloudlet.engine.spec import FunctionSpec
from cloudlet.engine.storage import tmpfs_mounts_under

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
def killed(event, context):
    os.kill(os.getpid(), 9)
def unserializable(event, context):
    return {1, 2}
def pid(event, context):
    time.sleep(event.get("sleep", 0))
    return os.getpid()
def hog(event, context):
    blocks = []
    for _ in range(64):
        blocks.append(bytearray(8 * 1024 * 1024))
        time.sleep(0.01)
    return len(blocks)
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


def run(
    code_dir: Path, calls: list[tuple[str, dict]], *, tmpfs: bool = True, **spec_args
) -> tuple[list, list[str]]:
    lines: list[str] = []

    def sink(spec: FunctionSpec, stream: str, events: list[tuple[int, str]]) -> None:
        lines.extend(message for _, message in events)

    async def go() -> list:
        engine = Engine(code_dir.parent / "state", sink, tmpfs=tmpfs)
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
    assert error["errorType"] == "Sandbox.Timedout"
    assert re.fullmatch(
        r"RequestId: \S+ Error: Task timed out after 1\.0\d seconds", error["errorMessage"]
    )
    assert results[1].init_ms is not None  # a fresh environment
    assert any(line.endswith("Status: timeout") for line in lines)


def test_crash_is_an_exit_error_and_the_next_invoke_works(code_dir):
    results, _ = run(code_dir, [("app.crash", {}), ("app.crash", {})])
    error = json.loads(results[0].payload)
    assert error["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in error["errorMessage"]
    assert results[1].outcome == "crash"


def test_a_kill_that_is_not_for_memory_is_an_exit_error(code_dir):
    [result], _ = run(code_dir, [("app.killed", {})])
    error = json.loads(result.payload)
    assert error["errorType"] == "Runtime.ExitError"
    assert error["errorMessage"].endswith("Runtime exited with error: signal: killed")


def test_unserializable_result_is_a_marshal_error(code_dir):
    [result], _ = run(code_dir, [("app.unserializable", {})])
    error = json.loads(result.payload)
    assert error["errorType"] == "Runtime.MarshalError"
    assert error["errorMessage"].startswith("Unable to marshal response:")


def test_reserved_concurrency_of_zero_throttles_every_invoke(code_dir):
    from cloudlet.engine.concurrency import Throttled

    async def go() -> str:
        engine = Engine(code_dir.parent / "state", lambda *args: None)
        spec = make_spec(code_dir, "app.handler")
        engine.concurrency.set_reserved(("000000000000", "us-east-1"), spec.function_arn, 0)
        try:
            await engine.invoke(spec, InvokeRequest("r", b"{}", spec.function_arn))
        except Throttled as throttled:
            return throttled.reason
        finally:
            await engine.stop()
        return "not throttled"

    assert asyncio.run(go()) == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_provisioned_environments_are_initialized_ahead_and_used_first(code_dir):
    (code_dir / "kind.py").write_text(
        "import os\nKIND = os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']\n"
        "def handler(event, context):\n    return KIND\n"
    )

    async def go() -> tuple:
        engine = Engine(code_dir.parent / "state", lambda *args: None)
        spec = make_spec(code_dir, "kind.handler")
        try:
            await engine.provision(spec, 2)
            ready = engine.provisioned_ready(spec)
            result = await engine.invoke(spec, InvokeRequest("r", b"{}", spec.function_arn))
            return ready, json.loads(result.payload), result.init_ms
        finally:
            await engine.stop()

    ready, kind, init_ms = asyncio.run(go())
    assert ready == 2
    assert kind == "provisioned-concurrency"
    assert init_ms is None  # no cold start paid by the invocation


def test_a_provisioned_environment_that_dies_while_idle_is_replaced(code_dir):
    async def go() -> tuple:
        engine = Engine(code_dir.parent / "state", lambda *args: None)
        spec = make_spec(code_dir, "app.pid")
        try:
            await engine.provision(spec, 1)
            [first] = engine.provisioned[spec.key]
            os.kill(first.pid, signal.SIGKILL)
            deadline = asyncio.get_running_loop().time() + 10
            while asyncio.get_running_loop().time() < deadline:
                pool = engine.provisioned.get(spec.key, [])
                if [e for e in pool if e is not first and e.state == "IDLE"]:
                    break
                await asyncio.sleep(0.02)
            [second] = engine.provisioned[spec.key]
            result = await engine.invoke(spec, InvokeRequest("r", b"{}", spec.function_arn))
            return first, second, result
        finally:
            await engine.stop()

    first, second, result = asyncio.run(go())
    assert first.state == "DEAD" and second is not first
    assert json.loads(result.payload) == second.pid  # served by the replacement
    assert result.init_ms is None  # initialized ahead, not by the invocation


def test_account_concurrency_keeps_an_unreserved_pool():
    from cloudlet.engine.concurrency import Concurrency, Throttled

    limits = Concurrency(limit=3)
    scope = ("000000000000", "us-east-1")
    limits.set_reserved(scope, "reserved-fn", 1)
    assert limits.unreserved(scope) == 2
    first = limits.acquire(scope, "other")
    limits.acquire(scope, "other")
    with pytest.raises(Throttled) as throttled:
        limits.acquire(scope, "third")
    assert throttled.value.reason == "ConcurrentInvocationLimitExceeded"
    limits.acquire(scope, "reserved-fn")  # its own slice is still free
    limits.release(first)
    limits.acquire(scope, "third")


@pytest.mark.parametrize(
    "limiter", ["cgroup where possible", "cgroup beside a tmpfs", "resident memory poller"]
)
def test_exceeding_memory_size_kills_the_environment_as_lambda_does(code_dir, limiter, monkeypatch):
    from cloudlet.engine import engine
    from cloudlet.engine.memory import MemoryLimits

    if limiter == "resident memory poller":
        no_cgroups = code_dir.parent / "no-cgroups"
        monkeypatch.setattr(engine, "MemoryLimits", lambda: MemoryLimits(no_cgroups))
    tmpfs = limiter == "cgroup beside a tmpfs"
    results, _ = run(code_dir, [("app.hog", {}), ("app.handler", {})], tmpfs=tmpfs)
    error = json.loads(results[0].payload)
    assert results[0].outcome == "crash"
    assert error["errorType"] == "Runtime.OutOfMemory"
    assert error["errorMessage"] == (
        f"RequestId: {results[0].request_id} Error: Runtime exited with error: signal: killed"
    )
    assert json.loads(results[1].payload)["count"] == 1  # a fresh environment


SNAPSHOT_CODE = """
import os, threading, time
with open(os.path.join(os.path.dirname(__file__), "inits.log"), "a") as log:
    log.write(f"{os.getpid()}\\n")
time.sleep(0.3)
if os.environ.get("START_THREAD"):
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
COUNT = 0
def handler(event, context):
    global COUNT
    COUNT += 1
    time.sleep(0.2)
    return {"count": COUNT, "pid": os.getpid(), "stream": context.log_stream_name}
"""


def run_parallel(code_dir: Path, spec: FunctionSpec, count: int) -> tuple[list, list[str]]:
    lines: list[str] = []

    async def go() -> list:
        engine = Engine(code_dir.parent / "state", lambda s, st, ev: lines.extend(m for _, m in ev))
        try:
            requests = [
                InvokeRequest(str(uuid.uuid4()), b"{}", spec.function_arn) for _ in range(count)
            ]
            return await asyncio.gather(*(engine.invoke(spec, r) for r in requests))
        finally:
            await engine.stop()

    return asyncio.run(go()), lines


def test_snapshot_runs_the_init_once_for_many_environments(code_dir):
    from dataclasses import replace

    (code_dir / "snap.py").write_text(SNAPSHOT_CODE)
    spec = replace(make_spec(code_dir, "snap.handler"), snapshot=True)
    results, lines = run_parallel(code_dir, spec, 3)
    answers = [json.loads(r.payload) for r in results]
    assert len({a["pid"] for a in answers}) == 3  # three environments
    assert [a["count"] for a in answers] == [1, 1, 1]  # each starts from the post-init state
    assert len({a["stream"] for a in answers}) == 3  # each with its own log stream
    assert (code_dir / "inits.log").read_text().count("\n") == 1  # the init ran once
    reports = [line for line in lines if line.startswith("REPORT")]
    assert len(reports) == 3 and all("Restore Duration: " in r for r in reports)


def test_init_that_starts_threads_is_not_snapshotted(code_dir):
    from dataclasses import replace

    (code_dir / "snap.py").write_text(SNAPSHOT_CODE)
    spec = make_spec(code_dir, "snap.handler")
    spec = replace(spec, snapshot=True, environment={"START_THREAD": "1"})
    results, lines = run_parallel(code_dir, spec, 2)
    assert all(json.loads(r.payload)["count"] == 1 for r in results)
    # The refused snapshot ran the init once; each environment then ran its own.
    assert (code_dir / "inits.log").read_text().count("\n") == 3
    assert all("Init Duration: " in line for line in lines if line.startswith("REPORT"))


WRITER = """
import errno, os, tempfile
def handler(event, context):
    written = []
    for index in range(event["files"]):
        path = os.path.join(tempfile.gettempdir(), f"file{index}")
        try:
            with open(path, "wb") as out:
                out.write(b"x" * (event["mb"] * 1024 * 1024))
        except OSError as error:
            return {"written": written, "error": errno.errorcode[error.errno],
                    "dir": tempfile.gettempdir()}
        written.append(os.path.getsize(path))
    return {"written": written, "dir": tempfile.gettempdir()}
"""


@pytest.mark.parametrize("tmpfs", [True, False], ids=["tmpfs", "per-file limit"])
def test_the_temporary_directory_holds_the_ephemeral_storage(code_dir, tmpfs):
    """As root, /tmp itself is a tmpfs of its size: files add up to it (ENOSPC), and the
    server mounts nothing. Otherwise (forced here) a private directory, where each file is
    limited alone (EFBIG), and several may add up past it."""
    from dataclasses import replace

    (code_dir / "writer.py").write_text(WRITER)

    async def go() -> tuple[list, str, list[str]]:
        engine = Engine(code_dir.parent / "state", lambda *a: None, tmpfs=tmpfs)
        spec = replace(make_spec(code_dir, "writer.handler"), ephemeral_storage=2)
        try:
            results = [
                json.loads(
                    (
                        await engine.invoke(
                            spec,
                            InvokeRequest(str(n), json.dumps(event).encode(), spec.function_arn),
                        )
                    ).payload
                )
                for n, event in enumerate([{"files": 3, "mb": 1}, {"files": 1, "mb": 3}])
            ]
            mounted = tmpfs_mounts_under(code_dir.parent / "tmp")
            return results, engine.status()["ephemeral_storage"], mounted
        finally:
            await engine.stop()

    (several, one_large), enforcement, mounted = asyncio.run(go())
    assert mounted == []  # an environment's /tmp is in its own mount namespace
    if tmpfs:
        assert enforcement == "tmpfs per environment"
        assert several["dir"] == "/tmp"
        # the third file finds /tmp full; the host's /tmp has none of them
        assert (several["written"], several["error"]) == ([1024 * 1024] * 2, "ENOSPC")
        assert one_large == {"written": [], "error": "ENOSPC", "dir": "/tmp"}
        assert not Path("/tmp/file0").exists()
    else:
        assert enforcement == "per-file size limit"
        assert several["dir"].startswith(str(code_dir.parent / "tmp"))  # a private directory
        assert several["written"] == [1024 * 1024] * 3 and "error" not in several
        assert (one_large["written"], one_large["error"]) == ([], "EFBIG")


def test_a_generator_handler_streams_its_chunks_as_they_are_produced(code_dir):
    (code_dir / "stream.py").write_text(
        "import time\n"
        "def handler(event, context):\n"
        "    for n in range(3):\n"
        "        yield f'chunk {n};'\n"
        "        time.sleep(0.2)\n"
    )

    async def go() -> tuple:
        engine = Engine(code_dir.parent / "state", lambda *a: None)
        spec = make_spec(code_dir, "stream.handler")
        arrivals: list[tuple[float, bytes]] = []
        try:
            started = asyncio.get_running_loop().time()
            request = InvokeRequest(
                "r1",
                b"{}",
                spec.function_arn,
                on_chunk=lambda c: arrivals.append((asyncio.get_running_loop().time(), c)),
            )
            streamed = await engine.invoke(spec, request)
            ended = asyncio.get_running_loop().time()
            buffered = await engine.invoke(spec, InvokeRequest("r2", b"{}", spec.function_arn))
            return started, arrivals, ended, streamed, buffered
        finally:
            await engine.stop()

    started, arrivals, ended, streamed, buffered = asyncio.run(go())
    assert [chunk for _, chunk in arrivals] == [b"chunk 0;", b"chunk 1;", b"chunk 2;"]
    assert arrivals[0][0] - started < ended - started - 0.3  # the first came long before the end
    assert streamed.streamed and streamed.payload == b""
    assert buffered.payload == b"chunk 0;chunk 1;chunk 2;" and buffered.streamed


@pytest.mark.parametrize("runtime", ["python3.9", "python3.12", "python3.13"])
def test_each_python_runtime_runs_on_its_own_interpreter_with_boto3(code_dir, runtime):
    from dataclasses import replace

    from cloudlet.engine.runtimes import python_interpreter

    interpreter = python_interpreter(runtime, strict=False)
    if interpreter.warning:
        pytest.skip(f"no {runtime} interpreter on this machine")
    (code_dir / "version.py").write_text(
        "import sys, boto3\n"
        "def handler(event, context):\n"
        "    return {'python': '%d.%d' % sys.version_info[:2], 'boto3': boto3.__version__,\n"
        "            'env': __import__('os').environ['AWS_EXECUTION_ENV']}\n"
    )
    spec = replace(make_spec(code_dir, "version.handler"), runtime=runtime, revision=runtime)
    [result], _ = run_spec(code_dir, spec)
    answer = json.loads(result.payload)
    assert answer["python"] == runtime.removeprefix("python")
    assert answer["env"] == f"AWS_Lambda_{runtime}"
    assert answer["boto3"]


def run_spec(code_dir: Path, spec: FunctionSpec) -> tuple[list, list[str]]:
    lines: list[str] = []

    async def go() -> list:
        engine = Engine(code_dir.parent / "state", lambda s, st, ev: lines.extend(m for _, m in ev))
        try:
            return [await engine.invoke(spec, InvokeRequest("r", b"{}", spec.function_arn))]
        finally:
            await engine.stop()

    return asyncio.run(go()), lines


def test_the_most_recently_used_environment_is_reused_first(code_dir):
    async def go() -> tuple:
        engine = Engine(code_dir.parent / "state", lambda *args: None)
        spec = make_spec(code_dir, "app.pid")

        async def call(sleep: float) -> int:
            request = InvokeRequest(
                str(uuid.uuid4()), json.dumps({"sleep": sleep}).encode(), spec.function_arn
            )
            return json.loads((await engine.invoke(spec, request)).payload)

        try:
            # Two environments; the slower one is released last, so it is the most recent.
            early, late = await asyncio.gather(call(0.0), call(0.5))
            then = [await call(0.0) for _ in range(3)]
            return early, late, then
        finally:
            await engine.stop()

    early, late, then = asyncio.run(go())
    assert early != late
    assert then == [late, late, late]


def test_idle_environments_are_reaped_after_the_keep_alive(code_dir):
    async def go() -> tuple:
        # Without a tmpfs, so that the environment has a directory on the host to remove.
        engine = Engine(code_dir.parent / "state", lambda *args: None, keep_alive=0.3, tmpfs=False)
        await engine.start()
        spec = make_spec(code_dir, "app.handler")
        try:
            first = await engine.invoke(spec, InvokeRequest("r1", b"{}", spec.function_arn))
            [environment] = engine.idle[spec.key]
            tmp = Path(spec.tmp_path(environment.id))
            had_tmp = tmp.is_dir()
            deadline = asyncio.get_running_loop().time() + 10
            while engine.by_pid and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.05)
            reaped = (environment.state, dict(engine.by_pid), spec.key in engine.idle)
            second = await engine.invoke(spec, InvokeRequest("r2", b"{}", spec.function_arn))
            return first, had_tmp, tmp.exists(), reaped, second
        finally:
            await engine.stop()

    first, had_tmp, tmp_left, reaped, second = asyncio.run(go())
    assert had_tmp and not tmp_left  # its private temporary directory went with it
    assert reaped == ("DEAD", {}, False)
    assert first.init_ms is not None and second.init_ms is not None  # a cold start again
    assert json.loads(second.payload)["count"] == 1
