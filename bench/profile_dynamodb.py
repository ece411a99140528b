"""Where a cloudlet server spends its time under DynamoDB load: py-spy samples, summed.

    ./run bench bench/profile_dynamodb.py                         PutItem and Query, durable
    ./run bench bench/profile_dynamodb.py --workloads get update

The same load as bench/dynamodb.py (wrk, bench/wrk/dynamodb.lua) on a fresh cloudlet, each
workload sampled twice as bench/profile_sqs.py does it: the threads holding the GIL, then
every non-idle thread (the store's writer and reader threads show there). py-spy lives in
bench/.peers/profile. The folded stacks are kept in bench/results/ for a flame graph.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers
import report
from dynamodb import HOT, WORKLOAD_TITLES, WORKLOADS, answers_list_tables, prepare, run_wrk
from profile_sqs import parse, sample, summarize
from sqs import free_port


def profiled(
    server: peers.ServerProcess, workload: str, args: argparse.Namespace, gil: bool, run: int
) -> str:
    """Sample the server under one workload's load; the summary of what the samples saw."""
    assert server.process is not None
    kind = "gil" if gil else "threads"
    folded = report.RESULTS / f"profile-dynamodb-{workload}-{kind}.folded"
    report.RESULTS.mkdir(exist_ok=True)
    sampler = threading.Thread(
        target=sample, args=(server.process.pid, args.seconds + 1, folded), kwargs={"gil": gil}
    )
    sampler.start()
    partition = f"profiled-{run}" if workload == "put" else HOT
    rate = run_wrk(server.endpoint, workload, args, args.seconds, partition=partition)
    sampler.join()
    title = "threads holding the GIL" if gil else "every non-idle thread"
    return (
        f"### {WORKLOAD_TITLES[workload]}: {title} ({rate.requests_per_s:,.0f} requests/s"
        f" while sampled; stacks in {folded.relative_to(peers.ROOT)})\n\n"
        + summarize(parse(folded), args.top)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=["put", "query"])
    parser.add_argument("--sync", choices=("full", "normal"), default="full")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    sections = [f"machine: {report.machine()}"]
    with tempfile.TemporaryDirectory(prefix="profile-") as state:
        server = peers.cloudlet(free_port(), Path(state), sync=args.sync)
        server.ready = answers_list_tables
        with server.start():
            prepare(server.endpoint)
            for workload in args.workloads:
                partition = "unprofiled" if workload == "put" else HOT
                rate = run_wrk(server.endpoint, workload, args, args.seconds, partition=partition)
                sections.append(
                    f"## {WORKLOAD_TITLES[workload]}, CLOUDLET_SYNC={args.sync},"
                    f" {args.connections} connections, without the profiler:"
                    f" {rate.requests_per_s:,.0f} requests/s"
                )
                for run, gil in enumerate((True, False)):
                    sections.append(profiled(server, workload, args, gil, run))
    print("\n\n".join(sections))


if __name__ == "__main__":
    main()
