"""SQS -> Lambda through an event source mapping, end to end: throughput and latency.

    ./run bench bench/esm.py                            everything (about a minute)
    ./run bench bench/esm.py --messages 20000 --rounds 1 --samples 50    a quick look

A fresh `cloudlet up` (durable: CLOUDLET_SYNC=full) on loopback, driven by boto3.

- backlog: a queue is filled with N messages (SendMessageBatch, before the clock starts),
  then a mapping with BatchSize 10 on a no-op Python handler is enabled; the clock runs
  until the queue holds nothing, visible or in flight: messages received, invoked and
  deleted per second.
- steady: the same mapping consumes while senders keep sending (SendMessageBatch from
  threads) for S seconds; messages per second from the first send until the queue is empty.
- latency: an idle mapping (waiting in its long poll) and one message at a time, a pause
  between them: from just before SendMessage to the first line of the handler, which
  appends its clock to a file this process reads (same machine, same clock).

Each measurement is repeated `--rounds` times and the best round kept (throughput) or all
samples pooled (latency). Numbers go to stdout as markdown and to bench/results/esm-*.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen
import peers
import report

sys.path.insert(0, str(peers.ROOT / "tests"))
from server import free_port  # the suite's own helper (tests/server.py)

NOOP = "def handler(event, context):\n    return None\n"
PROBE = """
import os, time

def handler(event, context):
    now = time.time()
    with open(os.environ["PROBE_LOG"], "a") as log:
        for record in event["Records"]:
            log.write(f"{record['body']} {now}\\n")
"""
SENDERS = 4


def clients(endpoint: str) -> tuple[Any, Any]:
    config: dict[str, Any] = dict(retries={"max_attempts": 1}, max_pool_connections=32)
    return (
        loadgen.aws_client(endpoint, "sqs", **config),
        loadgen.aws_client(endpoint, "lambda", **config),
    )


def new_queue(sqs: Any) -> tuple[str, str]:
    url = sqs.create_queue(
        QueueName=f"bench-{uuid.uuid4().hex[:8]}", Attributes={"VisibilityTimeout": "30"}
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def send_batches(sqs: Any, url: str, batches: int) -> None:
    entries = [{"Id": str(i), "MessageBody": f"message {i}"} for i in range(10)]
    for _ in range(batches):
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def in_parallel(work: list[threading.Thread]) -> None:
    for thread in work:
        thread.start()
    for thread in work:
        thread.join()


def fill(sqs: Any, url: str, messages: int) -> None:
    per_sender = messages // 10 // SENDERS
    in_parallel(
        [threading.Thread(target=send_batches, args=(sqs, url, per_sender)) for _ in range(SENDERS)]
    )


def wait_empty(sqs: Any, url: str, timeout: float = 600.0) -> float:
    """When the queue held nothing any more, visible or in flight (perf_counter).

    Counting a queue's messages reads all of them: a deep queue is looked at seldom, so that
    the counting does not take the CPU the consumer is being measured on.
    """
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        left = sum(int(attributes[name]) for name in names)
        if not left:
            return time.perf_counter()
        time.sleep(0.25 if left > 2000 else 0.005)
    raise RuntimeError(f"the queue did not empty within {timeout} s")


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process (every thread of it) has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        try:
            children = Path(f"/proc/{pending.pop()}/task").glob("*/children")
            kids = [int(k) for child in children for k in child.read_text().split()]
        except OSError:
            continue
        found += kids
        pending += kids
    return found


def backlog(server_pid: int, sqs: Any, lam: Any, noop: str, messages: int) -> dict[str, float]:
    url, arn = new_queue(sqs)
    fill(sqs, url, messages)
    sent = messages // 10 // SENDERS * 10 * SENDERS
    uuid_ = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=noop, BatchSize=10, Enabled=False
    )["UUID"]
    server_cpu = cpu_seconds(server_pid)
    started = time.perf_counter()
    lam.update_event_source_mapping(UUID=uuid_, Enabled=True)
    seconds = wait_empty(sqs, url) - started
    server_cpu = cpu_seconds(server_pid) - server_cpu
    lam.delete_event_source_mapping(UUID=uuid_)
    return {
        "messages": sent,
        "seconds": seconds,
        "messages_per_second": sent / seconds,
        "server_cpu_ms_per_1000": server_cpu / sent * 1e6,
        "environments": len(descendants(server_pid)),
    }


def steady(sqs: Any, lam: Any, noop: str, seconds: float) -> dict[str, float]:
    url, arn = new_queue(sqs)
    uuid_ = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=noop, BatchSize=10)[
        "UUID"
    ]
    sent = [0] * SENDERS
    stop_at = time.perf_counter() + seconds

    def sender(index: int) -> None:
        entries = [{"Id": str(i), "MessageBody": f"message {i}"} for i in range(10)]
        while time.perf_counter() < stop_at:
            sqs.send_message_batch(QueueUrl=url, Entries=entries)
            sent[index] += 10

    started = time.perf_counter()
    in_parallel([threading.Thread(target=sender, args=(i,)) for i in range(SENDERS)])
    sending = time.perf_counter() - started
    elapsed = wait_empty(sqs, url) - started
    lam.delete_event_source_mapping(UUID=uuid_)
    total = sum(sent)
    return {
        "messages": total,
        "send_seconds": sending,
        "seconds": elapsed,
        "messages_per_second": total / elapsed,
    }


def latency(sqs: Any, lam: Any, samples: int, pause: float) -> list[float]:
    """Milliseconds from just before SendMessage to the handler's first line, per message."""
    log = loadgen.probe_file("esm-probe-", "starts")
    probe = loadgen.lambda_function(lam, PROBE, {"PROBE_LOG": str(log)}, timeout=3)
    url, arn = new_queue(sqs)
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=probe, BatchSize=10)
    results: list[float] = []
    for index in range(samples + 1):  # the first warms the function up (a cold start)
        time.sleep(pause)  # idle: the mapping is back in its long poll
        sent_at = time.time()
        sqs.send_message(QueueUrl=url, MessageBody=repr(sent_at))
        milliseconds = loadgen.handler_latency(log, index, "message")
        if index:
            results.append(milliseconds)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=50_000, help="backlog size")
    parser.add_argument("--steady-seconds", type=float, default=5.0)
    parser.add_argument("--samples", type=int, default=200, help="latency samples per round")
    parser.add_argument("--pause", type=float, default=0.2, help="idle seconds between them")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    machine = report.machine()  # the load average as the run starts
    state = Path(tempfile.mkdtemp(prefix="esm-bench-"))
    server = peers.cloudlet(free_port(), state).start()
    try:
        sqs, lam = clients(server.endpoint)
        noop = loadgen.lambda_function(lam, NOOP, timeout=3)
        rounds: dict[str, list[Any]] = {"backlog": [], "steady": [], "latency_ms": []}
        for round_number in range(1, args.rounds + 1):
            assert server.process is not None
            rounds["backlog"].append(backlog(server.process.pid, sqs, lam, noop, args.messages))
            rounds["steady"].append(steady(sqs, lam, noop, args.steady_seconds))
            rounds["latency_ms"] += latency(sqs, lam, args.samples, args.pause)
            print(f"round {round_number}: {rounds['backlog'][-1]}, {rounds['steady'][-1]}",
                  flush=True)  # fmt: skip
    finally:
        server.stop()

    best_backlog = max(rounds["backlog"], key=lambda r: r["messages_per_second"])
    best_steady = max(rounds["steady"], key=lambda r: r["messages_per_second"])
    lat = loadgen.percentiles(rounds["latency_ms"])
    markdown = "\n\n".join(
        [
            report.table(
                ["workload", "messages", "seconds", "messages/s", "server CPU ms / 1,000 msgs"],
                [
                    ["backlog drain, BatchSize 10, no-op handler", best_backlog["messages"],
                     best_backlog["seconds"], best_backlog["messages_per_second"],
                     best_backlog["server_cpu_ms_per_1000"]],
                    [f"steady: {SENDERS} senders for {args.steady_seconds:g} s while consuming",
                     best_steady["messages"], best_steady["seconds"],
                     best_steady["messages_per_second"], ""],
                ],
            ),
            report.table(
                ["SendMessage to handler start, idle queue", "samples", "p50 ms", "p90 ms",
                 "p99 ms", "max ms"],
                [["", lat["samples"], lat["p50"], lat["p90"], lat["p99"], lat["max"]]],
            ),
        ]
    )  # fmt: skip
    print(markdown)
    saved = report.save(
        "esm",
        {
            "machine": machine,
            "args": vars(args),
            "rounds": rounds,
            "best": {"backlog": best_backlog, "steady": best_steady, "latency_ms": lat},
            "load_average_after": report.load_average(),
            "markdown": markdown,
        },
    )
    print(f"\n{machine['date']}, {machine['cpu']}, {machine['cores']} cores, commit "
          f"{machine['commit']}, load {machine['load_average']} at the start, "
          f"{report.load_average()} at the end; saved to {saved}")  # fmt: skip


if __name__ == "__main__":
    main()
