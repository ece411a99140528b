"""Where warm Lambda invokes spend their time in cloudlet: CPU per invoke, and py-spy samples.

    ./run bench bench/profile_lambda.py                    wrk, 1 connection, then 4
    ./run bench bench/profile_lambda.py --connections 4 --seconds 10

A no-op Python function is invoked over HTTP by wrk (bench/wrk/lambda.lua). First without a
profiler: the CPU time, user and system, that the server process, the function's environments
(the zygote's children) and wrk each use per invoke, from /proc: CPU time, unlike latency,
barely changes with a noisy neighbour, and it says which process limits the rate. Then the
server under py-spy (threads holding the GIL: its event loop serves every request). The
environments are not sampled: py-spy sees no GIL in the zygote's children and counts their
waits on the socket as work. py-spy lives in bench/.peers/profile, not in the project's
venv; the folded stacks are kept in bench/results/ for a flame graph.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers
import profile_sqs
import report

bench_lambda = importlib.import_module("lambda")  # bench/lambda.py: a keyword as a name
ENGINE = peers.ROOT / "src" / "cloudlet" / "engine"
# py-spy names the engine's files relative to the engine's directory (engine.py,
# bootstrap/channel.py), the others from the package root (cloudlet/gateway/server.py).
ENGINE_FILES = {str(path.relative_to(ENGINE)) for path in ENGINE.rglob("*.py")}
LAYERS = (
    (
        "HTTP server (uvicorn, httptools)",
        ("uvicorn/protocols/", "uvicorn/middleware/", "httptools/"),
    ),
    ("gateway (routing, SigV4, rest-json, validation)", ("cloudlet/gateway/",)),
    ("Lambda provider", ("cloudlet/services/lambda_/",)),
    ("trace header and Lineage", ("cloudlet/delivery/",)),
    ("function logs (log store, SQLite)", ("cloudlet/logstore.py", "cloudlet/store/")),
    ("request ids", ("cloudlet/ids.py",)),
)


def zygote_pid(server_pid: int) -> int:
    """The zygote: the server's child running bootstrap/zygote.py."""
    for child in Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split():
        if b"zygote.py" in Path(f"/proc/{child}/cmdline").read_bytes():
            return int(child)
    raise RuntimeError("the server has no zygote yet")


def cpu_split(server: peers.ServerProcess, connections: int, seconds: float) -> str:
    """Run wrk once, unprofiled; the CPU each side used per invoke, user and system."""
    assert server.process is not None

    def sides() -> dict[str, tuple[float, float]]:
        assert server.process is not None
        own = os.times()
        return {
            "server process": bench_lambda.cpu_seconds(server.process.pid),
            "environments (and the zygote)": bench_lambda.tree_cpu(zygote_pid(server.process.pid)),
            "wrk": (own.children_user, own.children_system),
        }

    before = sides()
    result = bench_lambda.warm_wrk(server.endpoint, "warm", connections, seconds)
    after = sides()
    per_invoke = 1e6 / max(1, result.requests)
    rows = []
    for side, (user, system) in after.items():
        used_user, used_system = user - before[side][0], system - before[side][1]
        rows.append(
            [
                side,
                round(used_user * per_invoke),
                round(used_system * per_invoke),
                (used_user + used_system) / result.seconds,
            ]
        )
    return (
        f"{connections} connection(s), without a profiler: {result.requests_per_s:,.0f}"
        f" invokes/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms\n\n"
        + report.table(
            ["process", "user µs per invoke", "system µs per invoke", "cores busy"], rows
        )
    )


def layer_of(file: str) -> str | None:
    if file in ENGINE_FILES:
        return "engine (environments, channel, START/END/REPORT)"
    return next((name for name, prefixes in LAYERS if file.startswith(prefixes)), None)


def by_layer(stacks: list[tuple[list[tuple[str, str]], int]]) -> str:
    """Each sample charged to the innermost frame of a known layer: time in json, asyncio
    streams or a socket write goes to the code of ours (or uvicorn's) that called it."""
    total = sum(count for _, count in stacks)
    shares: dict[str, int] = {}
    for frames, count in stacks:
        layer = next(
            (found for _, file in reversed(frames) if (found := layer_of(file)) is not None),
            "event loop, other",
        )
        shares[layer] = shares.get(layer, 0) + count
    rows = [
        [layer, count, f"{100 * count / total:.1f}%"]
        for layer, count in sorted(shares.items(), key=lambda item: -item[1])
    ]
    return report.table(["layer", "samples", "share"], rows)


def profiled(server: peers.ServerProcess, connections: int, seconds: float, top: int) -> str:
    """Sample the server (GIL holders) while wrk invokes."""
    assert server.process is not None
    report.RESULTS.mkdir(exist_ok=True)
    folded = report.RESULTS / f"profile-lambda-server-c{connections}.folded"
    sampler = threading.Thread(
        target=profile_sqs.sample,
        args=(server.process.pid, seconds + 1, folded),
        kwargs={"gil": True},
    )
    sampler.start()
    result = bench_lambda.warm_wrk(server.endpoint, "warm", connections, seconds)
    sampler.join()
    return (
        f"### server, threads holding the GIL ({result.requests_per_s:,.0f} invokes/s while"
        f" sampled; stacks in {folded.relative_to(peers.ROOT)})\n\n"
        + by_layer(profile_sqs.parse(folded))
        + "\n\n"
        + profile_sqs.summarize(profile_sqs.parse(folded), top)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()

    sections = [f"machine: {report.machine()}"]
    with (
        tempfile.TemporaryDirectory(prefix="profile-lambda-") as state,
        peers.cloudlet(bench_lambda.free_port(), Path(state)).start() as server,
    ):
        client = bench_lambda.lambda_client(server.endpoint)
        code = bench_lambda.package({"noop.py": bench_lambda.MODULES["noop"]})
        bench_lambda.deploy(client, "warm", bench_lambda.RUNTIME, "noop.handler", code)
        for connections in args.connections:
            bench_lambda.start_at_once(server.endpoint, "warm", connections)
            bench_lambda.warm_wrk(server.endpoint, "warm", connections, 2)  # warm-up
            sections.append(f"## {connections} connection(s)")
            sections.append(cpu_split(server, connections, args.seconds))
            sections.append(profiled(server, connections, args.seconds, args.top))
    print("\n\n".join(sections))


if __name__ == "__main__":
    main()
