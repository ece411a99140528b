"""SQS dead-letter queues and message move tasks through boto3."""

from __future__ import annotations

import json
import time

import pytest
from sqs_support import arn_of, error_of, unique


def redrive(dlq_arn, max_receives=2):
    return json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives})


def pair(sqs, fifo=False, max_receives=2, **source_attributes):
    """A dead-letter queue and a source queue using it: (source url, dlq url, dlq arn)."""
    extra = {"FifoQueue": "true"} if fifo else {}
    dlq = sqs.create_queue(QueueName=unique("dlq", fifo), Attributes=extra)["QueueUrl"]
    dlq_arn = arn_of(sqs, dlq)
    source = sqs.create_queue(
        QueueName=unique("source", fifo),
        Attributes={**extra, "RedrivePolicy": redrive(dlq_arn, max_receives), **source_attributes},
    )["QueueUrl"]
    return source, dlq, dlq_arn


def wait_for_task(sqs, source_arn, status, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        task = sqs.list_message_move_tasks(SourceArn=source_arn)["Results"][0]
        if task["Status"] == status or time.monotonic() > deadline:
            return task
        time.sleep(0.05)


def test_a_message_received_too_often_moves_to_the_dead_letter_queue(sqs):
    source, dlq, _ = pair(sqs, VisibilityTimeout="0")
    sent_id = sqs.send_message(QueueUrl=source, MessageBody="poison")["MessageId"]
    for _ in range(2):
        got = sqs.receive_message(QueueUrl=source, MessageSystemAttributeNames=["All"])
        assert got["Messages"][0]["MessageId"] == sent_id
    sent_at = got["Messages"][0]["Attributes"]["SentTimestamp"]
    assert "Messages" not in sqs.receive_message(QueueUrl=source)
    moved = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert (moved["MessageId"], moved["Body"]) == (sent_id, "poison")
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == arn_of(sqs, source)
    assert moved["Attributes"]["SentTimestamp"] == sent_at  # standard queues keep it


def test_a_fifo_message_moves_with_its_group(sqs):
    source, dlq, _ = pair(sqs, fifo=True, max_receives=1, VisibilityTimeout="0")
    sqs.send_message(
        QueueUrl=source, MessageBody="poison", MessageGroupId="g", MessageDeduplicationId="d"
    )
    sqs.receive_message(QueueUrl=source)
    assert "Messages" not in sqs.receive_message(QueueUrl=source)
    moved = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert moved["Attributes"]["MessageGroupId"] == "g"


def test_a_long_poll_on_the_dead_letter_queue_wakes_when_a_message_arrives(sqs):
    source, dlq, _ = pair(sqs, max_receives=1, VisibilityTimeout="0")
    sqs.send_message(QueueUrl=source, MessageBody="poison")
    sqs.receive_message(QueueUrl=source)
    sqs.receive_message(QueueUrl=source)
    assert sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=5)["Messages"][0]["Body"] == "poison"


@pytest.mark.parametrize(
    ("policy", "reason"),
    [
        (
            '{"deadLetterTargetArn": "dummy", "maxReceiveCount": 42}',
            "Invalid value for deadLetterTargetArn.",
        ),
        (
            '{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:missing-dlq",'
            ' "maxReceiveCount": 3}',
            "Dead letter target does not exist.",
        ),
        ('{"maxReceiveCount": 3}', None),
        ("not json", None),
    ],
)
def test_invalid_redrive_policies_are_refused(sqs, policy, reason):
    code, message, _ = error_of(
        sqs.create_queue, QueueName=unique("bad-redrive"), Attributes={"RedrivePolicy": policy}
    )
    assert code == "InvalidParameterValue"
    assert message.startswith(f"Value {policy} for parameter RedrivePolicy is invalid.")
    if reason:
        assert message.endswith(f"Reason: {reason}")


@pytest.mark.parametrize("count", [0, 1001])
def test_max_receive_count_must_be_between_1_and_1000(sqs, count):
    dlq_arn = arn_of(sqs, sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"])
    url = sqs.create_queue(QueueName=unique("source"))["QueueUrl"]
    code, _, _ = error_of(
        sqs.set_queue_attributes,
        QueueUrl=url,
        Attributes={"RedrivePolicy": redrive(dlq_arn, count)},
    )
    assert code == "InvalidParameterValue"


def test_the_dead_letter_queue_must_be_of_the_same_type(sqs):
    fifo_dlq = sqs.create_queue(
        QueueName=unique("dlq", fifo=True), Attributes={"FifoQueue": "true"}
    )["QueueUrl"]
    code, message, _ = error_of(
        sqs.create_queue,
        QueueName=unique("source"),
        Attributes={"RedrivePolicy": redrive(arn_of(sqs, fifo_dlq))},
    )
    assert code == "InvalidParameterValue"
    assert message.endswith("Dead-letter queue must be same type of queue as the source.")


def test_redrive_allow_policy_decides_which_sources_may_use_a_queue(sqs):
    allowed = sqs.create_queue(QueueName=unique("allowed"))["QueueUrl"]
    other = sqs.create_queue(QueueName=unique("other"))["QueueUrl"]
    by_queue = json.dumps(
        {"redrivePermission": "byQueue", "sourceQueueArns": [arn_of(sqs, allowed)]}
    )
    dlq = sqs.create_queue(QueueName=unique("dlq"), Attributes={"RedriveAllowPolicy": by_queue})[
        "QueueUrl"
    ]
    policy = {"RedrivePolicy": redrive(arn_of(sqs, dlq))}
    sqs.set_queue_attributes(QueueUrl=allowed, Attributes=policy)
    code, _, _ = error_of(sqs.set_queue_attributes, QueueUrl=other, Attributes=policy)
    assert code == "InvalidParameterValue"
    sqs.set_queue_attributes(
        QueueUrl=dlq, Attributes={"RedriveAllowPolicy": '{"redrivePermission": "denyAll"}'}
    )
    code, _, _ = error_of(sqs.set_queue_attributes, QueueUrl=allowed, Attributes=policy)
    assert code == "InvalidParameterValue"
    stored = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["RedriveAllowPolicy"])
    assert json.loads(stored["Attributes"]["RedriveAllowPolicy"]) == {
        "redrivePermission": "denyAll"
    }


@pytest.mark.parametrize(
    "policy",
    [
        '{"redrivePermission": "sometimes"}',
        '{"redrivePermission": "byQueue"}',
        '{"redrivePermission": "allowAll", "sourceQueueArns": []}',
    ],
)
def test_invalid_redrive_allow_policies_are_refused(sqs, policy):
    code, message, _ = error_of(
        sqs.create_queue, QueueName=unique("allow"), Attributes={"RedriveAllowPolicy": policy}
    )
    assert code == "InvalidParameterValue"
    assert message.startswith(f"Value {policy} for parameter RedriveAllowPolicy is invalid.")


def test_redrive_policy_is_stored_in_canonical_form_and_can_be_removed(sqs):
    source, _, dlq_arn = pair(sqs, max_receives=5)
    stored = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["RedrivePolicy"])
    assert stored["Attributes"]["RedrivePolicy"] == (
        f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":5}}'
    )
    sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": ""})
    removed = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["RedrivePolicy"])
    assert removed["Attributes"] == {}


def test_list_dead_letter_source_queues_pages(sqs):
    dlq = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
    policy = {"RedrivePolicy": redrive(arn_of(sqs, dlq))}
    sources = sorted(
        sqs.create_queue(QueueName=unique("src"), Attributes=policy)["QueueUrl"] for _ in range(3)
    )
    assert sorted(sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"]) == sources
    first = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=2)
    rest = sqs.list_dead_letter_source_queues(
        QueueUrl=dlq, MaxResults=2, NextToken=first["NextToken"]
    )
    assert first["queueUrls"] + rest["queueUrls"] == sources
    assert "NextToken" not in rest
    lonely = sqs.create_queue(QueueName=unique("lonely"))["QueueUrl"]
    assert sqs.list_dead_letter_source_queues(QueueUrl=lonely)["queueUrls"] == []


def dead_letter(sqs, source, dlq, count):
    """Send `count` messages through `source` (maxReceiveCount 1) into `dlq`."""
    sqs.send_message_batch(
        QueueUrl=source, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(count)]
    )
    while "Messages" in sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10):
        pass
    attributes = sqs.get_queue_attributes(
        QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == str(count)


def test_a_move_task_redrives_messages_back_to_their_source(sqs):
    source, dlq, dlq_arn = pair(sqs, max_receives=1, VisibilityTimeout="0")
    dead_letter(sqs, source, dlq, 3)
    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    task = wait_for_task(sqs, dlq_arn, "COMPLETED")
    assert task["Status"] == "COMPLETED"
    assert task["ApproximateNumberOfMessagesMoved"] == 3
    assert task["ApproximateNumberOfMessagesToMove"] == 3
    assert "TaskHandle" not in task and "DestinationArn" not in task
    assert handle
    back = sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10, AttributeNames=["All"])
    assert sorted(m["Body"] for m in back["Messages"]) == ["m0", "m1", "m2"]
    assert all(m["Attributes"]["ApproximateReceiveCount"] == "1" for m in back["Messages"])


def test_a_move_task_to_a_destination_at_a_rate_can_be_cancelled(sqs):
    source, dlq, dlq_arn = pair(sqs, max_receives=1, VisibilityTimeout="0")
    destination = sqs.create_queue(QueueName=unique("destination"))["QueueUrl"]
    destination_arn = arn_of(sqs, destination)
    dead_letter(sqs, source, dlq, 5)
    handle = sqs.start_message_move_task(
        SourceArn=dlq_arn, DestinationArn=destination_arn, MaxNumberOfMessagesPerSecond=1
    )["TaskHandle"]
    running = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
    assert running["Status"] == "RUNNING"
    assert running["TaskHandle"] == handle
    assert running["DestinationArn"] == destination_arn
    assert running["MaxNumberOfMessagesPerSecond"] == 1
    code, message, _ = error_of(sqs.start_message_move_task, SourceArn=dlq_arn)
    assert code == "InvalidParameterValue"
    assert message.startswith("There is already a task running.")
    cancelled = sqs.cancel_message_move_task(TaskHandle=handle)
    assert cancelled["ApproximateNumberOfMessagesMoved"] < 5
    task = wait_for_task(sqs, dlq_arn, "CANCELLED")
    assert task["Status"] == "CANCELLED"
    moved = task["ApproximateNumberOfMessagesMoved"]
    left = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
    assert int(left["Attributes"]["ApproximateNumberOfMessages"]) == 5 - moved
    code, _, _ = error_of(sqs.cancel_message_move_task, TaskHandle=handle)
    assert code == "InvalidParameterValue"


def test_a_move_task_fails_when_its_destination_is_deleted(sqs):
    source, dlq, dlq_arn = pair(sqs, max_receives=1, VisibilityTimeout="0")
    destination = sqs.create_queue(QueueName=unique("doomed"))["QueueUrl"]
    dead_letter(sqs, source, dlq, 3)
    sqs.start_message_move_task(
        SourceArn=dlq_arn, DestinationArn=arn_of(sqs, destination), MaxNumberOfMessagesPerSecond=1
    )
    sqs.delete_queue(QueueUrl=destination)
    task = wait_for_task(sqs, dlq_arn, "FAILED")
    assert task["Status"] == "FAILED"
    assert task["FailureReason"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_move_task_errors(sqs):
    plain = sqs.create_queue(QueueName=unique("plain"))["QueueUrl"]
    code, message, _ = error_of(sqs.start_message_move_task, SourceArn=arn_of(sqs, plain))
    assert (code, message) == (
        "InvalidParameterValue",
        "Source queue must be configured as a Dead Letter Queue.",
    )
    missing = "arn:aws:sqs:us-east-1:000000000000:no-such-queue"
    code, message, status = error_of(sqs.start_message_move_task, SourceArn=missing)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message == "The resource that you specified for the SourceArn parameter doesn't exist."
    _, _, dlq_arn = pair(sqs)
    code, message, _ = error_of(
        sqs.start_message_move_task, SourceArn=dlq_arn, DestinationArn=missing
    )
    assert (code, message) == (
        "ResourceNotFoundException",
        "The resource that you specified for the DestinationArn parameter doesn't exist.",
    )
    code, message, _ = error_of(sqs.cancel_message_move_task, TaskHandle="not-a-handle")
    assert (code, message) == (
        "InvalidParameterValue",
        "Value for parameter TaskHandle is invalid.",
    )
    with pytest.raises(sqs.exceptions.ResourceNotFoundException):
        sqs.list_message_move_tasks(SourceArn=missing)
