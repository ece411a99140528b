"""Kinesis tags (stream and resource operations) and stream consumers through boto3."""

from __future__ import annotations

import pytest
from kinesis_support import ACCOUNT, kinesis_client, new_stream
from sqs_support import error_of, unique


@pytest.fixture
def kinesis(server):
    return kinesis_client(server.endpoint)


def arn_of(kinesis, name: str) -> str:
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


def test_stream_tags_are_added_listed_in_key_order_and_removed(kinesis):
    name = unique("tagged")
    kinesis.create_stream(StreamName=name, ShardCount=1, Tags={"team": "data"})
    kinesis.add_tags_to_stream(StreamName=name, Tags={"env": "test", "cost": "1"})
    listed = kinesis.list_tags_for_stream(StreamName=name)
    assert listed["Tags"] == [
        {"Key": "cost", "Value": "1"},
        {"Key": "env", "Value": "test"},
        {"Key": "team", "Value": "data"},
    ]
    assert listed["HasMoreTags"] is False
    page = kinesis.list_tags_for_stream(StreamName=name, Limit=1, ExclusiveStartTagKey="cost")
    assert (page["Tags"], page["HasMoreTags"]) == ([{"Key": "env", "Value": "test"}], True)
    kinesis.remove_tags_from_stream(StreamName=name, TagKeys=["env", "absent"])
    assert [t["Key"] for t in kinesis.list_tags_for_stream(StreamName=name)["Tags"]] == [
        "cost",
        "team",
    ]


def test_a_stream_keeps_at_most_fifty_tags(kinesis):
    name = new_stream(kinesis)
    kinesis.add_tags_to_stream(StreamName=name, Tags={f"k{i}": "v" for i in range(50)})
    code, message, _ = error_of(kinesis.add_tags_to_stream, StreamName=name, Tags={"one": "more"})
    assert (code, message) == (
        "InvalidArgumentException",
        f"Failed to add tags to stream {name} under account {ACCOUNT} because a given stream"
        " cannot have more than 50 tags associated with it.",
    )


def test_tags_with_characters_kinesis_does_not_allow_are_refused(kinesis):
    name = new_stream(kinesis)
    code, message, _ = error_of(kinesis.add_tags_to_stream, StreamName=name, Tags={"a": "b<c"})
    assert code == "InvalidArgumentException"
    assert message.startswith("Some tags contain invalid characters.")


def test_resource_tagging_works_on_stream_arns(kinesis):
    name = new_stream(kinesis)
    arn = arn_of(kinesis, name)
    kinesis.tag_resource(ResourceARN=arn, Tags={"a": "1", "b": "2"})
    kinesis.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert kinesis.list_tags_for_stream(StreamName=name)["Tags"] == [{"Key": "b", "Value": "2"}]
    missing = arn.replace(name, unique("missing"))
    assert error_of(kinesis.list_tags_for_resource, ResourceARN=missing)[0] == (
        "ResourceNotFoundException"
    )


def test_a_consumer_is_registered_described_listed_and_deregistered(kinesis):
    name = new_stream(kinesis)
    stream_arn = arn_of(kinesis, name)
    consumer = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="reader")[
        "Consumer"
    ]
    assert consumer["ConsumerName"] == "reader"
    assert consumer["ConsumerARN"].startswith(f"{stream_arn}/consumer/reader:")
    assert consumer["ConsumerStatus"] == "ACTIVE"
    by_arn = kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])
    by_name = kinesis.describe_stream_consumer(StreamARN=stream_arn, ConsumerName="reader")
    assert by_arn["ConsumerDescription"] == by_name["ConsumerDescription"]
    assert by_arn["ConsumerDescription"]["StreamARN"] == stream_arn
    kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="second")
    listed = kinesis.list_stream_consumers(StreamARN=stream_arn)["Consumers"]
    assert [c["ConsumerName"] for c in listed] == ["reader", "second"]
    page = kinesis.list_stream_consumers(StreamARN=stream_arn, MaxResults=1)
    assert len(page["Consumers"]) == 1
    rest = kinesis.list_stream_consumers(StreamARN=stream_arn, NextToken=page["NextToken"])
    assert [c["ConsumerName"] for c in rest["Consumers"]] == ["second"]
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["ConsumerCount"] == 2
    kinesis.tag_resource(ResourceARN=consumer["ConsumerARN"], Tags={"role": "reader"})
    assert kinesis.list_tags_for_resource(ResourceARN=consumer["ConsumerARN"])["Tags"] == [
        {"Key": "role", "Value": "reader"}
    ]
    kinesis.deregister_stream_consumer(ConsumerARN=consumer["ConsumerARN"])
    code, message, _ = error_of(
        kinesis.describe_stream_consumer, ConsumerARN=consumer["ConsumerARN"]
    )
    assert (code, message) == (
        "ResourceNotFoundException",
        f"Consumer reader, account {ACCOUNT} not found.",
    )


def test_a_consumer_name_is_registered_once(kinesis):
    name = new_stream(kinesis)
    arn = arn_of(kinesis, name)
    kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="once")
    code, _, _ = error_of(kinesis.register_stream_consumer, StreamARN=arn, ConsumerName="once")
    assert code == "ResourceInUseException"


def test_a_stream_with_consumers_is_deleted_only_when_enforced(kinesis):
    name = new_stream(kinesis)
    kinesis.register_stream_consumer(StreamARN=arn_of(kinesis, name), ConsumerName="c")
    code, _, _ = error_of(kinesis.delete_stream, StreamName=name)
    assert code == "ResourceInUseException"
    kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    assert error_of(kinesis.describe_stream, StreamName=name)[0] == "ResourceNotFoundException"
