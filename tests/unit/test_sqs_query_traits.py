"""SQS's query view of its model names things as SQS's query API did (botocore 1.31's model,
the last with the query protocol, is the reference for the wire names written out below)."""

from __future__ import annotations

import copy

from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.parsers import QueryParser
from botocore.serialize import QuerySerializer

from cloudlet.gateway.protocols.query import QueryProtocol
from cloudlet.services.sqs.query_traits import NAMESPACE, add_query_traits


def models() -> tuple[dict, ServiceModel]:
    raw = copy.deepcopy(Loader().load_service_model("sqs", "service-2"))
    add_query_traits(raw)
    return raw, ServiceModel(raw["protocolModels"]["query"], "sqs")


def request_body(operation: str, params: dict) -> dict:
    _, query = models()
    return QuerySerializer().serialize_to_request(params, query.operation_model(operation))["body"]


def test_the_json_model_keeps_its_names_and_gains_the_query_protocol():
    raw, _ = models()
    assert raw["metadata"]["protocols"] == ["json", "query"]
    send = raw["shapes"]["SendMessageRequest"]["members"]["MessageAttributes"]
    assert "locationName" not in send  # the json protocol reads locationName too


def test_maps_are_flattened_attributes_and_tags():
    body = request_body(
        "CreateQueue",
        {"QueueName": "q", "Attributes": {"DelaySeconds": "5"}, "tags": {"team": "a"}},
    )
    assert body == {
        "Action": "CreateQueue",
        "Version": "2012-11-05",
        "QueueName": "q",
        "Attribute.1.Name": "DelaySeconds",
        "Attribute.1.Value": "5",
        "Tag.1.Key": "team",
        "Tag.1.Value": "a",
    }


def test_batch_entries_and_message_attributes_use_their_item_names():
    body = request_body(
        "SendMessageBatch",
        {
            "QueueUrl": "u",
            "Entries": [
                {
                    "Id": "a",
                    "MessageBody": "b",
                    "MessageAttributes": {
                        "k": {"DataType": "String", "StringListValues": ["x", "y"]}
                    },
                }
            ],
        },
    )
    entry = "SendMessageBatchRequestEntry.1"
    assert body == {
        "Action": "SendMessageBatch",
        "Version": "2012-11-05",
        "QueueUrl": "u",
        f"{entry}.Id": "a",
        f"{entry}.MessageBody": "b",
        f"{entry}.MessageAttribute.1.Name": "k",
        f"{entry}.MessageAttribute.1.Value.DataType": "String",
        f"{entry}.MessageAttribute.1.Value.StringListValue.1": "x",
        f"{entry}.MessageAttribute.1.Value.StringListValue.2": "y",
    }


def test_lists_of_names_are_flattened():
    body = request_body(
        "ReceiveMessage",
        {"QueueUrl": "u", "AttributeNames": ["All"], "MessageAttributeNames": ["a", "b"]},
    )
    assert body["AttributeName.1"] == "All"
    assert (body["MessageAttributeName.1"], body["MessageAttributeName.2"]) == ("a", "b")
    assert request_body("UntagQueue", {"QueueUrl": "u", "TagKeys": ["t"]})["TagKey.1"] == "t"


def test_results_are_wrapped_and_named_in_sqs_namespace():
    _, query = models()
    operation = query.operation_model("SendMessageBatch")
    response = (
        QueryProtocol(query, {})
        .compile(operation)
        .serialize(
            {
                "Successful": [{"Id": "a", "MessageId": "m", "MD5OfMessageBody": "d"}],
                "Failed": [{"Id": "b", "SenderFault": True, "Code": "InvalidParameterValue"}],
            },
            "r",
        )
    )
    body = response.body.decode()
    assert body.startswith(
        f'<SendMessageBatchResponse xmlns="{NAMESPACE}"><SendMessageBatchResult>'
        "<SendMessageBatchResultEntry><Id>a</Id>"
    )
    assert "<BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault>" in body
    parsed = QueryParser().parse(
        {"body": response.body, "headers": {}, "status_code": 200}, operation.output_shape
    )
    assert parsed["Failed"][0]["Code"] == "InvalidParameterValue"


def test_messages_carry_attribute_and_message_attribute_elements():
    _, query = models()
    operation = query.operation_model("ReceiveMessage")
    response = (
        QueryProtocol(query, {})
        .compile(operation)
        .serialize(
            {
                "Messages": [
                    {
                        "MessageId": "m",
                        "Body": "b",
                        "Attributes": {"SentTimestamp": "1"},
                        "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}},
                    }
                ]
            },
            "r",
        )
    )
    body = response.body.decode()
    assert "<Message><MessageId>m</MessageId>" in body
    assert "<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>" in body
    assert (
        "<MessageAttribute><Name>k</Name><Value><StringValue>v</StringValue>"
        "<DataType>String</DataType></Value></MessageAttribute>"
    ) in body
