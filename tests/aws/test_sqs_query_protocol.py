"""SQS over its legacy query protocol, as SDKs before the 2023 move to json speak it.

Two kinds of client: botocore itself on SQS's model as it was (json-era model given back the
query traits), and raw form posts written the way old SDKs write them.
"""

from __future__ import annotations

import copy
import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.loaders import Loader
from sqs_support import arn_of, unique

from aws_cli import aws, aws_json
from cloudlet.services.sqs.errors import QUERY_CODES
from cloudlet.services.sqs.query_traits import add_query_traits
from conftest import REGION

NS = {"q": "http://queue.amazonaws.com/doc/2012-11-05/"}


@pytest.fixture(scope="module")
def query_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A botocore data directory whose SQS model speaks only the query protocol."""
    raw = copy.deepcopy(Loader().load_service_model("sqs", "service-2"))
    for shape, code in QUERY_CODES.items():
        if shape in raw["shapes"]:
            raw["shapes"][shape]["error"] = {
                "code": code,
                "httpStatusCode": 400,
                "senderFault": True,
            }
    add_query_traits(raw)
    raw = raw["protocolModels"]["query"]
    raw["metadata"]["protocol"] = "query"
    raw["metadata"]["protocols"] = ["query"]
    root = tmp_path_factory.mktemp("models")
    target = root / "sqs" / "2012-11-05"
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(raw))
    return root


@pytest.fixture
def sqs_query(server, query_models: Path):
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(query_models))
    sqs = session.create_client(
        "sqs",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=BotoConfig(retries={"max_attempts": 1}),
    )
    assert sqs.meta.service_model.protocol == "query"
    return sqs


def post_form(server, params: dict[str, str], path: str = "/") -> tuple[int, ET.Element]:
    """An unsigned form post, as a hand-written client sends it; the status and parsed XML."""
    request = urllib.request.Request(
        server.endpoint + path,
        data=urllib.parse.urlencode(params).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, ET.fromstring(response.read())
    except urllib.error.HTTPError as error:
        return error.code, ET.fromstring(error.read())


ATTRIBUTES = {
    "kind": {"DataType": "String", "StringValue": "greeting <&>"},
    "count": {"DataType": "Number", "StringValue": "42"},
    "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
}


def test_send_receive_delete_round_trip_over_query(sqs_query, sqs):
    url = sqs_query.create_queue(
        QueueName="query-round-trip", Attributes={"VisibilityTimeout": "30"}, tags={"team": "a"}
    )["QueueUrl"]
    assert url.endswith("/000000000000/query-round-trip")
    body = "line one\r\nline <two> & three"
    sent = sqs_query.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=ATTRIBUTES)
    same_over_json = sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=ATTRIBUTES)
    assert sent["MD5OfMessageBody"] == same_over_json["MD5OfMessageBody"]
    assert sent["MD5OfMessageAttributes"] == same_over_json["MD5OfMessageAttributes"]

    got = sqs_query.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    )["Messages"]
    assert {m["MessageId"] for m in got} == {sent["MessageId"], same_over_json["MessageId"]}
    for message in got:
        assert message["Body"] == body
        assert message["MessageAttributes"] == ATTRIBUTES
        assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
        assert message["Attributes"]["ApproximateReceiveCount"] == "1"
        assert message["Attributes"]["SentTimestamp"].isdigit()
        sqs_query.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    attributes = sqs_query.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "30"
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert url in sqs_query.list_queues(QueueNamePrefix="query-round")["QueueUrls"]


def test_batches_over_query(sqs_query):
    url = sqs_query.create_queue(QueueName="query-batches")["QueueUrl"]
    sent = sqs_query.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "first", "MessageBody": "one", "MessageAttributes": ATTRIBUTES},
            {"Id": "second", "MessageBody": "two", "DelaySeconds": 0},
            {"Id": "bad", "MessageBody": "not \x01 allowed"},
        ],
    )
    assert sorted(entry["Id"] for entry in sent["Successful"]) == ["first", "second"]
    assert [(e["Id"], e["SenderFault"]) for e in sent["Failed"]] == [("bad", True)]
    assert sent["Failed"][0]["Code"] == "InvalidMessageContents"

    got = sqs_query.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )["Messages"]
    assert sorted(m["Body"] for m in got) == ["one", "two"]
    deleted = sqs_query.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)],
    )
    assert sorted(entry["Id"] for entry in deleted["Successful"]) == ["0", "1"]
    assert "Failed" not in deleted or deleted["Failed"] == []

    with pytest.raises(sqs_query.exceptions.BatchEntryIdsNotDistinct) as caught:
        sqs_query.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": "same", "MessageBody": "a"}, {"Id": "same", "MessageBody": "b"}],
        )
    assert caught.value.response["Error"]["Code"] == (
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
    )


def test_an_empty_receive_has_no_messages(sqs_query):
    url = sqs_query.create_queue(QueueName="query-empty")["QueueUrl"]
    assert "Messages" not in sqs_query.receive_message(QueueUrl=url)


def test_missing_queue_is_the_legacy_code_in_xml(sqs_query):
    with pytest.raises(sqs_query.exceptions.QueueDoesNotExist) as caught:
        sqs_query.get_queue_url(QueueName="no-such-queue-q")
    error = caught.value.response["Error"]
    assert error["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error["Type"] == "Sender"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_raw_form_posts_as_old_sdks_write_them(server):
    status, created = post_form(
        server,
        {
            "Action": "CreateQueue",
            "QueueName": "query-raw",
            "Attribute.1.Name": "DelaySeconds",
            "Attribute.1.Value": "0",
            "Version": "2012-11-05",
        },
    )
    assert status == 200
    assert created.tag == f"{{{NS['q']}}}CreateQueueResponse"
    url = created.findtext("q:CreateQueueResult/q:QueueUrl", namespaces=NS)
    assert url.endswith("/000000000000/query-raw")
    assert created.findtext("q:ResponseMetadata/q:RequestId", namespaces=NS)

    # boto2 posts to the queue's own path and leaves QueueUrl out.
    path = urllib.parse.urlsplit(url).path
    status, sent = post_form(
        server,
        {
            "Action": "SendMessage",
            "MessageBody": "from an old sdk",
            "MessageAttribute.1.Name": "color",
            "MessageAttribute.1.Value.DataType": "String",
            "MessageAttribute.1.Value.StringValue": "blue",
        },
        path,
    )
    assert status == 200
    assert sent.findtext("q:SendMessageResult/q:MD5OfMessageBody", namespaces=NS) == (
        hashlib.md5(b"from an old sdk").hexdigest()
    )

    status, received = post_form(
        server,
        {
            "Action": "ReceiveMessage",
            "QueueUrl": url,
            "AttributeName": "All",
            "MessageAttributeName.1": "All",
        },
    )
    assert status == 200
    message = received.find("q:ReceiveMessageResult/q:Message", namespaces=NS)
    assert message.findtext("q:Body", namespaces=NS) == "from an old sdk"
    names = [a.findtext("q:Name", namespaces=NS) for a in message.findall("q:Attribute", NS)]
    assert "SentTimestamp" in names
    attribute = message.find("q:MessageAttribute", NS)
    assert attribute.findtext("q:Name", namespaces=NS) == "color"
    assert attribute.findtext("q:Value/q:StringValue", namespaces=NS) == "blue"
    assert attribute.findtext("q:Value/q:DataType", namespaces=NS) == "String"


def test_raw_errors_are_error_responses_with_detail(server):
    status, error = post_form(
        server, {"Action": "GetQueueUrl", "QueueName": "nowhere-raw", "Version": "2012-11-05"}
    )
    assert status == 400
    assert error.tag == f"{{{NS['q']}}}ErrorResponse"
    assert [child.tag.split("}")[1] for child in error.find("q:Error", NS)] == [
        "Type",
        "Code",
        "Message",
        "Detail",
    ]
    assert error.findtext("q:Error/q:Code", namespaces=NS) == (
        "AWS.SimpleQueueService.NonExistentQueue"
    )
    assert error.findtext("q:RequestId", namespaces=NS)


def test_an_unknown_action_is_invalid_action(server):
    request = AWSRequest(
        "POST",
        server.endpoint + "/",
        data=b"Action=Frobnicate&Version=2012-11-05",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    SigV4Auth(Credentials("test", "test"), "sqs", REGION).add_auth(request)
    prepared = request.prepare()
    outgoing = urllib.request.Request(prepared.url, prepared.body, dict(prepared.headers))
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(outgoing)
    error = ET.fromstring(caught.value.read())
    assert caught.value.code == 400
    assert error.findtext("q:Error/q:Code", namespaces=NS) == "InvalidAction"
    assert error.findtext("q:Error/q:Message", namespaces=NS) == (
        "The action Frobnicate is not valid for this web service."
    )


def test_json_and_query_clients_share_the_same_queues(sqs_query, sqs):
    url = sqs.create_queue(QueueName="query-shared")["QueueUrl"]
    sqs_query.send_message(QueueUrl=url, MessageBody="crossing over")
    got = sqs.receive_message(QueueUrl=url)["Messages"]
    assert [m["Body"] for m in got] == ["crossing over"]


def test_the_aws_cli_speaks_query_with_an_old_model(server, query_models: Path):
    env = {"AWS_DATA_PATH": str(query_models)}
    url = aws_json(server, "sqs", "create-queue", "--queue-name", "query-cli", env=env)["QueueUrl"]
    aws(server, "sqs", "send-message", "--queue-url", url, "--message-body", "via cli", env=env)
    received = aws(server, "sqs", "receive-message", "--queue-url", url, "--debug", env=env)
    assert json.loads(received.stdout)["Messages"][0]["Body"] == "via cli"
    assert "'Action': 'ReceiveMessage'" in received.stderr  # it really spoke query
    missing = aws(
        server, "sqs", "get-queue-url", "--queue-name", "no-such-cli-queue", env=env, check=False
    )
    assert missing.returncode != 0
    assert "AWS.SimpleQueueService.NonExistentQueue" in missing.stderr


def test_attributes_and_tags_over_query(sqs_query):
    url = sqs_query.create_queue(QueueName=unique("query-settings"))["QueueUrl"]
    sqs_query.set_queue_attributes(
        QueueUrl=url, Attributes={"VisibilityTimeout": "45", "DelaySeconds": "2"}
    )
    attributes = sqs_query.get_queue_attributes(
        QueueUrl=url, AttributeNames=["VisibilityTimeout", "DelaySeconds"]
    )["Attributes"]
    assert attributes == {"VisibilityTimeout": "45", "DelaySeconds": "2"}
    with pytest.raises(sqs_query.exceptions.InvalidAttributeName) as caught:
        sqs_query.set_queue_attributes(QueueUrl=url, Attributes={"Colour": "blue"})
    assert caught.value.response["Error"]["Code"] == "InvalidAttributeName"

    sqs_query.tag_queue(QueueUrl=url, Tags={"team": "a", "stage": "dev"})
    assert sqs_query.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "stage": "dev"}
    sqs_query.untag_queue(QueueUrl=url, TagKeys=["stage"])
    assert sqs_query.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a"}
    sqs_query.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert "Tags" not in sqs_query.list_queue_tags(QueueUrl=url)


def test_visibility_changes_over_query(sqs_query):
    url = sqs_query.create_queue(
        QueueName=unique("query-visibility"), Attributes={"VisibilityTimeout": "60"}
    )["QueueUrl"]
    for body in ("one", "two", "three"):
        sqs_query.send_message(QueueUrl=url, MessageBody=body)
    got = sqs_query.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(got) == 3
    sqs_query.change_message_visibility(
        QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    changed = sqs_query.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "back", "ReceiptHandle": got[1]["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "bad", "ReceiptHandle": "not-a-receipt", "VisibilityTimeout": 0},
        ],
    )
    assert [entry["Id"] for entry in changed["Successful"]] == ["back"]
    assert [(e["Id"], e["Code"], e["SenderFault"]) for e in changed["Failed"]] == [
        ("bad", "ReceiptHandleIsInvalid", True)
    ]
    again = sqs_query.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["MessageId"] for m in again) == sorted(m["MessageId"] for m in got[:2])
    with pytest.raises(sqs_query.exceptions.ReceiptHandleIsInvalid):
        sqs_query.change_message_visibility(
            QueueUrl=url, ReceiptHandle="not-a-receipt", VisibilityTimeout=0
        )


def test_purge_and_delete_over_query(sqs_query):
    url = sqs_query.create_queue(QueueName=unique("query-purge"))["QueueUrl"]
    sqs_query.send_message(QueueUrl=url, MessageBody="gone soon")
    sqs_query.purge_queue(QueueUrl=url)
    assert "Messages" not in sqs_query.receive_message(QueueUrl=url)
    with pytest.raises(sqs_query.exceptions.PurgeQueueInProgress) as caught:
        sqs_query.purge_queue(QueueUrl=url)
    assert caught.value.response["Error"]["Code"] == "AWS.SimpleQueueService.PurgeQueueInProgress"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    sqs_query.delete_queue(QueueUrl=url)
    with pytest.raises(sqs_query.exceptions.QueueDoesNotExist) as caught:
        sqs_query.send_message(QueueUrl=url, MessageBody="too late")
    assert caught.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert caught.value.response["Error"]["Message"] == "The specified queue does not exist."


def test_dead_letter_sources_and_move_tasks_over_query(sqs_query):
    dlq = sqs_query.create_queue(QueueName=unique("query-dlq"))["QueueUrl"]
    dlq_arn = arn_of(sqs_query, dlq)
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    source = sqs_query.create_queue(
        QueueName=unique("query-source"),
        Attributes={"RedrivePolicy": policy, "VisibilityTimeout": "0"},
    )["QueueUrl"]
    assert sqs_query.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [source]

    for body in ("m0", "m1", "m2"):
        sqs_query.send_message(QueueUrl=source, MessageBody=body)
    while "Messages" in sqs_query.receive_message(QueueUrl=source, MaxNumberOfMessages=10):
        pass  # every message, received once, goes to the dead-letter queue on the next receive
    destination = sqs_query.create_queue(QueueName=unique("query-destination"))["QueueUrl"]
    destination_arn = arn_of(sqs_query, destination)
    handle = sqs_query.start_message_move_task(
        SourceArn=dlq_arn, DestinationArn=destination_arn, MaxNumberOfMessagesPerSecond=1
    )["TaskHandle"]
    running = sqs_query.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
    assert [(t["TaskHandle"], t["Status"], t["DestinationArn"]) for t in running] == [
        (handle, "RUNNING", destination_arn)
    ]
    assert running[0]["MaxNumberOfMessagesPerSecond"] == 1
    assert running[0]["ApproximateNumberOfMessagesToMove"] == 3
    assert isinstance(running[0]["StartedTimestamp"], int)
    cancelled = sqs_query.cancel_message_move_task(TaskHandle=handle)
    assert cancelled["ApproximateNumberOfMessagesMoved"] < 3
    with pytest.raises(ClientError) as caught:
        sqs_query.cancel_message_move_task(TaskHandle="not-a-handle")
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_permissions_over_query(sqs_query):
    url = sqs_query.create_queue(QueueName=unique("query-permissions"))["QueueUrl"]
    sqs_query.add_permission(
        QueueUrl=url,
        Label="share",
        AWSAccountIds=["111122223333", "444455556666"],
        Actions=["SendMessage", "ReceiveMessage"],
    )
    policy = json.loads(
        sqs_query.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"][
            "Policy"
        ]
    )
    [statement] = policy["Statement"]
    assert statement["Sid"] == "share"
    assert statement["Principal"]["AWS"] == [
        "arn:aws:iam::111122223333:root",
        "arn:aws:iam::444455556666:root",
    ]
    assert statement["Action"] == ["SQS:SendMessage", "SQS:ReceiveMessage"]
    sqs_query.remove_permission(QueueUrl=url, Label="share")
    attributes = sqs_query.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
    assert "Policy" not in attributes.get("Attributes", {})
    with pytest.raises(ClientError) as caught:
        sqs_query.remove_permission(QueueUrl=url, Label="share")
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"


def texts(element: ET.Element, path: str) -> list[str]:
    """The texts at `path` (steps without the namespace prefix) under `element`."""
    steps = "/".join(f"q:{step}" for step in path.split("/"))
    return [found.text or "" for found in element.findall(steps, NS)]


def call(server, action: str, params: dict[str, str]) -> ET.Element:
    """A raw form post of `action` that must succeed; the parsed answer."""
    status, answer = post_form(server, {"Action": action, "Version": "2012-11-05", **params})
    assert status == 200, ET.tostring(answer)
    return answer


def raw_queue(server, prefix: str, attributes: dict[str, str] | None = None) -> str:
    params = {"QueueName": unique(prefix)}
    for n, (name, value) in enumerate((attributes or {}).items(), 1):
        params |= {f"Attribute.{n}.Name": name, f"Attribute.{n}.Value": value}
    return texts(call(server, "CreateQueue", params), "CreateQueueResult/QueueUrl")[0]


def raw_attributes(server, url: str, *names: str) -> dict[str, str]:
    params = {f"AttributeName.{n}": name for n, name in enumerate(names, 1)}
    got = call(server, "GetQueueAttributes", {"QueueUrl": url, **params})
    keys = texts(got, "GetQueueAttributesResult/Attribute/Name")
    return dict(zip(keys, texts(got, "GetQueueAttributesResult/Attribute/Value"), strict=True))


# The wire names below are those of SQS's query API (botocore 1.31's model), written out by
# hand so that they do not depend on cloudlet's own query traits.


def test_raw_wire_names_of_settings_tags_and_permissions(server):
    url = raw_queue(server, "raw-names")
    call(
        server,
        "SetQueueAttributes",
        {
            "QueueUrl": url,
            "Attribute.1.Name": "VisibilityTimeout",
            "Attribute.1.Value": "50",
            "Attribute.2.Name": "DelaySeconds",
            "Attribute.2.Value": "3",
        },
    )
    assert raw_attributes(server, url, "VisibilityTimeout", "DelaySeconds") == {
        "VisibilityTimeout": "50",
        "DelaySeconds": "3",
    }

    tags = {"Tag.1.Key": "team", "Tag.1.Value": "a", "Tag.2.Key": "stage", "Tag.2.Value": "dev"}
    call(server, "TagQueue", {"QueueUrl": url, **tags})
    call(server, "UntagQueue", {"QueueUrl": url, "TagKey.1": "stage"})
    listed = call(server, "ListQueueTags", {"QueueUrl": url})
    assert texts(listed, "ListQueueTagsResult/Tag/Key") == ["team"]
    assert texts(listed, "ListQueueTagsResult/Tag/Value") == ["a"]

    call(
        server,
        "AddPermission",
        {
            "QueueUrl": url,
            "Label": "share",
            "AWSAccountId.1": "111122223333",
            "ActionName.1": "SendMessage",
            "ActionName.2": "DeleteMessage",
        },
    )
    [statement] = json.loads(raw_attributes(server, url, "Policy")["Policy"])["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert statement["Action"] == ["SQS:SendMessage", "SQS:DeleteMessage"]
    call(server, "RemovePermission", {"QueueUrl": url, "Label": "share"})
    assert raw_attributes(server, url, "Policy") == {}

    call(server, "DeleteQueue", {"QueueUrl": url})
    status, error = post_form(server, {"Action": "ListQueueTags", "QueueUrl": url})
    assert status == 400
    assert texts(error, "Error/Code") == ["AWS.SimpleQueueService.NonExistentQueue"]


def test_raw_wire_names_of_visibility_batches_and_dead_letters(server):
    dlq = raw_queue(server, "raw-dlq")
    dlq_arn = raw_attributes(server, dlq, "QueueArn")["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})
    source = raw_queue(server, "raw-source", {"RedrivePolicy": policy})
    sources = call(server, "ListDeadLetterSourceQueues", {"QueueUrl": dlq})
    assert texts(sources, "ListDeadLetterSourceQueuesResult/QueueUrl") == [source]

    call(server, "SendMessage", {"QueueUrl": source, "MessageBody": "m"})
    received = call(server, "ReceiveMessage", {"QueueUrl": source})
    [handle] = texts(received, "ReceiveMessageResult/Message/ReceiptHandle")
    entry = "ChangeMessageVisibilityBatchRequestEntry"
    entries = {
        f"{entry}.1.Id": "good",
        f"{entry}.1.ReceiptHandle": handle,
        f"{entry}.1.VisibilityTimeout": "0",
        f"{entry}.2.Id": "bad",
        f"{entry}.2.ReceiptHandle": "nonsense",
        f"{entry}.2.VisibilityTimeout": "0",
    }
    changed = call(server, "ChangeMessageVisibilityBatch", {"QueueUrl": source, **entries})
    result = "ChangeMessageVisibilityBatchResult"
    assert texts(changed, f"{result}/ChangeMessageVisibilityBatchResultEntry/Id") == ["good"]
    assert texts(changed, f"{result}/BatchResultErrorEntry/Id") == ["bad"]
    assert texts(changed, f"{result}/BatchResultErrorEntry/SenderFault") == ["true"]

    call(server, "StartMessageMoveTask", {"SourceArn": dlq_arn})
    tasks = call(server, "ListMessageMoveTasks", {"SourceArn": dlq_arn})
    task = "ListMessageMoveTasksResult/ListMessageMoveTasksResultEntry"
    assert texts(tasks, f"{task}/SourceArn") == [dlq_arn]
    assert texts(tasks, f"{task}/ApproximateNumberOfMessagesToMove") == ["0"]
