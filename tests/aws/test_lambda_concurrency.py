"""Reserved and provisioned concurrency through boto3, enforced by the engine."""

from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path

import pytest
from lambda_support import create_function, error_of, unique

KIND = """
import os
KIND = os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]
def handler(event, context):
    if event.get("crash"):
        os._exit(1)
    return KIND
"""


def wait_for_status(lam, name, qualifier, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        config = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
        if config["Status"] != "IN_PROGRESS" or time.monotonic() > deadline:
            return config
        time.sleep(0.05)


def test_reserved_concurrency_of_zero_throttles_every_invoke(lam):
    name = unique("throttled")
    create_function(lam, name)
    put = lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    assert put["ReservedConcurrentExecutions"] == 0
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 0
    assert lam.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 0}
    for _ in range(3):
        with pytest.raises(lam.exceptions.TooManyRequestsException) as caught:
            lam.invoke(FunctionName=name)
        assert error_of(caught) == ("TooManyRequestsException", 429, "Rate Exceeded.")
        assert (
            caught.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
        )
    lam.delete_function_concurrency(FunctionName=name)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    assert lam.invoke(FunctionName=name)["StatusCode"] == 200


WAITS = """
import os, time
def handler(event, context):
    open(event["started"], "w").close()
    deadline = time.monotonic() + 20
    while not os.path.exists(event["release"]) and time.monotonic() < deadline:
        time.sleep(0.01)
    return "done"
"""


def test_reserved_concurrency_throttles_the_invoke_beyond_it(lam, tmp_path: Path):
    name = unique("reserved-two")
    create_function(lam, name, WAITS, Timeout=30)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    release = tmp_path / "release"
    answers: list[str] = []

    def hold(n: int) -> threading.Thread:
        event = {"started": str(tmp_path / f"started-{n}"), "release": str(release)}

        def call() -> None:
            response = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())
            answers.append(json.loads(response["Payload"].read()))

        thread = threading.Thread(target=call)
        thread.start()
        return thread

    holders = [hold(n) for n in range(2)]
    deadline = time.monotonic() + 20
    while not all((tmp_path / f"started-{n}").exists() for n in range(2)):
        assert time.monotonic() < deadline, "the first two invocations did not start"
        time.sleep(0.02)
    with pytest.raises(lam.exceptions.TooManyRequestsException) as caught:
        lam.invoke(FunctionName=name, Payload=json.dumps({"started": "", "release": ""}).encode())
    assert error_of(caught) == ("TooManyRequestsException", 429, "Rate Exceeded.")
    assert caught.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    release.touch()
    for thread in holders:
        thread.join()
    assert answers == ["done", "done"]
    event = {"started": str(tmp_path / "started-again"), "release": str(release)}
    assert lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())["StatusCode"] == 200


def test_reservations_keep_100_unreserved(lam):
    name = unique("reserve")
    create_function(lam, name)
    unreserved = lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.put_function_concurrency(
            FunctionName=name, ReservedConcurrentExecutions=unreserved - 99
        )
    assert error_of(caught)[2] == (
        "Specified ReservedConcurrentExecutions for function decreases account's"
        " UnreservedConcurrentExecution below its minimum value of [100]."
    )
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=unreserved - 100)
    limit = lam.get_account_settings()["AccountLimit"]
    assert limit["UnreservedConcurrentExecutions"] == 100
    lam.delete_function_concurrency(FunctionName=name)
    limit = lam.get_account_settings()["AccountLimit"]
    assert limit["UnreservedConcurrentExecutions"] == unreserved


def test_provisioned_concurrency_is_ready_before_the_first_invoke(lam):
    name = unique("provisioned")
    create_function(lam, name, KIND)
    lam.publish_version(FunctionName=name)
    put = lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=2
    )
    assert put["Status"] == "IN_PROGRESS" and put["RequestedProvisionedConcurrentExecutions"] == 2
    ready = wait_for_status(lam, name, "1")
    assert ready["Status"] == "READY"
    assert ready["AvailableProvisionedConcurrentExecutions"] == 2
    response = lam.invoke(FunctionName=name, Qualifier="1", LogType="Tail")
    assert json.loads(response["Payload"].read()) == "provisioned-concurrency"
    report = base64.b64decode(response["LogResult"]).decode().splitlines()[-1]
    assert report.startswith("REPORT RequestId:") and "Init Duration" not in report
    listed = lam.list_provisioned_concurrency_configs(FunctionName=name)
    [config] = listed["ProvisionedConcurrencyConfigs"]
    assert config["FunctionArn"].endswith(f":function:{name}:1")
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException) as caught:
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
    assert error_of(caught) == (
        "ProvisionedConcurrencyConfigNotFoundException",
        404,
        "No Provisioned Concurrency Config found for this function",
    )


def test_a_crashed_provisioned_environment_is_replaced(lam):
    name = unique("provisioned-crash")
    create_function(lam, name, KIND)
    lam.publish_version(FunctionName=name)
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=1
    )
    assert wait_for_status(lam, name, "1")["Status"] == "READY"
    crashed = lam.invoke(FunctionName=name, Qualifier="1", Payload=b'{"crash": true}')
    assert crashed["FunctionError"] == "Unhandled"
    deadline = time.monotonic() + 30
    while True:
        config = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
        available = config["AvailableProvisionedConcurrentExecutions"]
        if available == config["RequestedProvisionedConcurrentExecutions"]:
            break
        assert time.monotonic() < deadline, config
        time.sleep(0.05)
    assert config["Status"] == "READY" and available == 1
    response = lam.invoke(FunctionName=name, Qualifier="1", LogType="Tail")
    assert json.loads(response["Payload"].read()) == "provisioned-concurrency"
    report = base64.b64decode(response["LogResult"]).decode().splitlines()[-1]
    assert "Init Duration" not in report  # initialized ahead, not by this invoke


def test_provisioned_concurrency_on_an_alias_follows_it(lam):
    name = unique("provisioned-alias")
    create_function(lam, name, KIND)
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    assert wait_for_status(lam, name, "live")["Status"] == "READY"
    response = lam.invoke(FunctionName=f"{name}:live")
    assert json.loads(response["Payload"].read()) == "provisioned-concurrency"


def test_provisioned_concurrency_needs_a_published_version(lam):
    name = unique("unpublished")
    create_function(lam, name)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        )
    assert error_of(caught)[2] == (
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
    )
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="7", ProvisionedConcurrentExecutions=1
        )


def test_provisioned_concurrency_of_a_failing_init_fails(lam):
    name = unique("provisioned-broken")
    create_function(lam, name, "raise RuntimeError('no init')\n")
    lam.publish_version(FunctionName=name)
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=1
    )
    failed = wait_for_status(lam, name, "1")
    assert failed["Status"] == "FAILED" and failed["StatusReason"]
