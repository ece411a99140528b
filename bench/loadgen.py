"""Load generators: wrk driven by a Lua script, and client threads (boto3) timed per request."""

from __future__ import annotations

import json
import subprocess
import threading
import time
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
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    latencies = sorted(x for r in recorders for x in r.latencies)
    return LoadResult(
        requests=len(latencies),
        messages=sum(messages),
        seconds=elapsed,
        errors=sum(r.errors for r in recorders),
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
    )


def percentile(ordered: list[float], pct: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]
