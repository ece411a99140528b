"""Load generators: wrk driven by a Lua script, and boto3 clients (in threads or in processes)
timed per request."""

from __future__ import annotations

import io
import json
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config


@dataclass
class LoadResult:
    requests: int
    messages: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    client_cpu_seconds: float = 0.0  # the clients' own CPU time (0 for wrk: not measured)

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds

    @property
    def messages_per_s(self) -> float:
        return self.messages / self.seconds


def aws_client(endpoint: str, service: str, **config: Any) -> Any:
    """A boto3 client of `service` at `endpoint` (us-east-1, keys test/test).

    `config` is botocore's Config (retries, max_pool_connections, read_timeout...); none
    given, none passed.
    """
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(**config) if config else None,
    )


def probe_file(prefix: str, name: str) -> Path:
    """An empty file a function writes to for the benchmark to read; outside /tmp, which is
    each function's own when cloudlet runs as root."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/var/tmp")) / name
    path.touch()
    return path


def handler_latency(log: Path, index: int, what: str = "message", timeout: float = 10.0) -> float:
    """Milliseconds from send to handler start of the `index`th event a probe handler logged.

    The handler appends `{sent} {now}` (two time.time() clocks) a line per event; this waits
    until line `index` is there (same machine, same clock).
    """
    deadline = time.monotonic() + timeout
    while True:
        lines = log.read_text().splitlines()
        if len(lines) > index:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"the handler never saw the {what}")
        time.sleep(0.0005)
    sent, started = lines[index].split()
    return (float(started) - float(sent)) * 1000


def wrk(
    url: str,
    script: str,
    args: list[str],
    *,
    threads: int = 1,
    connections: int = 32,
    seconds: float = 5.0,
    messages_per_request: float | None = 1.0,
) -> LoadResult:
    """Run wrk; the script's done() prints `RESULT {json}` (bench/wrk/common.lua).

    `messages_per_request=None` counts messages as the DeleteMessages the script issued.
    """
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",  # wrk takes whole seconds
        "--timeout",
        "10s",
        "-s",
        script,
        url,
        "--",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("RESULT "))
    errors = raw["status_errors"] + raw["socket_errors"] + raw["timeouts"]
    good = raw["requests"] - raw["status_errors"]
    if messages_per_request is None:
        messages = raw["deletes"]
    else:
        messages = round(good * messages_per_request)
    return LoadResult(
        requests=raw["requests"],
        messages=messages,
        seconds=raw["duration_us"] / 1e6,
        errors=errors,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
    )


class Recorder:
    """One client thread's tally: every call timed, failures counted, not raised."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0

    def call(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(**kwargs)
        except Exception:
            self.errors += 1
            return None
        finally:
            self.latencies.append(time.perf_counter() - started)


Step = Callable[[Recorder], int]  # one unit of work; returns the messages it completed


def client_threads(prepare: Callable[[int], Step], threads: int, seconds: float) -> LoadResult:
    """Run `threads` threads, each repeating its own step (from `prepare(index)`) for `seconds`."""
    steps = [prepare(index) for index in range(threads)]  # clients are built before the clock
    recorders = [Recorder() for _ in range(threads)]
    messages = [0] * threads
    start = threading.Barrier(threads + 1)
    stop = threading.Event()

    def run(index: int) -> None:
        start.wait()
        while not stop.is_set():
            messages[index] += steps[index](recorders[index])

    workers = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    began, cpu = time.perf_counter(), time.process_time()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    return _tally(
        [(r.latencies, r.errors) for r in recorders],
        sum(messages),
        elapsed,
        time.process_time() - cpu,
    )


def client_processes(prepare: Callable[[int], Step], processes: int, seconds: float) -> LoadResult:
    """Run `processes` forked processes, each repeating its own step for `seconds`.

    Threads in one process share its GIL: four boto3 threads are bound by the one core their
    process gets, whatever the server. Processes are the view of many callers at once (many
    Lambda environments, say), where the server's own cost shows.
    """
    context = multiprocessing.get_context("fork")
    start = context.Barrier(processes + 1)
    answers = context.Queue()
    workers = [
        context.Process(target=_client_process, args=(prepare, i, seconds, start, answers))
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    tallies = [answers.get(timeout=seconds + 120) for _ in workers]
    elapsed = time.perf_counter() - began
    for worker in workers:
        worker.join()
    return _tally(
        [(latencies, errors) for latencies, errors, _, _ in tallies],
        sum(t[2] for t in tallies),
        elapsed,
        sum(t[3] for t in tallies),
    )


def _client_process(
    prepare: Callable[[int], Step], index: int, seconds: float, start: Any, answers: Any
) -> None:
    step, recorder, messages = prepare(index), Recorder(), 0
    start.wait()
    cpu = time.process_time()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        messages += step(recorder)
    answers.put((recorder.latencies, recorder.errors, messages, time.process_time() - cpu))


def _tally(
    recorded: list[tuple[list[float], int]], messages: int, elapsed: float, cpu: float
) -> LoadResult:
    latencies = sorted(x for times, _ in recorded for x in times)
    return LoadResult(
        requests=len(latencies),
        messages=messages,
        seconds=elapsed,
        errors=sum(errors for _, errors in recorded),
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        client_cpu_seconds=cpu,
    )


def percentile(ordered: list[float], pct: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


ROLE = "arn:aws:iam::000000000000:role/bench"


def lambda_function(
    lam: Any, source: str, environment: dict[str, str] | None = None, *, timeout: int
) -> str:
    """Create a Python function (`source` as app.py, this interpreter's runtime) and wait
    until it is Active; its generated name."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    name = f"bench-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name,
        Runtime=f"python{sys.version_info[0]}.{sys.version_info[1]}",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": buffer.getvalue()},
        Timeout=timeout,
        Environment={"Variables": environment or {}},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def percentiles(samples: list[float]) -> dict[str, float]:
    """A latency table's row: how many samples, their p50, p90, p99 and maximum."""
    ordered = sorted(samples)
    return {
        "samples": len(ordered),
        "p50": statistics.median(ordered),
        "p90": ordered[int(len(ordered) * 0.9)],
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "max": ordered[-1],
    }
