"""Temporary credentials on a strict server: STS AssumeRole's keys, a function's execution
role session, and function URLs signed with either; expiry made short by
CLOUDLET_STS_DURATION_SCALE (AssumeRole's minimum, 15 minutes, lasts a second here)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from lambda_support import RUNTIME, make_zip, unique
from url_support import call, create_url, signed_headers

from server import Server

KEY, SECRET, ACCOUNT = "AKIDOWNER", "owner-secret", "111111111111"
ROLE_NAME = "runner"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service/{ROLE_NAME}"
SCALE = 900
EXPIRED = "The security token included in the request is expired"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
# A function that uses the credentials Lambda gave it, as code on AWS does: no keys in code.
WORKER = """
import json, os, boto3

def handler(event, context):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=event["queue"])["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="from the function")
    return {
        "queue_url": url,
        "caller": boto3.client("sts").get_caller_identity(),
        "key": os.environ["AWS_ACCESS_KEY_ID"],
        "has_token": bool(os.environ.get("AWS_SESSION_TOKEN")),
    }

def kind(event, context):
    return [os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"], os.environ["AWS_ACCESS_KEY_ID"]]

def echo(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"]["authorizer"])}
"""


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {
        "CLOUDLET_AUTH": "strict",
        "CLOUDLET_CREDENTIALS": f"{KEY}:{SECRET}:{ACCOUNT}",
        "CLOUDLET_STS_DURATION_SCALE": str(SCALE),
    }
    instance = Server(tmp_path_factory.mktemp("sessions"), env=env).start()
    iam = client(instance, "iam", KEY, SECRET)
    iam.create_role(RoleName=ROLE_NAME, Path="/service/", AssumeRolePolicyDocument=TRUST)
    yield instance
    instance.stop()


def client(server: Server, service: str, key: str, secret: str, token: str | None = None):
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=BotoConfig(retries={"max_attempts": 1}),
    )


def assume(server: Server, duration: int) -> dict:
    sts = client(server, "sts", KEY, SECRET)
    return sts.assume_role(RoleArn=ROLE, RoleSessionName="job", DurationSeconds=duration)[
        "Credentials"
    ]


def keys(credentials: dict) -> tuple[str, str, str]:
    return (
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
    )


def refusal(call) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return (
        error["Error"]["Code"],
        error["ResponseMetadata"]["HTTPStatusCode"],
        error["Error"]["Message"],
    )


def test_assumed_role_keys_work_until_they_expire(strict):
    issued = keys(assume(strict, 900))  # a second, at this server's scale
    sts = client(strict, "sts", *issued)
    assert sts.get_caller_identity()["Arn"] == (
        f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE_NAME}/job"
    )
    url = client(strict, "sqs", *issued).create_queue(QueueName="by-session")["QueueUrl"]
    assert f"/{ACCOUNT}/by-session" in url
    time.sleep(1.2)
    assert refusal(sts.get_caller_identity) == ("ExpiredToken", 403, EXPIRED)
    dynamodb = client(strict, "dynamodb", *issued)
    assert refusal(dynamodb.list_tables) == ("ExpiredTokenException", 400, EXPIRED)
    lam = client(strict, "lambda", *issued)
    assert refusal(lam.list_functions) == ("ExpiredTokenException", 403, EXPIRED)


def test_assumed_role_keys_need_their_own_token(strict):
    key, secret, token = keys(assume(strict, 3600))
    other_token = keys(assume(strict, 3600))[2]
    for wrong in (None, other_token, token[:-4] + "AAAA"):
        sqs = client(strict, "sqs", key, secret, wrong)
        assert refusal(sqs.list_queues)[:2] == ("InvalidClientTokenId", 403)
    assert client(strict, "sqs", key, secret, token).list_queues() is not None


def test_assumed_role_keys_survive_a_restart(strict):
    issued = keys(assume(strict, 3600))
    strict.restart()
    caller = client(strict, "sts", *issued).get_caller_identity()
    assert caller["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE_NAME}/job"


def deploy(server: Server, handler: str) -> str:
    name = unique("session")
    lam = client(server, "lambda", KEY, SECRET)
    lam.create_function(
        FunctionName=name,
        Runtime=RUNTIME,
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": make_zip({"app.py": WORKER})},
        Timeout=30,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def test_a_function_calls_a_strict_server_as_its_execution_role(strict):
    name = deploy(strict, "app.handler")
    lam = client(strict, "lambda", KEY, SECRET)
    response = lam.invoke(FunctionName=name, Payload=json.dumps({"queue": name}))
    answer = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, answer
    assert answer["key"].startswith("ASIA") and answer["has_token"]
    caller = answer["caller"]
    assert caller["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE_NAME}/{name}"
    assert caller["Account"] == ACCOUNT
    role_id = client(strict, "iam", KEY, SECRET).get_role(RoleName=ROLE_NAME)["Role"]["RoleId"]
    assert caller["UserId"] == f"{role_id}:{name}"
    # The queue the function made is the owner's, with the message the function sent.
    sqs = client(strict, "sqs", KEY, SECRET)
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    assert urlsplit(answer["queue_url"]).path == urlsplit(url).path == f"/{ACCOUNT}/{name}"
    messages = sqs.receive_message(QueueUrl=url)["Messages"]
    assert [m["Body"] for m in messages] == ["from the function"]


def test_a_function_given_another_role_runs_as_that_role(strict):
    name = deploy(strict, "app.handler")
    lam = client(strict, "lambda", KEY, SECRET)

    def caller_arn() -> str:
        response = lam.invoke(FunctionName=name, Payload=json.dumps({"queue": name}))
        answer = json.loads(response["Payload"].read())
        assert "FunctionError" not in response, answer
        return answer["caller"]["Arn"]

    assert caller_arn().endswith(f":assumed-role/{ROLE_NAME}/{name}")
    lam.update_function_configuration(FunctionName=name, Timeout=20)
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert caller_arn().endswith(f":assumed-role/{ROLE_NAME}/{name}")
    # A role IAM does not hold works too, as cloudlet does not check it exists.
    lam.update_function_configuration(
        FunctionName=name, Role=f"arn:aws:iam::{ACCOUNT}:role/elsewhere"
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert caller_arn() == f"arn:aws:sts::{ACCOUNT}:assumed-role/elsewhere/{name}"


def test_an_aws_iam_function_url_accepts_assumed_role_keys(strict):
    name = deploy(strict, "app.echo")
    url = create_url(client(strict, "lambda", KEY, SECRET), name, AuthType="AWS_IAM")
    key, secret, token = keys(assume(strict, 3600))
    answer = call(url, headers=signed_headers(url, key=key, secret=secret, token=token))
    assert answer.status == 200, answer.text
    iam = json.loads(answer.body)["iam"]
    assert (iam["accessKey"], iam["accountId"]) == (key, ACCOUNT)
    assert iam["userArn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE_NAME}/job"
    wrong = signed_headers(url, key=key, secret=secret, token="not-the-token")
    assert call(url, headers=wrong).status == 403
    expired = keys(assume(strict, 900))
    time.sleep(1.2)
    late = signed_headers(url, key=expired[0], secret=expired[1], token=expired[2])
    assert call(url, headers=late).status == 403


@pytest.fixture(scope="module")
def renewing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A strict server where a function's 12-hour keys last two seconds: renewed after one."""
    env = {
        "CLOUDLET_AUTH": "strict",
        "CLOUDLET_CREDENTIALS": f"{KEY}:{SECRET}:{ACCOUNT}",
        "CLOUDLET_STS_DURATION_SCALE": str(12 * 3600 // 2),
    }
    instance = Server(tmp_path_factory.mktemp("renewing"), env=env).start()
    yield instance
    instance.stop()


def test_keys_expired_a_day_ago_are_forgotten(renewing):
    # At this server's scale AssumeRole's 15 minutes last 0.04 s, and a day 4 s.
    with contextlib.suppress(ClientError):
        client(renewing, "iam", KEY, SECRET).create_role(
            RoleName=ROLE_NAME, Path="/service/", AssumeRolePolicyDocument=TRUST
        )
    old = client(renewing, "sts", *keys(assume(renewing, 900)))
    time.sleep(0.2)
    assert refusal(old.get_caller_identity)[:2] == ("ExpiredToken", 403)
    time.sleep(4.2)
    assume(renewing, 900)  # issuing a key forgets those expired more than a day ago
    assert refusal(old.get_caller_identity)[:2] == ("InvalidClientTokenId", 403)


def test_a_functions_credentials_are_renewed_half_way_through(renewing):
    name = deploy(renewing, "app.handler")
    lam = client(renewing, "lambda", KEY, SECRET)
    seen = []
    for _ in range(2):
        response = lam.invoke(FunctionName=name, Payload=json.dumps({"queue": name}))
        answer = json.loads(response["Payload"].read())
        assert "FunctionError" not in response, answer
        seen.append(answer["key"])
        time.sleep(1.1)
    assert seen[0] != seen[1]  # a new environment, with new keys that work


def test_provisioned_environments_start_again_with_renewed_keys(renewing):
    name = deploy(renewing, "app.kind")
    lam = client(renewing, "lambda", KEY, SECRET)
    lam.publish_version(FunctionName=name)
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=1
    )

    def invoke() -> list[str]:
        return json.loads(lam.invoke(FunctionName=name, Qualifier="1")["Payload"].read())

    deadline = time.monotonic() + 30
    while (first := invoke())[0] != "provisioned-concurrency" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first[0] == "provisioned-concurrency"
    time.sleep(1.1)
    assert invoke()[1] != first[1]  # renewed: this one ran on demand, with the new keys
    # ... and the provisioned environment was initialized again, with new keys too.
    while (later := invoke())[0] != "provisioned-concurrency" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert later[0] == "provisioned-concurrency" and later[1] != first[1]
