"""Versions and aliases through boto3: publishing, qualified invocation, routing weights."""

from __future__ import annotations

import base64
import json
from collections import Counter

import pytest
from lambda_support import create_function, error_of, make_zip, unique

from conftest import client

ACCOUNT_ARN = "arn:aws:lambda:us-east-1:000000000000:function"


def returning(value: str) -> str:
    return (
        f"def handler(event, context):\n"
        f"    return {{'code': {value!r}, 'version': context.function_version,"
        f" 'arn': context.invoked_function_arn}}\n"
    )


@pytest.fixture
def versioned(lam):
    """A function with version 1 (code 'one') and version 2 (code 'two'); $LATEST is 'two'."""
    name = unique("versioned")
    create_function(lam, name, returning("one"))
    assert lam.publish_version(FunctionName=name)["Version"] == "1"
    lam.update_function_code(FunctionName=name, ZipFile=make_zip({"app.py": returning("two")}))
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert lam.publish_version(FunctionName=name, Description="second")["Version"] == "2"
    return name


def run(lam, name, **kwargs):
    response = lam.invoke(FunctionName=name, **kwargs)
    return response["ExecutedVersion"], json.loads(response["Payload"].read())


def test_published_versions_keep_their_code(lam, versioned):
    assert run(lam, versioned, Qualifier="1")[1]["code"] == "one"
    assert run(lam, versioned, Qualifier="2")[1]["code"] == "two"
    config = lam.get_function_configuration(FunctionName=versioned, Qualifier="2")
    assert config["Version"] == "2" and config["Description"] == "second"
    assert config["FunctionArn"] == f"{ACCOUNT_ARN}:{versioned}:2"


def test_publishing_without_a_change_makes_no_new_version(lam, versioned):
    assert lam.publish_version(FunctionName=versioned)["Version"] == "2"
    versions = lam.list_versions_by_function(FunctionName=versioned)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]


def test_publish_checks_the_code_hash(lam, versioned):
    current = lam.get_function_configuration(FunctionName=versioned)["CodeSha256"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.publish_version(FunctionName=versioned, CodeSha256="AAAA")
    assert error_of(caught)[2] == (
        f"CodeSHA256 (AAAA) is different from current CodeSHA256 in $LATEST ({current})."
        " Please try again with the CodeSHA256 in $LATEST."
    )


def test_update_code_with_publish_makes_a_version(lam, versioned):
    updated = lam.update_function_code(
        FunctionName=versioned, ZipFile=make_zip({"app.py": returning("three")}), Publish=True
    )
    assert updated["Version"] == "3"
    lam.get_waiter("published_version_active").wait(FunctionName=versioned, Qualifier="3")
    assert run(lam, versioned, Qualifier="3")[1]["code"] == "three"


@pytest.mark.parametrize(
    "form",
    [
        "{name}:1",
        f"{ACCOUNT_ARN}:{{name}}:1",
        "000000000000:function:{name}:1",
    ],
)
def test_qualified_names_run_that_version(lam, versioned, form):
    executed, result = run(lam, form.format(name=versioned))
    assert (executed, result["code"], result["version"]) == ("1", "one", "1")
    assert result["arn"] == f"{ACCOUNT_ARN}:{versioned}:1"


def test_unqualified_invocation_runs_latest(lam, versioned):
    executed, result = run(lam, versioned)
    assert (executed, result["code"]) == ("$LATEST", "two")
    assert result["arn"] == f"{ACCOUNT_ARN}:{versioned}"


def test_a_missing_version_is_not_found(lam, versioned):
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as caught:
        lam.invoke(FunctionName=versioned, Qualifier="99")
    assert error_of(caught)[2] == f"Function not found: {ACCOUNT_ARN}:{versioned}:99"


def test_qualifier_must_agree_with_the_name(lam, versioned):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.invoke(FunctionName=f"{versioned}:1", Qualifier="2")
    assert error_of(caught)[2] == (
        "The derived qualifier from the function name does not match the specified qualifier."
    )


def test_deleting_a_version(lam, versioned):
    lam.delete_function(FunctionName=versioned, Qualifier="1")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName=versioned, Qualifier="1")
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.delete_function(FunctionName=versioned, Qualifier="$LATEST")
    assert run(lam, versioned, Qualifier="2")[1]["code"] == "two"


# -- aliases --------------------------------------------------------------------------------


def test_alias_life_cycle(lam, versioned):
    created = lam.create_alias(
        FunctionName=versioned, Name="live", FunctionVersion="1", Description="prod"
    )
    assert created["AliasArn"] == f"{ACCOUNT_ARN}:{versioned}:live"
    assert lam.get_alias(FunctionName=versioned, Name="live")["FunctionVersion"] == "1"
    executed, result = run(lam, versioned, Qualifier="live")
    assert (executed, result["code"]) == ("1", "one")
    assert result["arn"] == f"{ACCOUNT_ARN}:{versioned}:live"
    lam.update_alias(FunctionName=versioned, Name="live", FunctionVersion="2")
    assert run(lam, f"{versioned}:live")[0] == "2"
    lam.create_alias(FunctionName=versioned, Name="old", FunctionVersion="1")
    listed = lam.list_aliases(FunctionName=versioned)["Aliases"]
    assert [a["Name"] for a in listed] == ["live", "old"]
    only_one = lam.list_aliases(FunctionName=versioned, FunctionVersion="1")["Aliases"]
    assert [a["Name"] for a in only_one] == ["old"]
    lam.delete_alias(FunctionName=versioned, Name="old")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as caught:
        lam.get_alias(FunctionName=versioned, Name="old")
    assert error_of(caught)[2] == f"Alias not found: {ACCOUNT_ARN}:{versioned}:old"


@pytest.mark.parametrize("form", [f"{ACCOUNT_ARN}:{{name}}:live", "{name}:live"])
def test_invoking_an_alias_by_its_arn(lam, versioned, form):
    alias = lam.create_alias(FunctionName=versioned, Name="live", FunctionVersion="1")
    executed, result = run(lam, form.format(name=versioned))
    assert (executed, result["code"], result["version"]) == ("1", "one", "1")
    assert result["arn"] == alias["AliasArn"] == f"{ACCOUNT_ARN}:{versioned}:live"
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as caught:
        lam.invoke(FunctionName=f"{ACCOUNT_ARN}:{versioned}:gone")
    assert error_of(caught)[2] == f"Function not found: {ACCOUNT_ARN}:{versioned}:gone"


def test_alias_weights_split_invocations(lam, versioned):
    lam.create_alias(
        FunctionName=versioned,
        Name="canary",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    counts = Counter(run(lam, versioned, Qualifier="canary")[0] for _ in range(200))
    # Binomial(200, 0.5): 100 +- 7; these bounds fail once in millions of runs.
    assert set(counts) == {"1", "2"} and 55 <= counts["2"] <= 145
    lam.update_alias(
        FunctionName=versioned,
        Name="canary",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.0}},
    )
    assert {run(lam, versioned, Qualifier="canary")[0] for _ in range(20)} == {"1"}


def test_alias_errors(lam, versioned):
    lam.create_alias(FunctionName=versioned, Name="taken", FunctionVersion="1")
    with pytest.raises(lam.exceptions.ResourceConflictException) as caught:
        lam.create_alias(FunctionName=versioned, Name="taken", FunctionVersion="1")
    assert error_of(caught)[2] == f"Alias already exists: {ACCOUNT_ARN}:{versioned}:taken"
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as caught:
        lam.create_alias(FunctionName=versioned, Name="ghost", FunctionVersion="42")
    assert error_of(caught)[2] == f"Function not found: {ACCOUNT_ARN}:{versioned}:42"
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.create_alias(
            FunctionName=versioned,
            Name="latest-weighted",
            FunctionVersion="$LATEST",
            RoutingConfig={"AdditionalVersionWeights": {"1": 0.2}},
        )
    with pytest.raises(lam.exceptions.ClientError):
        lam.create_alias(FunctionName=versioned, Name="123", FunctionVersion="1")
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.delete_function(FunctionName=versioned, Qualifier="1")  # "taken" points at it
    with pytest.raises(lam.exceptions.PreconditionFailedException):
        lam.update_alias(FunctionName=versioned, Name="taken", RevisionId="stale")


def test_snap_start_applies_to_published_versions(lam):
    name = unique("snap")
    code = (
        "import os\nPID = os.getpid()\n"
        "def handler(event, context):\n    return {'version': context.function_version}\n"
    )
    created = create_function(lam, name, code, SnapStart={"ApplyOn": "PublishedVersions"})
    assert created["SnapStart"] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "Off"}
    published = lam.publish_version(FunctionName=name)
    assert published["SnapStart"]["OptimizationStatus"] == "On"
    lam.get_waiter("published_version_active").wait(FunctionName=name, Qualifier="1")
    first = lam.invoke(FunctionName=name, Qualifier="1", LogType="Tail")
    report = base64.b64decode(first["LogResult"]).decode()
    assert "Restore Duration: " in report and "Init Duration" not in report  # from the snapshot
    assert run(lam, name, Qualifier="1") == ("1", {"version": "1"})


SNAPSHOT_WITH_A_CONNECTION = """
import os, socket, urllib.parse
INIT_PID = os.getpid()
if os.environ.get("CONNECT_AT_INIT"):  # a client connected at import, as a database's would be
    endpoint = urllib.parse.urlsplit(os.environ["AWS_ENDPOINT_URL"])
    CONNECTION = socket.create_connection((endpoint.hostname, endpoint.port))
def handler(event, context):
    return {"init_here": INIT_PID == os.getpid()}
"""


@pytest.mark.parametrize("connect", [False, True])
def test_snap_start_is_refused_when_the_init_leaves_a_connection_open(lam, server, connect):
    # A fork would not carry the connection: each environment runs its own init instead.
    name = unique("snap-socket")
    create_function(
        lam,
        name,
        SNAPSHOT_WITH_A_CONNECTION,
        SnapStart={"ApplyOn": "PublishedVersions"},
        Environment={"Variables": {"CONNECT_AT_INIT": "1" if connect else ""}},
    )
    lam.publish_version(FunctionName=name)
    lam.get_waiter("published_version_active").wait(FunctionName=name, Qualifier="1")
    response = lam.invoke(FunctionName=name, Qualifier="1", LogType="Tail")
    assert json.loads(response["Payload"].read()) == {"init_here": connect}
    report = base64.b64decode(response["LogResult"]).decode().splitlines()[-1]
    logs = client(server, "logs")
    notes = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern="SnapStart")
    if connect:
        assert "Init Duration: " in report and "Restore Duration" not in report
        [note] = [event["message"] for event in notes["events"]]
        assert note == (
            "[WARNING] cloudlet: no SnapStart snapshot (the init opened network connections):"
            " each environment runs the init"
        )
    else:
        assert "Restore Duration: " in report and "Init Duration" not in report
        assert notes["events"] == []
