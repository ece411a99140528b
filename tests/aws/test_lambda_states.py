"""Function states as AWS shows them, held by CLOUDLET_LAMBDA_STATE_DELAY; state that
survives a restart."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator

import pytest
from lambda_support import COUNTER, ROLE, create_function, error_of, make_zip, unique

from conftest import client
from server import Server


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server where a created or updated function stays Pending/InProgress for a second."""
    instance = Server(
        tmp_path_factory.mktemp("slow-states"), env={"CLOUDLET_LAMBDA_STATE_DELAY": "1"}
    ).start()
    yield instance
    instance.stop()


@pytest.fixture
def lam(slow_server):
    return client(slow_server, "lambda")


def test_a_pending_function_cannot_be_invoked_or_updated(lam):
    name = unique("pending")
    created = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": COUNTER})},
    )
    assert created["State"] == "Pending"
    assert lam.get_function(FunctionName=name)["Configuration"]["State"] == "Pending"
    with pytest.raises(lam.exceptions.ResourceConflictException) as caught:
        lam.invoke(FunctionName=name)
    assert error_of(caught) == (
        "ResourceConflictException",
        409,
        "The operation cannot be performed at this time. The function is currently in the"
        " following state: Pending",
    )
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.update_function_configuration(FunctionName=name, Timeout=9)
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10}
    )
    config = lam.get_function_configuration(FunctionName=name)
    assert (config["State"], config["LastUpdateStatus"]) == ("Active", "Successful")
    assert "StateReason" not in config
    assert lam.invoke(FunctionName=name)["StatusCode"] == 200


def test_an_update_in_progress_refuses_another(lam):
    name = unique("in-progress")
    create_function(lam, name)
    arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
    updated = lam.update_function_configuration(FunctionName=name, Timeout=9)
    assert updated["LastUpdateStatus"] == "InProgress"
    with pytest.raises(lam.exceptions.ResourceConflictException) as caught:
        lam.update_function_code(FunctionName=name, ZipFile=make_zip({"app.py": COUNTER}))
    assert error_of(caught)[2] == (
        "The operation cannot be performed at this time. An update is in progress for"
        f" resource: {arn}"
    )
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10}
    )
    settled = lam.get_function_configuration(FunctionName=name)
    assert settled["LastUpdateStatus"] == "Successful" and settled["Timeout"] == 9
    assert settled["RevisionId"] != updated["RevisionId"]  # the transition is a revision
    lam.update_function_code(FunctionName=name, ZipFile=make_zip({"app.py": COUNTER}))


def test_functions_survive_a_restart(tmp_path):
    server = Server(tmp_path / "restart").start()
    try:
        lam = client(server, "lambda")
        name = unique("durable")
        create_function(lam, name, Tags={"keep": "me"})
        lam.publish_version(FunctionName=name)
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
        throttled = unique("durable-throttled")
        create_function(lam, throttled)
        lam.put_function_concurrency(FunctionName=throttled, ReservedConcurrentExecutions=0)
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1
        )
        layer = lam.publish_layer_version(
            LayerName=unique("durable-layer"), Content={"ZipFile": make_zip({"x.txt": "x"})}
        )
        server.restart(signal.SIGKILL)
        lam = client(server, "lambda")
        assert lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1"
        assert lam.list_tags(
            Resource=lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        )["Tags"] == {"keep": "me"}
        result = json.loads(lam.invoke(FunctionName=f"{name}:live")["Payload"].read())
        assert result["version"] == "1"
        with pytest.raises(lam.exceptions.TooManyRequestsException):
            lam.invoke(FunctionName=throttled)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
            if status["Status"] == "READY":
                break
            time.sleep(0.05)
        assert status["Status"] == "READY"
        assert lam.get_layer_version_by_arn(Arn=layer["LayerVersionArn"])["Version"] == 1
        again = lam.publish_layer_version(
            LayerName=layer["LayerArn"].rsplit(":", 1)[-1],
            Content={"ZipFile": make_zip({"y": "y"})},
        )
        assert again["Version"] == 2
    finally:
        server.stop()
