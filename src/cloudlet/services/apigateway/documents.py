"""API Gateway's state: JSON documents (an API with everything in it, an API key, a usage
plan) kept in memory by (account, region, id), each a row written through on change."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from cloudlet.store import Migration, Store, Tx

Key = tuple[str, str, str]  # account, region, id


def documents_table(table: str) -> Migration:
    """The migration creating a table of documents, one row per (account, region, kind, id)."""
    return f"""
    CREATE TABLE {table} (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (account, region, kind, id)
    );
    """


class Documents:
    """Every document of one kind, loaded at start-up; `save` and `delete` commit first."""

    def __init__(self, store: Store, table: str, kind: str) -> None:
        self.store = store
        self.table = table
        self.kind = kind
        self.items: dict[Key, dict[str, Any]] = {}
        store.read_now(self._load)

    def _load(self, tx: Tx) -> None:
        rows = tx.execute(
            f"SELECT account, region, id, data FROM {self.table} WHERE kind = ?", (self.kind,)
        )
        for account, region, ident, data in rows:
            self.items[(account, region, ident)] = orjson.loads(data)

    def get(self, key: Key) -> dict[str, Any] | None:
        return self.items.get(key)

    def of(self, account: str, region: str) -> Iterator[dict[str, Any]]:
        """The documents of one account and region, oldest first."""
        for (owner, where, _), document in self.items.items():
            if owner == account and where == region:
                yield document

    async def save(self, key: Key, document: dict[str, Any]) -> None:
        data = orjson.dumps(document).decode()

        def write(tx: Tx) -> None:
            tx.execute(
                f"INSERT INTO {self.table} (account, region, kind, id, data) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, region, kind, id) "
                "DO UPDATE SET data = excluded.data",
                (*key[:2], self.kind, key[2], data),
            )

        await self.store.write(write)
        self.items[key] = document

    async def delete(self, key: Key) -> None:
        def write(tx: Tx) -> None:
            tx.execute(
                f"DELETE FROM {self.table} WHERE account = ? AND region = ? AND kind = ? "
                "AND id = ?",
                (*key[:2], self.kind, key[2]),
            )

        await self.store.write(write)
        self.items.pop(key, None)
