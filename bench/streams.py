"""Stream -> Lambda through event source mappings, end to end: latency and throughput.

    ./run bench bench/streams.py                                      everything (about a minute)
    ./run bench bench/streams.py --records 20000 --rounds 1 --samples 50     a quick look

A fresh `cloudlet up` (durable: CLOUDLET_SYNC=full) on loopback, driven by boto3.

- latency: an idle mapping (StartingPosition LATEST, waiting on the stream's commit hook)
  and one change at a time, a pause between them: from just before PutItem (DynamoDB
  Streams) or PutRecord (Kinesis) to the first line of the handler, which appends its clock
  to a file this process reads (same machine, same clock).
- live: a mapping on a Kinesis stream of `--shards` shards consumes while producer threads
  write `--records` records with PutRecords (500 a call); records per second from the first
  PutRecords until the handler has seen the last record (the time writing took is shown
  beside it: the consumer cannot finish before the producers).
- backlog: the same records written first, then a TRIM_HORIZON mapping enabled; records per
  second from the enabling until the handler has seen the last one.

The handler counts the records of each batch into a file (one short line a batch). Each
throughput measurement is repeated `--rounds` times and the best kept; latency samples are
pooled. Numbers go to stdout as markdown and to bench/results/streams-*.json.
"""

from __future__ import annotations

import argparse
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

PROBE = """
import base64, os, time

def handler(event, context):
    now = time.time()
    with open(os.environ["PROBE_LOG"], "a") as log:
        for record in event["Records"]:
            if "kinesis" in record:
                sent = base64.b64decode(record["kinesis"]["data"]).decode()
            else:
                sent = record["dynamodb"]["NewImage"]["sent"]["S"]
            log.write(f"{sent} {now}\\n")
"""
COUNTER = """
import os

def handler(event, context):
    with open(os.environ["COUNT_LOG"], "a") as log:
        log.write(f"{len(event['Records'])}\\n")
"""
PRODUCERS = 4
PUT_BATCH = 500


def clients(endpoint: str) -> dict[str, Any]:
    return {
        name: loadgen.aws_client(
            endpoint, name, retries={"max_attempts": 1}, max_pool_connections=32
        )
        for name in ("lambda", "kinesis", "dynamodb")
    }


def new_stream(kinesis: Any, shards: int) -> tuple[str, str]:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    return name, summary["StreamARN"]


def new_table(dynamodb: Any) -> tuple[str, str]:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    created = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    return name, created["TableDescription"]["LatestStreamArn"]


def latency(aws: dict[str, Any], source: str, samples: int, pause: float) -> list[float]:
    """Milliseconds from just before the write to the handler's first line, per change."""
    log = loadgen.probe_file("streams-probe-", "starts")
    probe = loadgen.lambda_function(aws["lambda"], PROBE, {"PROBE_LOG": str(log)}, timeout=30)
    if source == "dynamodb":
        table, arn = new_table(aws["dynamodb"])
    else:
        stream, arn = new_stream(aws["kinesis"], 1)
    aws["lambda"].create_event_source_mapping(
        EventSourceArn=arn, FunctionName=probe, StartingPosition="LATEST"
    )
    results: list[float] = []
    for index in range(samples + 1):  # the first warms the function up (a cold start)
        time.sleep(pause)
        sent_at = repr(time.time())
        if source == "dynamodb":
            aws["dynamodb"].put_item(
                TableName=table, Item={"id": {"S": str(index)}, "sent": {"S": sent_at}}
            )
        else:
            aws["kinesis"].put_record(StreamName=stream, Data=sent_at.encode(), PartitionKey="k")
        milliseconds = loadgen.handler_latency(log, index, "change")
        if index:
            results.append(milliseconds)
    return results


def produce(kinesis: Any, stream: str, records: int) -> None:
    """Write `records` records with PutRecords from PRODUCERS threads."""
    per_thread = records // PRODUCERS

    def producer(number: int) -> None:
        entries = [
            {"Data": b"x" * 100, "PartitionKey": f"key-{number}-{i}"} for i in range(PUT_BATCH)
        ]
        for _ in range(per_thread // PUT_BATCH):
            answer = kinesis.put_records(StreamName=stream, Records=entries)
            assert answer["FailedRecordCount"] == 0

    threads = [threading.Thread(target=producer, args=(n,)) for n in range(PRODUCERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def handled(log: Path, records: int, timeout: float = 600.0) -> float:
    """When the handler had counted `records` records (perf_counter)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        text = log.read_text()
        if sum(int(line) for line in text.split()) >= records:
            return time.perf_counter()
        time.sleep(0.005)
    raise RuntimeError(f"the handler did not see {records} records within {timeout} s")


def throughput(
    aws: dict[str, Any], records: int, shards: int, batch_size: int, backlog: bool
) -> dict[str, float]:
    lam, kinesis = aws["lambda"], aws["kinesis"]
    log = loadgen.probe_file("streams-count-", "counts")
    counter = loadgen.lambda_function(lam, COUNTER, {"COUNT_LOG": str(log)}, timeout=30)
    stream, arn = new_stream(kinesis, shards)
    written = records // PRODUCERS // PUT_BATCH * PUT_BATCH * PRODUCERS
    mapping = lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=counter,
        StartingPosition="TRIM_HORIZON",
        BatchSize=batch_size,
        Enabled=not backlog,
    )["UUID"]
    writing = time.perf_counter()
    produce(kinesis, stream, records)
    written_at = time.perf_counter()
    if backlog:
        started = time.perf_counter()
        lam.update_event_source_mapping(UUID=mapping, Enabled=True)
    else:
        started = writing
    seconds = handled(log, written) - started
    lam.delete_event_source_mapping(UUID=mapping)
    return {
        "records": written,
        "write_seconds": written_at - writing,
        "seconds": seconds,
        "records_per_second": written / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000, help="records per throughput run")
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--samples", type=int, default=200, help="latency samples per round")
    parser.add_argument("--pause", type=float, default=0.1, help="idle seconds between them")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="streams-bench-"))
    server = peers.cloudlet(free_port(), state).start()
    rounds: dict[str, list[Any]] = {
        "live": [],
        "backlog": [],
        "dynamodb_ms": [],
        "kinesis_ms": [],
    }
    try:
        aws = clients(server.endpoint)
        for round_number in range(1, args.rounds + 1):
            rounds["dynamodb_ms"] += latency(aws, "dynamodb", args.samples, args.pause)
            rounds["kinesis_ms"] += latency(aws, "kinesis", args.samples, args.pause)
            for kind in ("live", "backlog"):
                rounds[kind].append(
                    throughput(aws, args.records, args.shards, args.batch_size, kind == "backlog")
                )
            print(f"round {round_number}: live {rounds['live'][-1]}, "
                  f"backlog {rounds['backlog'][-1]}", flush=True)  # fmt: skip
    finally:
        server.stop()

    best = {
        kind: max(rounds[kind], key=lambda r: r["records_per_second"])
        for kind in ("live", "backlog")
    }
    latencies = {
        kind: loadgen.percentiles(rounds[f"{kind}_ms"]) for kind in ("dynamodb", "kinesis")
    }
    shape = f"{args.shards} shards, BatchSize {args.batch_size}, a handler counting records"
    markdown = "\n\n".join(
        [
            report.table(
                ["write to handler start, idle mapping", "samples", "p50 ms", "p90 ms",
                 "p99 ms", "max ms"],
                [
                    ["DynamoDB PutItem -> stream -> Lambda", *_row(latencies["dynamodb"])],
                    ["Kinesis PutRecord -> Lambda", *_row(latencies["kinesis"])],
                ],
            ),
            report.table(
                ["Kinesis PutRecords -> Lambda", "records", "writing s", "seconds", "records/s"],
                [
                    [f"live: {PRODUCERS} producers while consuming; {shape}",
                     best["live"]["records"], best["live"]["write_seconds"],
                     best["live"]["seconds"], best["live"]["records_per_second"]],
                    [f"backlog drain from TRIM_HORIZON; {shape}", best["backlog"]["records"],
                     best["backlog"]["write_seconds"], best["backlog"]["seconds"],
                     best["backlog"]["records_per_second"]],
                ],
            ),
        ]
    )  # fmt: skip
    print(markdown)
    machine = report.machine()
    saved = report.save(
        "streams",
        {
            "machine": machine,
            "args": vars(args),
            "rounds": rounds,
            "best": {**best, "latency_ms": latencies},
            "load_average_after": report.load_average(),
            "markdown": markdown,
        },
    )
    print(f"\n{machine['date']}, {machine['cpu']}, {machine['cores']} cores, commit "
          f"{machine['commit']}, load {machine['load_average']}; saved to {saved}")  # fmt: skip


def _row(stats: dict[str, float]) -> list[float]:
    return [stats["samples"], stats["p50"], stats["p90"], stats["p99"], stats["max"]]


if __name__ == "__main__":
    main()
