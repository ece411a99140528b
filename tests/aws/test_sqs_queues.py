"""SQS queues through boto3: creating, finding, listing, attributes, tags, purging, deleting."""

from __future__ import annotations

import json

import pytest
from sqs_support import arn_of, error_of, sqs_client, unique

STANDARD_DEFAULTS = {
    "DelaySeconds": "0",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
    "SqsManagedSseEnabled": "true",
}
COMPUTED = {
    "QueueArn",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
}


def all_attributes(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def test_queue_url_names_account_and_queue_at_the_host_the_client_used(sqs, server):
    name = unique("url")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert url == f"{server.endpoint}/000000000000/{name}"
    local = sqs_client(f"http://localhost:{server.port}")
    assert local.get_queue_url(QueueName=name)["QueueUrl"] == (
        f"http://localhost:{server.port}/000000000000/{name}"
    )


def test_new_standard_queue_has_aws_defaults(sqs):
    url = sqs.create_queue(QueueName=unique("defaults"))["QueueUrl"]
    attributes = all_attributes(sqs, url)
    assert set(attributes) == set(STANDARD_DEFAULTS) | COMPUTED
    assert {k: attributes[k] for k in STANDARD_DEFAULTS} == STANDARD_DEFAULTS
    assert attributes["QueueArn"] == f"arn:aws:sqs:us-east-1:000000000000:{url.split('/')[-1]}"
    assert attributes["ApproximateNumberOfMessages"] == "0"


def test_new_fifo_queue_has_fifo_defaults(sqs):
    url = sqs.create_queue(
        QueueName=unique("defaults", fifo=True), Attributes={"FifoQueue": "true"}
    )
    attributes = all_attributes(sqs, url["QueueUrl"])
    assert attributes["FifoQueue"] == "true"
    assert attributes["ContentBasedDeduplication"] == "false"
    assert attributes["DeduplicationScope"] == "queue"
    assert attributes["FifoThroughputLimit"] == "perQueue"


def test_every_attribute_given_at_creation_is_kept(sqs):
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    given = {
        "DelaySeconds": "5",
        "MaximumMessageSize": "2048",
        "MessageRetentionPeriod": "3600",
        "ReceiveMessageWaitTimeSeconds": "2",
        "VisibilityTimeout": "45",
        "Policy": policy,
        "KmsMasterKeyId": "alias/aws/sqs",
        "KmsDataKeyReusePeriodSeconds": "600",
    }
    url = sqs.create_queue(QueueName=unique("every"), Attributes=given)["QueueUrl"]
    attributes = all_attributes(sqs, url)
    assert {k: attributes[k] for k in given} == given
    assert attributes["SqsManagedSseEnabled"] == "false"  # KMS replaces SQS-managed SSE


def test_fifo_attributes_given_at_creation_are_kept(sqs):
    given = {
        "FifoQueue": "true",
        "ContentBasedDeduplication": "true",
        "DeduplicationScope": "messageGroup",
        "FifoThroughputLimit": "perMessageGroupId",
    }
    url = sqs.create_queue(QueueName=unique("every", fifo=True), Attributes=given)["QueueUrl"]
    attributes = all_attributes(sqs, url)
    assert {k: attributes[k] for k in given} == given


def test_recreating_a_queue_with_the_same_attributes_returns_its_url(sqs):
    name = unique("again")
    url = sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "3"})["QueueUrl"]
    assert sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "3"})["QueueUrl"] == url
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == url


def test_recreating_a_queue_with_a_different_attribute_is_refused(sqs):
    name = unique("again")
    sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "3"})
    code, message, status = error_of(
        sqs.create_queue, QueueName=name, Attributes={"DelaySeconds": "4"}
    )
    assert (code, status) == ("QueueAlreadyExists", 400)
    assert message == (
        "A queue already exists with the same name and a different value for attribute DelaySeconds"
    )
    with pytest.raises(sqs.exceptions.QueueNameExists):
        sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "4"})


def test_a_deleted_queue_name_cannot_be_reused_at_once(sqs):
    name = unique("recent")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)
    code, message, _ = error_of(sqs.create_queue, QueueName=name)
    assert code == "AWS.SimpleQueueService.QueueDeletedRecently"
    assert message.startswith("You must wait 60 seconds after deleting a queue")


@pytest.mark.parametrize(
    ("name", "attributes"),
    [
        ("has space", {}),
        ("a" * 81, {}),
        ("", {}),
        ("dotted.name", {}),
        ("plain-name.fifo", {}),
        ("no-suffix", {"FifoQueue": "true"}),
    ],
)
def test_invalid_queue_names_are_refused(sqs, name, attributes):
    code, _, status = error_of(sqs.create_queue, QueueName=name, Attributes=attributes)
    assert (code, status) == ("InvalidParameterValue", 400)


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("DelaySeconds", "901"),
        ("DelaySeconds", "-1"),
        ("DelaySeconds", "soon"),
        ("MaximumMessageSize", "1023"),
        ("MaximumMessageSize", "1048577"),
        ("MessageRetentionPeriod", "59"),
        ("MessageRetentionPeriod", "1209601"),
        ("ReceiveMessageWaitTimeSeconds", "21"),
        ("VisibilityTimeout", "43201"),
        ("KmsDataKeyReusePeriodSeconds", "59"),
        ("SqsManagedSseEnabled", "yes"),
        ("Policy", "not json"),
    ],
)
def test_attribute_values_out_of_range_are_refused(sqs, attribute, value):
    code, message, _ = error_of(
        sqs.create_queue, QueueName=unique("bad"), Attributes={attribute: value}
    )
    assert code == "InvalidAttributeValue"
    assert message == f"Invalid value for the parameter {attribute}."


def test_unknown_and_fifo_only_attributes_are_unknown_on_a_standard_queue(sqs):
    for attribute, value in [("Colour", "blue"), ("ContentBasedDeduplication", "true")]:
        code, message, _ = error_of(
            sqs.create_queue, QueueName=unique("unknown"), Attributes={attribute: value}
        )
        assert (code, message) == ("InvalidAttributeName", f"Unknown Attribute {attribute}.")


def test_get_queue_url_finds_a_queue_of_the_named_owner(sqs):
    name = unique("owner")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert (
        sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId="000000000000")["QueueUrl"] == url
    )
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId="111111111111")


def test_queues_are_separate_per_region(sqs, server):
    name = unique("regional")
    sqs.create_queue(QueueName=name)
    west = sqs_client(server.endpoint, "us-west-2")
    with pytest.raises(west.exceptions.QueueDoesNotExist):
        west.get_queue_url(QueueName=name)
    url = west.create_queue(QueueName=name, Attributes={"DelaySeconds": "7"})["QueueUrl"]
    assert all_attributes(west, url)["QueueArn"].startswith("arn:aws:sqs:us-west-2:")


def test_list_queues_filters_by_prefix_and_pages_with_max_results(sqs, server):
    prefix = unique("list")
    names = sorted(f"{prefix}-{i}" for i in range(5))
    for name in names:
        sqs.create_queue(QueueName=name)
    everything = sqs.list_queues(QueueNamePrefix=prefix)
    assert [u.rsplit("/", 1)[1] for u in everything["QueueUrls"]] == names
    assert "NextToken" not in everything
    seen, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2, **kwargs)
        seen += [u.rsplit("/", 1)[1] for u in page["QueueUrls"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == names
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix=unique("nothing"))


def test_list_queues_refuses_max_results_out_of_range(sqs):
    for value in (0, 1001):
        code, _, _ = error_of(sqs.list_queues, MaxResults=value)
        assert code == "InvalidParameterValue"


def test_a_deleted_queue_no_longer_exists(sqs):
    url = sqs.create_queue(QueueName=unique("gone"))["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)
    for call, kwargs in [
        (sqs.send_message, {"MessageBody": "x"}),
        (sqs.receive_message, {}),
        (sqs.get_queue_attributes, {"AttributeNames": ["All"]}),
        (sqs.delete_queue, {}),
    ]:
        code, message, status = error_of(call, QueueUrl=url, **kwargs)
        assert (code, message, status) == (
            "AWS.SimpleQueueService.NonExistentQueue",
            "The specified queue does not exist.",
            400,
        )


def test_get_queue_attributes_answers_the_names_asked_and_refuses_unknown_ones(sqs):
    url = sqs.create_queue(QueueName=unique("names"))["QueueUrl"]
    got = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["VisibilityTimeout", "QueueArn", "RedrivePolicy"]
    )["Attributes"]
    assert set(got) == {"VisibilityTimeout", "QueueArn"}
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url)
    code, message, _ = error_of(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["Size"])
    assert (code, message) == ("InvalidAttributeName", "Unknown Attribute Size.")


def test_set_queue_attributes_changes_them(sqs):
    url = sqs.create_queue(QueueName=unique("set"))["QueueUrl"]
    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"VisibilityTimeout": "69", "DelaySeconds": "420"}
    )
    attributes = all_attributes(sqs, url)
    assert (attributes["VisibilityTimeout"], attributes["DelaySeconds"]) == ("69", "420")
    code, _, _ = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"DelaySeconds": "x"})
    assert code == "InvalidAttributeValue"


def test_setting_a_policy_to_empty_removes_it(sqs):
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    url = sqs.create_queue(QueueName=unique("policy"), Attributes={"Policy": policy})["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    assert "Policy" not in all_attributes(sqs, url)


def test_queue_type_cannot_change(sqs):
    standard = sqs.create_queue(QueueName=unique("type"))["QueueUrl"]
    code, message, _ = error_of(
        sqs.set_queue_attributes, QueueUrl=standard, Attributes={"FifoQueue": "true"}
    )
    assert (code, message) == ("InvalidAttributeName", "Unknown Attribute FifoQueue.")
    fifo = sqs.create_queue(QueueName=unique("type", fifo=True), Attributes={"FifoQueue": "true"})
    code, message, _ = error_of(
        sqs.set_queue_attributes, QueueUrl=fifo["QueueUrl"], Attributes={"FifoQueue": "false"}
    )
    assert code == "InvalidAttributeValue"
    assert message == (
        "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
    )


def test_kms_and_sqs_managed_encryption_are_exclusive(sqs):
    url = sqs.create_queue(QueueName=unique("sse"))["QueueUrl"]
    code, message, _ = error_of(
        sqs.set_queue_attributes,
        QueueUrl=url,
        Attributes={"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "true"},
    )
    assert code == "InvalidAttributeName"
    assert message.startswith("You can use one type of server-side encryption (SSE) at one time.")


def test_tags_given_at_creation_added_and_removed(sqs):
    url = sqs.create_queue(QueueName=unique("tags"), tags={"team": "a", "cost": "1"})["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "cost": "1"}
    sqs.tag_queue(QueueUrl=url, Tags={"team": "b", "env": ""})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "b", "cost": "1", "env": ""}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "cost", "env"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {}


def test_more_than_fifty_tags_are_refused(sqs):
    url = sqs.create_queue(QueueName=unique("tags"))["QueueUrl"]
    code, _, _ = error_of(sqs.tag_queue, QueueUrl=url, Tags={f"k{i}": "v" for i in range(51)})
    assert code == "InvalidParameterValue"


def test_approximate_counts_tell_visible_in_flight_and_delayed_messages(sqs):
    url = sqs.create_queue(QueueName=unique("counts"))["QueueUrl"]
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)
    attributes = all_attributes(sqs, url)
    assert attributes["ApproximateNumberOfMessages"] == "2"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"


def test_purge_deletes_every_message_and_refuses_a_second_purge_within_a_minute(sqs):
    name = unique("purge")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    sqs.receive_message(QueueUrl=url)  # in flight messages go too
    sqs.purge_queue(QueueUrl=url)
    attributes = all_attributes(sqs, url)
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
    code, message, status = error_of(sqs.purge_queue, QueueUrl=url)
    assert (code, status) == ("AWS.SimpleQueueService.PurgeQueueInProgress", 403)
    assert message == f"Only one PurgeQueue operation on {name} is allowed every 60 seconds."
    sqs.send_message(QueueUrl=url, MessageBody="after")  # the queue itself works on
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "after"


def test_queue_arn_and_timestamps(sqs):
    url = sqs.create_queue(QueueName=unique("arn"))["QueueUrl"]
    attributes = all_attributes(sqs, url)
    assert attributes["QueueArn"] == arn_of(sqs, url)
    assert attributes["CreatedTimestamp"].isdigit()
    assert int(attributes["LastModifiedTimestamp"]) >= int(attributes["CreatedTimestamp"])


def test_permissions_are_statements_of_the_queue_policy(sqs):
    url = sqs.create_queue(QueueName=unique("shared"))["QueueUrl"]
    arn = arn_of(sqs, url)
    sqs.add_permission(
        QueueUrl=url,
        Label="readers",
        AWSAccountIds=["111111111111", "222222222222"],
        Actions=["ReceiveMessage"],
    )
    sqs.add_permission(
        QueueUrl=url, Label="writer", AWSAccountIds=["333333333333"], Actions=["SendMessage"]
    )
    policy = json.loads(all_attributes(sqs, url)["Policy"])
    assert policy["Version"] == "2008-10-17"
    assert policy["Statement"][0] == {
        "Sid": "readers",
        "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"]},
        "Action": "SQS:ReceiveMessage",
        "Resource": arn,
    }
    code, message, _ = error_of(
        sqs.add_permission,
        QueueUrl=url,
        Label="writer",
        AWSAccountIds=["333333333333"],
        Actions=["SendMessage"],
    )
    assert (code, message) == (
        "InvalidParameterValue",
        "Value writer for parameter Label is invalid. Reason: Already exists.",
    )
    sqs.remove_permission(QueueUrl=url, Label="readers")
    sqs.remove_permission(QueueUrl=url, Label="writer")
    assert "Policy" not in all_attributes(sqs, url)
    code, message, _ = error_of(sqs.remove_permission, QueueUrl=url, Label="writer")
    assert (code, message) == (
        "InvalidParameterValue",
        "Value writer for parameter Label is invalid. Reason: can't find label.",
    )
    code, _, _ = error_of(
        sqs.add_permission, QueueUrl=url, Label="x", AWSAccountIds=["1"], Actions=["Fly"]
    )
    assert code == "InvalidParameterValue"
