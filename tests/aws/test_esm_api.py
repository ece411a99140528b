"""Event source mappings' control plane through boto3: what each operation answers, the
states mappings pass through, listing and paging, and every refusal with AWS's error."""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config as BotoConfig
from esm_support import queue
from lambda_support import create_function, error_of, unique

from conftest import client
from server import Server


@pytest.fixture(scope="module")
def function(lam) -> str:
    name = unique("target")
    create_function(lam, name, Timeout=3)
    return name


@pytest.fixture
def source(sqs) -> str:
    return queue(sqs, unique("source"), VisibilityTimeout="30")[1]


def test_create_answers_creating_with_aws_defaults_then_the_mapping_is_enabled(
    lam, function, source
):
    created = lam.create_event_source_mapping(EventSourceArn=source, FunctionName=function)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    uuid = created["UUID"]
    del created["ResponseMetadata"]
    assert isinstance(created.pop("LastModified"), datetime.datetime)
    assert created == {
        "UUID": uuid,
        "BatchSize": 10,
        "MaximumBatchingWindowInSeconds": 0,
        "EventSourceArn": source,
        "FunctionArn": f"arn:aws:lambda:us-east-1:000000000000:function:{function}",
        "State": "Creating",
        "StateTransitionReason": "USER_INITIATED",
        "FunctionResponseTypes": [],
        "EventSourceMappingArn": (
            f"arn:aws:lambda:us-east-1:000000000000:event-source-mapping:{uuid}"
        ),
    }
    fetched = lam.get_event_source_mapping(UUID=uuid)
    assert fetched["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert fetched["State"] == "Enabled"


def test_a_mapping_created_disabled_is_disabled_at_once(lam, function, source):
    created = lam.create_event_source_mapping(
        EventSourceArn=source, FunctionName=function, Enabled=False
    )
    assert created["State"] == "Disabled"
    assert lam.get_event_source_mapping(UUID=created["UUID"])["State"] == "Disabled"


def test_create_keeps_every_setting_given(lam, sqs):
    name = unique("settings")
    create_function(lam, name, Timeout=3)
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    source = queue(sqs, unique("settings"), VisibilityTimeout="30")[1]
    pattern = json.dumps({"body": {"kind": ["order"]}})
    created = lam.create_event_source_mapping(
        EventSourceArn=source,
        FunctionName=f"{name}:live",
        BatchSize=500,
        MaximumBatchingWindowInSeconds=20,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        FilterCriteria={"Filters": [{"Pattern": pattern}]},
        ScalingConfig={"MaximumConcurrency": 5},
    )
    fetched = lam.get_event_source_mapping(UUID=created["UUID"])
    for answer in (created, fetched):
        assert answer["FunctionArn"].endswith(f":function:{name}:live")
        assert (answer["BatchSize"], answer["MaximumBatchingWindowInSeconds"]) == (500, 20)
        assert answer["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert answer["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
        assert answer["ScalingConfig"] == {"MaximumConcurrency": 5}


def test_list_filters_by_source_and_function_and_pages(lam, sqs):
    first, second = unique("lister"), unique("lister")
    for name in (first, second):
        create_function(lam, name, Timeout=3)
    sources = [queue(sqs, unique("listed"), VisibilityTimeout="30")[1] for _ in range(3)]
    uuids = [
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=first)["UUID"]
        for arn in sources
    ]
    uuids.append(
        lam.create_event_source_mapping(EventSourceArn=sources[0], FunctionName=second)["UUID"]
    )
    listed = lam.list_event_source_mappings(FunctionName=first)["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == uuids[:3]
    by_source = lam.list_event_source_mappings(EventSourceArn=sources[0])["EventSourceMappings"]
    assert {m["UUID"] for m in by_source} == {uuids[0], uuids[3]}
    both = lam.list_event_source_mappings(EventSourceArn=sources[0], FunctionName=second)
    assert [m["UUID"] for m in both["EventSourceMappings"]] == [uuids[3]]
    paged, marker = [], None
    while True:
        kwargs = {"Marker": marker} if marker else {}
        page = lam.list_event_source_mappings(FunctionName=first, MaxItems=2, **kwargs)
        assert len(page["EventSourceMappings"]) <= 2
        paged += [m["UUID"] for m in page["EventSourceMappings"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert paged == uuids[:3]
    everything = lam.get_paginator("list_event_source_mappings").paginate().build_full_result()
    assert set(uuids) <= {m["UUID"] for m in everything["EventSourceMappings"]}


def test_update_answers_its_transition_then_the_mapping_settles(lam, function, source, sqs):
    uuid = lam.create_event_source_mapping(EventSourceArn=source, FunctionName=function)["UUID"]
    pattern = json.dumps({"body": {"kind": ["a"]}})
    updated = lam.update_event_source_mapping(
        UUID=uuid,
        BatchSize=100,
        MaximumBatchingWindowInSeconds=5,
        FilterCriteria={"Filters": [{"Pattern": pattern}]},
        ScalingConfig={"MaximumConcurrency": 10},
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    assert updated["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert updated["State"] == "Updating"
    fetched = lam.get_event_source_mapping(UUID=uuid)
    assert fetched["State"] == "Enabled"
    assert (fetched["BatchSize"], fetched["MaximumBatchingWindowInSeconds"]) == (100, 5)
    assert fetched["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    assert fetched["LastModified"] >= updated["LastModified"]
    cleared = lam.update_event_source_mapping(
        UUID=uuid, FilterCriteria={"Filters": []}, ScalingConfig={}, FunctionResponseTypes=[]
    )
    assert "FilterCriteria" not in cleared and "ScalingConfig" not in cleared
    assert cleared["FunctionResponseTypes"] == []
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=False)["State"] == "Disabling"
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
    assert lam.update_event_source_mapping(UUID=uuid, BatchSize=3)["State"] == "Updating"
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=True)["State"] == "Enabling"
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"


def test_update_points_the_mapping_at_another_function(lam, function, source):
    uuid = lam.create_event_source_mapping(EventSourceArn=source, FunctionName=function)["UUID"]
    other = unique("other")
    create_function(lam, other, Timeout=3)
    updated = lam.update_event_source_mapping(UUID=uuid, FunctionName=other)
    assert updated["FunctionArn"].endswith(f":function:{other}")
    listed = lam.list_event_source_mappings(FunctionName=other)["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [uuid]


def test_delete_answers_deleting_and_the_mapping_is_gone(lam, function, source):
    uuid = lam.create_event_source_mapping(EventSourceArn=source, FunctionName=function)["UUID"]
    deleted = lam.delete_event_source_mapping(UUID=uuid)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert (deleted["UUID"], deleted["State"]) == (uuid, "Deleting")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as caught:
        lam.get_event_source_mapping(UUID=uuid)
    assert error_of(caught) == (
        "ResourceNotFoundException",
        404,
        "The resource you requested does not exist.",
    )
    assert lam.list_event_source_mappings(EventSourceArn=source)["EventSourceMappings"] == []
    # The pair may be mapped again.
    lam.create_event_source_mapping(EventSourceArn=source, FunctionName=function)


@pytest.mark.parametrize("operation", ["get", "update", "delete"])
def test_an_unknown_uuid_is_not_found(lam, operation):
    uuid = "deadbeef-e025-4d45-9da3-23813f5e7b65"
    call = getattr(lam, f"{operation}_event_source_mapping")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as caught:
        call(UUID=uuid)
    assert error_of(caught) == (
        "ResourceNotFoundException",
        404,
        "The resource you requested does not exist.",
    )


def test_a_second_mapping_of_the_same_queue_and_function_conflicts(lam, function, source):
    uuid = lam.create_event_source_mapping(EventSourceArn=source, FunctionName=function)["UUID"]
    with pytest.raises(lam.exceptions.ResourceConflictException) as caught:
        lam.create_event_source_mapping(EventSourceArn=source, FunctionName=function)
    assert error_of(caught) == (
        "ResourceConflictException",
        409,
        f'An event source mapping with SQS arn (" {source} ") and function (" {function} ") '
        f"already exists. Please update or delete the existing mapping with UUID {uuid}",
    )
    assert len(lam.list_event_source_mappings(EventSourceArn=source)["EventSourceMappings"]) == 1


def test_pointing_a_mapping_at_a_function_the_queue_maps_to_already_conflicts(
    lam, function, source
):
    other = unique("other")
    create_function(lam, other, Timeout=3)
    taken = lam.create_event_source_mapping(EventSourceArn=source, FunctionName=function)["UUID"]
    uuid = lam.create_event_source_mapping(EventSourceArn=source, FunctionName=other)["UUID"]
    with pytest.raises(lam.exceptions.ResourceConflictException) as caught:
        lam.update_event_source_mapping(UUID=uuid, FunctionName=function)
    assert error_of(caught) == (
        "ResourceConflictException",
        409,
        f'An event source mapping with SQS arn (" {source} ") and function (" {function} ") '
        f"already exists. Please update or delete the existing mapping with UUID {taken}",
    )
    assert lam.get_event_source_mapping(UUID=uuid)["FunctionArn"].endswith(f":{other}")
    # Naming its own function again is no conflict.
    lam.update_event_source_mapping(UUID=uuid, FunctionName=other, BatchSize=5)


def test_a_mapping_on_a_missing_queue_is_refused(lam, function):
    missing = "arn:aws:sqs:us-east-1:000000000000:" + unique("missing")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.create_event_source_mapping(EventSourceArn=missing, FunctionName=function)
    assert error_of(caught) == (
        "InvalidParameterValueException",
        400,
        "Error occurred while ReceiveMessage. SQS Error Code: "
        "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does "
        "not exist or you do not have access to it.",
    )
    assert lam.list_event_source_mappings(EventSourceArn=missing)["EventSourceMappings"] == []


def test_a_mapping_to_a_missing_function_is_refused(lam, source):
    # Not the 404 of other operations: AWS answers a 400 (as terraform's logs show).
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.create_event_source_mapping(EventSourceArn=source, FunctionName="no-such-function")
    assert error_of(caught) == ("InvalidParameterValueException", 400, "Function does not exist")
    assert lam.list_event_source_mappings(EventSourceArn=source)["EventSourceMappings"] == []


@pytest.mark.parametrize(
    "filters",
    [
        [{"Pattern": "not json"}],
        [{"Pattern": '"a string"'}],
        [{"Pattern": json.dumps({"body": "not a list"})}],
        [{"Pattern": json.dumps({"body": {"total": [{"numeric": [">", "ten"]}]}})}],
        [{"Pattern": json.dumps({"body": {"kind": []}})}],
        [{}],
        [{"Pattern": json.dumps({"body": {"kind": ["a"]}})}, {"Pattern": "{"}],
    ],
)
def test_a_filter_pattern_that_does_not_parse_is_refused(lam, function, source, filters):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.create_event_source_mapping(
            EventSourceArn=source, FunctionName=function, FilterCriteria={"Filters": filters}
        )
    assert error_of(caught) == (
        "InvalidParameterValueException",
        400,
        "Invalid filter pattern definition.",
    )
    assert lam.list_event_source_mappings(EventSourceArn=source)["EventSourceMappings"] == []


def test_more_than_five_filters_are_refused_and_five_are_kept(lam, function, source):
    filters = [{"Pattern": json.dumps({"body": {"kind": [f"k{n}"]}})} for n in range(6)]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.create_event_source_mapping(
            EventSourceArn=source, FunctionName=function, FilterCriteria={"Filters": filters}
        )
    assert error_of(caught)[:2] == ("InvalidParameterValueException", 400)
    assert lam.list_event_source_mappings(EventSourceArn=source)["EventSourceMappings"] == []
    created = lam.create_event_source_mapping(
        EventSourceArn=source, FunctionName=function, FilterCriteria={"Filters": filters[:5]}
    )
    assert created["FilterCriteria"] == {"Filters": filters[:5]}
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_event_source_mapping(UUID=created["UUID"], FilterCriteria={"Filters": filters})
    kept = lam.get_event_source_mapping(UUID=created["UUID"])["FilterCriteria"]
    assert kept == {"Filters": filters[:5]}


WINDOW_NEEDED = (
    "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater "
    "than 10"
)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"BatchSize": 11}, WINDOW_NEEDED),
        ({"BatchSize": 10_000, "MaximumBatchingWindowInSeconds": 0}, WINDOW_NEEDED),
        ({"StartingPosition": "LATEST"}, "StartingPosition is not valid for SQS event sources."),
        (
            {"StartingPositionTimestamp": datetime.datetime(2024, 1, 1)},
            "StartingPosition is not valid for SQS event sources.",
        ),
    ],
)
def test_settings_a_queue_does_not_take_are_refused(lam, function, source, settings, message):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.create_event_source_mapping(EventSourceArn=source, FunctionName=function, **settings)
    assert error_of(caught) == ("InvalidParameterValueException", 400, message)
    assert lam.list_event_source_mappings(EventSourceArn=source)["EventSourceMappings"] == []


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"MaximumBatchingWindowInSeconds": 1}, "Batching window is not supported for FIFO queues"),
        ({"BatchSize": 11}, WINDOW_NEEDED),
    ],
)
def test_a_fifo_queue_takes_no_batching_window(lam, function, sqs, settings, message):
    name = unique("fifo") + ".fifo"
    arn = queue(sqs, name, FifoQueue="true", VisibilityTimeout="30")[1]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function, **settings)
    assert error_of(caught) == ("InvalidParameterValueException", 400, message)


def test_a_visibility_timeout_shorter_than_the_function_timeout_is_refused(lam, sqs):
    name = unique("slow")
    create_function(lam, name, Timeout=60)
    arn = queue(sqs, unique("short"), VisibilityTimeout="30")[1]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)
    assert error_of(caught) == (
        "InvalidParameterValueException",
        400,
        "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds",
    )


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:sns:us-east-1:000000000000:topic",
        "arn:aws:s3:::bucket",
    ],
)
def test_a_source_lambda_cannot_poll_is_refused(lam, function, arn):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function)
    assert error_of(caught) == (
        "InvalidParameterValueException",
        400,
        "Unrecognized event source, must be kinesis, dynamodb stream or sqs.",
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"BatchSize": 0},
            "1 validation error detected: Value 0 at 'batchSize' failed to satisfy constraint:"
            " Member must have value greater than or equal to 1",
        ),
        (
            {"BatchSize": 10_001},
            "1 validation error detected: Value 10001 at 'batchSize' failed to satisfy"
            " constraint: Member must have value less than or equal to 10000",
        ),
        (
            {"MaximumBatchingWindowInSeconds": 301},
            "1 validation error detected: Value 301 at 'maximumBatchingWindowInSeconds' failed"
            " to satisfy constraint: Member must have value less than or equal to 300",
        ),
        (
            {"ScalingConfig": {"MaximumConcurrency": 1}},
            "1 validation error detected: Value 1 at 'scalingConfig.maximumConcurrency' failed"
            " to satisfy constraint: Member must have value greater than or equal to 2",
        ),
        (
            {"ScalingConfig": {"MaximumConcurrency": 1001}},
            "1 validation error detected: Value 1001 at 'scalingConfig.maximumConcurrency'"
            " failed to satisfy constraint: Member must have value less than or equal to 1000",
        ),
        (
            {"FunctionResponseTypes": ["ReportEverything"]},
            "1 validation error detected: Value 'ReportEverything' at"
            " 'functionResponseTypes.1.member' failed to satisfy constraint: Member must satisfy"
            " enum value set: [ReportBatchItemFailures]",
        ),
    ],
)
def test_values_out_of_range_are_refused(server, function, source, settings, message):
    # Without boto3's own checks, which would refuse some of these before sending them.
    unchecked = boto3.client(
        "lambda",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        config=BotoConfig(parameter_validation=False, retries={"max_attempts": 1}),
    )
    with pytest.raises(unchecked.exceptions.ClientError) as caught:
        unchecked.create_event_source_mapping(
            EventSourceArn=source, FunctionName=function, **settings
        )
    assert error_of(caught) == ("ValidationException", 400, message)


def test_an_update_is_checked_as_a_create_is(lam, function, source):
    uuid = lam.create_event_source_mapping(EventSourceArn=source, FunctionName=function)["UUID"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.update_event_source_mapping(UUID=uuid, BatchSize=50)
    assert error_of(caught)[2] == WINDOW_NEEDED
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.update_event_source_mapping(UUID=uuid, FilterCriteria={"Filters": [{"Pattern": "x"}]})
    assert error_of(caught)[2] == "Invalid filter pattern definition."
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.update_event_source_mapping(UUID=uuid, FunctionName="no-such-function")
    assert error_of(caught)[2] == "Function does not exist"
    unchanged = lam.get_event_source_mapping(UUID=uuid)
    assert (unchanged["BatchSize"], unchanged["State"]) == (10, "Enabled")
    assert unchanged["FunctionArn"].endswith(f":function:{function}")
    assert "FilterCriteria" not in unchanged


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server where mappings stay in their transitional states for a second."""
    instance = Server(
        tmp_path_factory.mktemp("slow-mappings"), env={"CLOUDLET_LAMBDA_STATE_DELAY": "1"}
    ).start()
    yield instance
    instance.stop()


def test_a_mapping_in_transition_cannot_change(slow_server):
    lam, sqs = client(slow_server, "lambda"), client(slow_server, "sqs")
    name = unique("held")
    create_function(lam, name, Timeout=3)
    arn = queue(sqs, unique("held"), VisibilityTimeout="30")[1]
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)["UUID"]
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Creating"
    with pytest.raises(lam.exceptions.ResourceInUseException) as caught:
        lam.update_event_source_mapping(UUID=uuid, BatchSize=5)
    assert error_of(caught) == (
        "ResourceInUseException",
        400,
        "Cannot update the event source mapping because it is in use.",
    )
    with pytest.raises(lam.exceptions.ResourceInUseException) as caught:
        lam.delete_event_source_mapping(UUID=uuid)
    assert error_of(caught)[2] == "Cannot delete the event source mapping because it is in use."
    deadline = time.monotonic() + 5
    while lam.get_event_source_mapping(UUID=uuid)["State"] != "Enabled":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert lam.delete_event_source_mapping(UUID=uuid)["State"] == "Deleting"
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Deleting"
    deadline = time.monotonic() + 5
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        while time.monotonic() < deadline:
            lam.get_event_source_mapping(UUID=uuid)
            time.sleep(0.1)
