"""Asynchronous invocation settings through boto3: FunctionEventInvokeConfig per function and
qualifier, DeadLetterConfig, and every way of getting them wrong."""

from __future__ import annotations

import datetime

import boto3
import pytest
from botocore.config import Config as BotoConfig
from lambda_support import create_function, error_of, unique

from conftest import REGION, client

ACCOUNT = "000000000000"
CODE = "def handler(event, context):\n    return event\n"


@pytest.fixture(scope="module")
def unchecked(server):
    """A client that leaves range checks to the server, as the aws CLI's --cli-input-json."""
    return boto3.client(
        "lambda",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=BotoConfig(parameter_validation=False, retries={"max_attempts": 1}),
    )


@pytest.fixture(scope="module")
def sqs(server):
    return client(server, "sqs")


@pytest.fixture
def name(lam):
    name = unique("configured")
    create_function(lam, name, CODE)
    return name


def arn_of(name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def queue_arn(sqs) -> str:
    url = sqs.create_queue(QueueName=unique("destination"))["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


def without_metadata(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


def test_put_get_update_list_delete(lam, sqs, name):
    queue = queue_arn(sqs)
    put = lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=1, MaximumEventAgeInSeconds=3600
    )
    assert without_metadata(put) == {
        "LastModified": put["LastModified"],
        "FunctionArn": arn_of(name, "$LATEST"),
        "MaximumRetryAttempts": 1,
        "MaximumEventAgeInSeconds": 3600,
        "DestinationConfig": {"OnSuccess": {}, "OnFailure": {}},
    }
    assert isinstance(put["LastModified"], datetime.datetime)
    assert without_metadata(lam.get_function_event_invoke_config(FunctionName=name)) == (
        without_metadata(put)
    )

    updated = lam.update_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": queue}}
    )
    assert updated["MaximumRetryAttempts"] == 1  # kept: Update changes what it is given
    assert updated["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": queue}}

    # Put replaces the whole configuration: what it leaves out is gone.
    replaced = lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": queue}}
    )
    assert "MaximumRetryAttempts" not in replaced
    assert replaced["DestinationConfig"] == {"OnSuccess": {"Destination": queue}, "OnFailure": {}}

    listed = lam.list_function_event_invoke_configs(FunctionName=name)
    assert [c["FunctionArn"] for c in listed["FunctionEventInvokeConfigs"]] == [
        arn_of(name, "$LATEST")
    ]
    lam.delete_function_event_invoke_config(FunctionName=name)
    assert (
        lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]
        == []
    )


def test_each_qualifier_has_its_own_config(lam, name):
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="blue", FunctionVersion=version)
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=2)
    lam.put_function_event_invoke_config(
        FunctionName=name, Qualifier=version, MaximumRetryAttempts=1
    )
    lam.put_function_event_invoke_config(FunctionName=f"{name}:blue", MaximumRetryAttempts=0)
    got = lam.get_function_event_invoke_config(FunctionName=name, Qualifier="blue")
    assert got["FunctionArn"] == arn_of(name, "blue")
    assert got["MaximumRetryAttempts"] == 0

    pages = lam.get_paginator("list_function_event_invoke_configs").paginate(
        FunctionName=name, PaginationConfig={"PageSize": 2}
    )
    listed = [c for page in pages for c in page["FunctionEventInvokeConfigs"]]
    assert sorted(c["FunctionArn"] for c in listed) == sorted(
        [arn_of(name, "$LATEST"), arn_of(name, version), arn_of(name, "blue")]
    )

    # A deleted alias takes its configuration with it.
    lam.delete_alias(FunctionName=name, Name="blue")
    listed = lam.list_function_event_invoke_configs(FunctionName=name)
    assert len(listed["FunctionEventInvokeConfigs"]) == 2


def test_config_survives_a_restart(tmp_path, sqs):
    from server import Server

    server = Server(tmp_path / "state").start()
    try:
        lam = client(server, "lambda")
        name = unique("kept")
        create_function(lam, name, CODE)
        lam.put_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=120)
        lam.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")
        server.restart()
        lam = client(server, "lambda")
        got = lam.get_function_event_invoke_config(FunctionName=name)
        assert got["MaximumEventAgeInSeconds"] == 120
        assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Allow"
    finally:
        server.stop()


# -- bad input ---------------------------------------------------------------------------------


def expect_error(call, code: str, status: int, message: str, **kwargs) -> None:
    with pytest.raises(Exception) as caught:
        call(**kwargs)
    assert error_of(caught) == (code, status, message)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"MaximumRetryAttempts": 3},
            "1 validation error detected: Value 3 at 'maximumRetryAttempts' failed to satisfy "
            "constraint: Member must have value less than or equal to 2",
        ),
        (
            {"MaximumRetryAttempts": -1},
            "1 validation error detected: Value -1 at 'maximumRetryAttempts' failed to satisfy "
            "constraint: Member must have value greater than or equal to 0",
        ),
        (
            {"MaximumEventAgeInSeconds": 59},
            "1 validation error detected: Value 59 at 'maximumEventAgeInSeconds' failed to "
            "satisfy constraint: Member must have value greater than or equal to 60",
        ),
        (
            {"MaximumEventAgeInSeconds": 21601},
            "1 validation error detected: Value 21601 at 'maximumEventAgeInSeconds' failed to "
            "satisfy constraint: Member must have value less than or equal to 21600",
        ),
    ],
)
def test_settings_out_of_range_are_refused(unchecked, name, settings, message):
    for call in (
        unchecked.put_function_event_invoke_config,
        unchecked.update_function_event_invoke_config,
    ):
        expect_error(call, "ValidationException", 400, message, FunctionName=name, **settings)
    expect_error(
        unchecked.get_function_event_invoke_config,
        "ResourceNotFoundException",
        404,
        f"The function {arn_of(name, '$LATEST')} doesn't have an EventInvokeConfig",
        FunctionName=name,
    )


def test_a_config_without_settings_is_refused(lam, name):
    expect_error(
        lam.put_function_event_invoke_config,
        "InvalidParameterValueException",
        400,
        "You must specify at least one of error handling or destination setting.",
        FunctionName=name,
    )


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        (
            f"arn:aws:sqs:{REGION}:{ACCOUNT}:no-such-queue",
            "The function's execution role does not have permissions to call SendMessage on "
            f"arn:aws:sqs:{REGION}:{ACCOUNT}:no-such-queue",
        ),
        (
            f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:no-such-function",
            "The function's execution role does not have permissions to call InvokeFunction on "
            f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:no-such-function",
        ),
        (
            f"arn:aws:sns:{REGION}:{ACCOUNT}:a-topic",
            "The function's execution role does not have permissions to call Publish on "
            f"arn:aws:sns:{REGION}:{ACCOUNT}:a-topic",
        ),
        (
            f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default",
            "The function's execution role does not have permissions to call PutEvents on "
            f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default",
        ),
        (
            f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t",
            f"The destination ARN arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t is invalid.",
        ),
    ],
)
def test_a_destination_that_cannot_receive_is_refused(lam, name, destination, message):
    for half in ("OnSuccess", "OnFailure"):
        expect_error(
            lam.put_function_event_invoke_config,
            "InvalidParameterValueException",
            400,
            message,
            FunctionName=name,
            DestinationConfig={half: {"Destination": destination}},
        )
    # Nothing was created.
    assert (
        lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]
        == []
    )


def test_a_refused_update_leaves_the_config_as_it_was(lam, sqs, name):
    queue = queue_arn(sqs)
    lam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": queue}},
    )
    before = lam.get_function_event_invoke_config(FunctionName=name)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_function_event_invoke_config(
            FunctionName=name,
            MaximumRetryAttempts=0,
            DestinationConfig={"OnFailure": {"Destination": queue + "-gone"}},
        )
    assert without_metadata(lam.get_function_event_invoke_config(FunctionName=name)) == (
        without_metadata(before)
    )


def test_configs_of_missing_functions_and_versions_are_not_found(lam, name):
    # AWS's words differ by operation (as recorded against AWS by LocalStack's snapshots).
    for function, qualifier in (("no-such-function", None), (name, "7"), (name, "nope")):
        named = {"FunctionName": function, **({"Qualifier": qualifier} if qualifier else {})}
        for call in (lam.put_function_event_invoke_config, lam.update_function_event_invoke_config):
            expect_error(
                call,
                "ResourceNotFoundException",
                404,
                "The function doesn't exist.",
                MaximumRetryAttempts=1,
                **named,
            )
        for call in (lam.get_function_event_invoke_config, lam.delete_function_event_invoke_config):
            expect_error(
                call,
                "ResourceNotFoundException",
                404,
                f"The function {arn_of(function, qualifier or '$LATEST')} doesn't have an "
                "EventInvokeConfig",
                **named,
            )
    expect_error(
        lam.list_function_event_invoke_configs,
        "ResourceNotFoundException",
        404,
        "The function doesn't exist.",
        FunctionName="no-such-function",
    )
    for call in (
        lam.get_function_event_invoke_config,
        lam.delete_function_event_invoke_config,
    ):
        expect_error(
            call,
            "ResourceNotFoundException",
            404,
            f"The function {arn_of(name, '$LATEST')} doesn't have an EventInvokeConfig",
            FunctionName=name,
        )
    expect_error(
        lam.update_function_event_invoke_config,
        "ResourceNotFoundException",
        404,
        f"The function {arn_of(name, '$LATEST')} doesn't have an EventInvokeConfig",
        FunctionName=name,
        MaximumRetryAttempts=1,
    )


def test_a_dead_letter_queue_that_does_not_exist_is_refused(lam, name):
    missing = f"arn:aws:sqs:{REGION}:{ACCOUNT}:no-such-dlq"
    other = unique("never-created")
    expect_error(
        lambda **kwargs: create_function(lam, other, CODE, **kwargs),
        "InvalidParameterValueException",
        400,
        "The provided execution role does not have permissions to call SendMessage on SQS",
        DeadLetterConfig={"TargetArn": missing},
    )
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=other)
    expect_error(
        lam.update_function_configuration,
        "InvalidParameterValueException",
        400,
        "The provided execution role does not have permissions to call Publish on SNS",
        FunctionName=name,
        DeadLetterConfig={"TargetArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:no-such-topic"},
    )
    assert "DeadLetterConfig" not in lam.get_function_configuration(FunctionName=name)


def test_recursion_config_takes_allow_or_terminate_only(unchecked, name):
    with pytest.raises(Exception) as caught:
        unchecked.put_function_recursion_config(FunctionName=name, RecursiveLoop="Sometimes")
    code, status, _ = error_of(caught)
    assert (code, status) == ("ValidationException", 400)
    assert unchecked.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == (
        "Terminate"
    )
