"""Stream records as functions and filters see them, the failure record of a discarded batch,
and the stream mapping rules that need no server."""

from __future__ import annotations

import base64
import datetime

import orjson
import pytest

from cloudlet.delivery.filters import FilterCriteria
from cloudlet.delivery.ports import StreamRecord
from cloudlet.delivery.stream_failures import LastAttempt, failure_record
from cloudlet.delivery.stream_records import dynamodb_record, filter_view, kinesis_record
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_.stream_mapping_rules import TUNABLE, apply_settings

STREAM = "arn:aws:kinesis:us-east-1:000000000000:stream/s"
TABLE_STREAM = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000"
ROLE = "arn:aws:iam::000000000000:role/r"


def kinesis_item(
    data: bytes, number: str = "49", arrival: float = 1_700_000_000.123
) -> StreamRecord:
    raw = {
        "SequenceNumber": number,
        "ApproximateArrivalTimestamp": arrival,
        "Data": data,
        "PartitionKey": "pk",
    }
    return StreamRecord(number, arrival, "pk", raw)


def change(number: str, arrival: float = 1_700_000_000.0) -> StreamRecord:
    record = {
        "eventID": "e",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "Keys": {"id": {"S": "a"}},
            "NewImage": {"id": {"S": "a"}, "status": {"S": "on"}},
            "SequenceNumber": number,
        },
    }
    return StreamRecord(number, arrival, '{"id":{"S":"a"}}', record)


def test_a_kinesis_record_carries_its_data_base64_and_names_its_shard_and_role():
    record = kinesis_record(
        kinesis_item(b"\x00hello"), "shardId-000000000003", STREAM, "eu-west-1", ROLE
    )
    assert record["kinesis"]["data"] == base64.b64encode(b"\x00hello").decode()
    assert record["eventID"] == "shardId-000000000003:49"
    assert (record["invokeIdentityArn"], record["awsRegion"], record["eventSourceARN"]) == (
        ROLE,
        "eu-west-1",
        STREAM,
    )


def test_a_dynamodb_record_gains_its_source_arn_last():
    record = dynamodb_record(change("000000000000000000007"), TABLE_STREAM)
    assert list(record)[-1] == "eventSourceARN"
    assert record["eventSourceARN"] == TABLE_STREAM


@pytest.mark.parametrize(
    ("data", "seen"),
    [
        (b'{"kind": "keep"}', {"kind": "keep"}),
        (b'  {"kind": "keep"}', {"kind": "keep"}),
        (b"[1, 2]", base64.b64encode(b"[1, 2]").decode()),
        (b"{not json", base64.b64encode(b"{not json").decode()),
        (b"plain", base64.b64encode(b"plain").decode()),
    ],
)
def test_filters_see_kinesis_data_decoded_only_when_it_holds_a_json_object(data, seen):
    record = kinesis_record(kinesis_item(data), "shardId-000000000000", STREAM, "us-east-1", ROLE)
    view = filter_view(record)
    assert view["data"] == seen
    assert view["partitionKey"] == "pk"


def test_a_data_pattern_matches_decoded_json_and_never_plain_data():
    criteria = FilterCriteria(['{"data": {"kind": ["keep"]}}'])
    shaped = [
        kinesis_record(kinesis_item(data), "shardId-000000000000", STREAM, "us-east-1", ROLE)
        for data in (b'{"kind": "keep"}', b'{"kind": "drop"}', b"keep")
    ]
    assert [criteria.matches(filter_view(record)) for record in shaped] == [True, False, False]


def test_filters_see_a_dynamodb_record_whole():
    criteria = FilterCriteria(
        ['{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": ["on"]}}}}']
    )
    assert criteria.matches(filter_view(dynamodb_record(change("1"), TABLE_STREAM)))


def test_the_kinesis_failure_record_names_the_batch_with_millisecond_arrivals():
    batch = [kinesis_item(b"a", "11", 1_700_000_000.123), kinesis_item(b"b", "12", 1_700_000_001.5)]
    body = orjson.loads(
        failure_record(
            kinesis=True,
            function_arn="arn:aws:lambda:us-east-1:000000000000:function:f",
            condition="RetryAttemptsExhausted",
            invoke_count=3,
            attempt=LastAttempt("req-1", 200, "$LATEST", "Unhandled"),
            shard_id="shardId-000000000001",
            stream_arn=STREAM,
            batch=batch,
        )
    )
    assert list(body) == [
        "requestContext",
        "responseContext",
        "version",
        "timestamp",
        "KinesisBatchInfo",
    ]
    assert body["requestContext"] == {
        "requestId": "req-1",
        "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:f",
        "condition": "RetryAttemptsExhausted",
        "approximateInvokeCount": 3,
    }
    assert body["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert body["KinesisBatchInfo"] == {
        "shardId": "shardId-000000000001",
        "startSequenceNumber": "11",
        "endSequenceNumber": "12",
        "approximateArrivalOfFirstRecord": "2023-11-14T22:13:20.123Z",
        "approximateArrivalOfLastRecord": "2023-11-14T22:13:21.500Z",
        "batchSize": 2,
        "streamArn": STREAM,
    }
    stamp = datetime.datetime.strptime(body["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert stamp.year >= 2024


def test_the_dynamodb_failure_record_has_whole_second_arrivals_and_no_invocation_yet():
    body = orjson.loads(
        failure_record(
            kinesis=False,
            function_arn="arn:aws:lambda:us-east-1:000000000000:function:f",
            condition="RecordAgeExceeded",
            invoke_count=0,
            attempt=LastAttempt(),
            shard_id="shardId-00000001700000000000-00000001",
            stream_arn=TABLE_STREAM,
            batch=[change("000000000000000000005", 1_700_000_000.9)],
        )
    )
    info = body["DDBStreamBatchInfo"]
    assert info["approximateArrivalOfFirstRecord"] == "2023-11-14T22:13:20Z"
    assert (info["startSequenceNumber"], info["batchSize"]) == ("000000000000000000005", 1)
    assert body["requestContext"]["approximateInvokeCount"] == 0


def test_settings_default_as_aws_and_keep_what_is_given():
    config = dict(TUNABLE)
    apply_settings(config, {"MaximumRetryAttempts": 0, "BisectBatchOnFunctionError": False})
    assert config["MaximumRetryAttempts"] == 0
    assert config["MaximumRecordAgeInSeconds"] == -1
    apply_settings(config, {"DestinationConfig": {"OnFailure": {"Destination": ""}}})
    assert config["DestinationConfig"] == {"OnFailure": {}}


@pytest.mark.parametrize("age", [0, 1, 59])
def test_a_record_age_under_a_minute_is_refused(age):
    with pytest.raises(ServiceError) as caught:
        apply_settings(dict(TUNABLE), {"MaximumRecordAgeInSeconds": age})
    assert caught.value.code == "InvalidParameterValueException"


@pytest.mark.parametrize("age", [-1, 60, 604_800])
def test_a_record_age_of_forever_or_a_minute_to_a_week_is_kept(age):
    config = dict(TUNABLE)
    apply_settings(config, {"MaximumRecordAgeInSeconds": age})
    assert config["MaximumRecordAgeInSeconds"] == age
