"""The SQS provider: queues in memory (a cache of their rows), messages in the store."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any

import orjson

from cloudlet.services.base import RequestContext, Service
from cloudlet.services.sqs.errors import (
    QUERY_CODES,
    STATUS,
    invalid_parameter,
    queue_does_not_exist,
    sqs_error,
)
from cloudlet.services.sqs.messages import (
    md5_of_attributes,
    md5_of_body,
    new_receipt,
    parse_receipt,
)
from cloudlet.services.sqs.query_traits import add_query_traits
from cloudlet.services.sqs.queues import (
    Queue,
    check_name,
    default_attributes,
    normalize_attributes,
    parse_queue_url,
)
from cloudlet.services.sqs.schema import MIGRATIONS
from cloudlet.store import Tx

_INVALID_CHARACTERS = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Key = tuple[str, str, str]  # account, region, name


class SqsService(Service):
    name = "sqs"
    migrations = MIGRATIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queues: dict[Key, Queue] = {}
        self.waiters: dict[int, set[asyncio.Future[None]]] = {}
        for queue in self.store.read_now(_load_queues):
            self.queues[(queue.account, queue.region, queue.name)] = queue

    def patch_model(self, model: dict[str, Any]) -> None:
        for name, code in QUERY_CODES.items():
            model["shapes"][name]["error"] = {
                "code": code,
                "httpStatusCode": STATUS.get(name, 400),
                "senderFault": True,
            }
        add_query_traits(model)

    def status(self) -> dict[str, Any]:
        return {"queues": len(self.queues)}

    # -- queues ---------------------------------------------------------------------------

    def _queue(self, ctx: RequestContext, url: str) -> Queue:
        account, region, name = parse_queue_url(url, ctx.region)
        queue = self.queues.get((account, region, name))
        if queue is None:
            raise queue_does_not_exist()
        return queue

    async def create_queue(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["QueueName"]
        given = request.get("Attributes") or {}
        check_name(name, given)
        fifo = name.endswith(".fifo")
        attributes = normalize_attributes(given, creating=True, fifo=fifo)
        key = (ctx.account_id, ctx.region, name)
        existing = self.queues.get(key)
        if existing is not None:
            for attribute, value in attributes.items():
                if existing.attributes.get(attribute) != value:
                    raise sqs_error(
                        "QueueNameExists",
                        "A queue already exists with the same name and a different value for "
                        f"attribute {attribute}",
                    )
            return {"QueueUrl": existing.url(ctx.endpoint)}
        now = time.time()
        full = {**default_attributes(fifo), **attributes}
        tags = request.get("tags") or {}

        def insert(tx: Tx) -> int:
            return int(
                tx.execute(
                    "INSERT INTO sqs_queues (account, region, name, attributes, tags, created,"
                    " modified) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (*key, orjson.dumps(full).decode(), orjson.dumps(tags).decode(), now, now),
                ).fetchone()[0]
            )

        queue_id = await self.store.write(insert)
        queue = Queue(queue_id, *key, full, tags, now, now)
        self.queues[key] = queue
        return {"QueueUrl": queue.url(ctx.endpoint)}

    async def get_queue_url(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        account = request.get("QueueOwnerAWSAccountId") or ctx.account_id
        queue = self.queues.get((account, ctx.region, request["QueueName"]))
        if queue is None:
            raise queue_does_not_exist()
        return {"QueueUrl": queue.url(ctx.endpoint)}

    async def list_queues(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        prefix = request.get("QueueNamePrefix") or ""
        names = sorted(
            name
            for (account, region, name) in self.queues
            if account == ctx.account_id and region == ctx.region and name.startswith(prefix)
        )
        limit = request.get("MaxResults")
        if limit is not None and not 1 <= limit <= 1000:
            raise invalid_parameter(
                f"Value {limit} for parameter MaxResults is invalid. Reason: must be between 1 "
                "and 1000."
            )
        start = 0
        if request.get("NextToken"):
            token = request["NextToken"]
            start = next((i for i, name in enumerate(names) if name > token), len(names))
        page = names[start : start + limit] if limit else names[start : start + 1000]
        result: dict[str, Any] = {}
        if page:
            result["QueueUrls"] = [f"{ctx.endpoint}/{ctx.account_id}/{name}" for name in page]
        if limit and start + limit < len(names):
            result["NextToken"] = page[-1]
        return result

    async def delete_queue(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        queue = self._queue(ctx, request["QueueUrl"])

        def delete(tx: Tx) -> None:
            tx.execute("DELETE FROM sqs_messages WHERE queue_id = ?", (queue.id,))
            tx.execute("DELETE FROM sqs_queues WHERE id = ?", (queue.id,))

        await self.store.write(delete)
        self.queues.pop((queue.account, queue.region, queue.name), None)
        self._wake(queue.id)

    async def get_queue_attributes(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        queue = self._queue(ctx, request["QueueUrl"])
        wanted = request.get("AttributeNames") or []
        if not wanted:
            return {}
        now = time.time()

        def count(tx: Tx) -> tuple[int, int, int]:
            visible, invisible, delayed = tx.execute(
                "SELECT"
                " SUM(CASE WHEN visible_at <= ? THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN visible_at > ? AND receive_count > 0 THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN visible_at > ? AND receive_count = 0 THEN 1 ELSE 0 END)"
                " FROM sqs_messages WHERE queue_id = ?",
                (now, now, now, queue.id),
            ).fetchone()
            return visible or 0, invisible or 0, delayed or 0

        visible, invisible, delayed = await self.store.read(count)
        everything = {
            **queue.attributes,
            "QueueArn": queue.arn,
            "CreatedTimestamp": str(int(queue.created)),
            "LastModifiedTimestamp": str(int(queue.modified)),
            "ApproximateNumberOfMessages": str(visible),
            "ApproximateNumberOfMessagesNotVisible": str(invisible),
            "ApproximateNumberOfMessagesDelayed": str(delayed),
        }
        if "All" in wanted:
            return {"Attributes": everything}
        return {"Attributes": {name: everything[name] for name in wanted if name in everything}}

    # -- messages -------------------------------------------------------------------------

    async def send_message(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(ctx, request["QueueUrl"])
        body = request["MessageBody"]
        attributes = request.get("MessageAttributes") or {}
        _check_body(body, attributes, queue.number("MaximumMessageSize"))
        delay = request.get("DelaySeconds")
        if delay is None:
            delay = queue.number("DelaySeconds")
        elif not 0 <= delay <= 900:
            raise invalid_parameter(
                f"Value {delay} for parameter DelaySeconds is invalid. Reason: must be between "
                "0 and 900, if provided."
            )
        now = time.time()
        message_id = str(uuid.uuid4())
        encoded = _encode_attributes(attributes) if attributes else None
        row = (queue.id, message_id, body, encoded, None, now, now + delay)

        def insert(tx: Tx) -> None:
            tx.execute(
                "INSERT INTO sqs_messages (queue_id, message_id, body, message_attributes,"
                " system_attributes, sent_at, visible_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )

        await self.store.write(insert)
        if not delay:
            self._wake(queue.id)
        result = {"MessageId": message_id, "MD5OfMessageBody": md5_of_body(body)}
        if attributes:
            result["MD5OfMessageAttributes"] = md5_of_attributes(attributes)
        return result

    async def receive_message(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(ctx, request["QueueUrl"])
        limit = request.get("MaxNumberOfMessages", 1)
        if not 1 <= limit <= 10:
            raise invalid_parameter(
                f"Value {limit} for parameter MaxNumberOfMessages is invalid. Reason: Must be "
                "between 1 and 10, if provided."
            )
        visibility = request.get("VisibilityTimeout")
        if visibility is None:
            visibility = queue.number("VisibilityTimeout")
        wait = request.get("WaitTimeSeconds")
        if wait is None:
            wait = queue.number("ReceiveMessageWaitTimeSeconds")
        elif not 0 <= wait <= 20:
            raise invalid_parameter(
                f"Value {wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 "
                "and <= 20, if provided."
            )
        deadline = time.monotonic() + wait
        while True:
            rows, next_visible = await self.store.write(
                lambda tx: _claim(tx, queue.id, limit, visibility, time.time())
            )
            left = deadline - time.monotonic()
            if rows or left <= 0:
                break
            if next_visible is not None:
                left = min(left, max(next_visible - time.time(), 0.001))
            await self._wait(queue.id, left)
        if not rows:
            return {}
        return {"Messages": [_message(row, request) for row in rows]}

    async def delete_message(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        queue = self._queue(ctx, request["QueueUrl"])
        handle = request["ReceiptHandle"]
        queue_id, seq, nonce = parse_receipt(handle)
        if queue_id != queue.id:
            raise sqs_error(
                "ReceiptHandleIsInvalid",
                f'The input receipt handle "{handle}" is not a valid receipt handle.',
            )

        def delete(tx: Tx) -> None:
            # A stale handle (the message was received again since) deletes nothing, and
            # still succeeds, as on AWS.
            tx.execute(
                "DELETE FROM sqs_messages WHERE seq = ? AND queue_id = ? AND receipt = ?",
                (seq, queue.id, nonce),
            )

        await self.store.write(delete)

    # -- long polling ---------------------------------------------------------------------

    async def _wait(self, queue_id: int, timeout: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.setdefault(queue_id, set()).add(future)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            pass
        finally:
            waiting = self.waiters.get(queue_id)
            if waiting is not None:
                waiting.discard(future)

    def _wake(self, queue_id: int) -> None:
        for future in self.waiters.pop(queue_id, ()):
            if not future.done():
                future.set_result(None)


def _load_queues(tx: Tx) -> list[Queue]:
    rows = tx.execute(
        "SELECT id, account, region, name, attributes, tags, created, modified FROM sqs_queues"
    ).fetchall()
    return [
        Queue(
            row[0],
            row[1],
            row[2],
            row[3],
            orjson.loads(row[4]),
            orjson.loads(row[5]),
            row[6],
            row[7],
        )
        for row in rows
    ]


def _claim(
    tx: Tx, queue_id: int, limit: int, visibility: int, now: float
) -> tuple[list[tuple[Any, ...]], float | None]:
    """Take up to `limit` visible messages out of sight for `visibility` seconds."""
    rows = tx.execute(
        "SELECT seq, message_id, body, message_attributes, system_attributes, sent_at,"
        " receive_count, first_received_at FROM sqs_messages"
        " WHERE queue_id = ? AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?",
        (queue_id, now, limit),
    ).fetchall()
    if not rows:
        next_visible = tx.execute(
            "SELECT MIN(visible_at) FROM sqs_messages WHERE queue_id = ?", (queue_id,)
        ).fetchone()[0]
        return [], next_visible
    claimed = []
    for seq, message_id, body, attributes, system, sent_at, count, first in rows:
        handle, nonce = new_receipt(queue_id, seq)
        tx.execute(
            "UPDATE sqs_messages SET visible_at = ?, receive_count = receive_count + 1,"
            " first_received_at = COALESCE(first_received_at, ?), receipt = ? WHERE seq = ?",
            (now + visibility, now, nonce, seq),
        )
        claimed.append(
            (message_id, handle, body, attributes, system, sent_at, count + 1, first or now)
        )
    return claimed, None


def _message(row: tuple[Any, ...], request: dict[str, Any]) -> dict[str, Any]:
    message_id, handle, body, encoded, _system, sent_at, count, first = row
    message: dict[str, Any] = {
        "MessageId": message_id,
        "ReceiptHandle": handle,
        "MD5OfBody": md5_of_body(body),
        "Body": body,
    }
    wanted = set(request.get("MessageSystemAttributeNames") or []) | set(
        request.get("AttributeNames") or []
    )
    if wanted:
        every = {
            "SenderId": "AIDAIT2UOQQY3AUEKVGXU",
            "SentTimestamp": str(int(sent_at * 1000)),
            "ApproximateReceiveCount": str(count),
            "ApproximateFirstReceiveTimestamp": str(int(first * 1000)),
        }
        chosen = every if "All" in wanted else {k: v for k, v in every.items() if k in wanted}
        if chosen:
            message["Attributes"] = chosen
    names = request.get("MessageAttributeNames") or []
    if encoded and names:
        attributes = _decode_attributes(encoded)
        selected = _select_attributes(attributes, names)
        if selected:
            message["MessageAttributes"] = selected
            message["MD5OfMessageAttributes"] = md5_of_attributes(selected)
    return message


def _select_attributes(attributes: dict[str, Any], names: list[str]) -> dict[str, Any]:
    if "All" in names or ".*" in names:
        return attributes
    prefixes = tuple(name[:-2] for name in names if name.endswith(".*"))
    exact = set(names)
    return {
        name: value
        for name, value in attributes.items()
        if name in exact or (prefixes and name.startswith(prefixes))
    }


def _check_body(body: str, attributes: dict[str, Any], limit: int) -> None:
    if _INVALID_CHARACTERS.search(body):
        raise sqs_error(
            "InvalidMessageContents",
            "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to "
            "#xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
        )
    size = len(body.encode("utf-8"))
    for name, value in attributes.items():
        size += len(name.encode()) + len(value.get("DataType", "").encode())
        if value.get("BinaryValue") is not None:
            size += len(value["BinaryValue"])
        else:
            size += len(str(value.get("StringValue", "")).encode())
    if size > limit:
        raise invalid_parameter(
            f"One or more parameters are invalid. Reason: Message must be shorter than {limit} "
            "bytes."
        )


def _encode_attributes(attributes: dict[str, Any]) -> str:
    plain = {
        name: {
            key: (value.hex() if isinstance(value, bytes) else value)
            for key, value in attribute.items()
        }
        for name, attribute in attributes.items()
    }
    return orjson.dumps(plain).decode()


def _decode_attributes(encoded: str) -> dict[str, Any]:
    attributes = orjson.loads(encoded)
    for attribute in attributes.values():
        if "BinaryValue" in attribute:
            attribute["BinaryValue"] = bytes.fromhex(attribute["BinaryValue"])
    return attributes
