"""kill -9 while an event source mapping consumes a queue: every acknowledged message is
processed.

Client threads send messages with unique ids to a queue that a mapping (BatchSize 10)
feeds to a function, while the server is killed with SIGKILL and restarted on the same port
several times; a client retries a send until it gets its answer. The function appends each
id it handles to a file; one message in five fails its first attempt, so batches that wait
for their visibility timeout to come back are cut by the kills too, as are batches in
flight. Afterwards every acknowledged id must have been handled (0 lost). Messages handled
but not yet deleted when the server died are handled again: those duplicates are counted
and printed, as at-least-once delivery allows.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import boto3
import pytest
from killing import NO_RETRIES, send_while_killing, wait_for_runs

from server import Server

pytestmark = pytest.mark.slow

MESSAGES = 2000
KILLS = 3
SEED = 5
CODE = """
import os

def handler(event, context):
    handled = []
    for record in event["Records"]:
        number = int(record["body"])
        marker = os.path.join(os.environ["OUT"], "tried-%d" % number)
        if number % 5 == 0 and not os.path.exists(marker):
            open(marker, "w").close()
            raise RuntimeError("first attempts of batches with every fifth message fail")
        handled.append(number)
    with open(os.path.join(os.environ["OUT"], "done"), "a") as out:
        out.write("".join("%d\\n" % number for number in handled))
"""


def clients(server: Server) -> tuple[object, object]:
    kwargs = dict(
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=NO_RETRIES,
    )
    return boto3.client("sqs", **kwargs), boto3.client("lambda", **kwargs)


def test_no_acknowledged_message_is_lost_across_kill9(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    server = Server(tmp_path / "state").start()
    try:
        sqs, lam = clients(server)
        url = sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "2"})["QueueUrl"]
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("app.py", CODE)
        lam.create_function(
            FunctionName="worker",
            Runtime="python3.12",
            Role="arn:aws:iam::000000000000:role/r",
            Handler="app.handler",
            Code={"ZipFile": package.getvalue()},
            Timeout=2,
            Environment={"Variables": {"OUT": str(out)}},
        )
        lam.get_waiter("function_active_v2").wait(FunctionName="worker")
        lam.create_event_source_mapping(
            EventSourceArn="arn:aws:sqs:us-east-1:000000000000:work",
            FunctionName="worker",
            BatchSize=10,
        )

        sent = send_while_killing(
            server, sender(server, url), minimum=MESSAGES, kills=KILLS, pause=(0.5, 1.2), seed=SEED
        )
        acknowledged, in_doubt, kills = sent.acknowledged, sent.in_doubt, sent.kills

        runs = wait_for_runs(out / "done", acknowledged, timeout=60)
        lost = acknowledged - runs.keys()
        duplicates = sum(n - 1 for n in runs.values())
        print(
            f"\nkill -9 x{kills}: {len(acknowledged)} messages acknowledged, "
            f"{sum(in_doubt.values())} sends cut off after they may have reached the server, "
            f"{len(runs)} messages handled, {duplicates} of them more than once, "
            f"{len(lost)} lost"
        )
        assert not lost, f"{len(lost)} acknowledged messages never ran, e.g. {sorted(lost)[:5]}"
        assert runs.keys() <= acknowledged | set(in_doubt), "a message nobody sent ran"
    finally:
        if server.process is not None:
            server.stop()


def sender(server: Server, url: str):
    def make():
        sqs, _ = clients(server)
        return lambda n: sqs.send_message(QueueUrl=url, MessageBody=str(n))

    return make
