"""Kinesis and DynamoDB Streams event source mappings' control plane through boto3: what
create, update and get answer, and every refusal with Lambda's error, nothing half-created."""

from __future__ import annotations

import datetime

import pytest
from esm_support import queue
from lambda_support import create_function, error_of, unique
from stream_support import kinesis_stream, streamed_table

from conftest import client


@pytest.fixture(scope="module")
def kinesis(server):
    return client(server, "kinesis")


@pytest.fixture(scope="module")
def dynamodb(server):
    return client(server, "dynamodb")


@pytest.fixture(scope="module")
def function(lam) -> str:
    name = unique("stream-target")
    create_function(lam, name, Timeout=3)
    return name


@pytest.fixture
def stream(kinesis) -> str:
    return kinesis_stream(kinesis, unique("api"))


@pytest.fixture
def table_stream(dynamodb) -> str:
    return streamed_table(dynamodb, unique("api"))


def mappings_of(lam, source: str) -> list[dict]:
    return lam.list_event_source_mappings(EventSourceArn=source)["EventSourceMappings"]


def test_create_answers_creating_with_aws_stream_defaults(lam, function, stream):
    created = lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=function, StartingPosition="LATEST"
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    uuid = created["UUID"]
    del created["ResponseMetadata"]
    assert isinstance(created.pop("LastModified"), datetime.datetime)
    assert created == {
        "UUID": uuid,
        "StartingPosition": "LATEST",
        "BatchSize": 100,
        "MaximumBatchingWindowInSeconds": 0,
        "ParallelizationFactor": 1,
        "EventSourceArn": stream,
        "FunctionArn": f"arn:aws:lambda:us-east-1:000000000000:function:{function}",
        "LastProcessingResult": "No records processed",
        "State": "Creating",
        "StateTransitionReason": "User action",
        "DestinationConfig": {"OnFailure": {}},
        "MaximumRecordAgeInSeconds": -1,
        "BisectBatchOnFunctionError": False,
        "MaximumRetryAttempts": -1,
        "TumblingWindowInSeconds": 0,
        "FunctionResponseTypes": [],
        "EventSourceMappingArn": (
            f"arn:aws:lambda:us-east-1:000000000000:event-source-mapping:{uuid}"
        ),
    }
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"


def test_create_keeps_every_stream_setting_given(lam, sqs, function, stream):
    destination = queue(sqs, unique("failures"))[1]
    moment = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    created = lam.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=function,
        StartingPosition="AT_TIMESTAMP",
        StartingPositionTimestamp=moment,
        BatchSize=500,
        MaximumBatchingWindowInSeconds=2,
        ParallelizationFactor=4,
        MaximumRetryAttempts=3,
        MaximumRecordAgeInSeconds=3600,
        BisectBatchOnFunctionError=True,
        DestinationConfig={"OnFailure": {"Destination": destination}},
        FunctionResponseTypes=["ReportBatchItemFailures"],
        FilterCriteria={"Filters": [{"Pattern": '{"data": {"kind": ["order"]}}'}]},
        Enabled=False,
    )
    fetched = lam.get_event_source_mapping(UUID=created["UUID"])
    assert fetched["StartingPositionTimestamp"] == moment
    assert {name: fetched[name] for name in created if name != "ResponseMetadata"} == {
        **{name: created[name] for name in created if name != "ResponseMetadata"},
        "State": "Disabled",
    }
    assert fetched["BatchSize"] == 500
    assert fetched["ParallelizationFactor"] == 4
    assert fetched["MaximumRetryAttempts"] == 3
    assert fetched["MaximumRecordAgeInSeconds"] == 3600
    assert fetched["BisectBatchOnFunctionError"] is True
    assert fetched["DestinationConfig"] == {"OnFailure": {"Destination": destination}}
    assert fetched["FilterCriteria"] == {"Filters": [{"Pattern": '{"data": {"kind": ["order"]}}'}]}


def test_a_dynamodb_stream_mapping_is_created_on_the_tables_stream(lam, function, table_stream):
    created = lam.create_event_source_mapping(
        EventSourceArn=table_stream, FunctionName=function, StartingPosition="TRIM_HORIZON"
    )
    assert created["EventSourceArn"] == table_stream
    assert created["StartingPosition"] == "TRIM_HORIZON"
    assert [m["UUID"] for m in mappings_of(lam, table_stream)] == [created["UUID"]]


def test_update_changes_stream_settings_and_keeps_the_rest(lam, sqs, function, stream):
    uuid = lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=function, StartingPosition="TRIM_HORIZON"
    )["UUID"]
    destination = queue(sqs, unique("failures"))[1]
    updated = lam.update_event_source_mapping(
        UUID=uuid,
        MaximumRetryAttempts=5,
        BisectBatchOnFunctionError=True,
        ParallelizationFactor=2,
        DestinationConfig={"OnFailure": {"Destination": destination}},
    )
    assert updated["State"] == "Updating"
    fetched = lam.get_event_source_mapping(UUID=uuid)
    assert (fetched["MaximumRetryAttempts"], fetched["ParallelizationFactor"]) == (5, 2)
    assert fetched["BisectBatchOnFunctionError"] is True
    assert fetched["StartingPosition"] == "TRIM_HORIZON"
    assert fetched["DestinationConfig"] == {"OnFailure": {"Destination": destination}}
    lam.update_event_source_mapping(UUID=uuid, DestinationConfig={"OnFailure": {}})
    assert lam.get_event_source_mapping(UUID=uuid)["DestinationConfig"] == {"OnFailure": {}}


def test_a_second_mapping_of_the_same_stream_and_function_is_a_conflict(lam, function, stream):
    uuid = lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=function, StartingPosition="LATEST"
    )["UUID"]
    with pytest.raises(lam.exceptions.ResourceConflictException) as caught:
        lam.create_event_source_mapping(
            EventSourceArn=stream, FunctionName=function, StartingPosition="LATEST"
        )
    assert error_of(caught) == (
        "ResourceConflictException",
        409,
        f'The event source arn (" {stream} ") and function (" {function} ") provided mapping'
        f" already exists. Please update or delete the existing mapping with UUID {uuid}",
    )


def test_pointing_a_stream_mapping_at_a_function_already_mapped_conflicts(lam, function, stream):
    other = unique("other")
    create_function(lam, other, Timeout=3)
    taken = lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=function, StartingPosition="LATEST"
    )["UUID"]
    uuid = lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=other, StartingPosition="LATEST"
    )["UUID"]
    with pytest.raises(lam.exceptions.ResourceConflictException) as caught:
        lam.update_event_source_mapping(UUID=uuid, FunctionName=function)
    assert error_of(caught) == (
        "ResourceConflictException",
        409,
        f'The event source arn (" {stream} ") and function (" {function} ") provided mapping'
        f" already exists. Please update or delete the existing mapping with UUID {taken}",
    )
    assert lam.get_event_source_mapping(UUID=uuid)["FunctionArn"].endswith(f":{other}")


def test_deleting_a_stream_mapping_answers_deleting_and_it_goes(lam, function, stream):
    uuid = lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=function, StartingPosition="LATEST"
    )["UUID"]
    assert lam.delete_event_source_mapping(UUID=uuid)["State"] == "Deleting"
    assert mappings_of(lam, stream) == []


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {},
            "1 validation error detected: Value null at 'startingPosition' failed to satisfy"
            " constraint: Member must not be null.",
        ),
        (
            {"StartingPosition": "AT_TIMESTAMP"},
            "StartingPositionTimestamp must be provided when StartingPosition is AT_TIMESTAMP",
        ),
        (
            {"StartingPosition": "LATEST", "MaximumRecordAgeInSeconds": 59},
            "MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800"
            " (inclusive)",
        ),
        (
            {
                "StartingPosition": "LATEST",
                "DestinationConfig": {
                    "OnSuccess": {"Destination": "arn:aws:sqs:us-east-1:000000000000:q"}
                },
            },
            "Unsupported DestinationConfig parameter for given event source mapping type.",
        ),
        (
            {
                "StartingPosition": "LATEST",
                "DestinationConfig": {
                    "OnFailure": {"Destination": "arn:aws:lambda:us-east-1:000000000000:function:f"}
                },
            },
            "The destination ARN arn:aws:lambda:us-east-1:000000000000:function:f is invalid.",
        ),
        (
            {
                "StartingPosition": "LATEST",
                "DestinationConfig": {
                    "OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:missing"}
                },
            },
            "The provided execution role does not have permissions to call SendMessage on SQS",
        ),
        (
            {
                "StartingPosition": "LATEST",
                "DestinationConfig": {
                    "OnFailure": {"Destination": "arn:aws:sns:us-east-1:000000000000:missing"}
                },
            },
            "The provided execution role does not have permissions to call Publish on SNS",
        ),
        (
            {
                "StartingPosition": "LATEST",
                "FilterCriteria": {"Filters": [{"Pattern": "{not json"}]},
            },
            "Invalid filter pattern definition.",
        ),
    ],
)
def test_bad_stream_settings_are_refused_and_nothing_is_created(
    lam, function, stream, settings, message
):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=function, **settings)
    assert error_of(caught) == ("InvalidParameterValueException", 400, message)
    assert mappings_of(lam, stream) == []


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"StartingPosition": "EARLIEST"},
            "1 validation error detected: Value 'EARLIEST' at 'startingPosition' failed to"
            " satisfy constraint: Member must satisfy enum value set: [TRIM_HORIZON, LATEST,"
            " AT_TIMESTAMP]",
        ),
        (
            {"StartingPosition": "LATEST", "ParallelizationFactor": 11},
            "1 validation error detected: Value 11 at 'parallelizationFactor' failed to satisfy"
            " constraint: Member must have value less than or equal to 10",
        ),
        (
            {"StartingPosition": "LATEST", "MaximumRetryAttempts": 10_001},
            "1 validation error detected: Value 10001 at 'maximumRetryAttempts' failed to"
            " satisfy constraint: Member must have value less than or equal to 10000",
        ),
        (
            {"StartingPosition": "LATEST", "MaximumRecordAgeInSeconds": 604_801},
            "1 validation error detected: Value 604801 at 'maximumRecordAgeInSeconds' failed to"
            " satisfy constraint: Member must have value less than or equal to 604800",
        ),
        (
            {"StartingPosition": "LATEST", "BatchSize": 10_001},
            "1 validation error detected: Value 10001 at 'batchSize' failed to satisfy"
            " constraint: Member must have value less than or equal to 10000",
        ),
    ],
)
def test_values_out_of_range_are_validation_errors(lam, function, stream, settings, message):
    with pytest.raises(lam.exceptions.ClientError) as caught:
        lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=function, **settings)
    assert error_of(caught) == ("ValidationException", 400, message)
    assert mappings_of(lam, stream) == []


def test_at_timestamp_is_refused_for_a_dynamodb_stream(lam, function, table_stream):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.create_event_source_mapping(
            EventSourceArn=table_stream,
            FunctionName=function,
            StartingPosition="AT_TIMESTAMP",
            StartingPositionTimestamp=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        )
    assert error_of(caught) == (
        "InvalidParameterValueException",
        400,
        f"Unsupported starting position for arn type: {table_stream}",
    )


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:kinesis:us-east-1:000000000000:stream/missing",
        "arn:aws:dynamodb:us-east-1:000000000000:table/missing/stream/2026-01-01T00:00:00.000",
    ],
)
def test_a_mapping_on_a_missing_stream_is_refused(lam, function, arn):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.create_event_source_mapping(
            EventSourceArn=arn, FunctionName=function, StartingPosition="LATEST"
        )
    assert error_of(caught) == (
        "InvalidParameterValueException",
        400,
        f"Stream not found: {arn}",
    )
    assert mappings_of(lam, arn) == []


def test_a_mapping_for_a_missing_function_is_refused(lam, stream):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.create_event_source_mapping(
            EventSourceArn=stream, FunctionName=unique("nobody"), StartingPosition="LATEST"
        )
    assert error_of(caught) == ("InvalidParameterValueException", 400, "Function does not exist")
    assert mappings_of(lam, stream) == []


def test_an_update_with_a_bad_value_changes_nothing(lam, function, stream):
    uuid = lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=function, StartingPosition="LATEST"
    )["UUID"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_event_source_mapping(
            UUID=uuid, MaximumRetryAttempts=4, MaximumRecordAgeInSeconds=10
        )
    fetched = lam.get_event_source_mapping(UUID=uuid)
    assert (fetched["MaximumRetryAttempts"], fetched["MaximumRecordAgeInSeconds"]) == (-1, -1)
