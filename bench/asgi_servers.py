"""The measurement behind the gateway's HTTP server: the same tiny app under each candidate.

    ./run bench bench/asgi_servers.py            3 rounds of 5 s each, about 2 minutes
    ./run bench bench/asgi_servers.py --rounds 1 --seconds 3

Candidates (installed in bench/.peers/asgi, never in the project's venv): uvicorn with
httptools and uvloop (what cloudlet ran first), granian with ASGI and with RSGI, hypercorn, and
a bare asyncio protocol on httptools (no server framework: the floor for a thin layer of
our own), and cloudlet's own server (cloudlet.gateway.http_server, what cloudlet runs since
it replaced uvicorn), in the project's venv. Each is started fresh; rounds are interleaved so
a noisy neighbour hits all alike.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen
import peers
import report
from peers import ServerProcess
from sqs import MIB, free_port

BENCH = Path(__file__).resolve().parent
POST_SCRIPT = str(BENCH / "wrk" / "post.lua")
PROJECT_PYTHON = sys.executable  # ./run bench runs this script with the project's venv


def candidates(python: str) -> dict[str, list[str]]:
    """The command that serves bench/asgi_app.py under each server, with `{port}` to fill."""
    granian = [python, "-m", "granian", "--host", "127.0.0.1", "--port", "{port}", "--loop"]
    granian += ["uvloop", "--no-ws", "--log-level", "warning", "--no-access-log", "--interface"]
    return {
        "uvicorn (httptools, uvloop)": [
            python,
            "-m",
            "uvicorn",
            "asgi_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--http",
            "httptools",
            "--loop",
            "uvloop",
            "--no-access-log",
            "--no-server-header",
            "--log-level",
            "warning",
        ],
        "granian ASGI": [*granian, "asgi", "asgi_app:app"],
        "granian RSGI": [*granian, "rsgi", "asgi_app:rsgi_app"],
        "hypercorn (uvloop)": [
            python,
            "-m",
            "hypercorn",
            "asgi_app:app",
            "-b",
            "127.0.0.1:{port}",
            "-k",
            "uvloop",
            "--log-level",
            "warning",
        ],
        "bare httptools protocol": [python, str(BENCH / "asgi_app.py"), "raw", "{port}"],
        "cloudlet's http_server": [
            PROJECT_PYTHON,
            str(BENCH / "asgi_app.py"),
            "cloudlet",
            "{port}",
        ],
    }


def answers_post(endpoint: str) -> None:
    request = urllib.request.Request(endpoint + "/", data=b"{}", method="POST")
    with urllib.request.urlopen(request, timeout=1) as answer:
        answer.read()


def start(name: str, command: list[str]) -> ServerProcess:
    port = free_port()
    server = ServerProcess(
        name,
        [part.replace("{port}", str(port)) for part in command],
        port,
        env={"PYTHONPATH": str(BENCH)},
        ready=answers_post,
    )
    return server.start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    bin_dir = peers.ensure_venv("asgi")
    python = str(bin_dir / "python")
    commands = candidates(python)
    versions = {
        package: peers.installed_version("asgi", package)
        for package in ("uvicorn", "httptools", "uvloop", "granian", "hypercorn")
    }
    results: dict[str, Any] = {
        "machine": report.machine(),
        "args": vars(args),
        "versions": versions,
        "runs": {name: [] for name in commands},
        "startup": {name: [] for name in commands},
        "idle_rss": {},
    }
    print(f"machine: {results['machine']}\nversions: {versions}", flush=True)
    for round_number in range(1, args.rounds + 1):
        for name, command in commands.items():
            with start(name, command) as server:
                results["startup"][name].append(server.startup_seconds)
                results["idle_rss"].setdefault(name, server.rss())
                loadgen.wrk(
                    server.endpoint, POST_SCRIPT, [], connections=args.connections, seconds=1
                )
                result = loadgen.wrk(
                    server.endpoint,
                    POST_SCRIPT,
                    [],
                    connections=args.connections,
                    seconds=args.seconds,
                )
            results["runs"][name].append(result.__dict__)
            print(
                f"round {round_number}: {name:28} {result.requests_per_s:9,.0f} req/s"
                f"  p50 {result.p50_ms:5.2f} ms  p99 {result.p99_ms:5.2f} ms"
                f"  errors {result.errors}",
                flush=True,
            )
    results["load_average_after"] = report.load_average()
    text = render(results)
    path = report.save("asgi-servers", {**results, "markdown": text})
    print(f"\n{text}\n\nsaved to {path.relative_to(peers.ROOT)}")


def render(results: dict[str, Any]) -> str:
    baseline_name = next(iter(results["runs"]))
    medians = {
        name: statistics.median(run["requests"] / run["seconds"] for run in runs)
        for name, runs in results["runs"].items()
    }
    rows = []
    for name, runs in results["runs"].items():
        rows.append(
            [
                name,
                round(medians[name]),
                " ".join(f"{run['requests'] / run['seconds'] / 1000:.1f}k" for run in runs),
                statistics.median(run["p50_ms"] for run in runs),
                statistics.median(run["p99_ms"] for run in runs),
                f"{medians[name] / medians[baseline_name]:.2f}x",
                statistics.median(results["startup"][name]),
                round(results["idle_rss"][name] / MIB, 1),
            ]
        )
    return report.table(
        [
            "server",
            "requests/s (median)",
            "each round",
            "p50 ms",
            "p99 ms",
            f"vs {baseline_name}",
            "start-up s",
            "idle RSS MB",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
