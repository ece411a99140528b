"""SQS through the real aws CLI (awscli v1), as a user would type it."""

from __future__ import annotations

from sqs_support import unique

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
