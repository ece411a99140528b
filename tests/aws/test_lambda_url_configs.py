"""Function URL configurations through boto3 and the aws CLI: create, read, update, list,
delete, AWS's errors for bad input, and the configurations (and permissions) surviving a
restart."""

from __future__ import annotations

import json
import re

import pytest
from botocore.exceptions import ClientError
from lambda_support import create_function, error_of, unique
from url_support import call, create_url

from aws_cli import aws_json
from conftest import client
from server import Server

CODE = "def handler(event, context):\n    return 'hello'\n"
URL = re.compile(r"http://([a-z0-9]{32})\.lambda-url\.us-east-1\.localhost:(\d+)/")


@pytest.fixture
def function(lam):
    name = unique("urlcfg")
    create_function(lam, name, CODE)
    return name


def test_create_answers_the_url_with_a_32_character_id_on_the_server_port(lam, server, function):
    created = lam.create_function_url_config(FunctionName=function, AuthType="NONE")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    match = URL.fullmatch(created["FunctionUrl"])
    assert match is not None and int(match[2]) == server.port
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{function}"
    assert created["AuthType"] == "NONE"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", created["CreationTime"])
    # As on AWS: no LastModifiedTime on create, no InvokeMode unless one was given.
    assert "LastModifiedTime" not in created and "InvokeMode" not in created
    fetched = lam.get_function_url_config(FunctionName=function)
    assert fetched["FunctionUrl"] == created["FunctionUrl"]
    assert fetched["LastModifiedTime"] == fetched["CreationTime"]


def test_a_second_url_for_the_same_function_is_a_conflict(lam, function):
    create_url(lam, function)
    with pytest.raises(ClientError) as caught:
        lam.create_function_url_config(FunctionName=function, AuthType="AWS_IAM")
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function}"
    assert error_of(caught) == (
        "ResourceConflictException",
        409,
        f"Failed to create function url config for [functionArn = {arn}]. Error message:  "
        "FunctionUrlConfig exists for this Lambda function",
    )


def test_update_changes_auth_cors_and_invoke_mode_and_keeps_the_url(lam, function):
    url = create_url(lam, function, InvokeMode="BUFFERED")
    cors = {"AllowOrigins": ["https://example.com"], "AllowMethods": ["GET"], "MaxAge": 60}
    updated = lam.update_function_url_config(
        FunctionName=function, AuthType="AWS_IAM", Cors=cors, InvokeMode="RESPONSE_STREAM"
    )
    assert updated["FunctionUrl"] == url
    assert (updated["AuthType"], updated["InvokeMode"]) == ("AWS_IAM", "RESPONSE_STREAM")
    assert updated["Cors"] == cors
    assert updated["LastModifiedTime"] >= updated["CreationTime"]
    kept = lam.update_function_url_config(FunctionName=function)
    assert (kept["AuthType"], kept["Cors"], kept["InvokeMode"]) == (
        "AWS_IAM",
        cors,
        "RESPONSE_STREAM",
    )
    cleared = lam.update_function_url_config(FunctionName=function, Cors={})
    assert "Cors" not in cleared


def test_an_alias_has_its_own_url_and_both_are_listed(lam, function):
    lam.publish_version(FunctionName=function)
    lam.create_alias(FunctionName=function, Name="live", FunctionVersion="1")
    latest = create_url(lam, function)
    aliased = lam.create_function_url_config(
        FunctionName=function, Qualifier="live", AuthType="NONE"
    )
    assert aliased["FunctionUrl"] != latest
    assert aliased["FunctionArn"].endswith(f":function:{function}:live")
    listed = lam.list_function_url_configs(FunctionName=function)["FunctionUrlConfigs"]
    assert [c["FunctionUrl"] for c in listed] == [latest, aliased["FunctionUrl"]]
    page = lam.list_function_url_configs(FunctionName=function, MaxItems=1)
    assert len(page["FunctionUrlConfigs"]) == 1 and page["NextMarker"]
    rest = lam.list_function_url_configs(FunctionName=function, Marker=page["NextMarker"])
    assert [c["FunctionUrl"] for c in rest["FunctionUrlConfigs"]] == [aliased["FunctionUrl"]]


def test_delete_removes_the_url_which_then_answers_403(lam, function):
    url = create_url(lam, function)
    assert call(url).status == 200
    deleted = lam.delete_function_url_config(FunctionName=function)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as caught:
        lam.get_function_url_config(FunctionName=function)
    assert error_of(caught) == (
        "ResourceNotFoundException",
        404,
        "The resource you requested does not exist.",
    )
    gone = call(url)
    assert gone.status == 403 and gone.headers["x-amzn-ErrorType"] == "AccessDeniedException"


def test_deleting_the_function_deletes_its_urls(lam, function):
    url = create_url(lam, function)
    lam.delete_function(FunctionName=function)
    create_function(lam, function, CODE)
    assert lam.list_function_url_configs(FunctionName=function)["FunctionUrlConfigs"] == []
    assert call(url).status == 403


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"AuthType": "SOMETIMES"},
            "1 validation error detected: Value 'SOMETIMES' at 'authType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [NONE, AWS_IAM]",
        ),
        (
            {"AuthType": "NONE", "InvokeMode": "UNKNOWN"},
            "1 validation error detected: Value 'UNKNOWN' at 'invokeMode' failed to satisfy "
            "constraint: Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]",
        ),
        (
            {"AuthType": "NONE", "Qualifier": "$LATEST"},
            "1 validation error detected: Value '$LATEST' at 'qualifier' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            r"((?!^\d+$)^[0-9a-zA-Z-_]+$)",
        ),
        (
            {"AuthType": "NONE", "Cors": {"MaxAge": 86401}},
            "1 validation error detected: Value 86401 at 'cors.maxAge' failed to satisfy "
            "constraint: Member must have value less than or equal to 86400",
        ),
    ],
)
def test_bad_settings_are_validation_errors(lam, function, settings, expected):
    with pytest.raises(ClientError) as caught:
        lam.create_function_url_config(FunctionName=function, **settings)
    assert error_of(caught) == ("ValidationException", 400, expected)


def test_a_version_is_no_url_qualifier(lam, function):
    lam.publish_version(FunctionName=function)
    with pytest.raises(ClientError) as caught:
        lam.create_function_url_config(FunctionName=function, Qualifier="1", AuthType="NONE")
    assert error_of(caught) == (
        "ValidationException",
        400,
        "1 validation error detected: Value '1' at 'qualifier' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: ((?!^\d+$)^[0-9a-zA-Z-_]+$)",
    )


def test_missing_functions_and_aliases_are_not_found(lam, function):
    def refusal(call_) -> tuple[str, int, str]:
        with pytest.raises(ClientError) as caught:
            call_()
        return error_of(caught)

    missing = ("ResourceNotFoundException", 404, "Function does not exist")
    absent = ("ResourceNotFoundException", 404, "The resource you requested does not exist.")
    assert refusal(lambda: create_url(lam, "no-such-function")) == missing
    assert refusal(lambda: create_url(lam, function, Qualifier="nope")) == missing
    assert refusal(lambda: lam.list_function_url_configs(FunctionName="no-such")) == missing
    assert refusal(lambda: lam.get_function_url_config(FunctionName="no-such")) == absent
    assert refusal(lambda: lam.get_function_url_config(FunctionName=function)) == absent
    assert refusal(lambda: lam.delete_function_url_config(FunctionName=function)) == absent
    assert (
        refusal(lambda: lam.update_function_url_config(FunctionName=function, AuthType="NONE"))
        == absent
    )


def test_the_aws_cli_creates_and_reads_a_url(server, function):
    created = aws_json(
        server,
        "lambda",
        "create-function-url-config",
        "--function-name",
        function,
        "--auth-type",
        "NONE",
        "--cors",
        "AllowOrigins=https://example.com,AllowMethods=GET",
    )
    assert URL.fullmatch(created["FunctionUrl"])
    fetched = aws_json(server, "lambda", "get-function-url-config", "--function-name", function)
    assert fetched["Cors"] == {"AllowOrigins": ["https://example.com"], "AllowMethods": ["GET"]}


@pytest.mark.slow
def test_urls_and_their_permissions_survive_a_restart(tmp_path):
    own = Server(tmp_path / "state").start()
    try:
        lam = client(own, "lambda")
        name = unique("kept")
        create_function(lam, name, CODE)
        url = create_url(lam, name, Cors={"AllowOrigins": ["*"]}, InvokeMode="BUFFERED")
        lam.add_permission(
            FunctionName=name,
            StatementId="public",
            Action="lambda:InvokeFunctionUrl",
            Principal="*",
            FunctionUrlAuthType="NONE",
        )
        own.restart()
        lam = client(own, "lambda")
        fetched = lam.get_function_url_config(FunctionName=name)
        assert (fetched["FunctionUrl"], fetched["InvokeMode"]) == (url, "BUFFERED")
        assert fetched["Cors"] == {"AllowOrigins": ["*"]}
        answer = call(url)
        assert (answer.status, answer.text) == (200, "hello")
        statements = json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"]
        assert [statement["Sid"] for statement in statements] == ["public"]
    finally:
        own.stop()
