"""SQS messages through boto3: sending, receiving (long polling), deleting, visibility."""

from __future__ import annotations

import threading
import time

import pytest
from sqs_support import error_of, unique

# Digests SQS itself computed for these inputs (recorded against AWS).
BODY_MD5 = {"msg": "6e2baaf3b97dbeef01c0043275f9a0e7", "test": "098f6bcd4621d373cade4e832627b4f6"}
FOO_BAR_MD5 = "ae7155c6026991b6d54b11589678bf9c"
BINARY_MD5 = "8cbe4db156db8a94db8b801b7addb984"
BINARY_VALUE = b"traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01"


@pytest.fixture
def queue(sqs):
    return sqs.create_queue(QueueName=unique("messages"))["QueueUrl"]


def receive_one(sqs, url, **kwargs):
    messages = sqs.receive_message(QueueUrl=url, **kwargs).get("Messages", [])
    assert len(messages) == 1
    return messages[0]


def test_digests_are_those_sqs_computes(sqs, queue):
    sent = sqs.send_message(
        QueueUrl=queue,
        MessageBody="msg",
        MessageAttributes={"Foo": {"DataType": "String", "StringValue": "Bar"}},
    )
    assert sent["MD5OfMessageBody"] == BODY_MD5["msg"]
    assert sent["MD5OfMessageAttributes"] == FOO_BAR_MD5
    got = receive_one(sqs, queue, MessageAttributeNames=["All"])
    assert (got["MD5OfBody"], got["MD5OfMessageAttributes"]) == (BODY_MD5["msg"], FOO_BAR_MD5)


def test_binary_and_custom_typed_attributes_round_trip(sqs, queue):
    attributes = {
        "attr1": {"DataType": "Binary", "BinaryValue": BINARY_VALUE},
        "price": {"DataType": "Number.float", "StringValue": "12.5"},
        "label": {"DataType": "String.custom", "StringValue": "x"},
    }
    sent = sqs.send_message(QueueUrl=queue, MessageBody="test", MessageAttributes=attributes)
    got = receive_one(sqs, queue, MessageAttributeNames=["All"])
    assert got["MessageAttributes"] == attributes
    assert got["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    only_binary = sqs.send_message(
        QueueUrl=queue, MessageBody="test", MessageAttributes={"attr1": attributes["attr1"]}
    )
    assert only_binary["MD5OfMessageAttributes"] == BINARY_MD5


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        (
            {"ErrorDetails": {"DataType": "String", "StringValue": ""}},
            "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type "
            "'String'.",
        ),
        ({"a": {"DataType": "Text", "StringValue": "x"}}, None),
        ({"a": {"DataType": "Number", "StringValue": "twelve"}}, None),
        ({"AWS.reserved": {"DataType": "String", "StringValue": "x"}}, None),
        ({".starts": {"DataType": "String", "StringValue": "x"}}, None),
        ({"two..dots": {"DataType": "String", "StringValue": "x"}}, None),
        ({"sp ace": {"DataType": "String", "StringValue": "x"}}, None),
        ({f"a{i}": {"DataType": "String", "StringValue": "x"} for i in range(11)}, None),
    ],
)
def test_invalid_message_attributes_are_refused(sqs, queue, attributes, message):
    code, text, status = error_of(
        sqs.send_message, QueueUrl=queue, MessageBody="x", MessageAttributes=attributes
    )
    assert (code, status) == ("InvalidParameterValue", 400)
    if message:
        assert text == message


def test_message_size_counts_body_and_attributes_against_the_queue_limit(sqs):
    url = sqs.create_queue(QueueName=unique("size"), Attributes={"MaximumMessageSize": "1024"})[
        "QueueUrl"
    ]
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)
    code, message, _ = error_of(sqs.send_message, QueueUrl=url, MessageBody="x" * 1025)
    assert code == "InvalidParameterValue"
    assert message == (
        "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes."
    )
    # 1000 + len("name") + len("String") + 20 > 1024
    attributes = {"name": {"DataType": "String", "StringValue": "v" * 20}}
    code, _, _ = error_of(
        sqs.send_message, QueueUrl=url, MessageBody="x" * 1000, MessageAttributes=attributes
    )
    assert code == "InvalidParameterValue"


def test_a_message_over_one_mebibyte_is_refused(sqs, queue):
    code, message, _ = error_of(sqs.send_message, QueueUrl=queue, MessageBody="x" * 1_048_577)
    assert code == "InvalidParameterValue"
    assert message.endswith("Message must be shorter than 1048576 bytes.")


def test_invalid_characters_and_empty_bodies_are_refused(sqs, queue):
    code, message, _ = error_of(sqs.send_message, QueueUrl=queue, MessageBody="bad \x00 char")
    assert code == "InvalidMessageContents"
    assert message.startswith("Invalid characters found.")
    code, message, _ = error_of(sqs.send_message, QueueUrl=queue, MessageBody="")
    assert (code, message) == (
        "MissingParameter",
        "The request must contain the parameter MessageBody.",
    )


def test_trace_header_system_attribute_is_kept_and_digested(sqs, queue):
    header = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
    sent = sqs.send_message(
        QueueUrl=queue,
        MessageBody="traced",
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": header}},
    )
    assert len(sent["MD5OfMessageSystemAttributes"]) == 32
    got = receive_one(sqs, queue, MessageSystemAttributeNames=["AWSTraceHeader"])
    assert got["Attributes"] == {"AWSTraceHeader": header}


def test_per_message_delay_hides_a_message_until_it_is_due(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="later", DelaySeconds=1)
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)
    started = time.monotonic()
    got = receive_one(sqs, queue, WaitTimeSeconds=5)
    assert got["Body"] == "later"
    assert 0.5 < time.monotonic() - started < 3


def test_delay_out_of_range_is_refused(sqs, queue):
    code, message, _ = error_of(sqs.send_message, QueueUrl=queue, MessageBody="x", DelaySeconds=901)
    assert code == "InvalidParameterValue"
    assert message.startswith("Value 901 for parameter DelaySeconds is invalid.")


def test_queue_delay_applies_to_every_message(sqs):
    url = sqs.create_queue(QueueName=unique("delayed"), Attributes={"DelaySeconds": "60"})
    sqs.send_message(QueueUrl=url["QueueUrl"], MessageBody="x")
    assert "Messages" not in sqs.receive_message(QueueUrl=url["QueueUrl"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"MaxNumberOfMessages": 11},
            "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 "
            "and 10, if provided.",
        ),
        ({"MaxNumberOfMessages": 0}, None),
        ({"WaitTimeSeconds": 21}, None),
        ({"VisibilityTimeout": 43201}, None),
        ({"VisibilityTimeout": -1}, None),
    ],
)
def test_receive_parameters_out_of_range_are_refused(sqs, queue, kwargs, message):
    code, text, _ = error_of(sqs.receive_message, QueueUrl=queue, **kwargs)
    assert code == "InvalidParameterValue"
    if message:
        assert text == message


def test_receive_returns_up_to_max_number_of_messages(sqs, queue):
    sqs.send_message_batch(
        QueueUrl=queue, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(10)]
    )
    assert len(sqs.receive_message(QueueUrl=queue)["Messages"]) == 1
    assert len(sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=4)["Messages"]) == 4
    assert len(sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]) == 5


def test_long_poll_returns_as_soon_as_a_message_arrives(sqs, queue):
    threading.Timer(0.3, lambda: sqs.send_message(QueueUrl=queue, MessageBody="hi")).start()
    started = time.monotonic()
    got = receive_one(sqs, queue, WaitTimeSeconds=10)
    assert got["Body"] == "hi"
    assert time.monotonic() - started < 3


def test_long_poll_returns_when_an_in_flight_message_becomes_visible(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="again")
    first = receive_one(sqs, queue, VisibilityTimeout=1)
    started = time.monotonic()
    second = receive_one(sqs, queue, WaitTimeSeconds=10)
    assert second["MessageId"] == first["MessageId"]
    assert 0.5 < time.monotonic() - started < 3


def test_long_poll_on_an_empty_queue_waits_then_answers_nothing(sqs, queue):
    started = time.monotonic()
    answer = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)
    assert "Messages" not in answer
    assert time.monotonic() - started >= 0.9


def test_queue_receive_wait_time_makes_receives_long_polls(sqs):
    url = sqs.create_queue(
        QueueName=unique("waiting"), Attributes={"ReceiveMessageWaitTimeSeconds": "1"}
    )["QueueUrl"]
    started = time.monotonic()
    sqs.receive_message(QueueUrl=url)
    assert time.monotonic() - started >= 0.9


def test_a_received_message_is_hidden_for_its_visibility_timeout(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="once")
    first = receive_one(sqs, queue, VisibilityTimeout=1, MessageSystemAttributeNames=["All"])
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)
    time.sleep(1.1)
    again = receive_one(sqs, queue, MessageSystemAttributeNames=["All"])
    assert again["MessageId"] == first["MessageId"]
    assert again["ReceiptHandle"] != first["ReceiptHandle"]
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    assert (
        again["Attributes"]["ApproximateFirstReceiveTimestamp"]
        == first["Attributes"]["ApproximateFirstReceiveTimestamp"]
    )


def test_system_attributes_are_returned_as_asked(sqs, queue):
    before = int(time.time() * 1000)
    sqs.send_message(QueueUrl=queue, MessageBody="attrs")
    got = receive_one(sqs, queue, VisibilityTimeout=0, MessageSystemAttributeNames=["All"])
    assert set(got["Attributes"]) == {
        "SenderId",
        "SentTimestamp",
        "ApproximateReceiveCount",
        "ApproximateFirstReceiveTimestamp",
    }
    assert int(got["Attributes"]["SentTimestamp"]) >= before - 1000
    some = receive_one(sqs, queue, VisibilityTimeout=0, MessageSystemAttributeNames=["SenderId"])
    assert set(some["Attributes"]) == {"SenderId"}
    legacy = receive_one(sqs, queue, VisibilityTimeout=0, AttributeNames=["SentTimestamp"])
    assert set(legacy["Attributes"]) == {"SentTimestamp"}
    plain = receive_one(sqs, queue, VisibilityTimeout=0)
    assert "Attributes" not in plain


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["All"], {"General", "Hello", "Help.Me"}),
        (["*"], {"General", "Hello", "Help.Me"}),
        ([".*"], {"General", "Hello", "Help.Me"}),
        (["Hello", "General"], {"Hello", "General"}),
        (["Foo", "Hello"], {"Hello"}),
        (["Hel.*"], {"Hello", "Help.Me"}),
        (["Foo", "Help"], set()),
    ],
)
def test_message_attribute_names_select_attributes(sqs, queue, names, expected):
    attributes = {
        name: {"DataType": "String", "StringValue": value}
        for name, value in (("General", "Kenobi"), ("Hello", "There"), ("Help.Me", "Me"))
    }
    sqs.send_message(QueueUrl=queue, MessageBody="msg", MessageAttributes=attributes)
    got = receive_one(sqs, queue, MessageAttributeNames=names)
    assert set(got["MessageAttributes"]) == expected
    assert ("MD5OfMessageAttributes" in got) == bool(expected)


def test_no_message_attributes_unless_asked(sqs, queue):
    attributes = {"a": {"DataType": "String", "StringValue": "b"}}
    sqs.send_message(QueueUrl=queue, MessageBody="msg", MessageAttributes=attributes)
    got = receive_one(sqs, queue)
    assert "MessageAttributes" not in got and "MD5OfMessageAttributes" not in got


def test_delete_removes_the_message_and_is_idempotent(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="bye")
    got = receive_one(sqs, queue, VisibilityTimeout=0)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=got["ReceiptHandle"])
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=got["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)


def test_a_stale_receipt_handle_deletes_nothing_on_a_standard_queue(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="twice")
    old = receive_one(sqs, queue, VisibilityTimeout=0)
    receive_one(sqs, queue, VisibilityTimeout=0)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=old["ReceiptHandle"])  # accepted
    assert receive_one(sqs, queue)["MessageId"] == old["MessageId"]


def test_invalid_receipt_handles_are_refused(sqs, queue):
    other = sqs.create_queue(QueueName=unique("other"))["QueueUrl"]
    sqs.send_message(QueueUrl=other, MessageBody="elsewhere")
    foreign = receive_one(sqs, other)["ReceiptHandle"]
    for handle in ("garbage", "", foreign):
        code, message, status = error_of(sqs.delete_message, QueueUrl=queue, ReceiptHandle=handle)
        assert (code, status) == ("ReceiptHandleIsInvalid", 400)
        assert message == f'The input receipt handle "{handle}" is not a valid receipt handle.'
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle="garbage", VisibilityTimeout=1)


def test_changing_visibility_to_zero_makes_a_message_visible_again(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="back")
    got = receive_one(sqs, queue)
    sqs.change_message_visibility(
        QueueUrl=queue, ReceiptHandle=got["ReceiptHandle"], VisibilityTimeout=0
    )
    assert receive_one(sqs, queue)["MessageId"] == got["MessageId"]


def test_changing_visibility_wakes_a_long_poll(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="wake")
    got = receive_one(sqs, queue)
    release = threading.Timer(
        0.3,
        lambda: sqs.change_message_visibility(
            QueueUrl=queue, ReceiptHandle=got["ReceiptHandle"], VisibilityTimeout=0
        ),
    )
    release.start()
    started = time.monotonic()
    assert receive_one(sqs, queue, WaitTimeSeconds=10)["MessageId"] == got["MessageId"]
    assert time.monotonic() - started < 3


def test_visibility_timeout_is_limited_to_twelve_hours_from_the_receive(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="long")
    handle = receive_one(sqs, queue)["ReceiptHandle"]
    code, message, _ = error_of(
        sqs.change_message_visibility, QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=43201
    )
    assert code == "InvalidParameterValue"
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=43200)
    time.sleep(1.1)
    code, message, _ = error_of(
        sqs.change_message_visibility, QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=43200
    )
    assert code == "InvalidParameterValue"
    assert message.endswith(
        "Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]."
    )
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=600)


def test_changing_visibility_of_a_deleted_message_is_refused(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="gone")
    handle = receive_one(sqs, queue)["ReceiptHandle"]
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=handle)
    code, message, _ = error_of(
        sqs.change_message_visibility, QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=5
    )
    assert code == "InvalidParameterValue"
    assert message.endswith(
        "Reason: Message does not exist or is not available for visibility timeout change."
    )


def test_changing_visibility_after_it_expired_does_nothing(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="expired")
    handle = receive_one(sqs, queue, VisibilityTimeout=1)["ReceiptHandle"]
    time.sleep(1.1)
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=30)
    assert receive_one(sqs, queue)["Body"] == "expired"


def test_a_bare_queue_name_works_as_queue_url(sqs):
    name = unique("bare")
    sqs.create_queue(QueueName=name)
    sqs.send_message(QueueUrl=name, MessageBody="by name")
    assert receive_one(sqs, name)["Body"] == "by name"
