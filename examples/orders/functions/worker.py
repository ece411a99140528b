"""The fulfilment worker: packs orders from the jobs queue, ten at a time.

An SQS event source mapping with ReportBatchItemFailures: an order that cannot be packed is
reported alone, so only it returns to the queue; after the queue's maxReceiveCount it moves
to the dead-letter queue, while the rest of its batch is done.
"""

import json
import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


def handler(event, context):
    failures = []
    for record in event["Records"]:
        order = json.loads(record["body"])
        if order["quantity"] <= 0:
            print(f"cannot pack order {order['id']}: quantity {order['quantity']}")
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        TABLE.update_item(
            Key={"id": order["id"]},
            UpdateExpression="SET #s = :packed",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":packed": "packed"},
        )
        print(f"packed order {order['id']}: {order['quantity']} x {order['item']}")
    return {"batchItemFailures": failures}
