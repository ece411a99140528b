"""An execution environment: one process running one function version's code.

Life cycle: INIT (the handler module imported, timed as Init Duration) -> IDLE <-> BUSY ->
DEAD (reaped idle, crashed, timed out, or retired by a code update). The environment turns
its process's output into log events framed by Lambda's START / END / REPORT lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import math
import os
import re
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cloudlet.engine.channels import Channel
from cloudlet.engine.logpipe import LogPipe
from cloudlet.engine.logtail import LogTail
from cloudlet.engine.spec import FunctionSpec

INIT_TIMEOUT = 10.0  # seconds, as Lambda allows for on-demand initialization
# The error types Lambda's logs name as the runtime reported them; any other is
# Runtime.Unknown (Function.Unknown for a Function.* one), as the Lambda service does.
_REPORTED_ERROR_TYPE = re.compile(r"(Runtime|Function)\.[A-Z][a-zA-Z]+")

# (the function, log stream, [(timestamp ms, message)]): the log group is the function's.
LogSink = Callable[[FunctionSpec, str, list[tuple[int, str]]], None]
# Starts an environment's process, its output going to the log fd: -> (pid, channel).
Launcher = Callable[["Environment", int], Awaitable[tuple[int, Channel]]]


class LaunchError(Exception):
    """The runtime cannot be started at all (no bootstrap, no interpreter...)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


@dataclass
class InvokeRequest:
    request_id: str
    payload: bytes
    invoked_arn: str
    client_context: dict[str, Any] | None = None
    identity: dict[str, Any] | None = None
    trace_id: str = ""
    tenant_id: str | None = None
    want_tail: bool = False
    # Where a streamed response's chunks go as they are produced; without it they are
    # gathered into the result's payload (a buffered invoke of a streaming function).
    on_chunk: Callable[[bytes], None] | None = None


@dataclass
class InvokeResult:
    request_id: str
    payload: bytes
    function_error: str | None  # "Unhandled" when the function failed
    duration_ms: float
    init_ms: float | None  # set on the invoke that paid for a cold start
    max_memory_mb: int
    log_tail: str = ""  # LogType=Tail: the log's last 4 KB in UTF-8 (LogTail.text)
    outcome: str = "success"  # success | error | timeout | crash
    restored: bool = False  # init_ms is a restore from a snapshot
    streamed: bool = False  # the function streamed its response (through on_chunk)

    @property
    def billed_ms(self) -> int:
        return max(1, math.ceil(self.duration_ms))


@dataclass(eq=False)
class Environment:
    spec: FunctionSpec
    id: str
    log_sink: LogSink
    state: str = "INIT"
    pid: int = 0
    init_ms: float = 0.0
    invocations: int = 0
    last_used: float = field(default_factory=time.monotonic)
    init_error: bytes | None = None
    init_status: str = ""  # after a failed init: "error" or "timeout", as INIT_REPORT says
    restored: bool = False  # forked from a snapshot of an initialized process: no init ran
    channel: Channel | None = None
    _log: LogPipe | None = None
    # The end of the log while an invocation asked for it (LogType=Tail); from the start,
    # so that a cold start's tail shows its init, as on Lambda.
    _tail: LogTail | None = None
    _exit_status: int | None = None
    _exited: asyncio.Event = field(default_factory=asyncio.Event)
    _out_of_memory: bool = False  # killed for going over its memory size

    @cached_property
    def log_stream(self) -> str:
        # Named once, after the day the environment started, as Lambda names its streams.
        return self.spec.log_stream_name(self.id)

    # -- start ------------------------------------------------------------------------------

    async def start(self, launch: Launcher) -> None:
        """Start the process through `launch` and wait for its init (or its init error)."""
        self._tail = LogTail()
        started = time.perf_counter()
        log_read, log_write = os.pipe()
        try:
            self.pid, self.channel = await launch(self, log_write)
        except LaunchError as error:
            os.close(log_read)
            self.init_ms = (time.perf_counter() - started) * 1000
            self._init_failed(_runtime_error(error.error_type, error.message))
            return
        except BaseException:
            os.close(log_read)
            raise
        finally:
            os.close(log_write)
        self._log = LogPipe(log_read, self._emit)
        try:
            kind, self.init_ms, payload = await asyncio.wait_for(self.channel.ready(), INIT_TIMEOUT)
        except TimeoutError:
            self.init_ms = INIT_TIMEOUT * 1000
            message = f"INIT timed out after {INIT_TIMEOUT:.2f} seconds"
            self._init_failed(_runtime_error("Sandbox.Timedout", message), "timeout")
            return
        except ConnectionError:
            status = await self._wait_exit()
            self.init_ms = (time.perf_counter() - started) * 1000
            message = f"Error: Runtime exited with error: {_describe_exit(status)}"
            self._init_failed(_runtime_error("Runtime.ExitError", message))
            return
        if kind == "init_error":
            self._init_failed(payload)
            return
        self._drain_log()  # what the init printed comes before the first START
        self.state = "IDLE"

    def _init_failed(self, error: bytes, status: str = "error") -> None:
        """The init failed: stop the process, and say so in the log as Lambda does."""
        self.init_error, self.init_status = error, status
        self.kill()
        self._log_line(
            f"INIT_REPORT Init Duration: {self.init_ms:.2f} ms\tPhase: init\t"
            + _status(status, self.init_error_type)
        )

    @property
    def init_error_type(self) -> str:
        """The failed init's error type as Lambda's logs name it."""
        try:
            reported = json.loads(self.init_error or b"{}").get("errorType", "")
        except (ValueError, AttributeError):
            reported = ""
        if _REPORTED_ERROR_TYPE.search(str(reported)):
            return str(reported)
        return "Function.Unknown" if str(reported).startswith("Function.") else "Runtime.Unknown"

    def init_failure(self, request: InvokeRequest) -> InvokeResult:
        """The invocation that found the init failed: its START, END and REPORT lines (with
        the init's status and error type), and the init's error as its result."""
        assert self.init_error is not None
        tail = self._tail if request.want_tail else None
        self._tail = tail
        self._log_line(f"START RequestId: {request.request_id} Version: {self.spec.version}")
        self._log_line(f"END RequestId: {request.request_id}")
        memory = self.max_memory_mb()
        self._log_line(
            _report(request.request_id, self.init_ms, self.spec.memory_size, memory)
            + _status(self.init_status, self.init_error_type)
        )
        self._tail = None
        return InvokeResult(
            request.request_id,
            self.init_error,
            "Unhandled",
            self.init_ms,
            self.init_ms,
            memory,
            tail.text() if tail is not None else "",
            outcome="timeout" if self.init_status == "timeout" else "error",
        )

    # -- invoke ----------------------------------------------------------------------------

    async def invoke(self, request: InvokeRequest, *, cold: bool) -> InvokeResult:
        """Run one invocation; the environment is DEAD afterwards if it timed out or crashed."""
        assert self.channel is not None and self.state == "IDLE"
        self.state = "BUSY"
        self.invocations += 1
        spec = self.spec
        deadline = time.time() + spec.timeout
        started = time.perf_counter()
        if not (cold and request.want_tail):  # a cold start's tail begins with its init
            self._tail = LogTail() if request.want_tail else None
        self._log_line(f"START RequestId: {request.request_id} Version: {spec.version}")
        meta = {
            "id": request.request_id,
            "deadline": int(deadline * 1000),
            "arn": request.invoked_arn,
            "cc": request.client_context,
            "ci": request.identity,
            "trace": request.trace_id,
            "tenant": request.tenant_id,
        }
        outcome = "success"
        function_error: str | None = None
        ended = ""  # how the REPORT line ends when the invocation did not succeed
        chunks: list[bytes] = []
        deliver = chunks.append if request.on_chunk is None else request.on_chunk
        streamed = False

        def take(chunk: bytes) -> None:
            nonlocal streamed
            streamed = True
            deliver(chunk)

        self.channel.on_chunk = take
        try:
            self.channel.send(meta, request.payload)
            async with asyncio.timeout(spec.timeout):
                kind, body = await self.channel.reply()
            if kind == "ok" and chunks:
                body = b"".join(chunks)
            if kind == "error":
                outcome, function_error = "error", "Unhandled"
            elif kind == "too_large":
                outcome, function_error = "error", "Unhandled"
                body = _runtime_error(
                    "Function.ResponseSizeTooLarge",
                    "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
                )
        except TimeoutError:
            outcome, function_error = "timeout", "Unhandled"
            elapsed = time.perf_counter() - started
            timed_out = f"Task timed out after {elapsed:.2f} seconds"
            # Invoke's answer as AWS words it now; the log keeps the line CloudWatch shows.
            body = _runtime_error(
                "Sandbox.Timedout", f"RequestId: {request.request_id} Error: {timed_out}"
            )
            ended = _status("timeout")
            self._drain_log()
            self._log_line(f"{_iso_now()} {request.request_id} {timed_out}")
            self.kill()
        except ConnectionError:
            outcome, function_error = "crash", "Unhandled"
            status = await self._wait_exit()
            crash = "Runtime.OutOfMemory" if self._out_of_memory else "Runtime.ExitError"
            message = (
                f"RequestId: {request.request_id} Error: Runtime exited with error: "
                f"{_describe_exit(status)}"
            )
            body, ended = _runtime_error(crash, message), _status("error", crash)
            self.kill()
            self._log_line(f"{message}\n{crash}")  # what Lambda logs before END
        duration = (time.perf_counter() - started) * 1000
        self._drain_log()
        memory = self.max_memory_mb()
        init = self.init_ms if cold else None
        self._log_line(f"END RequestId: {request.request_id}")
        report = _report(request.request_id, duration, spec.memory_size, memory)
        if init is not None and self.restored:
            report += (
                f"Restore Duration: {init:.2f} ms\tBilled Restore Duration: "
                f"{max(1, math.ceil(init))} ms\t"
            )
        elif init is not None:
            report += f"Init Duration: {init:.2f} ms\t"
        self._log_line(report + ended)
        tail = self._tail.text() if self._tail is not None else ""
        self._tail = None
        if self.state == "BUSY":
            self.state = "IDLE"
        self.last_used = time.monotonic()
        return InvokeResult(
            request.request_id,
            body,
            function_error,
            duration,
            init,
            memory,
            tail,
            outcome,
            self.restored and init is not None,
            streamed,
        )

    async def _wait_exit(self) -> int | None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._exited.wait(), 1.0)
        return self._exit_status

    # -- logs --------------------------------------------------------------------------------

    def _emit(self, events: list[tuple[int, str]]) -> None:
        if self._tail is not None:
            for _, message in events:
                self._tail.add(message)
        self.log_sink(self.spec, self.log_stream, events)

    def _drain_log(self) -> None:
        if self._log is not None:
            self._log.drain()

    def _log_line(self, message: str) -> None:
        self._emit([(int(time.time() * 1000), message)])

    def note(self, message: str) -> None:
        """A line of cloudlet's own in the environment's log stream (e.g. a warning)."""
        self._log_line(message)

    # -- end of life -------------------------------------------------------------------------

    def max_memory_mb(self) -> int:
        """Peak resident memory of the process (Lambda's Max Memory Used)."""
        reported = self.channel.peak_memory_kb if self.channel is not None else None
        if reported:
            return max(1, round(reported / 1024))
        try:
            with open(f"/proc/{self.pid}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"VmHWM:"):
                        return max(1, round(int(line.split()[1]) / 1024))
        except OSError:
            pass
        return 0

    def exited(self, status: int, *, out_of_memory: bool = False) -> None:
        """The process ended (reported by the zygote or by its parent watcher), killed for
        going over its memory size when `out_of_memory`."""
        self._exit_status = status
        self._out_of_memory = out_of_memory
        self._exited.set()
        self.state = "DEAD"
        if self.channel is not None:
            self.channel.lost(f"the process exited ({_describe_exit(status)})")

    def kill(self) -> None:
        self.state = "DEAD"
        if self.pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        if self.channel is not None:
            self.channel.close()
        if self._log is not None:
            self._log.drain()
            self._log.close()


def _report(request_id: str, duration: float, memory_size: int, memory_used: int) -> str:
    """A REPORT line's figures; what follows them (init, status) depends on the invocation."""
    return (
        f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
        f"Billed Duration: {max(1, math.ceil(duration))} ms\tMemory Size: {memory_size}"
        f" MB\tMax Memory Used: {memory_used} MB\t"
    )


def _status(status: str, error_type: str = "") -> str:
    """The end of an INIT_REPORT or REPORT line that did not succeed."""
    if status == "timeout":
        return "Status: timeout"
    return f"Status: error\tError Type: {error_type}"


def _runtime_error(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def _describe_exit(status: int | None) -> str:
    if status is None:
        return "signal: killed"
    if status < 0:
        name = {9: "killed", 11: "segmentation fault", 6: "aborted", 15: "terminated"}
        return f"signal: {name.get(-status, str(-status))}"
    return f"exit status {status}"


def _iso_now() -> str:
    moment = datetime.datetime.now(datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
