"""SQS batch operations through boto3: whole-request rules and per-entry answers."""

from __future__ import annotations

import pytest
from sqs_support import error_of, unique


@pytest.fixture
def queue(sqs):
    return sqs.create_queue(QueueName=unique("batches"))["QueueUrl"]


def entries(count, **extra):
    return [{"Id": f"m{i}", "MessageBody": f"body {i}", **extra} for i in range(count)]


def test_send_batch_answers_each_entry(sqs, queue):
    answer = sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": "plain", "MessageBody": "msg"},
            {
                "Id": "with-attributes",
                "MessageBody": "test",
                "MessageAttributes": {"Foo": {"DataType": "String", "StringValue": "Bar"}},
            },
        ],
    )
    assert answer["Failed"] == []
    by_id = {entry["Id"]: entry for entry in answer["Successful"]}
    assert by_id["plain"]["MD5OfMessageBody"] == "6e2baaf3b97dbeef01c0043275f9a0e7"
    assert by_id["with-attributes"]["MD5OfMessageAttributes"] == "ae7155c6026991b6d54b11589678bf9c"
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert {m["MessageId"] for m in received} == {e["MessageId"] for e in by_id.values()}


def test_an_empty_batch_is_refused(sqs, queue):
    code, message, _ = error_of(sqs.send_message_batch, QueueUrl=queue, Entries=[])
    assert code == "AWS.SimpleQueueService.EmptyBatchRequest"
    assert message == "There should be at least one SendMessageBatchRequestEntry in the request."
    code, _, _ = error_of(sqs.delete_message_batch, QueueUrl=queue, Entries=[])
    assert code == "AWS.SimpleQueueService.EmptyBatchRequest"


def test_more_than_ten_entries_are_refused(sqs, queue):
    code, message, _ = error_of(sqs.send_message_batch, QueueUrl=queue, Entries=entries(20))
    assert code == "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
    assert message == "Maximum number of entries per request are 10. You have sent 20."
    with pytest.raises(sqs.exceptions.TooManyEntriesInBatchRequest):
        sqs.change_message_visibility_batch(
            QueueUrl=queue,
            Entries=[
                {"Id": f"e{i}", "ReceiptHandle": "x", "VisibilityTimeout": 1} for i in range(11)
            ],
        )


def test_duplicate_entry_ids_are_refused(sqs, queue):
    duplicated = [{"Id": "same", "MessageBody": "a"}, {"Id": "same", "MessageBody": "b"}]
    code, message, _ = error_of(sqs.send_message_batch, QueueUrl=queue, Entries=duplicated)
    assert (code, message) == (
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        "Id same repeated.",
    )
    with pytest.raises(sqs.exceptions.BatchEntryIdsNotDistinct):
        sqs.delete_message_batch(
            QueueUrl=queue,
            Entries=[{"Id": "same", "ReceiptHandle": "a"}, {"Id": "same", "ReceiptHandle": "b"}],
        )


@pytest.mark.parametrize("entry_id", ["", "invalid:id", "x" * 81])
def test_malformed_entry_ids_are_refused(sqs, queue, entry_id):
    code, message, _ = error_of(
        sqs.send_message_batch, QueueUrl=queue, Entries=[{"Id": entry_id, "MessageBody": "a"}]
    )
    assert code == "AWS.SimpleQueueService.InvalidBatchEntryId"
    assert message == (
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
        "It can be at most 80 letters long."
    )


def test_a_batch_over_one_mebibyte_in_total_is_refused(sqs, queue):
    half = "x" * 524_288
    code, message, _ = error_of(
        sqs.send_message_batch,
        QueueUrl=queue,
        Entries=[{"Id": "a", "MessageBody": half}, {"Id": "b", "MessageBody": half + "y"}],
    )
    assert code == "AWS.SimpleQueueService.BatchRequestTooLong"
    assert message == (
        "Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes."
    )


def test_invalid_entries_fail_alone(sqs, queue):
    answer = sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": "good", "MessageBody": "fine"},
            {
                "Id": "empty-attribute",
                "MessageBody": "x",
                "MessageAttributes": {"e": {"DataType": "String", "StringValue": ""}},
            },
            {"Id": "late", "MessageBody": "x", "DelaySeconds": 1000},
        ],
    )
    assert [entry["Id"] for entry in answer["Successful"]] == ["good"]
    failed = {entry["Id"]: entry for entry in answer["Failed"]}
    assert set(failed) == {"empty-attribute", "late"}
    assert failed["empty-attribute"] == {
        "Id": "empty-attribute",
        "SenderFault": True,
        "Code": "InvalidParameterValue",
        "Message": "Message (user) attribute 'e' must contain a non-empty value of type 'String'.",
    }


def test_delete_batch_answers_each_receipt_handle(sqs, queue):
    sqs.send_message_batch(QueueUrl=queue, Entries=entries(2))
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    answer = sqs.delete_message_batch(
        QueueUrl=queue,
        Entries=[
            *({"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)),
            {"Id": "bad", "ReceiptHandle": "garbage"},
        ],
    )
    assert sorted(entry["Id"] for entry in answer["Successful"]) == ["d0", "d1"]
    assert answer["Failed"] == [
        {
            "Id": "bad",
            "SenderFault": True,
            "Code": "ReceiptHandleIsInvalid",
            "Message": 'The input receipt handle "garbage" is not a valid receipt handle.',
        }
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_change_visibility_batch_answers_each_entry(sqs, queue):
    sqs.send_message_batch(QueueUrl=queue, Entries=entries(2))
    first, second = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    answer = sqs.change_message_visibility_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": "now", "ReceiptHandle": first["ReceiptHandle"], "VisibilityTimeout": 0},
            {
                "Id": "too-long",
                "ReceiptHandle": second["ReceiptHandle"],
                "VisibilityTimeout": 50000,
            },
        ],
    )
    assert answer["Successful"] == [{"Id": "now"}]
    assert [(f["Id"], f["Code"]) for f in answer["Failed"]] == [
        ("too-long", "InvalidParameterValue")
    ]
    again = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert [m["MessageId"] for m in again] == [first["MessageId"]]
