"""A function's resource-based policy: AddPermission, GetPolicy, RemovePermission, as AWS
writes the statements and words the errors."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from lambda_support import create_function, error_of, unique

from aws_cli import aws_json

CODE = "def handler(event, context):\n    return 'ok'\n"


@pytest.fixture
def function(lam):
    name = unique("policy")
    create_function(lam, name, CODE)
    return name


def arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:000000000000:function:{name}"


def refusal(call) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    return error_of(caught)


def test_a_public_function_url_permission_is_written_as_aws_writes_it(lam, function):
    added = lam.add_permission(
        FunctionName=function,
        StatementId="FunctionURLAllowPublicAccess",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert json.loads(added["Statement"]) == {
        "Sid": "FunctionURLAllowPublicAccess",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "lambda:InvokeFunctionUrl",
        "Resource": arn(function),
        "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
    }


def test_principals_and_conditions_take_aws_forms(lam, function):
    s3 = lam.add_permission(
        FunctionName=function,
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::my-bucket",
        SourceAccount="123456789012",
    )
    assert json.loads(s3["Statement"])["Principal"] == {"Service": "s3.amazonaws.com"}
    assert json.loads(s3["Statement"])["Condition"] == {
        "StringEquals": {"AWS:SourceAccount": "123456789012"},
        "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket"},
    }
    account = lam.add_permission(
        FunctionName=function,
        StatementId="xaccount",
        Action="lambda:InvokeFunction",
        Principal="223456789012",
    )
    assert json.loads(account["Statement"])["Principal"] == {
        "AWS": "arn:aws:iam::223456789012:root"
    }
    policy = lam.get_policy(FunctionName=function)
    document = json.loads(policy["Policy"])
    assert (document["Version"], document["Id"]) == ("2012-10-17", "default")
    assert [statement["Sid"] for statement in document["Statement"]] == ["s3", "xaccount"]
    configuration = lam.get_function_configuration(FunctionName=function)
    assert policy["RevisionId"] == configuration["RevisionId"]


def test_an_alias_has_its_own_policy(lam, function):
    lam.publish_version(FunctionName=function)
    lam.create_alias(FunctionName=function, Name="live", FunctionVersion="1")
    lam.add_permission(
        FunctionName=function,
        Qualifier="live",
        StatementId="only-live",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
    )
    statement = json.loads(lam.get_policy(FunctionName=f"{function}:live")["Policy"])["Statement"]
    assert statement[0]["Resource"] == f"{arn(function)}:live"
    assert refusal(lambda: lam.get_policy(FunctionName=function)) == (
        "ResourceNotFoundException",
        404,
        "The resource you requested does not exist.",
    )


def test_removing_the_last_statement_removes_the_policy(lam, function):
    lam.add_permission(
        FunctionName=function,
        StatementId="one",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
    )
    removed = lam.remove_permission(FunctionName=function, StatementId="one")
    assert removed["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert refusal(lambda: lam.get_policy(FunctionName=function))[0] == (
        "ResourceNotFoundException"
    )


def test_bad_permission_requests_get_aws_errors(lam, function):
    def add(**overrides):
        request = {
            "FunctionName": function,
            "StatementId": "dup",
            "Action": "lambda:InvokeFunction",
            "Principal": "s3.amazonaws.com",
            **overrides,
        }
        return lambda: lam.add_permission(**request)

    add()()
    assert refusal(add()) == (
        "ResourceConflictException",
        409,
        "The statement id (dup) provided already exists. Please provide a new statement id, "
        "or remove the existing statement.",
    )
    assert refusal(add(StatementId="x", Qualifier="$LATEST")) == (
        "InvalidParameterValueException",
        400,
        "We currently do not support adding policies for $LATEST.",
    )
    assert refusal(add(StatementId="x", RevisionId="not-the-revision")) == (
        "PreconditionFailedException",
        412,
        "The Revision Id provided does not match the latest Revision Id. Call the "
        "GetFunction/GetAlias API to retrieve the latest Revision Id",
    )
    assert refusal(add(StatementId="x", Qualifier="nope"))[:2] == (
        "ResourceNotFoundException",
        404,
    )
    assert refusal(add(FunctionName="no-such-function")) == (
        "ResourceNotFoundException",
        404,
        f"Function not found: {arn('no-such-function')}",
    )
    assert refusal(lambda: lam.remove_permission(FunctionName=function, StatementId="nope")) == (
        "ResourceNotFoundException",
        404,
        "Statement nope is not found in resource policy.",
    )


def test_the_aws_cli_adds_a_function_url_permission(server, function):
    added = aws_json(
        server,
        "lambda",
        "add-permission",
        "--function-name",
        function,
        "--statement-id",
        "url",
        "--action",
        "lambda:InvokeFunctionUrl",
        "--principal",
        "*",
        "--function-url-auth-type",
        "NONE",
    )
    assert json.loads(added["Statement"])["Action"] == "lambda:InvokeFunctionUrl"
    policy = aws_json(server, "lambda", "get-policy", "--function-name", function)
    assert json.loads(policy["Policy"])["Statement"][0]["Sid"] == "url"
