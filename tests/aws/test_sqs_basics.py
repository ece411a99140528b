"""The core SQS round trip through boto3 against a real server."""

from __future__ import annotations

import pytest


def test_send_receive_delete_round_trip(sqs):
    url = sqs.create_queue(QueueName="round-trip")["QueueUrl"]
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody="hello",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "greeting"}},
    )
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert [m["MessageId"] for m in got] == [sent["MessageId"]]
    assert got[0]["Body"] == "hello"
    assert got[0]["MessageAttributes"]["kind"]["StringValue"] == "greeting"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_missing_queue_raises_the_modelled_exception(sqs):
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as caught:
        sqs.get_queue_url(QueueName="no-such-queue")
    assert caught.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_messages_survive_a_restart(tmp_path):
    from conftest import client
    from server import Server

    server = Server(tmp_path / "state").start()
    try:
        sqs = client(server, "sqs")
        url = sqs.create_queue(QueueName="durable")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="kept")
        server.restart()
        sqs = client(server, "sqs")
        url = sqs.get_queue_url(QueueName="durable")["QueueUrl"]
        got = sqs.receive_message(QueueUrl=url)["Messages"]
        assert [m["Body"] for m in got] == ["kept"]
    finally:
        server.stop()
