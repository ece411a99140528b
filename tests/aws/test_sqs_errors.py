"""SQS's errors on the wire: what a client that breaks the model, or any rule, gets back."""

from __future__ import annotations

import pytest
from sqs_support import error_of, raw_call, unique


def test_a_missing_required_parameter_is_named(server):
    status, headers, body = raw_call(server.endpoint, "SendMessage", {"MessageBody": "x"})
    assert status == 400
    assert body["__type"].endswith("MissingRequiredParameterException")
    assert body["message"] == "The request must contain the parameter QueueUrl."
    assert headers["x-amzn-query-error"] == "MissingParameter;Sender"


def test_a_common_error_carries_its_legacy_code(server, sqs):
    url = sqs.create_queue(QueueName=unique("raw"))["QueueUrl"]
    status, headers, body = raw_call(
        server.endpoint, "ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 11}
    )
    assert status == 400
    assert body["__type"].endswith("InvalidParameterValueException")
    assert headers["x-amzn-query-error"] == "InvalidParameterValue;Sender"


def test_a_modelled_error_carries_its_shape_name_and_legacy_code(server):
    status, headers, body = raw_call(
        server.endpoint, "GetQueueUrl", {"QueueName": unique("missing")}
    )
    assert status == 400
    assert body["__type"].endswith("QueueDoesNotExist")
    assert body["message"] == "The specified queue does not exist."
    assert headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("ReceiveMessage", {"QueueUrl": 5}),
        ("ReceiveMessage", {"QueueUrl": "q", "MaxNumberOfMessages": "ten"}),
        ("CreateQueue", {"QueueName": "q", "Attributes": ["not", "a", "map"]}),
        ("SendMessageBatch", {"QueueUrl": "q", "Entries": [{"Id": "a"}]}),
    ],
)
def test_input_of_the_wrong_shape_is_a_client_error(server, operation, body):
    status, _, answer = raw_call(server.endpoint, operation, body)
    assert status == 400
    assert "__type" in answer


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"'])
def test_malformed_json_is_a_serialization_exception(server, body):
    # SQS's json endpoint answers a body it cannot read as the request's structure as it
    # answers a wrongly typed member: SerializationException, also the code SDKs show.
    status, headers, answer = raw_call(server.endpoint, "ListQueues", body)
    assert status == 400
    assert answer["__type"].rpartition("#")[2] == "SerializationException"
    assert headers["x-amzn-query-error"] == "SerializationException;Sender"


def test_an_unknown_operation_is_a_client_error(server):
    status, _, body = raw_call(server.endpoint, "FlyToTheMoon", {})
    assert status == 400
    assert body["__type"].endswith("UnknownOperationException")


def test_unknown_system_attribute_names_are_ignored_by_receive(sqs):
    url = sqs.create_queue(QueueName=unique("lenient"))["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    got = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["SenderId", "Nonsense"])
    assert set(got["Messages"][0]["Attributes"]) == {"SenderId"}


def test_only_aws_trace_header_is_a_system_attribute_to_send(sqs):
    url = sqs.create_queue(QueueName=unique("system"))["QueueUrl"]
    code, _, _ = error_of(
        sqs.send_message,
        QueueUrl=url,
        MessageBody="x",
        MessageSystemAttributes={"Other": {"DataType": "String", "StringValue": "v"}},
    )
    assert code == "InvalidParameterValue"
    code, _, _ = error_of(
        sqs.send_message,
        QueueUrl=url,
        MessageBody="x",
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "Number", "StringValue": "1"}},
    )
    assert code == "InvalidParameterValue"


@pytest.mark.parametrize(
    ("operation", "extra"),
    [
        ("send_message", {"MessageBody": "x"}),
        ("send_message_batch", {"Entries": [{"Id": "a", "MessageBody": "x"}]}),
        ("receive_message", {}),
        ("delete_message", {"ReceiptHandle": "x"}),
        ("delete_message_batch", {"Entries": [{"Id": "a", "ReceiptHandle": "x"}]}),
        ("change_message_visibility", {"ReceiptHandle": "x", "VisibilityTimeout": 1}),
        ("get_queue_attributes", {}),
        ("set_queue_attributes", {"Attributes": {"DelaySeconds": "1"}}),
        ("purge_queue", {}),
        ("tag_queue", {"Tags": {"a": "b"}}),
        ("untag_queue", {"TagKeys": ["a"]}),
        ("list_queue_tags", {}),
        ("list_dead_letter_source_queues", {}),
        ("delete_queue", {}),
    ],
)
def test_every_queue_operation_names_a_missing_queue(sqs, server, operation, extra):
    url = f"{server.endpoint}/000000000000/{unique('nowhere')}"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        getattr(sqs, operation)(QueueUrl=url, **extra)
