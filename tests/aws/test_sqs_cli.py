"""SQS through the real aws CLI (awscli v1), as a user would type it."""

from __future__ import annotations

import json

import pytest
from sqs_support import arn_of, unique

from aws_cli import aws, aws_json


def test_a_message_round_trip_with_the_cli(server):
    name = unique("cli")
    created = aws_json(server, "sqs", "create-queue", "--queue-name", name,
                       "--attributes", "VisibilityTimeout=40")  # fmt: skip
    url = created["QueueUrl"]
    listed = aws_json(server, "sqs", "list-queues", "--queue-name-prefix", name)
    assert listed["QueueUrls"] == [url]
    sent = aws_json(server, "sqs", "send-message", "--queue-url", url, "--message-body", "hello",
                    "--message-attributes",
                    '{"kind": {"DataType": "String", "StringValue": "greeting"}}')  # fmt: skip
    assert sent["MD5OfMessageBody"] == "5d41402abc4b2a76b9719d911017c592"
    received = aws_json(server, "sqs", "receive-message", "--queue-url", url,
                        "--message-attribute-names", "All", "--attribute-names", "All")  # fmt: skip
    message = received["Messages"][0]
    assert message["Body"] == "hello"
    assert message["MessageAttributes"]["kind"]["StringValue"] == "greeting"
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    aws(server, "sqs", "delete-message", "--queue-url", url,
        "--receipt-handle", message["ReceiptHandle"])  # fmt: skip
    # An empty receive prints nothing, as on AWS.
    assert aws_json(server, "sqs", "receive-message", "--queue-url", url) is None
    attributes = aws_json(server, "sqs", "get-queue-attributes", "--queue-url", url,
                          "--attribute-names", "All")["Attributes"]  # fmt: skip
    assert attributes["VisibilityTimeout"] == "40"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_cli_errors_name_the_sqs_error_code(server, sqs):
    missing = aws(
        server, "sqs", "get-queue-url", "--queue-name", unique("cli-missing"), check=False
    )
    assert missing.returncode != 0
    assert "AWS.SimpleQueueService.NonExistentQueue" in missing.stderr
    assert "The specified queue does not exist." in missing.stderr
    url = sqs.create_queue(QueueName=unique("cli-bad"))["QueueUrl"]
    duplicated = aws(server, "sqs", "send-message-batch", "--queue-url", url, "--entries",
                     "Id=a,MessageBody=x", "Id=a,MessageBody=y", check=False)  # fmt: skip
    assert duplicated.returncode != 0
    assert "BatchEntryIdsNotDistinct" in duplicated.stderr


def test_queue_settings_tags_purge_and_delete_with_the_cli(server, sqs):
    name = unique("cli-settings")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert aws_json(server, "sqs", "get-queue-url", "--queue-name", name) == {"QueueUrl": url}
    aws(server, "sqs", "set-queue-attributes", "--queue-url", url,
        "--attributes", "VisibilityTimeout=20,DelaySeconds=1")  # fmt: skip
    attributes = aws_json(server, "sqs", "get-queue-attributes", "--queue-url", url,
                          "--attribute-names", "VisibilityTimeout", "DelaySeconds")  # fmt: skip
    assert attributes == {"Attributes": {"VisibilityTimeout": "20", "DelaySeconds": "1"}}

    aws(server, "sqs", "tag-queue", "--queue-url", url, "--tags", "team=a,stage=dev")
    aws(server, "sqs", "untag-queue", "--queue-url", url, "--tag-keys", "stage")
    tags = aws_json(server, "sqs", "list-queue-tags", "--queue-url", url)
    assert tags == {"Tags": {"team": "a"}}

    sqs.send_message(QueueUrl=url, MessageBody="to be purged", DelaySeconds=0)
    aws(server, "sqs", "purge-queue", "--queue-url", url)
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "0"
    assert counts["ApproximateNumberOfMessagesDelayed"] == "0"
    aws(server, "sqs", "delete-queue", "--queue-url", url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName=name)


def test_batches_and_visibility_changes_with_the_cli(server, sqs):
    url = sqs.create_queue(QueueName=unique("cli-batches"))["QueueUrl"]
    entries = ["Id=a,MessageBody=one", "Id=b,MessageBody=two", "Id=c,MessageBody=three"]
    sent = aws_json(server, "sqs", "send-message-batch", "--queue-url", url, "--entries", *entries)
    assert sorted(entry["Id"] for entry in sent["Successful"]) == ["a", "b", "c"]
    assert "Failed" not in sent or sent["Failed"] == []
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600)
    handles = {m["Body"]: m["ReceiptHandle"] for m in got["Messages"]}
    assert sorted(handles) == ["one", "three", "two"]

    aws(server, "sqs", "change-message-visibility", "--queue-url", url,
        "--receipt-handle", handles["one"], "--visibility-timeout", "0")  # fmt: skip
    entries = [
        {"Id": "two", "ReceiptHandle": handles["two"], "VisibilityTimeout": 0},
        {"Id": "bad", "ReceiptHandle": "not-a-receipt", "VisibilityTimeout": 0},
    ]
    changed = aws_json(server, "sqs", "change-message-visibility-batch", "--queue-url", url,
                       "--entries", json.dumps(entries))  # fmt: skip
    assert [entry["Id"] for entry in changed["Successful"]] == ["two"]
    assert [(entry["Id"], entry["Code"]) for entry in changed["Failed"]] == [
        ("bad", "ReceiptHandleIsInvalid")
    ]
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in again) == ["one", "two"]

    receipts = [m["ReceiptHandle"] for m in again] + [handles["three"]]
    entries = [{"Id": str(n), "ReceiptHandle": receipt} for n, receipt in enumerate(receipts)]
    deleted = aws_json(server, "sqs", "delete-message-batch", "--queue-url", url,
                       "--entries", json.dumps(entries))  # fmt: skip
    assert sorted(entry["Id"] for entry in deleted["Successful"]) == ["0", "1", "2"]
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "0"
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_dead_letter_sources_and_move_tasks_with_the_cli(server, sqs):
    dlq = sqs.create_queue(QueueName=unique("cli-dlq"))["QueueUrl"]
    dlq_arn = arn_of(sqs, dlq)
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    source = sqs.create_queue(
        QueueName=unique("cli-source"),
        Attributes={"RedrivePolicy": policy, "VisibilityTimeout": "0"},
    )["QueueUrl"]
    sources = aws_json(server, "sqs", "list-dead-letter-source-queues", "--queue-url", dlq)
    assert sources == {"queueUrls": [source]}

    # Twenty messages at one a second: the task is still running while the CLI starts thrice.
    for first in (0, 10):
        entries = [{"Id": str(n), "MessageBody": f"m{n}"} for n in range(first, first + 10)]
        sqs.send_message_batch(QueueUrl=source, Entries=entries)
    while "Messages" in sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10):
        pass  # every message, received once, goes to the dead-letter queue on the next receive
    destination_arn = arn_of(sqs, sqs.create_queue(QueueName=unique("cli-to"))["QueueUrl"])
    handle = aws_json(server, "sqs", "start-message-move-task", "--source-arn", dlq_arn,
                      "--destination-arn", destination_arn,
                      "--max-number-of-messages-per-second", "1")["TaskHandle"]  # fmt: skip
    [task] = aws_json(server, "sqs", "list-message-move-tasks", "--source-arn", dlq_arn)["Results"]
    assert (task["TaskHandle"], task["Status"]) == (handle, "RUNNING")
    assert task["DestinationArn"] == destination_arn
    assert task["ApproximateNumberOfMessagesToMove"] == 20
    cancelled = aws_json(server, "sqs", "cancel-message-move-task", "--task-handle", handle)
    assert cancelled["ApproximateNumberOfMessagesMoved"] < 20
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert task["Status"] in {"CANCELLING", "CANCELLED"}
