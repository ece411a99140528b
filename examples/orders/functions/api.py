"""The orders API: POST /orders takes an order, GET /orders/{id} shows where it is.

One function behind an HTTP API (payload format 2.0). The connection to DynamoDB and SQS is
made once per execution environment, outside the handler, and reused by warm invocations.
"""

import json
import os
import uuid

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])
QUEUE_URL = os.environ["JOBS_QUEUE_URL"]
SQS = boto3.client("sqs")


def handler(event, context):
    method = event["requestContext"]["http"]["method"]
    if method == "POST":
        return create(json.loads(event.get("body") or "{}"))
    return show(event["pathParameters"]["id"])


def create(order):
    if not order.get("item") or not isinstance(order.get("quantity"), int):
        return {"statusCode": 400, "body": json.dumps({"error": "item and quantity required"})}
    order_id = str(uuid.uuid4())[:8]
    TABLE.put_item(Item={"id": order_id, "status": "received", **order})
    SQS.send_message(QueueUrl=QUEUE_URL, MessageBody=json.dumps({"id": order_id, **order}))
    return {"statusCode": 201, "body": json.dumps({"id": order_id, "status": "received"})}


def show(order_id):
    item = TABLE.get_item(Key={"id": order_id}).get("Item")
    if item is None:
        return {"statusCode": 404, "body": json.dumps({"error": "no such order"})}
    return {"statusCode": 200, "body": json.dumps(item, default=int)}  # Decimal -> int
