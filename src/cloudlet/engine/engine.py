"""The engine: runs invocations in warm environments, forking new ones from zygotes.

Warm environments are reused most recently used first, so a steady load keeps a few hot
ones and lets the rest idle out after `keep_alive` seconds (scale to zero). Environments of
an older revision of a function are retired as soon as they are idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import os
import signal
import socket
import time
from collections import defaultdict, deque
from dataclasses import dataclass, replace
from pathlib import Path

from cloudlet.engine.bootstrap.limits import limit_file_size
from cloudlet.engine.bootstrap.private_tmp import make_private_tmp
from cloudlet.engine.channels import Channel, SocketChannel
from cloudlet.engine.concurrency import Concurrency
from cloudlet.engine.environment import (
    INIT_TIMEOUT,
    Environment,
    InvokeRequest,
    InvokeResult,
    LaunchError,
    LogSink,
)
from cloudlet.engine.logpipe import LogPipe
from cloudlet.engine.memory import MemoryLimits
from cloudlet.engine.runtime_api import RuntimeApiChannel
from cloudlet.engine.runtimes import (
    Interpreter,
    provided_site,
    python_interpreter,
    runtime_command,
)
from cloudlet.engine.spec import FunctionSpec
from cloudlet.engine.storage import EphemeralStorage
from cloudlet.engine.zygote import TemplateRefused, Zygote

log = logging.getLogger("cloudlet.engine")
RECORDS_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class InvocationRecord:
    """What one invocation cost and how it ended, for the console and benchmarks."""

    at: float
    function_arn: str
    version: str
    request_id: str
    start: str  # "cold", "restore" or "warm"
    init_ms: float | None
    duration_ms: float
    max_memory_mb: int
    outcome: str

    @classmethod
    def of(cls, spec: FunctionSpec, result: InvokeResult) -> InvocationRecord:
        start = "warm" if result.init_ms is None else ("restore" if result.restored else "cold")
        return cls(
            time.time(),
            spec.function_arn,
            spec.version,
            result.request_id,
            start,
            result.init_ms,
            result.duration_ms,
            result.max_memory_mb,
            result.outcome,
        )


class ProvisioningFailed(Exception):
    """Provisioned environments could not be initialized; the message is the init error."""


class Engine:
    def __init__(
        self,
        state_dir: Path,
        log_sink: LogSink,
        *,
        preload: tuple[str, ...] = ("boto3",),
        keep_alive: float = 300.0,
        strict_runtimes: bool = False,
        concurrency_limit: int = 1000,
        snapshot_all: bool = False,
        tmpfs: bool = True,
    ) -> None:
        self.state_dir = state_dir
        self.log_sink = log_sink
        self.preload = list(preload)
        self.keep_alive = keep_alive
        self.strict_runtimes = strict_runtimes
        self.zygotes: dict[str, Zygote] = {}
        self._zygote_starting: dict[str, asyncio.Task[Zygote]] = {}
        # Snapshots: per (function version, revision), a template forked after the init.
        self.snapshot_all = snapshot_all
        self.templates: dict[tuple[tuple[str, str], str], Zygote] = {}
        self.unsnapshottable: dict[tuple[tuple[str, str], str], str] = {}
        self._starting: dict[tuple[tuple[str, str], str], asyncio.Task[Zygote | None]] = {}
        self.concurrency = Concurrency(concurrency_limit)
        self.records: deque[InvocationRecord] = deque(maxlen=RECORDS_KEPT)
        self.memory = MemoryLimits()
        # Each environment's /tmp: a tmpfs of its size where we may mount, else a directory.
        self.storage = EphemeralStorage(state_dir, tmpfs=tmpfs)
        self.idle: dict[tuple[str, str], list[Environment]] = defaultdict(list)
        # Provisioned environments stay in their pool, busy or idle, and are never reaped; one
        # that dies is replaced, so the pool keeps the size and revision asked for last.
        self.provisioned: dict[tuple[str, str], list[Environment]] = defaultdict(list)
        self._provisioned_wanted: dict[tuple[str, str], tuple[str, int]] = {}
        self.by_pid: dict[int, Environment] = {}
        self.warnings: dict[str, str] = {}  # runtime -> why it runs on another interpreter
        self._ids = itertools.count(1)
        self._reaper: asyncio.Task[None] | None = None
        self._watchers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._reaper = asyncio.create_task(self._reap_idle())

    def status(self) -> dict[str, object]:
        """Counts for `cloudlet status`: environments by state, zygotes, snapshots."""
        states = [e.state for e in self.by_pid.values()]
        starts = [r.start for r in self.records]
        return {
            "environments_idle": states.count("IDLE"),
            "environments_busy": states.count("BUSY"),
            "zygotes": len(self.zygotes),
            "snapshots": len(self.templates),
            "recent_invocations": len(starts),
            "recent_cold_starts": starts.count("cold") + starts.count("restore"),
            "ephemeral_storage": self.storage.enforcement,
            **({"runtime_warnings": dict(self.warnings)} if self.warnings else {}),
        }

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        for environment in self._environments():
            self._retire(environment)
        self.idle.clear()
        self.provisioned.clear()
        self._provisioned_wanted.clear()
        for template in self.templates.values():
            template.close()
        self.templates.clear()
        for zygote in self.zygotes.values():
            zygote.close()
        self.zygotes.clear()
        self.memory.close()

    def _environments(self) -> set[Environment]:
        """Every environment not retired yet: running, or dead but still pooled."""
        pooled = [e for pools in (self.idle, self.provisioned) for p in pools.values() for e in p]
        return {*self.by_pid.values(), *pooled}

    # -- invoking -----------------------------------------------------------------------------

    async def invoke(self, spec: FunctionSpec, request: InvokeRequest) -> InvokeResult:
        """Run `request` on a warm environment of `spec`, or a new one (a cold start).

        Raises `Throttled` when the function or the account is at its concurrency limit.
        """
        slot = self.concurrency.acquire((spec.account_id, spec.region), spec.function_arn)
        try:
            result = await self._invoke(spec, request)
        finally:
            self.concurrency.release(slot)
        self.records.append(InvocationRecord.of(spec, result))
        return result

    async def _invoke(self, spec: FunctionSpec, request: InvokeRequest) -> InvokeResult:
        environment = self._take_provisioned(spec) or self._take_idle(spec)
        cold = environment is None
        if environment is None:
            environment = await self.new_environment(spec)
            if environment.init_error is not None:
                return environment.init_failure(request)
        result = await environment.invoke(request, cold=cold)
        self._release(environment)
        return result

    def _take_idle(self, spec: FunctionSpec) -> Environment | None:
        stack = self.idle.get(spec.key)
        while stack:
            environment = stack.pop()  # most recently used first
            if environment.state == "IDLE" and environment.spec.revision == spec.revision:
                return environment
            self._retire(environment)
        return None

    def _take_provisioned(self, spec: FunctionSpec) -> Environment | None:
        for environment in self.provisioned.get(spec.key, ()):
            if environment.state == "IDLE" and environment.spec.revision == spec.revision:
                return environment
        return None

    async def provision(self, spec: FunctionSpec, count: int) -> None:
        """Keep `count` initialized environments of `spec` ready (provisioned concurrency).

        Raises `ProvisioningFailed` when the function's init fails.
        """
        pool = self.provisioned[spec.key]
        self._provisioned_wanted[spec.key] = (spec.revision, count)
        for environment in [e for e in pool if e.spec.revision != spec.revision]:
            pool.remove(environment)
            self._retire(environment)
        while len(pool) > count:
            self._retire(pool.pop())
        template = replace(spec, initialization_type="provisioned-concurrency")
        wanted = (spec.revision, count)
        # A later call (another count or revision) takes over from this one.
        while len(pool) < count and self._provisioned_wanted.get(spec.key) == wanted:
            environment = await self.new_environment(template)
            if environment.init_error is not None:
                raise ProvisioningFailed(environment.init_error.decode("utf-8", "replace"))
            self._add_provisioned(environment)
        if not pool:
            self.provisioned.pop(spec.key, None)
            self._provisioned_wanted.pop(spec.key, None)

    def provisioned_ready(self, spec: FunctionSpec) -> int:
        return sum(1 for e in self.provisioned.get(spec.key, ()) if e.state != "DEAD")

    def _add_provisioned(self, environment: Environment) -> None:
        """Pool a new provisioned environment if its pool still wants it, else stop it."""
        spec = environment.spec
        revision, count = self._provisioned_wanted.get(spec.key, ("", 0))
        pool = self.provisioned.get(spec.key, [])
        if spec.revision == revision and len(pool) < count and environment.state == "IDLE":
            pool.append(environment)
        else:
            self._retire(environment)

    def _replace_provisioned(self, environment: Environment) -> None:
        """A provisioned environment died (crash, timeout, out of memory): start another in
        the background, as Lambda keeps the allocated count."""
        pool = self.provisioned.get(environment.spec.key)
        if pool is None or environment not in pool:
            return  # retired on purpose, or already replaced
        pool.remove(environment)
        self._forget(environment)
        task = asyncio.create_task(self._start_provisioned(environment.spec))
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)

    async def _start_provisioned(self, spec: FunctionSpec) -> None:
        environment = await self.new_environment(spec)
        if environment.init_error is not None:
            log.warning(
                "a provisioned environment of %s could not be replaced: %s",
                spec.function_name,
                environment.init_error.decode("utf-8", "replace"),
            )
            return
        self._add_provisioned(environment)

    def _release(self, environment: Environment) -> None:
        if environment.spec.initialization_type == "provisioned-concurrency":
            if environment.state == "DEAD":
                self._replace_provisioned(environment)
            return
        if environment.state != "IDLE":
            self._forget(environment)
            return
        self.idle[environment.spec.key].append(environment)

    def retire_function(self, function_arn: str, version: str | None = None) -> None:
        """Stop the idle environments and snapshots of a function's `version` (all versions
        when None): its code or configuration changed."""

        def chosen(key: tuple[str, str]) -> bool:
            return key[0] == function_arn and version in (None, key[1])

        for key in [key for key in self.idle if chosen(key)]:
            for environment in self.idle.pop(key):
                self._retire(environment)
        for key in [key for key in self.templates if chosen(key[0])]:
            self.templates.pop(key).close()
        for key in [key for key in self.unsnapshottable if chosen(key[0])]:
            del self.unsnapshottable[key]

    # -- snapshots ----------------------------------------------------------------------------

    def warm(self, runtime: str) -> None:
        """Start the zygote a Python runtime needs in the background, so that the first
        invocation of a new function does not pay for it (an interpreter and boto3)."""
        if runtime.startswith("python"):
            task = asyncio.create_task(self._warm(runtime))
            self._watchers.add(task)
            task.add_done_callback(self._watchers.discard)

    async def _warm(self, runtime: str) -> None:
        try:
            await self._zygote(await self._interpreter(runtime))
        except Exception as error:  # the first invocation will report it properly
            log.info("could not start the zygote for %s ahead: %s", runtime, error)

    async def prepare(self, spec: FunctionSpec) -> None:
        """Take the snapshot of a SnapStart version now (as Lambda does when it is published)
        rather than on its first invocation; nothing for other functions."""
        if self._snapshots(spec) and spec.runtime.startswith("python"):
            await self._snapshot(spec, await self._interpreter(spec.runtime))

    def _snapshots(self, spec: FunctionSpec) -> bool:
        return spec.snapshot or self.snapshot_all

    async def _snapshot(self, spec: FunctionSpec, interpreter: Interpreter) -> Zygote | None:
        """The function's snapshot (a template forked after its init), made on first need.

        None when it cannot be made: the init failed (a fresh environment will report it)
        or left threads or sockets that a fork would lose (then every environment runs the
        init itself, as without snapshots).
        """
        key = (spec.key, spec.revision)
        template = self.templates.get(key)
        if template is not None and template.control is not None:
            return template
        if key in self.unsnapshottable:
            return None
        making = self._starting.get(key)
        if making is None:
            making = asyncio.create_task(self._make_snapshot(spec, interpreter))
            self._starting[key] = making
            making.add_done_callback(lambda _: self._starting.pop(key, None))
        return await asyncio.shield(making)

    async def _make_snapshot(self, spec: FunctionSpec, interpreter: Interpreter) -> Zygote | None:
        key = (spec.key, spec.revision)
        base = await self._zygote(interpreter)
        name = f"snapshot-{os.getpid():x}{next(self._ids):08x}"
        stream = spec.log_stream_name(name)
        log_read, log_write = os.pipe()
        pipe = LogPipe(log_read, lambda events: self.log_sink(spec, stream, events))
        tmp = spec.tmp_path(name)  # where the init writes; each fork then has its own
        max_file_bytes = self.storage.prepare(tmp, spec.ephemeral_storage)
        try:
            template = await base.template(
                spec.bootstrap_spec(name, max_file_bytes), log_write, INIT_TIMEOUT
            )
        except TemplateRefused as refused:
            self.storage.release(tmp)
            pipe.drain()
            pipe.close()
            self.unsnapshottable[key] = str(refused)
            log.info("no snapshot for %s: %s", spec.function_name, refused)
            note = f"[WARNING] cloudlet: no SnapStart snapshot ({refused}): each environment"
            self.log_sink(spec, stream, [(int(time.time() * 1000), note + " runs the init")])
            return None
        except BaseException:
            self.storage.release(tmp)
            raise
        finally:
            os.close(log_write)

        def closed() -> None:
            pipe.close()
            self.storage.release(tmp)

        template.on_close = closed
        self.templates[key] = template
        log.info(
            "snapshot of %s taken after an init of %.1f ms", spec.function_name, template.init_ms
        )
        return template

    def _retire(self, environment: Environment) -> None:
        environment.kill()
        self._forget(environment)

    def _forget(self, environment: Environment) -> None:
        # by_pid keeps the environment until its exit is reported (see _on_exit).
        self.storage.release(environment.spec.tmp_path(environment.id))

    # -- environments -----------------------------------------------------------------------

    async def new_environment(self, spec: FunctionSpec) -> Environment:
        """Start an environment for `spec` and wait for its init (or init error)."""
        environment = Environment(spec, f"{os.getpid():x}{next(self._ids):08x}", self.log_sink)
        python = spec.runtime.startswith("python")
        await environment.start(self._launch_python if python else self._launch_process)
        if environment.init_error is not None:
            self._forget(environment)  # its process is gone, and nothing will reuse it
        return environment

    async def _launch_python(self, environment: Environment, log_fd: int) -> tuple[int, Channel]:
        """Fork from the function's snapshot if it has one, else from the runtime's zygote."""
        spec = environment.spec
        interpreter = await self._interpreter(spec.runtime)
        if interpreter.warning:
            environment.note(f"[WARNING] cloudlet: {interpreter.warning}")
        zygote = await self._snapshot(spec, interpreter) if self._snapshots(spec) else None
        if zygote is not None:
            environment.restored = True
        else:
            zygote = await self._zygote(interpreter)
        max_file_bytes = self.storage.prepare(spec.tmp_path(environment.id), spec.ephemeral_storage)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            assignment = spec.bootstrap_spec(environment.id, max_file_bytes)
            pid = await zygote.spawn(assignment, theirs.fileno(), log_fd)
        except BaseException:
            ours.close()
            self.storage.release(spec.tmp_path(environment.id))
            raise
        finally:
            theirs.close()
        self.by_pid[pid] = environment
        tmpfs = spec.ephemeral_storage if max_file_bytes is None else 0
        self.memory.attach(pid, environment.id, spec.memory_size, tmpfs)
        return pid, await SocketChannel.open(ours)

    async def _launch_process(self, environment: Environment, log_fd: int) -> tuple[int, Channel]:
        """Start a runtime client process (bootstrap, Node.js) on its own Runtime API port."""
        spec = environment.spec
        command = runtime_command(spec)
        channel = RuntimeApiChannel()
        address = await channel.listen()
        tmp = spec.tmp_path(environment.id)
        max_file_bytes = self.storage.prepare(tmp, spec.ephemeral_storage)
        private_tmp = max_file_bytes is None
        env = {
            **spec.process_environment(environment.id, private_tmp=private_tmp),
            "AWS_LAMBDA_RUNTIME_API": address,
        }
        keep = [*spec.host_paths(), *(os.path.dirname(part) for part in command if "/" in part)]
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                cwd=spec.code_dir,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_fd,
                stderr=log_fd,
                start_new_session=True,
                preexec_fn=functools.partial(
                    _enter_environment,
                    max_file_bytes,
                    spec.ephemeral_storage if private_tmp else None,
                    keep,
                ),
            )
        except OSError as error:
            channel.close()
            self.storage.release(tmp)
            raise LaunchError(
                "Runtime.InvalidEntrypoint", f"Error: fork/exec {command[0]}: {error.strerror}"
            ) from None
        self.by_pid[process.pid] = environment
        tmpfs = spec.ephemeral_storage if max_file_bytes is None else 0
        self.memory.attach(process.pid, environment.id, spec.memory_size, tmpfs)
        task = asyncio.create_task(self._watch(process))
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)
        return process.pid, channel

    async def _watch(self, process: asyncio.subprocess.Process) -> None:
        status = await process.wait()
        self._on_exit(process.pid, status)

    async def _zygote(self, interpreter: Interpreter) -> Zygote:
        zygote = self.zygotes.get(interpreter.path)
        if zygote is not None and zygote.control is not None:
            return zygote
        starting = self._zygote_starting.get(interpreter.path)
        if starting is None:
            starting = asyncio.create_task(self._start_zygote(interpreter))
            self._zygote_starting[interpreter.path] = starting
        try:
            return await asyncio.shield(starting)
        finally:
            if starting.done():
                self._zygote_starting.pop(interpreter.path, None)

    async def _interpreter(self, runtime: str) -> Interpreter:
        """The interpreter for a Python runtime; raises RuntimeMismatch."""
        # The first look for a version may run interpreters: keep it off the event loop.
        interpreter = await asyncio.to_thread(
            python_interpreter, runtime, strict=self.strict_runtimes
        )
        if interpreter.warning:
            if runtime not in self.warnings:
                log.warning(interpreter.warning)
            self.warnings[runtime] = interpreter.warning
        return interpreter

    async def _start_zygote(self, interpreter: Interpreter) -> Zygote:
        site = await asyncio.to_thread(provided_site, self.state_dir, interpreter)
        zygote = Zygote(
            interpreter.path,
            preload=self.preload,
            site_dirs=[site],
            on_exit=self._on_exit,
            private_tmp=self.storage.tmpfs,
        )
        started = time.perf_counter()
        await zygote.start()
        log.info(
            "zygote for Python %s ready in %.0f ms (preloaded: %s)",
            ".".join(map(str, zygote.python)),
            (time.perf_counter() - started) * 1000,
            ", ".join(self.preload) or "nothing",
        )
        self.zygotes[interpreter.path] = zygote
        return zygote

    def _on_exit(self, pid: int, status: int) -> None:
        environment = self.by_pid.pop(pid, None)
        if environment is not None:
            killed = status == -signal.SIGKILL and self.memory.out_of_memory(pid, environment.id)
            environment.exited(status, out_of_memory=killed)
            self.memory.detach(pid, environment.id)
            if environment.spec.initialization_type == "provisioned-concurrency":
                self._replace_provisioned(environment)  # it may have died while idle

    async def _reap_idle(self) -> None:
        while True:
            await asyncio.sleep(min(self.keep_alive, 30.0) / 2)
            cutoff = time.monotonic() - self.keep_alive
            for key, stack in list(self.idle.items()):
                keep = [e for e in stack if e.last_used >= cutoff and e.state == "IDLE"]
                for environment in stack:
                    if environment not in keep:
                        self._retire(environment)
                if keep:
                    self.idle[key] = keep
                else:
                    with contextlib.suppress(KeyError):
                        del self.idle[key]


def _enter_environment(
    max_file_bytes: int | None, tmpfs_megabytes: int | None, keep: list[str]
) -> None:
    """In a runtime client's process before its exec: the limits and /tmp an environment of
    the zygote's gets in bootstrap/zygote.py's take_identity."""
    limit_file_size(max_file_bytes)
    if tmpfs_megabytes:
        make_private_tmp(tmpfs_megabytes, keep)
