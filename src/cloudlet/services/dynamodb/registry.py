"""Every account's and region's tables, in memory as a cache of their rows.

Lookups never touch the store; a change writes the row, then updates the cache once the
write has committed (the writer thread sees the same objects, which change only then).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson

from cloudlet.services.dynamodb.errors import resource_not_found
from cloudlet.services.dynamodb.tables import Table
from cloudlet.store import Store, Tx

TableKey = tuple[str, str, str]  # account, region, name


class TableRegistry:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.by_key: dict[TableKey, Table] = {}
        self.by_id: dict[int, Table] = {}
        # Held by the operations that change a table's definition, one at a time.
        self.changing = asyncio.Lock()
        for table in store.read_now(_load):
            self.add(table)

    def __len__(self) -> int:
        return len(self.by_key)

    def get(self, account: str, region: str, name: str) -> Table | None:
        return self.by_key.get((account, region, table_name(name)))

    def require(self, account: str, region: str, name: str) -> Table:
        """The table, or DynamoDB's ResourceNotFoundException for item operations."""
        table = self.by_key.get((account, region, table_name(name)))
        if table is None:
            raise resource_not_found()
        return table

    def by_arn(self, arn: str) -> Table | None:
        parts = arn.split(":", 5)
        if len(parts) != 6 or not parts[5].startswith("table/"):
            return None
        name = parts[5][len("table/") :].split("/", 1)[0]
        return self.by_key.get((parts[4], parts[3], name))

    def in_region(self, account: str, region: str) -> list[Table]:
        return sorted(
            (t for t in self.by_key.values() if t.account == account and t.region == region),
            key=lambda table: table.name,
        )

    def add(self, table: Table) -> None:
        self.by_key[(table.account, table.region, table.name)] = table
        self.by_id[table.id] = table

    def remove(self, table: Table) -> None:
        self.by_key.pop((table.account, table.region, table.name), None)
        self.by_id.pop(table.id, None)

    async def save(self, table: Table, also: Callable[[Tx], Any] | None = None) -> Any:
        """Store the table's definition (and run `also` in the same transaction)."""
        meta = orjson.dumps(table.to_json()).decode()

        def write(tx: Tx) -> Any:
            tx.execute("UPDATE ddb_tables SET meta = ? WHERE id = ?", (meta, table.id))
            return also(tx) if also is not None else None

        return await self.store.write(write)


def table_name(name: str) -> str:
    """The table's name, given its name or its ARN (AWS takes either in TableName)."""
    if name.startswith("arn:"):
        return name.rpartition("table/")[2].split("/", 1)[0]
    return name


def _load(tx: Tx) -> list[Table]:
    rows = tx.execute("SELECT id, account, region, name, meta FROM ddb_tables").fetchall()
    return [Table.from_row(tuple(row[:4]), orjson.loads(row[4])) for row in rows]
