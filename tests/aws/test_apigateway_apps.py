"""Whole applications through API Gateway: Powertools' APIGatewayHttpResolver and
APIGatewayRestResolver apps answering unchanged, and the seeds' users API (one function per
endpoint: GET/POST /users, GET/PUT /users/{id}) backed by DynamoDB."""

from __future__ import annotations

import json
import os
from pathlib import Path

import aws_lambda_powertools
import typing_extensions
from apigw_support import lambda_integration, request, route, url
from lambda_support import ROLE, create_function, unique

from conftest import client

HTTP_APP = """
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
app = APIGatewayHttpResolver()

@app.get("/hello/<name>")
def hello(name):
    return {"message": f"hello {name}", "query": app.current_event.get_query_string_value("q")}

@app.post("/echo")
def echo():
    return {"got": app.current_event.json_body}

def handler(event, context):
    return app.resolve(event, context)
"""

REST_APP = HTTP_APP.replace("APIGatewayHttpResolver", "APIGatewayRestResolver")


def powertools_function(lam, directory: Path, source: str) -> str:
    """A function whose code directory holds the app and links to Powertools (installed in
    cloudlet's own environment: linked, not copied, so every run reuses it)."""
    directory.mkdir()
    (directory / "app.py").write_text(source)
    for module in (aws_lambda_powertools, typing_extensions):
        origin = Path(module.__file__)
        source_path = origin.parent if origin.name == "__init__.py" else origin
        os.symlink(source_path, directory / source_path.name)
    name = unique("powertools")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": "cloudlet-local", "S3Key": str(directory)},
        Timeout=30,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return str(lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"])


def test_a_powertools_http_resolver_answers_through_an_http_api(server, gw, lam, tmp_path):
    arn = powertools_function(lam, tmp_path / "http", HTTP_APP)
    api_id = gw.create_api(Name=unique("pt"), ProtocolType="HTTP", Target=arn)["ApiId"]
    hello = request(url(server, api_id, "/hello/ada?q=1"))
    assert (hello.status, hello.json()) == (200, {"message": "hello ada", "query": "1"})
    posted = request(
        url(server, api_id, "/echo"),
        "POST",
        body=json.dumps({"a": 1}),
        headers={"Content-Type": "application/json"},
    )
    assert posted.json() == {"got": {"a": 1}}
    assert request(url(server, api_id, "/nowhere")).status == 404  # Powertools' own 404


def test_a_powertools_rest_resolver_answers_through_a_rest_api(server, rest, lam, tmp_path):
    arn = powertools_function(lam, tmp_path / "rest", REST_APP)
    api = rest.create_rest_api(name=unique("pt"))
    proxy = rest.create_resource(
        restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}"
    )["id"]
    rest.put_method(
        restApiId=api["id"], resourceId=proxy, httpMethod="ANY", authorizationType="NONE"
    )
    rest.put_integration(
        restApiId=api["id"],
        resourceId=proxy,
        httpMethod="ANY",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations",
    )
    rest.create_deployment(restApiId=api["id"], stageName="prod")
    base = f"{server.endpoint}/execute-api/{api['id']}/prod"
    hello = request(f"{base}/hello/grace?q=2")
    assert (hello.status, hello.json()) == (200, {"message": "hello grace", "query": "2"})
    posted = request(
        f"{base}/echo", "POST", body='{"b": 2}', headers={"Content-Type": "application/json"}
    )
    assert posted.json() == {"got": {"b": 2}}


# -- the seeds' users API: one function per endpoint ----------------------------------------

USERS = {
    "list_users": """
import json, os, boto3
table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
def handler(event, context):
    items = sorted(table.scan()["Items"], key=lambda item: item["id"])
    return {"statusCode": 200, "body": json.dumps(items)}
""",
    "create_user": """
import json, os, uuid, boto3
table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
def handler(event, context):
    user = json.loads(event["body"])
    user["id"] = user.get("id") or uuid.uuid4().hex[:8]
    table.put_item(Item=user)
    return {"statusCode": 201, "headers": {"location": f"/users/{user['id']}"},
            "body": json.dumps(user)}
""",
    "get_user": """
import json, os, boto3
table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
def handler(event, context):
    item = table.get_item(Key={"id": event["pathParameters"]["id"]}).get("Item")
    if item is None:
        return {"statusCode": 404, "body": json.dumps({"error": "no such user"})}
    return {"statusCode": 200, "body": json.dumps(item)}
""",
    "update_user": """
import json, os, boto3
table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
def handler(event, context):
    user = {**json.loads(event["body"]), "id": event["pathParameters"]["id"]}
    table.put_item(Item=user)
    return {"statusCode": 200, "body": json.dumps(user)}
""",
}


def test_the_users_api_one_function_per_endpoint_backed_by_dynamodb(server, gw, lam):
    dynamodb = client(server, "dynamodb")
    table = unique("users")
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    api_id = gw.create_api(Name=unique("users"), ProtocolType="HTTP")["ApiId"]
    for key, name in (
        ("GET /users", "list_users"),
        ("POST /users", "create_user"),
        ("GET /users/{id}", "get_user"),
        ("PUT /users/{id}", "update_user"),
    ):
        arn = create_function(
            lam, unique(name), USERS[name], Environment={"Variables": {"TABLE": table}}
        )["FunctionArn"]
        route(gw, api_id, key, lambda_integration(gw, api_id, arn))
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    base = url(server, api_id, "/users")
    as_json = {"Content-Type": "application/json"}
    created = request(base, "POST", body=json.dumps({"id": "u1", "name": "Ada"}), headers=as_json)
    assert created.status == 201, created.body
    assert created.headers["location"] == "/users/u1"
    request(base, "POST", body=json.dumps({"id": "u2", "name": "Grace"}), headers=as_json)
    assert request(f"{base}/u1").json() == {"id": "u1", "name": "Ada"}
    updated = request(
        f"{base}/u1", "PUT", body=json.dumps({"name": "Ada Lovelace"}), headers=as_json
    )
    assert updated.json() == {"id": "u1", "name": "Ada Lovelace"}
    assert [u["name"] for u in request(base).json()] == ["Ada Lovelace", "Grace"]
    assert request(f"{base}/nobody").status == 404
    stored = dynamodb.get_item(TableName=table, Key={"id": {"S": "u1"}})["Item"]
    assert stored["name"] == {"S": "Ada Lovelace"}
