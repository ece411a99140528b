"""A producer and two consumers sharing an SQS queue, through plain boto3.

Point it at any SQS endpoint with AWS_ENDPOINT_URL (cloudlet: http://localhost:4566).
"""

from __future__ import annotations

import json
import threading
import time

import boto3

ORDERS = 20


def produce(sqs, url: str) -> None:
    for number in range(1, ORDERS + 1):
        body = json.dumps({"order": number, "item": "widget", "quantity": number % 3 + 1})
        sqs.send_message(QueueUrl=url, MessageBody=body)
    print(f"producer: sent {ORDERS} orders")


def consume(name: str, url: str, done: list[int], lock: threading.Lock) -> None:
    sqs = boto3.client("sqs")
    while True:
        with lock:
            if len(done) >= ORDERS:
                return
        # Long polling: the call returns as soon as a message arrives, or after 1 s.
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5, WaitTimeSeconds=1)
        for message in answer.get("Messages", []):
            order = json.loads(message["Body"])
            with lock:
                done.append(order["order"])
            print(f"{name}: packed order {order['order']} ({order['quantity']} x {order['item']})")
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def main() -> None:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "10"})["QueueUrl"]
    print(f"queue: {url}")
    done: list[int] = []
    lock = threading.Lock()
    workers = [
        threading.Thread(target=consume, args=(f"worker-{i}", url, done, lock)) for i in (1, 2)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    produce(sqs, url)
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    print(
        f"all {len(done)} orders packed in {elapsed:.2f}s; "
        f"messages left in the queue: {left['Attributes']['ApproximateNumberOfMessages']}"
    )


if __name__ == "__main__":
    main()
