"""An orders backend, the seeds' patterns end to end, deployed and exercised with boto3.

    client -> API Gateway (HTTP API) -> Lambda `orders-api` -> DynamoDB `orders`
                                                       \\-> SQS `order-jobs`
    SQS `order-jobs` -> event source mapping (batches of 10, partial batch failures)
                     -> Lambda `orders-worker` -> DynamoDB (status "packed")
    an order the worker cannot pack -> retried alone -> SQS `order-jobs-dlq`

Point it at any endpoint with AWS_ENDPOINT_URL (cloudlet: http://localhost:4566);
`./run example` starts cloudlet and runs it.
"""

from __future__ import annotations

import io
import json
import os
import time
import urllib.request
import zipfile
from pathlib import Path

import boto3

HERE = Path(__file__).parent
ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "http://localhost:4566")
ROLE = "arn:aws:iam::000000000000:role/orders-app"
ORDERS = [("widget", 2), ("gadget", 1), ("sprocket", 5), ("gizmo", 0), ("doohickey", 3)]


def package(module: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(HERE / "functions" / f"{module}.py", f"{module}.py")
    return buffer.getvalue()


def deploy() -> tuple[str, str]:
    """Create the table, queues, functions, mapping and API; return (API id, DLQ url)."""
    dynamodb, sqs, iam = boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("iam")
    lambda_, apigw = boto3.client("lambda"), boto3.client("apigatewayv2")

    dynamodb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.get_waiter("table_exists").wait(TableName="orders")
    dlq_url = sqs.create_queue(QueueName="order-jobs-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
    redrive = {"deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"], "maxReceiveCount": "2"}
    jobs_url = sqs.create_queue(
        QueueName="order-jobs",
        # A failed message is retried once its visibility timeout (at least the worker's
        # timeout, as Lambda requires) has passed.
        Attributes={"VisibilityTimeout": "3", "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    jobs_arn = sqs.get_queue_attributes(QueueUrl=jobs_url, AttributeNames=["QueueArn"])
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="orders-app", AssumeRolePolicyDocument=json.dumps(trust))
    environment = {"Variables": {"ORDERS_TABLE": "orders", "JOBS_QUEUE_URL": jobs_url}}
    for name, module, timeout in (("orders-api", "api", 10), ("orders-worker", "worker", 3)):
        lambda_.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=ROLE,
            Handler=f"{module}.handler",
            Code={"ZipFile": package(module)},
            Environment=environment,
            Timeout=timeout,
        )
        lambda_.get_waiter("function_active_v2").wait(FunctionName=name)
    lambda_.create_event_source_mapping(
        EventSourceArn=jobs_arn["Attributes"]["QueueArn"],
        FunctionName="orders-worker",
        BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    api = apigw.create_api(Name="orders", ProtocolType="HTTP")["ApiId"]
    api_arn = lambda_.get_function(FunctionName="orders-api")["Configuration"]["FunctionArn"]
    integration = apigw.create_integration(
        ApiId=api,
        IntegrationType="AWS_PROXY",
        IntegrationUri=api_arn,
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    for route in ("POST /orders", "GET /orders/{id}"):
        apigw.create_route(ApiId=api, RouteKey=route, Target=f"integrations/{integration}")
    apigw.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    return api, dlq_url


def call(api: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """An HTTP request to the API (the path form of its invoke URL: no DNS needed)."""
    request = urllib.request.Request(
        f"{ENDPOINT}/execute-api/{api}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def main() -> None:
    started = time.perf_counter()
    api, dlq_url = deploy()
    print(f"deployed in {time.perf_counter() - started:.2f}s: table, 2 queues, 2 functions,")
    print(f"  an event source mapping and HTTP API {api} ({ENDPOINT}/execute-api/{api}/orders)")

    placed = []
    for item, quantity in ORDERS:
        sent = time.perf_counter()
        status, answer = call(api, "POST", "/orders", {"item": item, "quantity": quantity})
        took = (time.perf_counter() - sent) * 1000
        print(f"POST /orders {item} x{quantity} -> {status} {answer} ({took:.1f} ms)")
        placed.append((answer["id"], quantity))
    status, answer = call(api, "POST", "/orders", {"item": "nothing"})
    print(f"POST /orders without a quantity -> {status} {answer}")

    good = {order for order, quantity in placed if quantity > 0}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        packed = {
            order
            for order in good
            if call(api, "GET", f"/orders/{order}")[1].get("status") == "packed"
        }
        dead = boto3.client("sqs").receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1)
        if packed == good and dead.get("Messages"):
            break
    print(f"packed by the worker: {len(packed)} of {len(good)} good orders")
    poison = json.loads(dead["Messages"][0]["Body"]) if dead.get("Messages") else None
    print(f"dead-lettered after 2 tries: {poison}")
    order, _ = placed[0]
    print(f"GET /orders/{order} -> {call(api, 'GET', f'/orders/{order}')}")
    if packed != good or poison is None:
        raise SystemExit("the example did not finish as expected")
    print(f"done in {time.perf_counter() - started:.2f}s; try `cloudlet logs orders-worker`")


if __name__ == "__main__":
    main()
