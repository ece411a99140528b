"""Item rows: read one, and change one with its index rows and stream record, in one Tx.

Everything here runs inside a store transaction (the writer's for changes), so a write
that raises leaves nothing behind, and an item, its index entries and its stream record
commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from cloudlet.services.dynamodb.errors import item_too_large
from cloudlet.services.dynamodb.keys import Key
from cloudlet.services.dynamodb.size import MAX_ITEM_BYTES, item_size
from cloudlet.services.dynamodb.streams import append_record, build_record
from cloudlet.services.dynamodb.tables import Index, Table
from cloudlet.services.dynamodb.values import Item, equal
from cloudlet.store import Tx


def load_item(tx: Tx, table: Table, key: Key) -> Item | None:
    row = tx.execute(
        "SELECT item FROM ddb_items WHERE table_id = ? AND pk = ? AND sk = ?",
        (table.id, key[0], key[1]),
    ).fetchone()
    return orjson.loads(row[0]) if row else None


def load_raw(tx: Tx, table: Table, key: Key) -> bytes | None:
    """The stored JSON of an item (sent back as is by GetItem)."""
    row = tx.execute(
        "SELECT item FROM ddb_items WHERE table_id = ? AND pk = ? AND sk = ?",
        (table.id, key[0], key[1]),
    ).fetchone()
    return bytes(row[0]) if row else None


@dataclass
class Change:
    """One item's change, checked and ready to write: `new` None deletes."""

    table: Table
    key: Key
    old: Item | None
    new: Item | None
    size: int = 0
    index_keys: list[tuple[Index, Key | None]] = field(default_factory=list)


def prepare_change(
    table: Table, key: Key, old: Item | None, new: Item | None, update: bool = False
) -> Change:
    """Check the new item (size, index key types) before anything is written."""
    change = Change(table, key, old, new)
    if new is not None:
        change.size = item_size(new)
        if change.size > MAX_ITEM_BYTES:
            raise item_too_large(update)
        for index in table.indexes.values():
            change.index_keys.append((index, index.schema.index_key(new, index.name)))
    return change


def apply_change(tx: Tx, change: Change, now: float, ttl: bool = False) -> str | None:
    """Write a prepared change; the stream ARN if a record was written (to notify)."""
    table, key, old, new = change.table, change.key, change.old, change.new
    if old is not None and new is not None and equal({"M": old}, {"M": new}):
        return None  # nothing changes: no write, no stream record
    if new is None:
        if old is None:
            return None
        tx.execute(
            "DELETE FROM ddb_items WHERE table_id = ? AND pk = ? AND sk = ?",
            (table.id, key[0], key[1]),
        )
    else:
        tx.execute(
            "INSERT INTO ddb_items (table_id, pk, sk, item, size, expires)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (table_id, pk, sk) DO UPDATE SET item = excluded.item,"
            " size = excluded.size, expires = excluded.expires",
            (table.id, key[0], key[1], orjson.dumps(new), change.size, expiry(table, new)),
        )
    _maintain_indexes(tx, change)
    if table.stream_id is None:
        return None
    record = build_record(
        table.region,
        table.stream_view_type or "KEYS_ONLY",
        table.schema.key_attributes(new if new is not None else old),  # type: ignore[arg-type]
        old,
        new,
        now,
        ttl,
    )
    append_record(tx, table.stream_id, record, now)
    return table.latest_stream_arn


def _maintain_indexes(tx: Tx, change: Change) -> None:
    table, key, old, new = change.table, change.key, change.old, change.new
    new_keys = {index.id: index_key for index, index_key in change.index_keys}
    for index in table.indexes.values():
        # The old item may be an index key violation left out of an index added after it.
        old_key = index.schema.index_key(old, index.name, lenient=True) if old is not None else None
        if old_key is not None:
            tx.execute(
                "DELETE FROM ddb_index_items WHERE index_id = ? AND pk = ? AND sk = ?"
                " AND tpk = ? AND tsk = ?",
                (index.id, old_key[0], old_key[1], key[0], key[1]),
            )
        new_key = new_keys.get(index.id)
        if new is not None and new_key is not None:
            write_index_row(tx, table, index, new_key, key, new)


def write_index_row(
    tx: Tx, table: Table, index: Index, index_key: Key, key: Key, item: Item
) -> None:
    projected = index.project(item, table.key_names)
    tx.execute(
        "INSERT INTO ddb_index_items (index_id, pk, sk, tpk, tsk, item, size)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (index_id, pk, sk, tpk, tsk)"
        " DO UPDATE SET item = excluded.item, size = excluded.size",
        (index.id, index_key[0], index_key[1], key[0], key[1], orjson.dumps(projected),
         item_size(projected)),
    )  # fmt: skip


def expiry(table: Table, item: Item) -> float | None:
    """When TTL deletes the item: its TTL attribute, if the table has TTL and it is a number."""
    if table.ttl_attribute is None:
        return None
    value = item.get(table.ttl_attribute)
    if value is None or "N" not in value:
        return None
    try:
        return float(Decimal(value["N"]))
    except (InvalidOperation, OverflowError):
        return None


def count_rows(tx: Tx, table: Table) -> dict[int | None, tuple[int, int]]:
    """(item count, bytes) of the table and of each of its indexes."""
    counts: dict[int | None, Any] = {}
    row = tx.execute(
        "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM ddb_items WHERE table_id = ?", (table.id,)
    ).fetchone()
    counts[None] = (row[0], row[1])
    for index in table.indexes.values():
        row = tx.execute(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM ddb_index_items WHERE index_id = ?",
            (index.id,),
        ).fetchone()
        counts[index.id] = (row[0], row[1])
    return counts
