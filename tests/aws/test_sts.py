"""STS through boto3 and the aws CLI: caller identity, and AssumeRole's temporary credentials."""

from __future__ import annotations

import datetime
import json

import boto3
import pytest
from botocore.config import Config as BotoConfig

from aws_cli import aws, aws_json
from conftest import REGION, client

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
)


@pytest.fixture
def sts(server):
    return client(server, "sts")


@pytest.fixture
def raw_sts(server):
    """An STS client that lets out-of-range input reach the server."""
    return boto3.client(
        "sts",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=BotoConfig(retries={"max_attempts": 1}, parameter_validation=False),
    )


@pytest.fixture
def role(server):
    """A role to assume, created through IAM; its ARN and id."""
    iam = client(server, "iam")

    def create(name: str, **extra: object) -> dict[str, str]:
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST, **extra)["Role"]

    return create


def session_client(server, credentials: dict[str, str], service: str = "sts"):
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def test_a_plain_key_is_the_account_root(sts):
    identity = sts.get_caller_identity()
    assert identity["Account"] == "000000000000"
    assert identity["Arn"] == "arn:aws:iam::000000000000:root"
    assert identity["UserId"] == "000000000000"


def test_assume_role_issues_temporary_credentials(sts, role):
    assumed = role("worker", Path="/jobs/")
    before = datetime.datetime.now(datetime.UTC)
    answer = sts.assume_role(RoleArn=assumed["Arn"], RoleSessionName="nightly", DurationSeconds=900)
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert len(credentials["AccessKeyId"]) == 20
    assert len(credentials["SecretAccessKey"]) == 40
    assert len(credentials["SessionToken"]) > 100
    lifetime = credentials["Expiration"] - before
    assert datetime.timedelta(seconds=890) < lifetime <= datetime.timedelta(seconds=901)
    assert answer["AssumedRoleUser"] == {
        "AssumedRoleId": f"{assumed['RoleId']}:nightly",
        "Arn": "arn:aws:sts::000000000000:assumed-role/worker/nightly",
    }


def test_temporary_credentials_identify_as_the_assumed_role(server, sts, role):
    assumed = role("identity-check")
    credentials = sts.assume_role(RoleArn=assumed["Arn"], RoleSessionName="me")["Credentials"]
    identity = session_client(server, credentials).get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::000000000000:assumed-role/identity-check/me"
    assert identity["UserId"] == f"{assumed['RoleId']}:me"
    assert identity["Account"] == "000000000000"


def test_each_assume_role_issues_new_keys(sts, role):
    arn = role("twice")["Arn"]
    first = sts.assume_role(RoleArn=arn, RoleSessionName="again")["Credentials"]
    second = sts.assume_role(RoleArn=arn, RoleSessionName="again")["Credentials"]
    assert first["AccessKeyId"] != second["AccessKeyId"]
    assert first["SessionToken"] != second["SessionToken"]


def test_a_role_that_does_not_exist_cannot_be_assumed(sts):
    arn = "arn:aws:iam::000000000000:role/nobody"
    with pytest.raises(sts.exceptions.ClientError) as caught:
        sts.assume_role(RoleArn=arn, RoleSessionName="session")
    error = caught.value.response["Error"]
    assert (error["Code"], error["Type"]) == ("AccessDenied", "Sender")
    assert error["Message"] == (
        "User: arn:aws:iam::000000000000:root is not authorized to perform: sts:AssumeRole on"
        f" resource: {arn}"
    )
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.parametrize(
    ("seconds", "constraint"),
    [
        (899, "Member must have value greater than or equal to 900"),
        (43201, "Member must have value less than or equal to 43200"),
    ],
)
def test_duration_outside_15_minutes_to_12_hours_is_a_validation_error(
    raw_sts, role, seconds, constraint
):
    arn = role(f"bounds-{seconds}", MaxSessionDuration=43200)["Arn"]
    with pytest.raises(raw_sts.exceptions.ClientError) as caught:
        raw_sts.assume_role(RoleArn=arn, RoleSessionName="session", DurationSeconds=seconds)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert error["Message"] == (
        f"1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to satisfy"
        f" constraint: {constraint}"
    )
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_duration_beyond_the_roles_maximum_is_refused(sts, role):
    short = role("short-sessions")["Arn"]
    with pytest.raises(sts.exceptions.ClientError) as caught:
        sts.assume_role(RoleArn=short, RoleSessionName="session", DurationSeconds=7200)
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )
    long = role("long-sessions", MaxSessionDuration=43200)["Arn"]
    answer = sts.assume_role(RoleArn=long, RoleSessionName="session", DurationSeconds=43200)
    assert answer["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_session_policies_report_their_packed_size(sts, role):
    arn = role("scoped")["Arn"]
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
    )
    answer = sts.assume_role(RoleArn=arn, RoleSessionName="session", Policy=policy)
    assert 0 < answer["PackedPolicySize"] <= 100
    with pytest.raises(sts.exceptions.MalformedPolicyDocumentException):
        sts.assume_role(RoleArn=arn, RoleSessionName="session", Policy="{not json")


def test_temporary_credentials_survive_a_restart(tmp_path):
    from server import Server

    server = Server(tmp_path / "state").start()
    try:
        arn = client(server, "iam").create_role(RoleName="durable", AssumeRolePolicyDocument=TRUST)[
            "Role"
        ]["Arn"]
        credentials = client(server, "sts").assume_role(RoleArn=arn, RoleSessionName="kept")[
            "Credentials"
        ]
        server.restart()
        identity = session_client(server, credentials).get_caller_identity()
        assert identity["Arn"] == "arn:aws:sts::000000000000:assumed-role/durable/kept"
    finally:
        server.stop()


def test_the_aws_cli_gets_identity_and_assumes_roles(server, role):
    identity = aws_json(server, "sts", "get-caller-identity")
    assert identity["Arn"] == "arn:aws:iam::000000000000:root"
    arn = role("cli-assumed")["Arn"]
    answer = aws_json(server, "sts", "assume-role", "--role-arn", arn, "--role-session-name", "cli")
    assert (
        answer["AssumedRoleUser"]["Arn"] == "arn:aws:sts::000000000000:assumed-role/cli-assumed/cli"
    )
    credentials = answer["Credentials"]
    as_role = aws_json(
        server,
        "sts",
        "get-caller-identity",
        env={
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"],
        },
    )
    assert as_role["UserId"].endswith(":cli")
    denied = aws(
        server,
        "sts",
        "assume-role",
        "--role-arn",
        "arn:aws:iam::000000000000:role/cli-nobody",
        "--role-session-name",
        "cli",
        check=False,
    )
    assert denied.returncode != 0
    assert "An error occurred (AccessDenied) when calling the AssumeRole operation" in denied.stderr
