"""SQS state across restarts of a real server: queues, messages, receipts, FIFO, move tasks."""

from __future__ import annotations

import json
import signal
import threading
import time

import pytest
from sqs_support import arn_of, sqs_client

from server import Server

pytestmark = pytest.mark.slow


@pytest.fixture
def own_server(tmp_path):
    instance = Server(tmp_path / "state").start()
    yield instance
    if instance.process is not None:
        instance.stop()


def test_queues_keep_their_attributes_and_tags_across_a_restart(own_server):
    sqs = sqs_client(own_server.endpoint)
    url = sqs.create_queue(
        QueueName="kept", Attributes={"VisibilityTimeout": "45"}, tags={"team": "a"}
    )["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "3"})
    own_server.restart()
    sqs = sqs_client(own_server.endpoint)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["VisibilityTimeout"], attributes["DelaySeconds"]) == ("45", "3")
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a"}


def test_an_acknowledged_message_survives_a_crash(own_server):
    sqs = sqs_client(own_server.endpoint)
    url = sqs.create_queue(QueueName="crash")["QueueUrl"]
    attributes = {"k": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}}
    sent = sqs.send_message(QueueUrl=url, MessageBody="kept", MessageAttributes=attributes)
    own_server.restart(signal.SIGKILL)
    sqs = sqs_client(own_server.endpoint)
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
    assert got["MessageId"] == sent["MessageId"]
    assert got["MessageAttributes"] == attributes


def test_an_in_flight_message_stays_hidden_and_its_receipt_valid(own_server):
    sqs = sqs_client(own_server.endpoint)
    url = sqs.create_queue(QueueName="flight")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="in flight")
    handle = sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)["Messages"][0]["ReceiptHandle"]
    own_server.restart()
    sqs = sqs_client(own_server.endpoint)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_fifo_order_and_deduplication_survive_a_restart(own_server):
    sqs = sqs_client(own_server.endpoint)
    url = sqs.create_queue(QueueName="order.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    first = [
        sqs.send_message(
            QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g", MessageDeduplicationId=f"d{i}"
        )
        for i in range(3)
    ]
    own_server.restart()
    sqs = sqs_client(own_server.endpoint)
    duplicate = sqs.send_message(
        QueueUrl=url, MessageBody="m0", MessageGroupId="g", MessageDeduplicationId="d0"
    )
    assert duplicate["MessageId"] == first[0]["MessageId"]
    later = sqs.send_message(
        QueueUrl=url, MessageBody="m3", MessageGroupId="g", MessageDeduplicationId="d3"
    )
    assert int(later["SequenceNumber"]) > int(first[-1]["SequenceNumber"])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["m0", "m1", "m2", "m3"]


def test_a_running_move_task_resumes_after_a_restart(own_server):
    sqs = sqs_client(own_server.endpoint)
    dlq = sqs.create_queue(QueueName="resume-dlq")["QueueUrl"]
    dlq_arn = arn_of(sqs, dlq)
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    source = sqs.create_queue(
        QueueName="resume-source", Attributes={"RedrivePolicy": policy, "VisibilityTimeout": "0"}
    )["QueueUrl"]
    sqs.send_message_batch(
        QueueUrl=source, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(4)]
    )
    while "Messages" in sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10):
        pass
    sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=2)
    own_server.restart(signal.SIGKILL)
    sqs = sqs_client(own_server.endpoint)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        task = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
        if task["Status"] == "COMPLETED":
            break
        time.sleep(0.2)
    assert task["Status"] == "COMPLETED"
    assert task["ApproximateNumberOfMessagesMoved"] == 4
    got = sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in got) == ["m0", "m1", "m2", "m3"]


def test_stopping_the_server_does_not_wait_for_long_polls(own_server):
    sqs = sqs_client(own_server.endpoint)
    url = sqs.create_queue(QueueName="polled")["QueueUrl"]
    answers = []
    poller = threading.Thread(
        target=lambda: answers.append(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20))
    )
    poller.start()
    time.sleep(0.5)  # the receive is waiting
    started = time.monotonic()
    own_server.stop()
    assert time.monotonic() - started < 10
    poller.join()
    assert answers and "Messages" not in answers[0]
