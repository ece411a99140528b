"""Time to live: UpdateTimeToLive and DescribeTimeToLive (the sweeper is `ttl.py`).

Enabling TTL stamps every item's row with its expiry (the TTL attribute, when a number of
epoch seconds), so that the sweeper finds expired items through an index.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.services.base import RequestContext
from cloudlet.services.dynamodb.base import DynamoBase
from cloudlet.services.dynamodb.errors import validation
from cloudlet.services.dynamodb.storage import expiry
from cloudlet.store import Tx


class TtlOperations(DynamoBase):
    async def update_time_to_live(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        spec = params["TimeToLiveSpecification"]
        enabled, attribute = bool(spec["Enabled"]), spec["AttributeName"]
        async with self.registry.changing:
            table = self._table(ctx, params["TableName"])
            current = table.ttl_attribute
            if enabled and current is not None:
                raise validation("TimeToLive is already enabled")
            if not enabled and current is None:
                raise validation("TimeToLive is already disabled")
            if not enabled and current != attribute:
                raise validation(
                    "TimeToLive is active on a different AttributeName: current AttributeName"
                    f" is {current}"
                )
            table.ttl_attribute = attribute if enabled else None

            def stamp(tx: Tx) -> None:
                if not enabled:
                    tx.execute(
                        "UPDATE ddb_items SET expires = NULL WHERE table_id = ?", (table.id,)
                    )
                    return
                rows = tx.execute(
                    "SELECT pk, sk, item FROM ddb_items WHERE table_id = ?", (table.id,)
                ).fetchall()
                tx.executemany(
                    "UPDATE ddb_items SET expires = ? WHERE table_id = ? AND pk = ? AND sk = ?",
                    [(expiry(table, orjson.loads(raw)), table.id, pk, sk) for pk, sk, raw in rows],
                )

            try:
                await self.registry.save(table, stamp)
            except BaseException:
                table.ttl_attribute = current
                raise
        return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}}

    async def describe_time_to_live(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        table = self._table(ctx, params["TableName"])
        if table.ttl_attribute is None:
            return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}
        return {
            "TimeToLiveDescription": {
                "TimeToLiveStatus": "ENABLED",
                "AttributeName": table.ttl_attribute,
            }
        }
