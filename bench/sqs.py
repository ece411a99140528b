"""SQS throughput, latency, start-up and memory: cloudlet beside MiniStack and moto, one run.

    ./run bench bench/sqs.py                  the whole comparison (about 6 minutes)
    ./run bench bench/sqs.py --seconds 2 --servers cloudlet ministack   a quick look

Each server is started fresh on loopback (cloudlet with `cloudlet up` on a new state dir,
durable: CLOUDLET_SYNC=full, and again with CLOUDLET_SYNC=normal), then loaded with
SendMessage, SendMessageBatch (10 entries) and send+receive+delete, by wrk (raw HTTP,
bench/wrk/sqs.lua) and by boto3 (threads, a client each). Numbers go to stdout as markdown
and to bench/results/sqs-*.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen
import peers
import report
from peers import ServerProcess

sys.path.insert(0, str(peers.ROOT / "tests"))
from server import free_port  # the suite's own helper (tests/server.py)

WRK_SCRIPT = str(Path(__file__).resolve().parent / "wrk" / "sqs.lua")
WORKLOADS = ("send", "batch", "cycle")
WORKLOAD_TITLES = {
    "send": "SendMessage",
    "batch": "SendMessageBatch (10)",
    "cycle": "send+receive+delete",
}
PADDING = "x" * 64
MIB = 1024 * 1024


def server_factories(state_root: Path) -> dict[str, Callable[[], ServerProcess]]:
    def fresh_dir() -> Path:
        return Path(tempfile.mkdtemp(prefix="state-", dir=state_root))

    return {
        "cloudlet": lambda: peers.cloudlet(free_port(), fresh_dir(), sync="full"),
        "cloudlet-normal": lambda: peers.cloudlet(free_port(), fresh_dir(), sync="normal"),
        "ministack": lambda: peers.ministack(free_port()),
        "moto": lambda: peers.moto(free_port()),
    }


# -- one workload -------------------------------------------------------------------------


def create_queue(endpoint: str, name: str) -> str:
    answer = peers.sqs_call(endpoint, "CreateQueue", json.dumps({"QueueName": name}).encode())
    return str(json.loads(answer)["QueueUrl"])


def batch_body(queue_url: str, prefix: str) -> bytes:
    entries = [{"Id": f"e{i}", "MessageBody": f"{prefix}-{i} {PADDING}"} for i in range(10)]
    return json.dumps({"QueueUrl": queue_url, "Entries": entries}).encode()


def unsupported(endpoint: str, workload: str) -> str | None:
    """Why the server cannot run this workload (None when it can), found by one real call."""
    queue_url = create_queue(endpoint, f"probe-{workload}")
    try:
        if workload == "batch":
            answer = json.loads(
                peers.sqs_call(endpoint, "SendMessageBatch", batch_body(queue_url, "probe"))
            )
            if len(answer.get("Successful", [])) != 10:
                return f"SendMessageBatch answered {answer}"
        else:
            body = json.dumps({"QueueUrl": queue_url, "MessageBody": "probe"}).encode()
            peers.sqs_call(endpoint, "SendMessage", body)
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}: {error.read()[:200].decode(errors='replace')}"
    return None


def run_wrk(
    endpoint: str, queue_url: str, workload: str, args: argparse.Namespace, seconds: float
) -> loadgen.LoadResult:
    per_request = {"send": 1.0, "batch": 10.0, "cycle": None}[workload]
    return loadgen.wrk(
        endpoint,
        WRK_SCRIPT,
        [workload, queue_url],
        threads=args.wrk_threads,
        connections=args.connections,
        seconds=seconds,
        messages_per_request=per_request,
    )


def boto3_step(endpoint: str, queue_url: str, workload: str, index: int) -> loadgen.Step:
    client = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=BotoConfig(retries={"max_attempts": 1}),
    )
    counter = iter(range(10**12))

    def body() -> str:
        return f"m-{index}-{next(counter)} {PADDING}"

    def send(recorder: loadgen.Recorder) -> int:
        answer = recorder.call(client.send_message, QueueUrl=queue_url, MessageBody=body())
        return 1 if answer else 0

    def batch(recorder: loadgen.Recorder) -> int:
        entries = [{"Id": f"e{i}", "MessageBody": body()} for i in range(10)]
        answer = recorder.call(client.send_message_batch, QueueUrl=queue_url, Entries=entries)
        return len(answer.get("Successful", [])) if answer else 0

    def cycle(recorder: loadgen.Recorder) -> int:
        recorder.call(client.send_message, QueueUrl=queue_url, MessageBody=body())
        answer = recorder.call(client.receive_message, QueueUrl=queue_url, MaxNumberOfMessages=1)
        done = 0
        for message in (answer or {}).get("Messages", []):
            deleted = recorder.call(
                client.delete_message, QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"]
            )
            done += deleted is not None
        return done

    return {"send": send, "batch": batch, "cycle": cycle}[workload]


def run_boto3(
    endpoint: str, queue_url: str, workload: str, args: argparse.Namespace, seconds: float
) -> loadgen.LoadResult:
    return loadgen.client_threads(
        lambda index: boto3_step(endpoint, queue_url, workload, index), args.boto3_threads, seconds
    )


CLIENTS = {"wrk": run_wrk, "boto3": run_boto3}


# -- queue depth --------------------------------------------------------------------------


def prefill(endpoint: str, queue_url: str, count: int, *, batch: bool, threads: int = 4) -> float:
    """Put `count` messages in the queue over keep-alive connections; the seconds it took."""
    per_request = 10 if batch else 1
    requests = count // per_request
    host, port = endpoint.removeprefix("http://").split(":")
    started = time.perf_counter()

    def run(index: int) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        for n in range(index, requests, threads):
            if batch:
                operation, body = "SendMessageBatch", batch_body(queue_url, f"fill-{n}")
            else:
                operation = "SendMessage"
                body = json.dumps(
                    {"QueueUrl": queue_url, "MessageBody": f"fill-{n} {PADDING}"}
                ).encode()
            connection.request("POST", "/", body, peers.sqs_headers(operation))
            answer = connection.getresponse()
            answer.read()
            if answer.status != 200:
                raise RuntimeError(f"prefill {operation} answered {answer.status}")
        connection.close()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def approximate_count(endpoint: str, queue_url: str) -> int:
    body = json.dumps({"QueueUrl": queue_url, "AttributeNames": ["ApproximateNumberOfMessages"]})
    answer = json.loads(peers.sqs_call(endpoint, "GetQueueAttributes", body.encode()))
    return int(answer["Attributes"]["ApproximateNumberOfMessages"])


# -- one server ---------------------------------------------------------------------------


def bench_server(
    name: str, factory: Callable[[], ServerProcess], args: argparse.Namespace
) -> dict[str, Any]:
    outcome: dict[str, Any] = {"runs": {}, "unsupported": {}}
    with factory().start() as server:
        print(f"\n## {name}: answered after {server.startup_seconds:.2f}s", flush=True)
        time.sleep(args.idle_seconds)
        outcome["idle_rss"] = server.rss()
        print(f"   idle RSS {outcome['idle_rss'] / MIB:.1f} MB", flush=True)
        for workload in args.workloads:
            reason = unsupported(server.endpoint, workload)
            if reason:
                outcome["unsupported"][workload] = reason
                print(f"   {workload}: not supported ({reason})", flush=True)
                continue
            for client_name in args.clients:
                run = CLIENTS[client_name]
                queue_url = create_queue(server.endpoint, f"{workload}-{client_name}")
                run(server.endpoint, queue_url, workload, args, args.warmup)
                result = run(server.endpoint, queue_url, workload, args, args.seconds)
                outcome["runs"][f"{workload}/{client_name}"] = asdict(result)
                print(
                    f"   {workload:6} {client_name:6} {result.requests_per_s:9,.0f} req/s"
                    f" {result.messages_per_s:9,.0f} msg/s  p50 {result.p50_ms:6.2f} ms"
                    f"  p99 {result.p99_ms:6.2f} ms  errors {result.errors}",
                    flush=True,
                )
        if args.depth and "send" in args.workloads and "wrk" in args.clients:
            outcome["depth"] = depth_run(server, args, batch="batch" not in outcome["unsupported"])
        outcome["loaded_rss"] = server.rss()
    return outcome


def depth_run(server: ServerProcess, args: argparse.Namespace, *, batch: bool) -> dict[str, Any]:
    """SendMessage rate into a queue that already holds `args.depth` messages."""
    queue_url = create_queue(server.endpoint, "deep")
    fill_seconds = prefill(server.endpoint, queue_url, args.depth, batch=batch)
    held = approximate_count(server.endpoint, queue_url)
    run_wrk(server.endpoint, queue_url, "send", args, args.warmup)
    result = run_wrk(server.endpoint, queue_url, "send", args, args.seconds)
    print(
        f"   send into a queue of {held:,}: {result.requests_per_s:,.0f} req/s"
        f" (filled in {fill_seconds:.1f}s)",
        flush=True,
    )
    return {"held": held, "fill_seconds": fill_seconds, "result": asdict(result)}


def startup_times(factory: Callable[[], ServerProcess], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        with factory().start() as server:
            times.append(server.startup_seconds)
    return times


# -- report -------------------------------------------------------------------------------


def rate(outcome: dict[str, Any], key: str, field: str = "messages") -> float | None:
    run = outcome["runs"].get(key)
    return run[field] / run["seconds"] if run else None


def render(results: dict[str, Any], args: argparse.Namespace) -> str:
    servers = results["servers"]
    names = list(servers)
    parts = []
    rows = []
    for workload in args.workloads:
        for client_name in args.clients:
            key = f"{workload}/{client_name}"
            for name in names:
                run = servers[name]["runs"].get(key)
                if run is None:
                    continue
                rows.append(
                    [
                        WORKLOAD_TITLES[workload],
                        client_name,
                        name,
                        round(run["requests"] / run["seconds"]),
                        round(run["messages"] / run["seconds"]),
                        run["p50_ms"],
                        run["p99_ms"],
                        run["errors"],
                    ]
                )
    parts.append(
        report.table(
            [
                "workload",
                "client",
                "server",
                "requests/s",
                "messages/s",
                "p50 ms",
                "p99 ms",
                "errors",
            ],
            rows,
        )
    )
    if "cloudlet" in servers:
        peers_seen = [n for n in names if n != "cloudlet"]
        ratio_rows = []
        for workload in args.workloads:
            for client_name in args.clients:
                key = f"{workload}/{client_name}"
                ours = rate(servers["cloudlet"], key)
                if ours is None:
                    continue
                row: list[Any] = [WORKLOAD_TITLES[workload], client_name, round(ours)]
                for peer in peers_seen:
                    theirs = rate(servers[peer], key)
                    row.append(f"{ours / theirs:.2f}x" if theirs else "n/a")
                ratio_rows.append(row)
        parts.append(
            "cloudlet (durable, CLOUDLET_SYNC=full) against each server, messages/s:\n\n"
            + report.table(
                ["workload", "client", "cloudlet msg/s", *[f"vs {p}" for p in peers_seen]],
                ratio_rows,
            )
        )
    depth_rows = []
    for name in names:
        depth = servers[name].get("depth")
        shallow = servers[name]["runs"].get("send/wrk")
        if depth and shallow:
            empty = shallow["requests"] / shallow["seconds"]
            deep = depth["result"]["requests"] / depth["result"]["seconds"]
            depth_rows.append(
                [name, round(empty), depth["held"], round(deep), f"{deep / empty:.2f}"]
            )
    if depth_rows:
        parts.append(
            "SendMessage (wrk) into an empty queue and into one already holding messages:\n\n"
            + report.table(
                ["server", "send/s, empty queue", "messages queued", "send/s, deep queue", "ratio"],
                depth_rows,
            )
        )
    parts.append(
        report.table(
            [
                "server",
                "start-up to first answer, s (median)",
                "runs, s",
                "idle RSS MB",
                "RSS after load MB",
            ],
            [
                [
                    name,
                    statistics.median(servers[name]["startup"])
                    if servers[name]["startup"]
                    else 0.0,
                    " ".join(f"{t:.2f}" for t in servers[name]["startup"]),
                    round(servers[name]["idle_rss"] / MIB, 1),
                    round(servers[name]["loaded_rss"] / MIB, 1),
                ]
                for name in names
            ],
        )
    )
    return "\n\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--servers", nargs="+", default=["cloudlet", "cloudlet-normal", "ministack", "moto"]
    )
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--clients", nargs="+", choices=list(CLIENTS), default=list(CLIENTS))
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measured run")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured run before each")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--boto3-threads", type=int, default=4)
    parser.add_argument(
        "--depth",
        type=int,
        default=100_000,
        help="messages queued before the deep send run (0: skip)",
    )
    parser.add_argument("--startup-runs", type=int, default=3)
    parser.add_argument(
        "--idle-seconds", type=float, default=2.0, help="wait before reading idle RSS"
    )
    args = parser.parse_args()

    results: dict[str, Any] = {"machine": report.machine(), "args": vars(args), "servers": {}}
    results["versions"] = {
        "ministack": peers.installed_version("ministack", "ministack")
        if "ministack" in args.servers
        else None,
        "moto": peers.installed_version("moto", "moto") if "moto" in args.servers else None,
        "boto3": boto3.__version__,
    }
    print(f"machine: {results['machine']}\nversions: {results['versions']}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-sqs-") as state_root:
        factories = server_factories(Path(state_root))
        for name in args.servers:
            outcome = bench_server(name, factories[name], args)
            outcome["startup"] = startup_times(factories[name], args.startup_runs)
            results["servers"][name] = outcome
    results["load_average_after"] = report.load_average()
    text = render(results, args)
    path = report.save("sqs", {**results, "markdown": text})
    print(f"\n{text}\n\nsaved to {path.relative_to(peers.ROOT)}")


if __name__ == "__main__":
    main()
