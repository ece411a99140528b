"""Every account's and region's queues, kept in memory as a cache of their rows.

Lookups (by name, URL, ARN, id) never touch the store; every change writes the row first and
updates the cache in the same call, once the write has committed.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson

from cloudlet.services.sqs.errors import queue_does_not_exist
from cloudlet.services.sqs.queues import Key, Queue, parse_queue_url
from cloudlet.services.sqs.redrive import parse_queue_arn
from cloudlet.store import Store, Tx

# Distinct queue URLs remembered already parsed; beyond this the memo starts afresh.
_URL_MEMO_SIZE = 10_000


class QueueRegistry:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.by_key: dict[Key, Queue] = {}
        self.by_id: dict[int, Queue] = {}
        # When each recently deleted queue went (QueueDeletedRecently), by key.
        self.deleted: dict[Key, float] = {}
        self._url_keys: dict[tuple[str, str, str], Key] = {}
        # Held by CreateQueue, whose check for an existing queue and insert go as one.
        self.creating = asyncio.Lock()
        for queue in store.read_now(_load):
            self._add(queue)

    def __len__(self) -> int:
        return len(self.by_key)

    def get(self, key: Key) -> Queue | None:
        return self.by_key.get(key)

    def resolve(self, url: str, account: str, region: str) -> Queue:
        """The queue `url` names for a caller of `account` in `region`; QueueDoesNotExist."""
        memo = (url, account, region)
        key = self._url_keys.get(memo)
        if key is None:
            key = parse_queue_url(url, account, region)
            if len(self._url_keys) >= _URL_MEMO_SIZE:
                self._url_keys.clear()
            self._url_keys[memo] = key
        queue = self.by_key.get(key)
        if queue is None:
            raise queue_does_not_exist()
        return queue

    def by_arn(self, arn: str) -> Queue | None:
        key = parse_queue_arn(arn)
        return self.by_key.get(key) if key else None

    def in_region(self, account: str, region: str) -> list[Queue]:
        """The queues of `account` in `region`, by name."""
        return sorted(
            (q for q in self.by_key.values() if q.account == account and q.region == region),
            key=lambda queue: queue.name,
        )

    def deleted_within(self, key: Key, window: float, now: float) -> bool:
        deleted = self.deleted.get(key)
        return deleted is not None and now - deleted < window

    async def create(
        self, key: Key, attributes: dict[str, str], tags: dict[str, str], now: float
    ) -> Queue:
        def insert(tx: Tx) -> int:
            return int(
                tx.execute(
                    "INSERT INTO sqs_queues (account, region, name, attributes, tags, created,"
                    " modified) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (*key, _json(attributes), _json(tags), now, now),
                ).fetchone()[0]
            )

        queue = Queue(await self.store.write(insert), *key, attributes, tags, now, now)
        self._add(queue)
        return queue

    async def save(self, queue: Queue, attributes: dict[str, str], tags: dict[str, str]) -> None:
        """Store a queue's new attributes and tags, then show them."""
        now = time.time()
        row = (_json(attributes), _json(tags), now, queue.id)
        await self.store.write(
            lambda tx: tx.execute(
                "UPDATE sqs_queues SET attributes = ?, tags = ?, modified = ? WHERE id = ?", row
            )
        )
        queue.attributes = attributes
        queue.tags = tags
        queue.modified = now
        queue.settle()

    async def delete(self, queue: Queue) -> None:
        """Delete a queue with its messages and what SQS remembers for it."""

        def delete(tx: Tx) -> None:
            tx.execute("DELETE FROM sqs_messages WHERE queue_id = ?", (queue.id,))
            tx.execute("DELETE FROM sqs_dedup WHERE queue_id = ?", (queue.id,))
            tx.execute("DELETE FROM sqs_receive_attempts WHERE queue_id = ?", (queue.id,))
            tx.execute("DELETE FROM sqs_queues WHERE id = ?", (queue.id,))

        await self.store.write(delete)
        self.by_key.pop(queue.key, None)
        self.by_id.pop(queue.id, None)
        self.deleted[queue.key] = time.time()

    def _add(self, queue: Queue) -> None:
        self.by_key[queue.key] = queue
        self.by_id[queue.id] = queue
        self.deleted.pop(queue.key, None)


def _load(tx: Tx) -> list[Queue]:
    rows = tx.execute(
        "SELECT id, account, region, name, attributes, tags, created, modified FROM sqs_queues"
    ).fetchall()
    return [
        Queue(row[0], row[1], row[2], row[3], orjson.loads(row[4]), orjson.loads(row[5]),
              row[6], row[7])
        for row in rows
    ]  # fmt: skip


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()
