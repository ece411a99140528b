"""SQS FIFO queues through boto3: ordering, message groups, deduplication, retries."""

from __future__ import annotations

import threading
import time

import pytest
from sqs_support import error_of, unique


def fifo_queue(sqs, **attributes):
    return sqs.create_queue(
        QueueName=unique("fifo", fifo=True), Attributes={"FifoQueue": "true", **attributes}
    )["QueueUrl"]


@pytest.fixture
def queue(sqs):
    return fifo_queue(sqs)


def send(sqs, url, body, group="g", dedup=None):
    return sqs.send_message(
        QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=dedup or body
    )


def bodies(sqs, url, **kwargs):
    answer = sqs.receive_message(QueueUrl=url, **kwargs)
    return [m["Body"] for m in answer.get("Messages", [])]


def test_messages_of_a_group_come_in_order_with_increasing_sequence_numbers(sqs, queue):
    numbers = [int(send(sqs, queue, f"m{i}")["SequenceNumber"]) for i in range(5)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 5
    assert all(len(str(n)) == 20 for n in numbers)
    assert bodies(sqs, queue, MaxNumberOfMessages=10) == [f"m{i}" for i in range(5)]


def test_a_group_is_blocked_while_one_of_its_messages_is_in_flight(sqs, queue):
    send(sqs, queue, "a1", group="a")
    send(sqs, queue, "a2", group="a")
    send(sqs, queue, "b1", group="b")
    first = sqs.receive_message(QueueUrl=queue)["Messages"][0]
    assert first["Body"] == "a1"
    assert bodies(sqs, queue, MaxNumberOfMessages=10) == ["b1"]
    assert bodies(sqs, queue, MaxNumberOfMessages=10) == []
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=first["ReceiptHandle"])
    assert bodies(sqs, queue) == ["a2"]


def test_a_message_back_from_flight_keeps_its_place_in_the_group(sqs, queue):
    for body in ("m1", "m2"):
        send(sqs, queue, body)
    assert bodies(sqs, queue, VisibilityTimeout=1) == ["m1"]
    time.sleep(1.1)
    assert bodies(sqs, queue, MaxNumberOfMessages=10) == ["m1", "m2"]


def test_deleting_the_head_wakes_a_long_poll_for_the_next_message(sqs, queue):
    for body in ("m1", "m2"):
        send(sqs, queue, body)
    head = sqs.receive_message(QueueUrl=queue)["Messages"][0]
    threading.Timer(
        0.3, lambda: sqs.delete_message(QueueUrl=queue, ReceiptHandle=head["ReceiptHandle"])
    ).start()
    started = time.monotonic()
    assert bodies(sqs, queue, WaitTimeSeconds=10) == ["m2"]
    assert time.monotonic() - started < 3


def test_a_send_without_message_group_is_refused(sqs, queue):
    code, message, status = error_of(
        sqs.send_message, QueueUrl=queue, MessageBody="x", MessageDeduplicationId="d"
    )
    assert (code, message, status) == (
        "MissingParameter",
        "The request must contain the parameter MessageGroupId.",
        400,
    )
    code, message, _ = error_of(
        sqs.send_message_batch,
        QueueUrl=queue,
        Entries=[{"Id": "a", "MessageBody": "x", "MessageDeduplicationId": "d"}],
    )
    assert (code, message) == (
        "InvalidParameterValue",
        "The request must contain the parameter MessageGroupId.",
    )


def test_a_send_without_deduplication_is_refused_unless_content_based(sqs, queue):
    expected = (
        "InvalidParameterValue",
        "The queue should either have ContentBasedDeduplication enabled or "
        "MessageDeduplicationId provided explicitly",
    )
    code, message, _ = error_of(
        sqs.send_message, QueueUrl=queue, MessageBody="x", MessageGroupId="g"
    )
    assert (code, message) == expected
    code, message, _ = error_of(
        sqs.send_message_batch,
        QueueUrl=queue,
        Entries=[{"Id": "a", "MessageBody": "x", "MessageGroupId": "g"}],
    )
    assert (code, message) == expected


def test_a_duplicate_is_accepted_as_its_original_and_delivered_once(sqs, queue):
    first = send(sqs, queue, "once", dedup="d-1")
    again = send(sqs, queue, "once", dedup="d-1")
    assert (again["MessageId"], again["SequenceNumber"]) == (
        first["MessageId"],
        first["SequenceNumber"],
    )
    got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(got) == 1
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=got[0]["ReceiptHandle"])
    send(sqs, queue, "once", dedup="d-1")  # still within the 5 minutes after delete
    assert bodies(sqs, queue) == []


def test_content_based_deduplication_uses_the_body(sqs):
    url = fifo_queue(sqs, ContentBasedDeduplication="true")
    first = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    second = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody="other", MessageGroupId="g")
    assert first["MessageId"] == second["MessageId"]
    assert bodies(sqs, url, MaxNumberOfMessages=10) == ["same", "other"]


def test_deduplication_scope_message_group_deduplicates_within_a_group(sqs):
    url = fifo_queue(sqs, DeduplicationScope="messageGroup")
    send(sqs, url, "a", group="g1", dedup="d")
    send(sqs, url, "b", group="g2", dedup="d")
    send(sqs, url, "c", group="g1", dedup="d")
    assert sorted(bodies(sqs, url, MaxNumberOfMessages=10)) == ["a", "b"]


def test_deduplication_scope_queue_deduplicates_across_groups(sqs, queue):
    send(sqs, queue, "a", group="g1", dedup="d")
    send(sqs, queue, "b", group="g2", dedup="d")
    assert bodies(sqs, queue, MaxNumberOfMessages=10) == ["a"]


def test_fifo_attributes_are_returned_with_messages(sqs, queue):
    sent = send(sqs, queue, "attrs", group="grp", dedup="ded")
    got = sqs.receive_message(QueueUrl=queue, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert got["Attributes"]["MessageGroupId"] == "grp"
    assert got["Attributes"]["MessageDeduplicationId"] == "ded"
    assert got["Attributes"]["SequenceNumber"] == sent["SequenceNumber"]


def test_per_message_delay_is_refused(sqs, queue):
    code, message, _ = error_of(
        sqs.send_message,
        QueueUrl=queue,
        MessageBody="x",
        MessageGroupId="g",
        MessageDeduplicationId="d",
        DelaySeconds=2,
    )
    assert (code, message) == (
        "InvalidParameterValue",
        "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter "
        "that is not valid for this queue type.",
    )


def test_deduplication_ids_are_refused_on_standard_queues(sqs):
    url = sqs.create_queue(QueueName=unique("standard"))["QueueUrl"]
    code, _, _ = error_of(
        sqs.send_message, QueueUrl=url, MessageBody="x", MessageDeduplicationId="d"
    )
    assert code == "InvalidParameterValue"
    # A message group on a standard queue is a fair-queue tenant, and is returned as sent.
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="tenant")
    got = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["MessageGroupId"])
    assert got["Messages"][0]["Attributes"] == {"MessageGroupId": "tenant"}


def test_a_retried_receive_attempt_returns_the_same_messages(sqs, queue):
    for body in ("r1", "r2"):
        send(sqs, queue, body)
    first = sqs.receive_message(
        QueueUrl=queue, MaxNumberOfMessages=10, ReceiveRequestAttemptId="attempt-1"
    )["Messages"]
    again = sqs.receive_message(
        QueueUrl=queue, MaxNumberOfMessages=10, ReceiveRequestAttemptId="attempt-1"
    )["Messages"]
    assert [(m["MessageId"], m["ReceiptHandle"]) for m in again] == [
        (m["MessageId"], m["ReceiptHandle"]) for m in first
    ]
    assert "Messages" not in sqs.receive_message(
        QueueUrl=queue, ReceiveRequestAttemptId="attempt-2"
    )


def test_a_retried_receive_attempt_after_a_delete_receives_anew(sqs, queue):
    for body in ("r1", "r2"):
        send(sqs, queue, body)
    first = sqs.receive_message(QueueUrl=queue, ReceiveRequestAttemptId="a")["Messages"][0]
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=first["ReceiptHandle"])
    assert bodies(sqs, queue, ReceiveRequestAttemptId="a") == ["r2"]


def test_deleting_with_an_expired_receipt_handle_is_refused(sqs, queue):
    send(sqs, queue, "late")
    handle = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=1)["Messages"][0][
        "ReceiptHandle"
    ]
    time.sleep(1.1)
    code, message, _ = error_of(sqs.delete_message, QueueUrl=queue, ReceiptHandle=handle)
    assert code == "InvalidParameterValue"
    assert message == (
        f"Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has "
        "expired."
    )


def test_high_throughput_needs_message_group_deduplication(sqs):
    code, message, _ = error_of(
        sqs.create_queue,
        QueueName=unique("throughput", fifo=True),
        Attributes={"FifoQueue": "true", "FifoThroughputLimit": "perMessageGroupId"},
    )
    assert code == "InvalidAttributeValue"
    assert "FifoThroughputLimit" in message


def test_many_groups_are_served_while_one_is_blocked(sqs, queue):
    for i in range(30):
        send(sqs, queue, f"blocked-{i}", group="busy")
    assert bodies(sqs, queue) == ["blocked-0"]
    for group in range(12):
        send(sqs, queue, f"free-{group}", group=f"free-{group}")
    got = bodies(sqs, queue, MaxNumberOfMessages=10)
    assert len(got) == 10 and all(body.startswith("free-") for body in got)
