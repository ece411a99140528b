"""Where a cloudlet server spends its time under wrk load: py-spy samples, summed by module.

    ./run bench bench/profile_sqs.py                     SendMessage, durable
    ./run bench bench/profile_sqs.py --workload cycle    send+receive+delete

Two samplings of the same load: the threads holding the GIL (the event loop thread is the
bottleneck of a single-process server, so this is the view that explains requests/s), and
every thread that is not idle (the store's writer thread shows there). py-spy lives in
bench/.peers/profile, not in the project's venv. The folded stacks are kept in
bench/results/ for a flame graph (speedscope, flamegraph.pl).
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen
import peers
import report
from sqs import WRK_SCRIPT, create_queue, free_port

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")
OWNERS = ("cloudlet/", "uvicorn/", "httptools/", "uvloop/")


def sample(pid: int, seconds: float, output: Path, *, gil: bool) -> None:
    py_spy = peers.ensure_venv("profile") / "py-spy"
    command = [str(py_spy), "record", "-p", str(pid), "-r", "250", "-d", str(round(seconds))]
    command += ["--format", "raw", "--threads", "-o", str(output)]
    if gil:
        command.append("--gil")
    subprocess.run(command, check=True, capture_output=True)


def parse(path: Path) -> list[tuple[list[tuple[str, str]], int]]:
    """Folded stacks as (frames outermost first as (function, file), samples)."""
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = []
        for raw in stack.split(";"):
            match = FRAME.match(raw)
            frames.append((match["function"], match["file"]) if match else (raw, ""))
        stacks.append((frames, int(count)))
    return stacks


def summarize(stacks: list[tuple[list[tuple[str, str]], int]], top: int) -> str:
    total = sum(count for _, count in stacks)
    threads: collections.Counter[str] = collections.Counter()
    owners: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    for frames, count in stacks:
        threads[frames[0][0]] += count
        body = frames[1:]
        # A sample belongs to the innermost module of ours or of the HTTP server: time in
        # uuid, hashlib or sqlite3 is charged to the cloudlet code that called it.
        owner = next(
            (file for _, file in reversed(body) if file.startswith(OWNERS)), "event loop, other"
        )
        owners[owner] += count
        seen = set()
        for function, file in body:
            name = f"{function} ({file})"
            if name not in seen:
                inclusive[name] += count
                seen.add(name)
        if body:
            own[f"{body[-1][0]} ({body[-1][1]})"] += count

    def rows(counter: collections.Counter[str], limit: int) -> list[list[object]]:
        return [
            [name, count, f"{100 * count / total:.1f}%"]
            for name, count in counter.most_common(limit)
        ]

    return "\n\n".join(
        [
            f"{total} samples",
            report.table(["thread", "samples", "share"], rows(threads, 10)),
            "by module (the innermost cloudlet or HTTP-server frame):\n\n"
            + report.table(["module", "samples", "share"], rows(owners, top)),
            "by function, including callees:\n\n"
            + report.table(["function", "samples", "share"], rows(inclusive, top)),
            "by function, own time (with the C code it calls):\n\n"
            + report.table(["function", "samples", "share"], rows(own, top)),
        ]
    )


def load(server: peers.ServerProcess, queue_url: str, args: argparse.Namespace) -> float:
    result = loadgen.wrk(
        server.endpoint,
        WRK_SCRIPT,
        [args.workload, queue_url],
        connections=args.connections,
        seconds=args.seconds,
    )
    return result.requests_per_s


def profiled(
    server: peers.ServerProcess, queue_url: str, args: argparse.Namespace, gil: bool
) -> str:
    """Sample the server under load; the summary of what the samples saw."""
    assert server.process is not None
    folded = report.RESULTS / f"profile-{args.workload}-{'gil' if gil else 'threads'}.folded"
    report.RESULTS.mkdir(exist_ok=True)
    sampler = threading.Thread(
        target=sample, args=(server.process.pid, args.seconds + 1, folded), kwargs={"gil": gil}
    )
    sampler.start()
    rate = load(server, queue_url, args)
    sampler.join()
    title = "threads holding the GIL" if gil else "every non-idle thread"
    return (
        f"## {title} ({rate:,.0f} requests/s while sampled; stacks in "
        f"{folded.relative_to(peers.ROOT)})\n\n" + summarize(parse(folded), args.top)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=("send", "batch", "cycle"), default="send")
    parser.add_argument("--sync", choices=("full", "normal"), default="full")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="profile-") as state,
        peers.cloudlet(free_port(), Path(state), sync=args.sync).start() as server,
    ):
        queue_url = create_queue(server.endpoint, "profiled")
        sections = [
            f"{args.workload}, CLOUDLET_SYNC={args.sync}, {args.connections} connections, "
            f"without the profiler: {load(server, queue_url, args):,.0f} requests/s"
        ]
        sections += [profiled(server, queue_url, args, gil) for gil in (True, False)]
    print("\n\n".join(sections))


if __name__ == "__main__":
    main()
