"""IAM through boto3 and the aws CLI: roles, inline and managed policies, and IAM's errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials

from aws_cli import aws, aws_json
from conftest import REGION, client

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
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}],
    }
)
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


@pytest.fixture
def iam(server):
    return client(server, "iam")


@pytest.fixture
def raw_iam(server):
    """An IAM client that lets bad input reach the server, as other SDKs and curl can."""
    return boto3.client(
        "iam",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=BotoConfig(retries={"max_attempts": 1}, parameter_validation=False),
    )


def error_of(caught: pytest.ExceptionInfo) -> tuple[str, str, int]:
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_create_and_get_role(iam):
    created = iam.create_role(
        RoleName="fn-exec",
        Path="/service-role/",
        AssumeRolePolicyDocument=TRUST,
        Description="runs a function",
        Tags=[{"Key": "team", "Value": "payments"}],
    )["Role"]
    assert created["Arn"] == "arn:aws:iam::000000000000:role/service-role/fn-exec"
    assert created["RoleId"].startswith("AROA") and len(created["RoleId"]) == 21
    assert created["MaxSessionDuration"] == 3600
    role = iam.get_role(RoleName="fn-exec")["Role"]
    assert role["RoleId"] == created["RoleId"]
    assert role["Path"] == "/service-role/"
    assert role["AssumeRolePolicyDocument"] == json.loads(TRUST)
    assert role["Description"] == "runs a function"
    assert role["Tags"] == [{"Key": "team", "Value": "payments"}]
    assert role["CreateDate"].tzinfo is not None


def test_policy_documents_travel_url_encoded(iam):
    iam.create_role(RoleName="encoded", AssumeRolePolicyDocument=TRUST)
    bodies = []
    iam.meta.events.register(
        "before-parse.iam.GetRole", lambda response_dict, **_: bodies.append(response_dict["body"])
    )
    iam.get_role(RoleName="encoded")
    body = bodies[0].decode()
    encoded = body.split("<AssumeRolePolicyDocument>")[1].split("</AssumeRolePolicyDocument>")[0]
    assert encoded.startswith("%7B%22Version%22%3A")
    assert urllib.parse.unquote(encoded) == TRUST
    assert body.startswith('<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">')


def test_role_names_are_unique_whatever_their_case(iam):
    iam.create_role(RoleName="Unique", AssumeRolePolicyDocument=TRUST)
    with pytest.raises(iam.exceptions.EntityAlreadyExistsException) as caught:
        iam.create_role(RoleName="unique", AssumeRolePolicyDocument=TRUST)
    assert error_of(caught) == (
        "EntityAlreadyExists",
        "Role with name unique already exists.",
        409,
    )


def test_missing_role_is_no_such_entity(iam):
    with pytest.raises(iam.exceptions.NoSuchEntityException) as caught:
        iam.get_role(RoleName="ghost")
    assert error_of(caught) == ("NoSuchEntity", "The role with name ghost cannot be found.", 404)
    assert caught.value.response["Error"]["Type"] == "Sender"


def test_a_trust_policy_that_is_not_json_is_malformed(iam):
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException) as caught:
        iam.create_role(RoleName="bad-trust", AssumeRolePolicyDocument="trust-policy.json")
    assert error_of(caught) == ("MalformedPolicyDocument", "This policy contains invalid Json", 400)
    iam.create_role(RoleName="good-trust", AssumeRolePolicyDocument=TRUST)
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException):
        iam.update_assume_role_policy(RoleName="good-trust", PolicyDocument="{not json")


def test_update_assume_role_policy_replaces_the_trust_policy(iam):
    iam.create_role(RoleName="retrust", AssumeRolePolicyDocument=TRUST)
    new_trust = TRUST.replace("lambda.amazonaws.com", "states.amazonaws.com")
    iam.update_assume_role_policy(RoleName="retrust", PolicyDocument=new_trust)
    role = iam.get_role(RoleName="retrust")["Role"]
    assert role["AssumeRolePolicyDocument"] == json.loads(new_trust)


def test_list_roles_pages_and_filters_by_path(iam):
    for index in range(5):
        iam.create_role(RoleName=f"paged-{index}", Path="/paged/", AssumeRolePolicyDocument=TRUST)
    first = iam.list_roles(PathPrefix="/paged/", MaxItems=2)
    assert first["IsTruncated"] is True
    assert [r["RoleName"] for r in first["Roles"]] == ["paged-0", "paged-1"]
    second = iam.list_roles(PathPrefix="/paged/", MaxItems=2, Marker=first["Marker"])
    assert [r["RoleName"] for r in second["Roles"]] == ["paged-2", "paged-3"]
    every = [
        role["RoleName"]
        for result in iam.get_paginator("list_roles").paginate(
            PathPrefix="/paged/", PaginationConfig={"PageSize": 2}
        )
        for role in result["Roles"]
    ]
    assert every == [f"paged-{index}" for index in range(5)]
    assert "Tags" not in first["Roles"][0]


def test_role_tags(iam):
    iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=TRUST)
    iam.tag_role(RoleName="tagged", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.tag_role(RoleName="tagged", Tags=[{"Key": "A", "Value": "3"}])
    assert iam.list_role_tags(RoleName="tagged")["Tags"] == [
        {"Key": "A", "Value": "3"},
        {"Key": "b", "Value": "2"},
    ]
    iam.untag_role(RoleName="tagged", TagKeys=["b"])
    assert iam.list_role_tags(RoleName="tagged")["Tags"] == [{"Key": "A", "Value": "3"}]
    with pytest.raises(iam.exceptions.InvalidInputException) as caught:
        iam.tag_role(
            RoleName="tagged", Tags=[{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}]
        )
    assert error_of(caught)[0] == "InvalidInput"


def test_inline_role_policies(iam):
    iam.create_role(RoleName="inline", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName="inline", PolicyName="send", PolicyDocument=POLICY)
    iam.put_role_policy(RoleName="inline", PolicyName="also", PolicyDocument=POLICY)
    got = iam.get_role_policy(RoleName="inline", PolicyName="send")
    assert (got["RoleName"], got["PolicyName"]) == ("inline", "send")
    assert got["PolicyDocument"] == json.loads(POLICY)
    assert iam.list_role_policies(RoleName="inline")["PolicyNames"] == ["also", "send"]
    iam.delete_role_policy(RoleName="inline", PolicyName="send")
    with pytest.raises(iam.exceptions.NoSuchEntityException) as caught:
        iam.get_role_policy(RoleName="inline", PolicyName="send")
    assert error_of(caught) == (
        "NoSuchEntity",
        "The role policy with name send cannot be found.",
        404,
    )
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException) as caught:
        iam.put_role_policy(RoleName="inline", PolicyName="bad", PolicyDocument="{")
    assert error_of(caught) == ("MalformedPolicyDocument", "Syntax errors in policy.", 400)
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.put_role_policy(RoleName="no-role", PolicyName="p", PolicyDocument=POLICY)


def test_delete_role_conflicts_while_policies_remain(iam):
    iam.create_role(RoleName="busy", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="busy", PolicyArn=BASIC_EXECUTION)
    iam.put_role_policy(RoleName="busy", PolicyName="inline", PolicyDocument=POLICY)
    with pytest.raises(iam.exceptions.DeleteConflictException) as caught:
        iam.delete_role(RoleName="busy")
    assert error_of(caught) == (
        "DeleteConflict",
        "Cannot delete entity, must detach all policies first.",
        409,
    )
    iam.detach_role_policy(RoleName="busy", PolicyArn=BASIC_EXECUTION)
    with pytest.raises(iam.exceptions.DeleteConflictException) as caught:
        iam.delete_role(RoleName="busy")
    assert error_of(caught)[1] == "Cannot delete entity, must delete policies first."
    iam.delete_role_policy(RoleName="busy", PolicyName="inline")
    iam.delete_role(RoleName="busy")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="busy")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.delete_role(RoleName="busy")


@pytest.mark.parametrize(
    "arn",
    [
        BASIC_EXECUTION,
        "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
        "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
        "arn:aws:iam::aws:policy/AmazonSQSFullAccess",
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
        "arn:aws:iam::aws:policy/AdministratorAccess",
    ],
)
def test_aws_managed_policies_are_readable_and_attachable(iam, arn):
    role = "managed-" + arn.rsplit("/", 1)[1][:40]
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)  # attaching again changes nothing
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert attached == [{"PolicyName": arn.rsplit("/", 1)[1], "PolicyArn": arn}]
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["Arn"] == arn
    assert policy["PolicyId"].startswith("ANPA")
    assert policy["AttachmentCount"] >= 1
    assert policy["IsAttachable"] is True
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    assert version["PolicyVersion"]["IsDefaultVersion"] is True
    assert version["PolicyVersion"]["Document"]["Statement"]
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)


def test_basic_execution_role_allows_writing_logs(iam):
    version = iam.get_policy_version(PolicyArn=BASIC_EXECUTION, VersionId="v1")["PolicyVersion"]
    actions = version["Document"]["Statement"][0]["Action"]
    assert {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"} <= set(actions)


def test_attaching_what_does_not_exist(iam):
    iam.create_role(RoleName="attach-errors", AssumeRolePolicyDocument=TRUST)
    missing = "arn:aws:iam::aws:policy/NoSuchManagedPolicy"
    with pytest.raises(iam.exceptions.NoSuchEntityException) as caught:
        iam.attach_role_policy(RoleName="attach-errors", PolicyArn=missing)
    assert error_of(caught) == (
        "NoSuchEntity",
        f"Policy {missing} does not exist or is not attachable.",
        404,
    )
    with pytest.raises(iam.exceptions.InvalidInputException) as caught:
        iam.attach_role_policy(RoleName="attach-errors", PolicyArn="not-an-arn-but-long-enough")
    assert error_of(caught) == ("InvalidInput", "ARN not-an-arn-but-long-enough is not valid.", 400)
    with pytest.raises(iam.exceptions.NoSuchEntityException) as caught:
        iam.attach_role_policy(RoleName="no-such-role", PolicyArn=BASIC_EXECUTION)
    assert error_of(caught)[1] == "The role with name no-such-role cannot be found."
    with pytest.raises(iam.exceptions.NoSuchEntityException) as caught:
        iam.detach_role_policy(RoleName="attach-errors", PolicyArn=BASIC_EXECUTION)
    assert error_of(caught)[1] == f"Policy {BASIC_EXECUTION} was not found."


def test_a_role_holds_at_most_ten_managed_policies(iam):
    iam.create_role(RoleName="crowded", AssumeRolePolicyDocument=TRUST)
    for index in range(10):
        arn = iam.create_policy(PolicyName=f"crowd-{index}", PolicyDocument=POLICY)["Policy"]["Arn"]
        iam.attach_role_policy(RoleName="crowded", PolicyArn=arn)
    with pytest.raises(iam.exceptions.LimitExceededException) as caught:
        iam.attach_role_policy(RoleName="crowded", PolicyArn=BASIC_EXECUTION)
    assert error_of(caught) == (
        "LimitExceeded",
        "Cannot exceed quota for PoliciesPerRole: 10.",
        409,
    )


def test_customer_managed_policy_life_cycle(iam):
    created = iam.create_policy(
        PolicyName="send-orders", Path="/app/", PolicyDocument=POLICY, Description="sends"
    )["Policy"]
    arn = created["Arn"]
    assert arn == "arn:aws:iam::000000000000:policy/app/send-orders"
    assert (created["DefaultVersionId"], created["AttachmentCount"]) == ("v1", 0)
    with pytest.raises(iam.exceptions.EntityAlreadyExistsException) as caught:
        iam.create_policy(PolicyName="send-orders", PolicyDocument=POLICY)
    assert error_of(caught) == (
        "EntityAlreadyExists",
        "A policy called send-orders already exists. Duplicate names are not allowed.",
        409,
    )
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Description"] == "sends"
    document = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    assert document == json.loads(POLICY)
    local = [p["Arn"] for p in iam.list_policies(Scope="Local", PathPrefix="/app/")["Policies"]]
    assert local == [arn]
    aws_managed = [p["Arn"] for p in iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]]
    assert BASIC_EXECUTION in aws_managed and arn not in aws_managed

    iam.create_role(RoleName="orders", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="orders", PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    attached_only = iam.list_policies(OnlyAttached=True, Scope="Local")["Policies"]
    assert arn in [p["Arn"] for p in attached_only]
    with pytest.raises(iam.exceptions.DeleteConflictException) as caught:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(caught) == (
        "DeleteConflict",
        "Cannot delete a policy attached to entities.",
        409,
    )
    iam.detach_role_policy(RoleName="orders", PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(iam.exceptions.NoSuchEntityException) as caught:
        iam.get_policy(PolicyArn=arn)
    assert error_of(caught) == ("NoSuchEntity", f"Policy {arn} was not found.", 404)
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_policy_version(PolicyArn=arn, VersionId="v1")


def test_model_constraints_are_validation_errors(raw_iam):
    with pytest.raises(raw_iam.exceptions.ClientError) as caught:
        raw_iam.create_role(RoleName="has space", AssumeRolePolicyDocument=TRUST)
    code, message, status = error_of(caught)
    assert (code, status) == ("ValidationError", 400)
    assert message.startswith("1 validation error detected: Value 'has space' at 'roleName'")
    with pytest.raises(raw_iam.exceptions.ClientError) as caught:
        raw_iam.list_roles(MaxItems=0)
    assert error_of(caught)[:2] == (
        "ValidationError",
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint:"
        " Member must have value greater than or equal to 1",
    )
    with pytest.raises(raw_iam.exceptions.ClientError) as caught:
        raw_iam.get_role()
    assert error_of(caught)[:2] == (
        "ValidationError",
        "1 validation error detected: Value null at 'roleName' failed to satisfy constraint:"
        " Member must not be null",
    )


def test_a_non_number_is_a_validation_error(raw_iam):
    raw_iam.meta.events.register(
        "before-sign.iam.ListRoles",
        lambda request, **_: setattr(request, "data", "Action=ListRoles&MaxItems=ten"),
    )
    with pytest.raises(raw_iam.exceptions.ClientError) as caught:
        raw_iam.list_roles()
    assert error_of(caught)[0] == "ValidationError"
    assert error_of(caught)[2] == 400


def test_a_body_that_is_not_utf8_is_a_client_error(server):
    request = AWSRequest(
        "POST",
        server.endpoint + "/",
        data=b"Action=GetRole&Version=2010-05-08&RoleName=caf\xe9",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials("test", "test"), "iam", REGION).add_auth(request)
    prepared = request.prepare()
    outgoing = urllib.request.Request(prepared.url, prepared.body, dict(prepared.headers))
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(outgoing)
    assert caught.value.code == 404
    body = caught.value.read().decode()
    assert body.startswith('<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">')
    assert "<Code>MalformedQueryString</Code>" in body


def test_status_counts_roles_and_policies(server, iam):
    def counts() -> dict[str, int]:
        with urllib.request.urlopen(f"{server.endpoint}/_cloudlet/status") as response:
            return json.loads(response.read())["services"]["iam"]

    before = counts()
    iam.create_role(RoleName="counted", AssumeRolePolicyDocument=TRUST)
    iam.create_policy(PolicyName="counted", PolicyDocument=POLICY)
    assert counts() == {"roles": before["roles"] + 1, "policies": before["policies"] + 1}
    iam.delete_role(RoleName="counted")
    assert counts()["roles"] == before["roles"]


def test_iam_is_global(server, iam):
    iam.create_role(RoleName="everywhere", AssumeRolePolicyDocument=TRUST)
    elsewhere = boto3.client(
        "iam",
        endpoint_url=server.endpoint,
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    assert elsewhere.get_role(RoleName="everywhere")["Role"]["Arn"].startswith("arn:aws:iam::")


def test_roles_and_policies_survive_a_restart(tmp_path):
    from server import Server

    server = Server(tmp_path / "state").start()
    try:
        iam = client(server, "iam")
        iam.create_role(RoleName="kept", AssumeRolePolicyDocument=TRUST)
        iam.put_role_policy(RoleName="kept", PolicyName="inline", PolicyDocument=POLICY)
        iam.attach_role_policy(RoleName="kept", PolicyArn=BASIC_EXECUTION)
        server.restart()
        iam = client(server, "iam")
        assert iam.get_role(RoleName="kept")["Role"]["AssumeRolePolicyDocument"] == json.loads(
            TRUST
        )
        assert iam.list_role_policies(RoleName="kept")["PolicyNames"] == ["inline"]
        attached = iam.list_attached_role_policies(RoleName="kept")["AttachedPolicies"]
        assert [p["PolicyArn"] for p in attached] == [BASIC_EXECUTION]
    finally:
        server.stop()


def test_the_aws_cli_manages_roles(server, tmp_path):
    trust_file = tmp_path / "trust.json"
    trust_file.write_text(TRUST)
    created = aws_json(
        server,
        "iam",
        "create-role",
        "--role-name",
        "cli-role",
        "--assume-role-policy-document",
        f"file://{trust_file}",
    )
    assert created["Role"]["Arn"] == "arn:aws:iam::000000000000:role/cli-role"
    aws(
        server,
        "iam",
        "attach-role-policy",
        "--role-name",
        "cli-role",
        "--policy-arn",
        BASIC_EXECUTION,
    )
    role = aws_json(server, "iam", "get-role", "--role-name", "cli-role")["Role"]
    assert role["AssumeRolePolicyDocument"] == json.loads(TRUST)
    attached = aws_json(server, "iam", "list-attached-role-policies", "--role-name", "cli-role")
    assert attached["AttachedPolicies"][0]["PolicyName"] == "AWSLambdaBasicExecutionRole"
    missing = aws(server, "iam", "get-role", "--role-name", "cli-ghost", check=False)
    assert missing.returncode != 0
    assert "An error occurred (NoSuchEntity) when calling the GetRole operation" in missing.stderr
    malformed = aws(
        server,
        "iam",
        "create-role",
        "--role-name",
        "cli-bad",
        "--assume-role-policy-document",
        "trust.json",
        check=False,
    )
    assert "(MalformedPolicyDocument)" in malformed.stderr
    assert "This policy contains invalid Json" in malformed.stderr
