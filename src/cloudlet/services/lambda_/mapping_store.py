"""Event source mappings' rows: one per mapping, its configuration as JSON, kept in memory.

Their table is a component of its own in the store's migrations, so that it grows apart
from the functions' tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from cloudlet.store import Migration, Store, Tx

MIGRATIONS: list[Migration] = [
    """
    CREATE TABLE lambda_event_source_mappings (
        uuid TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        data TEXT NOT NULL
    );
    """,
]


@dataclass(eq=False)
class Mapping:
    account: str
    region: str
    config: dict[str, Any]  # EventSourceMappingConfiguration, as GetEventSourceMapping answers
    enabled: bool  # what the user asked for; State follows it

    @property
    def uuid(self) -> str:
        return str(self.config["UUID"])


class MappingStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        store.migrate("lambda_event_source_mappings", MIGRATIONS)
        self.mappings: dict[str, Mapping] = {}
        for uuid, account, region, data in store.read_now(
            lambda tx: tx.execute(
                "SELECT uuid, account, region, data FROM lambda_event_source_mappings"
            ).fetchall()
        ):
            row = orjson.loads(data)
            self.mappings[uuid] = Mapping(account, region, row["config"], row["enabled"])

    async def save(self, mapping: Mapping) -> None:
        """Write the mapping's row, then hold it in memory."""
        row = (
            mapping.uuid,
            mapping.account,
            mapping.region,
            orjson.dumps({"config": mapping.config, "enabled": mapping.enabled}).decode(),
        )

        def write(tx: Tx) -> None:
            tx.execute(
                "INSERT INTO lambda_event_source_mappings (uuid, account, region, data)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (uuid) DO UPDATE SET data = excluded.data",
                row,
            )

        await self.store.write(write)
        self.mappings[mapping.uuid] = mapping

    async def delete(self, mapping: Mapping) -> None:
        uuid = mapping.uuid
        await self.store.write(
            lambda tx: tx.execute(
                "DELETE FROM lambda_event_source_mappings WHERE uuid = ?", (uuid,)
            )
        )
        self.mappings.pop(uuid, None)
