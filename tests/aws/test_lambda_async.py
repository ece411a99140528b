"""Asynchronous invocation as AWS does it: retries, maximum event age, destinations, DLQs,
recursive loops. The server's retry delays are short (CLOUDLET_ASYNC_RETRY_DELAYS) and its
events age 60 times faster (CLOUDLET_ASYNC_AGE_SCALE): a 60-second maximum age is a second.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from pathlib import Path

import pytest
from esm_support import drained, most_at_once
from lambda_support import create_function, unique

from cloudlet.delivery.lineage import function_hash
from conftest import client
from server import Server

RETRY_DELAYS = (0.4, 0.8)
CODE = """
import json, os, time
import boto3

def _note(event):
    if "log" in event:
        with open(event["log"], "a") as out:
            note = {"at": time.time(), "trace": os.environ["_X_AMZN_TRACE_ID"]}
            out.write(json.dumps(note) + "\\n")

def ok(event, context):
    _note(event)
    return {"ok": event, "request": context.aws_request_id}

def boom(event, context):
    _note(event)
    raise ValueError("it broke")

def slow(event, context):
    _note(event)
    time.sleep(event.get("sleep", 2))
    return "slept"

def record(event, context):
    with open(event["requestPayload"]["out"], "w") as out:
        json.dump(event, out)

def forward(event, context):
    # Sends each message it gets back to the queue it came from: a loop through SQS.
    for message in event["Records"]:
        _note(json.loads(message["body"]))
        boto3.client("sqs").send_message(
            QueueUrl=os.environ["QUEUE_URL"], MessageBody=message["body"]
        )

def crowd(event, context):
    # Notes its start, waits until `want` invocations have started (or 20 s have passed),
    # then notes when it ran: the spans show how many ran at once.
    started = time.time()
    with open(event["starts"], "a") as out:
        out.write("started\\n")
    while time.time() < started + 20:
        with open(event["starts"]) as seen:
            if len(seen.readlines()) >= event["want"]:
                break
        time.sleep(0.05)
    with open(event["spans"], "a") as out:
        out.write(json.dumps({"started": started, "ended": time.time()}) + "\\n")

def again(event, context):
    # Invokes itself asynchronously, forever: a recursive loop Lambda stops.
    _note(event)
    boto3.client("lambda").invoke(
        FunctionName=context.function_name, InvocationType="Event", Payload=json.dumps(event)
    )
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    env = {
        "CLOUDLET_ASYNC_RETRY_DELAYS": ",".join(map(str, RETRY_DELAYS)),
        "CLOUDLET_ASYNC_AGE_SCALE": "60",
    }
    instance = Server(tmp_path_factory.mktemp("async"), env).start()
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def sqs(server):
    return client(server, "sqs")


def function(lam, handler: str, **settings) -> str:
    name = unique(handler)
    create_function(lam, name, CODE, handler=f"app.{handler}", **{"Timeout": 10, **settings})
    return name


def queue(sqs) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def receive(sqs, url: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MessageAttributeNames=["All"])
        if answer.get("Messages"):
            return answer["Messages"][0]
    raise AssertionError(f"nothing arrived in {url} within {timeout}s")


def send_event(lam, name: str, payload: bytes) -> str:
    answer = lam.invoke(FunctionName=name, InvocationType="Event", Payload=payload)
    assert answer["StatusCode"] == 202
    return answer["ResponseMetadata"]["RequestId"]


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_failing_event_is_retried_then_its_record_goes_to_the_failure_queue(lam, sqs, tmp_path):
    name = function(lam, "boom")
    url, arn = queue(sqs)
    lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    log = tmp_path / "attempts"
    payload = b'{ "log": "%s", "n": 1 }' % str(log).encode()
    request_id = send_event(lam, name, payload)

    message = receive(sqs, url)
    body = message["Body"]
    record = json.loads(body)
    assert list(record) == [
        "version",
        "timestamp",
        "requestContext",
        "requestPayload",
        "responseContext",
        "responsePayload",
    ]
    assert record["version"] == "1.0"
    assert record["timestamp"].endswith("Z")
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"arn:aws:lambda:us-east-1:000000000000:function:{name}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert payload.decode() in body  # the event as it was sent, spacing included
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorMessage"] == "it broke"
    assert record["responsePayload"]["errorType"] == "ValueError"

    attempts = [entry["at"] for entry in lines(log)]
    assert len(attempts) == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert gaps[0] >= RETRY_DELAYS[0] and gaps[1] >= RETRY_DELAYS[1]


def test_maximum_retry_attempts_zero_fails_after_one_attempt(lam, sqs, tmp_path):
    name = function(lam, "boom")
    url, arn = queue(sqs)
    lam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    log = tmp_path / "attempts"
    send_event(lam, name, json.dumps({"log": str(log)}).encode())
    record = json.loads(receive(sqs, url)["Body"])
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert len(lines(log)) == 1


def test_successful_event_record_goes_to_the_success_queue(lam, sqs):
    name = function(lam, "ok")
    url, arn = queue(sqs)
    lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    request_id = send_event(lam, name, b'{"hello": "world"}')
    record = json.loads(receive(sqs, url)["Body"])
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"arn:aws:lambda:us-east-1:000000000000:function:{name}:$LATEST",
        "condition": "Success",
        "approximateInvokeCount": 1,
    }
    assert record["requestPayload"] == {"hello": "world"}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"ok": {"hello": "world"}, "request": request_id}


def test_alias_config_applies_to_events_through_the_alias(lam, sqs):
    name = function(lam, "ok")
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    url, arn = queue(sqs)
    lam.put_function_event_invoke_config(
        FunctionName=name, Qualifier="live", DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    send_event(lam, name, b"{}")  # $LATEST has no destination: no record
    send_event(lam, f"{name}:live", b'{"via": "alias"}')
    record = json.loads(receive(sqs, url)["Body"])
    assert record["requestContext"]["functionArn"].endswith(f":function:{name}:live")
    assert record["responseContext"]["executedVersion"] == version
    assert record["requestPayload"] == {"via": "alias"}
    time.sleep(0.5)
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)


def test_dead_letter_queue_gets_the_event_with_its_error(lam, sqs):
    url, arn = queue(sqs)
    name = function(lam, "boom", DeadLetterConfig={"TargetArn": arn})
    assert lam.get_function_configuration(FunctionName=name)["DeadLetterConfig"] == {
        "TargetArn": arn
    }
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    payload = b'{"order":  42}'
    request_id = send_event(lam, name, payload)
    message = receive(sqs, url)
    assert message["Body"] == payload.decode()
    assert message["MessageAttributes"] == {
        "RequestID": {"StringValue": request_id, "DataType": "String"},
        "ErrorCode": {"StringValue": "200", "DataType": "Number"},
        "ErrorMessage": {"StringValue": "it broke", "DataType": "String"},
    }


def test_dead_letter_config_is_removed_with_an_empty_target(lam, sqs):
    _, arn = queue(sqs)
    name = function(lam, "ok", DeadLetterConfig={"TargetArn": arn})
    lam.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": ""})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert "DeadLetterConfig" not in lam.get_function_configuration(FunctionName=name)


def test_function_destination_is_invoked_with_the_record(lam, tmp_path):
    name = function(lam, "boom")
    recorder = function(lam, "record")
    recorder_arn = lam.get_function(FunctionName=recorder)["Configuration"]["FunctionArn"]
    lam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": recorder_arn}},
    )
    out = tmp_path / "record.json"
    send_event(lam, name, json.dumps({"out": str(out)}).encode())
    deadline = time.monotonic() + 15
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    record = json.loads(out.read_text())
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"] == {"out": str(out)}
    assert record["responsePayload"]["errorMessage"] == "it broke"


def _hold_the_only_slot(lam, name: str, seconds: float, log: Path) -> threading.Thread:
    """Run `name` (reserved concurrency 1) for `seconds`; return once it is running."""
    thread = threading.Thread(
        target=lam.invoke,
        kwargs={
            "FunctionName": name,
            "Payload": json.dumps({"sleep": seconds, "log": str(log)}).encode(),
        },
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not log.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return thread


def test_throttled_event_is_retried_until_it_runs(lam, sqs, tmp_path):
    name = function(lam, "slow")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    url, arn = queue(sqs)
    lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    busy = _hold_the_only_slot(lam, name, 1.5, tmp_path / "busy")
    send_event(lam, name, json.dumps({"sleep": 0}).encode())
    record = json.loads(receive(sqs, url)["Body"])
    busy.join()
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responsePayload"] == "slept"


def test_events_run_up_to_the_functions_reserved_concurrency(lam, tmp_path):
    name = function(lam, "crowd", Timeout=30)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=80)
    starts, spans = tmp_path / "starts", tmp_path / "spans"
    event = json.dumps({"starts": str(starts), "spans": str(spans), "want": 65}).encode()
    for _ in range(100):
        send_event(lam, name, event)
    deadline = time.monotonic() + 90
    while len(lines(spans)) < 100 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(lines(spans)) == 100
    # More than 64 ran at once (the most a global cap once allowed), within the 80 reserved.
    assert 64 < most_at_once(lines(spans)) <= 80


def test_event_older_than_the_maximum_age_goes_to_the_failure_queue(lam, sqs, tmp_path):
    name = function(lam, "slow")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    url, arn = queue(sqs)
    lam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumEventAgeInSeconds=60,  # a second, on this server's clock
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    busy = _hold_the_only_slot(lam, name, 3, tmp_path / "busy")
    request_id = send_event(lam, name, json.dumps({"sleep": 0}).encode())
    record = json.loads(receive(sqs, url)["Body"])
    busy.join()
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"arn:aws:lambda:us-east-1:000000000000:function:{name}:$LATEST",
        "condition": "EventAgeExceeded",
        "approximateInvokeCount": 0,
    }
    assert record["responseContext"] == {"statusCode": 429}
    assert "responsePayload" not in record


def test_reserved_concurrency_zero_sends_events_to_failure_without_retries(lam, sqs):
    url, arn = queue(sqs)
    name = function(lam, "ok", DeadLetterConfig={"TargetArn": arn})
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    payload = b'{"stopped": true}'
    send_event(lam, name, payload)
    message = receive(sqs, url, timeout=5)
    assert message["Body"] == payload.decode()
    assert message["MessageAttributes"]["ErrorCode"]["StringValue"] == "429"


def test_recursive_loop_is_stopped_after_16_invocations(lam, sqs, tmp_path):
    name = function(lam, "again")
    url, arn = queue(sqs)
    lam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    log = tmp_path / "rounds"
    send_event(lam, name, json.dumps({"log": str(log)}).encode())
    record = json.loads(receive(sqs, url, timeout=30)["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert record["responseContext"] == {"statusCode": 400}
    rounds = lines(log)
    assert len(rounds) == 16
    # One chain: the same root, the function's Lineage count going up by one each round.
    roots = {entry["trace"].split(";")[0] for entry in rounds}
    assert len(roots) == 1
    counts = [int(entry["trace"].rsplit(":", 1)[1]) for entry in rounds]
    assert counts == list(range(1, 17))


def test_recursive_loop_runs_on_when_the_function_allows_it(lam, tmp_path):
    name = function(lam, "again")
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Terminate"
    lam.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Allow"
    log = tmp_path / "rounds"
    send_event(lam, name, json.dumps({"log": str(log)}).encode())
    deadline = time.monotonic() + 30
    while len(lines(log)) <= 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)  # stop it
    assert len(lines(log)) > 20


def test_recursive_loop_through_a_queue_is_stopped_after_16_rounds(lam, sqs, tmp_path):
    dead_url, dead_arn = queue(sqs)
    url, arn = queue(sqs)
    redrive = {"deadLetterTargetArn": dead_arn, "maxReceiveCount": "1"}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": json.dumps(redrive)})
    name = function(lam, "forward", Environment={"Variables": {"QUEUE_URL": url}})
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=1)
    log = tmp_path / "rounds"
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"log": str(log)}))
    message = receive(sqs, dead_url, timeout=60)
    assert json.loads(message["Body"]) == {"log": str(log)}
    assert len(lines(log)) == 16


def test_a_recursive_loop_without_a_failure_destination_ends_in_the_dead_letter_queue(
    lam, sqs, tmp_path
):
    url, arn = queue(sqs)
    name = function(lam, "again", DeadLetterConfig={"TargetArn": arn})
    log = tmp_path / "rounds"
    payload = json.dumps({"log": str(log)})
    send_event(lam, name, payload.encode())
    message = receive(sqs, url, timeout=30)
    assert len(lines(log)) == 16
    assert message["Body"] == payload  # the event the 16th round sent
    attributes = message["MessageAttributes"]
    assert attributes["ErrorCode"] == {"StringValue": "400", "DataType": "Number"}
    assert attributes["ErrorMessage"]["StringValue"] == (
        "Lambda has detected your function being invoked in a recursive loop with other AWS "
        "resources and stopped your function's invocation."
    )


def test_a_recursive_loop_through_a_queue_without_a_dead_letter_queue_drops_the_message(
    lam, sqs, tmp_path
):
    url, arn = queue(sqs)
    name = function(lam, "forward", Environment={"Variables": {"QUEUE_URL": url}})
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=1)
    log = tmp_path / "rounds"
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"log": str(log)}))
    deadline = time.monotonic() + 60
    while len(lines(log)) < 16 and time.monotonic() < deadline:
        time.sleep(0.1)
    # The 17th message is not run, and not left to come back: the queue empties.
    assert drained(sqs, url, timeout=30)
    assert len(lines(log)) == 16


def test_a_send_from_a_traced_caller_keeps_its_trace_header(sqs):
    url, _ = queue(sqs)
    header = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0;Lineage=0a1b2c3d:4"

    def add_header(request, **_):
        request.headers["X-Amzn-Trace-Id"] = header

    sqs.meta.events.register_first("before-sign.sqs.SendMessage", add_header)
    try:
        sqs.send_message(QueueUrl=url, MessageBody="traced")
    finally:
        sqs.meta.events.unregister("before-sign.sqs.SendMessage", add_header)
    sqs.send_message(QueueUrl=url, MessageBody="not traced")
    received = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["AWSTraceHeader"]
    )["Messages"]
    traces = {m["Body"]: m.get("Attributes", {}).get("AWSTraceHeader") for m in received}
    assert traces == {"traced": header, "not traced": None}


def test_synchronous_invoke_past_16_rounds_is_refused(lam):
    name = function(lam, "ok")
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    header = f"Root=1-5759e988-bd862e3fe1be46a994272793;Lineage={function_hash(arn)}:16"

    def add_header(request, **_):
        request.headers["X-Amzn-Trace-Id"] = header

    lam.meta.events.register_first("before-sign.lambda.Invoke", add_header)
    try:
        with pytest.raises(lam.exceptions.RecursiveInvocationException) as caught:
            lam.invoke(FunctionName=name, Payload=b"{}")
    finally:
        lam.meta.events.unregister("before-sign.lambda.Invoke", add_header)
    response = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Message"] == (
        "Lambda has detected your function being invoked in a recursive loop with other AWS "
        "resources and stopped your function's invocation."
    )
    assert lam.invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200


def test_queued_events_run_after_a_restart(tmp_path):
    server = Server(tmp_path / "state", {"CLOUDLET_ASYNC_RETRY_DELAYS": "3"}).start()
    try:
        lam = client(server, "lambda")
        name = function(lam, "boom")
        lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
        log = tmp_path / "attempts"
        send_event(lam, name, json.dumps({"log": str(log)}).encode())
        deadline = time.monotonic() + 10
        while not log.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        server.restart()  # the retry is due in 3 seconds: it waits in its row
        deadline = time.monotonic() + 15
        while len(lines(log)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        first, second = (entry["at"] for entry in lines(log))
        assert second - first >= 3
    finally:
        server.stop()
