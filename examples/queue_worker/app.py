"""A producer and two consumers sharing an SQS queue, and a dead-letter queue for the message
no consumer can handle, through plain boto3.

Point it at any SQS endpoint with AWS_ENDPOINT_URL (cloudlet: http://localhost:4566).
"""

from __future__ import annotations

import json
import threading
import time

import boto3

ORDERS = 20
# A consumer gets a message this many times before SQS gives up and dead-letters it.
MAX_RECEIVES = 2


def produce(sqs, url: str) -> None:
    # A poison message first: its quantity is no number, so every consumer fails on it.
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"order": 0, "quantity": "lots"}))
    for number in range(1, ORDERS + 1):
        body = json.dumps({"order": number, "item": "widget", "quantity": number % 3 + 1})
        sqs.send_message(QueueUrl=url, MessageBody=body)
    print(f"producer: sent {ORDERS} orders and one poison message")


def consume(name: str, url: str, done: list[int], caught: threading.Event) -> None:
    sqs = boto3.client("sqs")
    while len(done) < ORDERS or not caught.is_set():
        # Long polling: the call returns as soon as a message arrives, or after 1 s.
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5, WaitTimeSeconds=1)
        for message in answer.get("Messages", []):
            order = json.loads(message["Body"])
            try:
                boxes = int(order["quantity"])
            except ValueError:
                print(f"{name}: cannot pack order {order['order']}, giving it back")
                # Visible again at once, for another try (until SQS dead-letters it).
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
                continue
            done.append(order["order"])
            print(f"{name}: packed order {order['order']} ({boxes} x {order['item']})")
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def watch_dead_letters(dlq_url: str, caught: threading.Event) -> None:
    sqs = boto3.client("sqs")
    while not caught.is_set():
        answer = sqs.receive_message(
            QueueUrl=dlq_url, WaitTimeSeconds=1, MessageSystemAttributeNames=["All"]
        )
        for message in answer.get("Messages", []):
            attributes = message["Attributes"]
            print(
                f"dead-letter queue: caught {message['Body']} from "
                f"{attributes['DeadLetterQueueSourceArn']} (received "
                f"{attributes['ApproximateReceiveCount']} times in all)"
            )
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            caught.set()


def main() -> None:
    sqs = boto3.client("sqs")
    dlq_url = sqs.create_queue(QueueName="orders-dead-letters")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES}
    url = sqs.create_queue(
        QueueName="orders",
        Attributes={"VisibilityTimeout": "10", "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    print(f"queue: {url} (dead letters go to {dlq_url})")
    done: list[int] = []
    caught = threading.Event()
    threads = [
        threading.Thread(target=consume, args=(f"worker-{i}", url, done, caught)) for i in (1, 2)
    ]
    threads.append(threading.Thread(target=watch_dead_letters, args=(dlq_url, caught)))
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    produce(sqs, url)
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    print(
        f"all {len(done)} orders packed in {elapsed:.2f}s, the poison one dead-lettered; "
        f"messages left in the queue: {left['Attributes']['ApproximateNumberOfMessages']}"
    )


if __name__ == "__main__":
    main()
