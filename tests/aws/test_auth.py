"""Strict SigV4 auth and accounts, through boto3, botocore's signers and the aws CLI."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import urlsplit
from xml.etree import ElementTree

import boto3
import orjson
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from server import Server, free_port

ALICE = ("AKIDALICE", "alice-secret", "111111111111")
BOB = ("AKIDBOB", "bob-secret", "222222222222")
MISMATCH = (
    "The request signature we calculated does not match the signature you provided."
    " Check your AWS Secret Access Key and signing method. Consult the service documentation"
    " for details."
)


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server in strict mode that knows two keys, each in its own account."""
    credentials = ",".join(":".join(entry) for entry in (ALICE, BOB))
    env = {"CLOUDLET_AUTH": "strict", "CLOUDLET_CREDENTIALS": credentials}
    instance = Server(tmp_path_factory.mktemp("strict"), env=env).start()
    yield instance
    instance.stop()


def sqs_as(server: Server, key: str, secret: str, region: str = "us-east-1", **config):
    return boto3.client(
        "sqs",
        endpoint_url=server.endpoint,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=BotoConfig(retries={"max_attempts": 1}, **config),
    )


def refused(call) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value


def code_and_status(error: ClientError) -> tuple[str, int]:
    return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]


def at(moment: datetime):
    """botocore's signers, signing as if it were `moment`."""
    return mock.patch("botocore.auth.get_current_datetime", return_value=moment)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def send(server: Server, request: AWSRequest) -> tuple[int, dict[str, str], bytes]:
    """Send a request botocore prepared, exactly as prepared."""
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(prepared.method, target, prepared.body, dict(prepared.headers))
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def test_the_right_key_works(strict):
    sqs = sqs_as(strict, *ALICE[:2])
    url = sqs.create_queue(QueueName="signed")["QueueUrl"]
    assert url.endswith(f"/{ALICE[2]}/signed")
    assert url in sqs.list_queues()["QueueUrls"]


def test_a_wrong_secret_is_signature_does_not_match(strict):
    error = refused(sqs_as(strict, ALICE[0], "not-the-secret").list_queues)
    assert code_and_status(error) == ("SignatureDoesNotMatch", 403)
    assert error.response["Error"]["Message"] == MISMATCH


def test_an_unknown_key_is_invalid_client_token_id(strict):
    error = refused(sqs_as(strict, "AKIDNOBODY", "whatever").list_queues)
    assert code_and_status(error) == ("InvalidClientTokenId", 403)
    assert error.response["Error"]["Message"] == (
        "The security token included in the request is invalid."
    )


def test_an_unsigned_request_is_missing_authentication_token(strict):
    sqs = sqs_as(strict, *ALICE[:2], signature_version=UNSIGNED)
    error = refused(sqs.list_queues)
    assert code_and_status(error) == ("MissingAuthenticationToken", 403)
    assert error.response["Error"]["Message"] == "Request is missing Authentication Token"


def test_a_malformed_authorization_header_is_incomplete_signature(strict):
    sqs = sqs_as(strict, *ALICE[:2])

    def drop_signature(request, **_):
        header = request.headers["Authorization"].decode()
        request.headers["Authorization"] = header.rpartition(", Signature=")[0]

    sqs.meta.events.register("before-send.sqs.ListQueues", drop_signature)
    error = refused(sqs.list_queues)
    assert code_and_status(error) == ("IncompleteSignature", 400)
    assert error.response["Error"]["Message"].startswith(
        "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256"
    )


def test_the_json_wire_form_of_a_refusal_is_the_coral_one(strict):
    request = AWSRequest(
        "POST",
        f"{strict.endpoint}/",
        data=b"{}",
        headers={
            "X-Amz-Target": "AmazonSQS.ListQueues",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    SigV4Auth(Credentials(ALICE[0], "wrong"), "sqs", "us-east-1").add_auth(request)
    status, headers, body = send(strict, request)
    assert status == 403
    assert headers["x-amzn-query-error"] == "SignatureDoesNotMatch;Sender"
    assert orjson.loads(body)["__type"].endswith("InvalidSignatureException")


def test_a_signature_scoped_to_another_service_is_refused(strict):
    request = AWSRequest(
        "POST",
        f"{strict.endpoint}/",
        data=b"{}",
        headers={"X-Amz-Target": "AmazonSQS.ListQueues"},
    )
    SigV4Auth(Credentials(*ALICE[:2]), "dynamodb", "us-east-1").add_auth(request)
    status, headers, body = send(strict, request)
    assert (status, headers["x-amzn-query-error"]) == (403, "SignatureDoesNotMatch;Sender")
    assert (
        orjson.loads(body)["message"] == "Credential should be scoped to correct service: 'sqs'. "
    )


def test_a_permanent_key_with_a_session_token_is_refused(strict):
    sqs = client_as(strict, "sqs", *ALICE[:2], "a-token-no-one-issued")
    error = refused(sqs.list_queues)
    assert code_and_status(error) == ("InvalidClientTokenId", 403)


def test_a_request_signed_20_minutes_ago_has_expired(strict):
    sqs = sqs_as(strict, *ALICE[:2])
    signed_at = utcnow() - timedelta(minutes=20)
    with at(signed_at):
        error = refused(sqs.list_queues)
    assert code_and_status(error) == ("SignatureDoesNotMatch", 403)
    stamp = signed_at.strftime("%Y%m%dT%H%M%SZ")
    message = error.response["Error"]["Message"]
    assert message.startswith(f"Signature expired: {stamp} is now earlier than ")
    assert message.endswith(" - 15 min.)")


def test_a_request_signed_20_minutes_ahead_is_not_yet_current(strict):
    sqs = sqs_as(strict, *ALICE[:2])
    with at(utcnow() + timedelta(minutes=20)):
        error = refused(sqs.list_queues)
    assert code_and_status(error) == ("SignatureDoesNotMatch", 403)
    assert error.response["Error"]["Message"].startswith("Signature not yet current: ")


def test_a_request_signed_10_minutes_ago_is_still_accepted(strict):
    sqs = sqs_as(strict, *ALICE[:2])
    with at(utcnow() - timedelta(minutes=10)):
        assert sqs.list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200


def presigned_list_queues(strict: Server, expires: int) -> AWSRequest:
    """A presigned SQS ListQueues (json protocol: the target header is signed too)."""
    request = AWSRequest(
        "POST",
        f"{strict.endpoint}/",
        headers={
            "X-Amz-Target": "AmazonSQS.ListQueues",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    signer = SigV4QueryAuth(Credentials(*ALICE[:2]), "sqs", "us-east-1", expires=expires)
    signer.add_auth(request)
    return request


def test_a_presigned_url_works(strict):
    url = sqs_as(strict, *ALICE[:2]).create_queue(QueueName="presigned")["QueueUrl"]
    request = presigned_list_queues(strict, expires=300)
    assert "X-Amz-Signature=" in request.url
    status, _, body = send(strict, request)
    assert status == 200, body
    assert url in orjson.loads(body)["QueueUrls"]


def test_an_expired_presigned_url_is_refused(strict):
    with at(utcnow() - timedelta(minutes=2)):
        request = presigned_list_queues(strict, expires=60)
    status, headers, body = send(strict, request)
    assert status == 403
    assert headers["x-amzn-query-error"] == "SignatureDoesNotMatch;Sender"
    assert orjson.loads(body)["message"].startswith("Signature expired: ")


def test_a_tampered_presigned_url_is_refused(strict):
    request = presigned_list_queues(strict, expires=300)
    request.url = request.url.replace("X-Amz-Expires=300", "X-Amz-Expires=600")
    status, headers, _ = send(strict, request)
    assert (status, headers["x-amzn-query-error"]) == (403, "SignatureDoesNotMatch;Sender")


def query_error(body: bytes) -> tuple[str, str]:
    error = ElementTree.fromstring(body).find("{*}Error")
    assert error is not None, body
    return error.findtext("{*}Code", ""), error.findtext("{*}Message", "")


def test_a_presigned_query_protocol_url_works(strict):
    url = sqs_as(strict, *ALICE[:2]).create_queue(QueueName="presigned-get")["QueueUrl"]
    request = AWSRequest("GET", f"{strict.endpoint}/?Action=ListQueues&Version=2012-11-05")
    SigV4QueryAuth(Credentials(*ALICE[:2]), "sqs", "us-east-1", expires=60).add_auth(request)
    status, headers, body = send(strict, request)
    assert status == 200, body
    assert headers["content-type"] == "text/xml"
    assert url.encode() in body


def test_query_protocol_refusals_are_query_errors(strict):
    form = {"Action": "ListQueues", "Version": "2012-11-05"}
    request = AWSRequest("POST", f"{strict.endpoint}/", data=form)
    SigV4Auth(Credentials(ALICE[0], "wrong"), "sqs", "us-east-1").add_auth(request)
    status, _, body = send(strict, request)
    code, message = query_error(body)
    assert (status, code) == (403, "SignatureDoesNotMatch")
    # Query services say what they expected, to help find the difference.
    assert message.startswith(f"{MISMATCH}\n\nThe Canonical String for this request should")
    status, _, body = send(strict, AWSRequest("POST", f"{strict.endpoint}/", data=form))
    assert (status, query_error(body)) == (
        403,
        ("MissingAuthenticationToken", "Request is missing Authentication Token"),
    )


def test_each_account_sees_only_its_own_queues(strict):
    alice, bob = sqs_as(strict, *ALICE[:2]), sqs_as(strict, *BOB[:2])
    alice_url = alice.create_queue(QueueName="mine")["QueueUrl"]
    bob_url = bob.create_queue(QueueName="mine")["QueueUrl"]
    assert alice_url != bob_url
    assert f"/{ALICE[2]}/" in alice_url and f"/{BOB[2]}/" in bob_url
    bob.create_queue(QueueName="bobs-only")
    assert "QueueUrls" not in alice.list_queues(QueueNamePrefix="bobs")
    with pytest.raises(alice.exceptions.QueueDoesNotExist):
        alice.get_queue_url(QueueName="bobs-only")
    alice.send_message(QueueUrl=alice_url, MessageBody="for alice")
    assert "Messages" not in bob.receive_message(QueueUrl=bob_url)


def test_another_accounts_queue_url_is_access_denied(strict):
    alice, bob = sqs_as(strict, *ALICE[:2]), sqs_as(strict, *BOB[:2])
    url = alice.create_queue(QueueName="private")["QueueUrl"]
    alice.send_message(QueueUrl=url, MessageBody="for alice only")
    error = refused(lambda: bob.receive_message(QueueUrl=url))
    assert code_and_status(error) == ("AccessDenied", 403)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{BOB[2]}:root"},
                "Action": "sqs:*",
                "Resource": "*",
            }
        ],
    }
    alice.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    got = bob.receive_message(QueueUrl=url)["Messages"]  # the queue policy lets bob in
    assert [m["Body"] for m in got] == ["for alice only"]


def test_each_region_of_an_account_has_its_own_queues(strict):
    east = sqs_as(strict, *ALICE[:2], region="us-east-1")
    west = sqs_as(strict, *ALICE[:2], region="eu-west-1")
    east.create_queue(QueueName="regional")
    assert "QueueUrls" not in west.list_queues(QueueNamePrefix="regional")
    with pytest.raises(west.exceptions.QueueDoesNotExist):
        west.get_queue_url(QueueName="regional")


def client_as(server: Server, service: str, key: str, secret: str, token: str | None = None):
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=BotoConfig(retries={"max_attempts": 1}),
    )


def test_temporary_credentials_from_assume_role_are_accepted(strict):
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ALICE[2]}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = client_as(strict, "iam", *ALICE[:2])
    arn = iam.create_role(RoleName="worker", AssumeRolePolicyDocument=orjson.dumps(trust).decode())[
        "Role"
    ]["Arn"]
    issued = client_as(strict, "sts", *ALICE[:2]).assume_role(RoleArn=arn, RoleSessionName="job")
    key = issued["Credentials"]
    assert key["AccessKeyId"].startswith("ASIA")
    temporary = (key["AccessKeyId"], key["SecretAccessKey"], key["SessionToken"])
    url = client_as(strict, "sqs", *temporary).create_queue(QueueName="by-role")["QueueUrl"]
    assert f"/{ALICE[2]}/by-role" in url
    caller = client_as(strict, "sts", *temporary).get_caller_identity()
    assert caller["Arn"] == f"arn:aws:sts::{ALICE[2]}:assumed-role/worker/job"
    # The key is nothing without its own session token.
    for token in (None, "not-the-token"):
        error = refused(client_as(strict, "sqs", *temporary[:2], token).list_queues)
        assert code_and_status(error) == ("InvalidClientTokenId", 403)


def test_query_services_refuse_in_their_own_words(strict):
    error = refused(client_as(strict, "sts", ALICE[0], "wrong").get_caller_identity)
    assert code_and_status(error) == ("SignatureDoesNotMatch", 403)
    assert error.response["Error"]["Message"].startswith(MISMATCH)
    error = refused(client_as(strict, "iam", "AKIDNOBODY", "x").list_roles)
    assert code_and_status(error) == ("InvalidClientTokenId", 403)


def test_rest_json_services_refuse_in_their_own_words(strict):
    error = refused(client_as(strict, "lambda", ALICE[0], "wrong").list_functions)
    assert code_and_status(error) == ("InvalidSignatureException", 403)
    assert error.response["Error"]["Message"] == MISMATCH
    error = refused(client_as(strict, "lambda", "AKIDNOBODY", "x").list_functions)
    assert code_and_status(error) == ("UnrecognizedClientException", 403)
    unsigned = boto3.client(
        "lambda",
        endpoint_url=strict.endpoint,
        region_name="us-east-1",
        config=BotoConfig(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )
    error = refused(unsigned.list_functions)
    assert code_and_status(error) == ("MissingAuthenticationTokenException", 403)
    assert error.response["Error"]["Message"] == "Missing Authentication Token"
    assert client_as(strict, "lambda", *ALICE[:2]).list_functions()["Functions"] == []


def aws_cli(server: Server, key: str, secret: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    # awscli v1 ignores AWS_ENDPOINT_URL for sqs (aws/aws-cli#8737): pass the flag.
    aws = os.path.join(os.path.dirname(sys.executable), "aws")
    command = [aws, "--endpoint-url", server.endpoint, *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_the_aws_cli_works_against_a_strict_server(strict):
    made = aws_cli(strict, *ALICE[:2], "sqs", "create-queue", "--queue-name", "from-cli")
    assert made.returncode == 0, made.stderr
    listed = aws_cli(strict, *ALICE[:2], "sqs", "list-queues")
    assert f"/{ALICE[2]}/from-cli" in listed.stdout
    wrong = aws_cli(strict, ALICE[0], "nope", "sqs", "list-queues")
    assert wrong.returncode != 0
    assert "SignatureDoesNotMatch" in wrong.stderr


def test_credentials_can_come_from_a_file(tmp_path):
    listing = tmp_path / "credentials"
    listing.write_text(f"# who may call\n{':'.join(ALICE)}\n\n{':'.join(BOB[:2])}\n")
    env = {"CLOUDLET_AUTH": "strict", "CLOUDLET_CREDENTIALS_FILE": str(listing)}
    server = Server(tmp_path / "state", env=env).start()
    try:
        assert f"/{ALICE[2]}/" in sqs_as(server, *ALICE[:2]).create_queue(QueueName="f")["QueueUrl"]
        # An entry without an account belongs to the default account.
        assert "/000000000000/" in sqs_as(server, *BOB[:2]).create_queue(QueueName="f")["QueueUrl"]
        error = refused(sqs_as(server, "AKIDNOBODY", "x").list_queues)
        assert code_and_status(error) == ("InvalidClientTokenId", 403)
    finally:
        server.stop()


def test_on_loopback_any_key_is_the_default_account(server):
    first = sqs_as(server, "AKIDFIRST", "one").create_queue(QueueName="shared-by-keys")
    second = sqs_as(server, "AKIDSECOND", "two").get_queue_url(QueueName="shared-by-keys")
    assert first["QueueUrl"] == second["QueueUrl"]
    assert "/000000000000/shared-by-keys" in first["QueueUrl"]


@pytest.mark.parametrize(
    ("flags", "settings", "says"),
    [
        (["--host", "0.0.0.0"], {}, "needs credentials"),
        (["--auth", "strict"], {}, "needs credentials"),
        ([], {"CLOUDLET_AUTH": "strict", "CLOUDLET_CREDENTIALS": "AK:SK:123"}, "12 digits"),
    ],
)
def test_strict_auth_without_usable_credentials_refuses_to_start_in_one_line(
    tmp_path, flags, settings, says
):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDLET_")} | settings
    command = [sys.executable, "-m", "cloudlet", "up", *flags]
    command += ["--port", str(free_port()), "--state-dir", str(tmp_path)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("cloudlet: ") and says in lines[0]


def test_a_non_loopback_bind_verifies_signatures_without_being_told(tmp_path):
    # No CLOUDLET_AUTH: binding every address is what turns verification on.
    env = {"CLOUDLET_CREDENTIALS": ":".join(ALICE)}
    server = Server(tmp_path / "state", env=env, args=["--host", "0.0.0.0"]).start()
    try:
        sqs = sqs_as(server, *ALICE[:2])
        url = sqs.create_queue(QueueName="from-afar")["QueueUrl"]
        assert f"/{ALICE[2]}/from-afar" in url
        sqs.send_message(QueueUrl=url, MessageBody="signed")
        error = refused(sqs_as(server, ALICE[0], "not-the-secret").list_queues)
        assert code_and_status(error) == ("SignatureDoesNotMatch", 403)
        assert error.response["Error"]["Message"] == MISMATCH
        error = refused(client_as(server, "sts", ALICE[0], "wrong").get_caller_identity)
        assert code_and_status(error) == ("SignatureDoesNotMatch", 403)
        error = refused(sqs_as(server, "AKIDNOBODY", "x").list_queues)
        assert code_and_status(error) == ("InvalidClientTokenId", 403)
        with urllib.request.urlopen(f"{server.endpoint}/_cloudlet/status", timeout=5) as answer:
            assert orjson.loads(answer.read())["auth"] == "strict"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def own_account(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A loopback server whose one account is CLOUDLET_ACCOUNT_ID's."""
    env = {"CLOUDLET_ACCOUNT_ID": "123456789012"}
    instance = Server(tmp_path_factory.mktemp("account"), env=env).start()
    yield instance
    instance.stop()


def test_cloudlet_account_id_is_the_account_of_every_key_on_loopback(own_account):
    first = sqs_as(own_account, "AKIDFIRST", "one")
    url = first.create_queue(QueueName="ours")["QueueUrl"]
    assert urlsplit(url).path == "/123456789012/ours"
    arn = first.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    assert arn["QueueArn"] == "arn:aws:sqs:us-east-1:123456789012:ours"
    assert sqs_as(own_account, "AKIDSECOND", "two").get_queue_url(QueueName="ours")["QueueUrl"] == (
        url
    )
    caller = client_as(own_account, "sts", "AKIDFIRST", "one").get_caller_identity()
    assert caller["Account"] == "123456789012"
    assert caller["Arn"].startswith("arn:aws:iam::123456789012:")
    role = client_as(own_account, "iam", "AKIDFIRST", "one").create_role(
        RoleName="ours", AssumeRolePolicyDocument="{}"
    )
    assert role["Role"]["Arn"] == "arn:aws:iam::123456789012:role/ours"
