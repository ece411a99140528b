"""kill -9 while clients queue asynchronous invocations: every accepted event still runs.

Client threads invoke a function with InvocationType=Event, each event with a unique id,
while the server is killed with SIGKILL and restarted on the same port several times; a
client retries an invoke until it gets its 202. The function appends each id it handles to
a file; one event in four fails its first attempt, so retries (and their due times, in the
queue's rows) are cut by the kills too. Afterwards every acknowledged id must have run to
success (0 lost). Events that ran but were cut off before their row was settled run again:
those duplicates are counted and printed, as at-least-once delivery allows.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import boto3
import pytest
from killing import NO_RETRIES, send_while_killing, wait_for_runs

from server import Server

pytestmark = pytest.mark.slow

EVENTS = 1200
KILLS = 3
SEED = 11
CODE = """
import os

def handler(event, context):
    marker = os.path.join(os.environ["OUT"], "tried-%d" % event["id"])
    if event["id"] % 4 == 0 and not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("first attempts of every fourth event fail")
    with open(os.path.join(os.environ["OUT"], "done"), "a") as out:
        out.write("%d\\n" % event["id"])
"""


def lambda_client(server: Server):
    return boto3.client(
        "lambda",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=NO_RETRIES,
    )


def test_no_accepted_event_is_lost_across_kill9(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    server = Server(tmp_path / "state", {"CLOUDLET_ASYNC_RETRY_DELAYS": "0.5,1"}).start()
    try:
        lam = lambda_client(server)
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("app.py", CODE)
        lam.create_function(
            FunctionName="recorder",
            Runtime="python3.12",
            Role="arn:aws:iam::000000000000:role/r",
            Handler="app.handler",
            Code={"ZipFile": package.getvalue()},
            Environment={"Variables": {"OUT": str(out)}},
        )
        lam.get_waiter("function_active_v2").wait(FunctionName="recorder")

        sent = send_while_killing(
            server, invoker(server), minimum=EVENTS, kills=KILLS, pause=(0.5, 1.2), seed=SEED
        )
        acknowledged, in_doubt, kills = sent.acknowledged, sent.in_doubt, sent.kills

        runs = wait_for_runs(out / "done", acknowledged, timeout=30)
        lost = acknowledged - runs.keys()
        duplicates = sum(n - 1 for n in runs.values())
        print(
            f"\nkill -9 x{kills}: {len(acknowledged)} events accepted, "
            f"{sum(in_doubt.values())} invokes cut off after they may have reached the server, "
            f"{len(runs)} events ran, {duplicates} of them more than once, {len(lost)} lost"
        )
        assert not lost, f"{len(lost)} accepted events never ran, e.g. {sorted(lost)[:5]}"
        assert runs.keys() <= acknowledged | set(in_doubt), "an event nobody sent ran"
    finally:
        if server.process is not None:
            server.stop()


def invoker(server: Server):
    def make():
        lam = lambda_client(server)
        return lambda n: lam.invoke(
            FunctionName="recorder", InvocationType="Event", Payload=json.dumps({"id": n})
        )

    return make
