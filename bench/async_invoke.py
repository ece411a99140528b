"""Asynchronous invocation: how fast cloudlet accepts InvocationType=Event, and runs the events.

    ./run bench bench/async_invoke.py                    3 rounds of 5 seconds
    ./run bench bench/async_invoke.py --seconds 10 --rounds 1 --connections 64

A fresh cloudlet (`cloudlet up` on a new state dir, sync=full) and a no-op Python function.
Each round:

- wrk (bench/wrk/async_invoke.lua) sends Invoke with `X-Amz-Invocation-Type: Event` on C
  connections for S seconds: events accepted (202, each a committed row) per second, latency,
  and the server process's CPU time per accepted event (user + system, from /proc: unlike a
  rate, it barely moves with a noisy neighbour). The events run meanwhile, on the same server.
- the queue then drains (`cloudlet status`: lambda.async_events_queued): how fast the
  accepted events ran to completion, from the first request to the empty queue.
- boto3 threads invoke with InvocationType=Event for S seconds: accepted per second.

The best round of each is reported. Numbers go to stdout as markdown and to
bench/results/async-invoke-*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen
import peers
import report

sys.path.insert(0, str(peers.ROOT / "tests"))
from server import free_port

WRK_SCRIPT = str(Path(__file__).resolve().parent / "wrk" / "async_invoke.lua")
NOOP = "def handler(event, context):\n    return None\n"
PAYLOAD = '{"order": 42}'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=8, help="boto3 client threads")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-async-") as state:
        server = peers.cloudlet(free_port(), Path(state)).start()
        try:
            lam = _client(server.endpoint)
            function = loadgen.lambda_function(lam, NOOP, timeout=3)
            rounds = [_round(server, function, args) for _ in range(args.rounds)]
        finally:
            server.stop()

    best_wrk = max(rounds, key=lambda r: r["wrk"]["accepted_per_s"])
    best_boto3 = max(rounds, key=lambda r: r["boto3"]["accepted_per_s"])
    best_drain = max(rounds, key=lambda r: r["drain"]["events_per_s"])
    facts = report.machine()
    print(f"\n{facts['cpu']}, {facts['cores']} cores, load average {facts['load_average']}\n")
    print(
        report.table(
            ["client", "accepted/s", "p50 ms", "p99 ms", "errors", "server CPU ms/event"],
            [
                [
                    f"wrk, {args.connections} connections",
                    best_wrk["wrk"]["accepted_per_s"],
                    best_wrk["wrk"]["p50_ms"],
                    best_wrk["wrk"]["p99_ms"],
                    best_wrk["wrk"]["errors"],
                    best_wrk["wrk"]["server_cpu_ms"],
                ],
                [
                    f"boto3, {args.threads} threads",
                    best_boto3["boto3"]["accepted_per_s"],
                    best_boto3["boto3"]["p50_ms"],
                    best_boto3["boto3"]["p99_ms"],
                    best_boto3["boto3"]["errors"],
                    "",
                ],
            ],
        )
    )
    drain = best_drain["drain"]
    print(
        f"\n{drain['events']:,} events accepted by wrk ran to completion in "
        f"{drain['seconds']:.1f} s from the first request: {drain['events_per_s']:,.0f} events/s"
    )
    path = report.save("async-invoke", {"machine": facts, "args": vars(args), "rounds": rounds})
    print(f"\nresults: {path}")


def _round(server: peers.ServerProcess, function: str, args: argparse.Namespace) -> dict[str, Any]:
    assert server.process is not None
    _wait_drained(server.endpoint)
    before = _cpu_seconds(server.process.pid)
    started = time.perf_counter()
    load = loadgen.wrk(
        server.endpoint,
        WRK_SCRIPT,
        [function, PAYLOAD],
        connections=args.connections,
        seconds=args.seconds,
    )
    cpu = _cpu_seconds(server.process.pid) - before
    accepted = load.requests - load.errors
    _wait_drained(server.endpoint)
    drained = time.perf_counter() - started

    def prepare(_: int) -> loadgen.Step:
        client = _client(server.endpoint)

        def step(recorder: loadgen.Recorder) -> int:
            answer = recorder.call(
                client.invoke, FunctionName=function, InvocationType="Event", Payload=PAYLOAD
            )
            return 1 if answer is not None and answer["StatusCode"] == 202 else 0

        return step

    threads = loadgen.client_threads(prepare, args.threads, args.seconds)
    return {
        "wrk": {
            "accepted_per_s": accepted / load.seconds,
            "p50_ms": load.p50_ms,
            "p99_ms": load.p99_ms,
            "errors": load.errors,
            "server_cpu_ms": cpu / max(accepted, 1) * 1000,
        },
        "drain": {"events": accepted, "seconds": drained, "events_per_s": accepted / drained},
        "boto3": {
            "accepted_per_s": threads.messages_per_s,
            "p50_ms": threads.p50_ms,
            "p99_ms": threads.p99_ms,
            "errors": threads.errors,
        },
    }


def _client(endpoint: str) -> Any:
    return loadgen.aws_client(
        endpoint, "lambda", retries={"total_max_attempts": 1}, max_pool_connections=64
    )


def _wait_drained(endpoint: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{endpoint}/_cloudlet/status", timeout=5) as answer:
            status = json.load(answer)
        if not status["services"]["lambda"]["async_events_queued"]:
            return
        time.sleep(0.05)
    raise RuntimeError(f"the queue did not drain within {timeout} s")


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of one process (not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
