"""BatchGetItem and BatchWriteItem.

Every request is checked before anything is read or written (one bad entry fails the whole
batch, as on AWS); the writes then commit in one transaction, so UnprocessedItems is empty
unless throttling holds back a PROVISIONED table's requests. BatchGetItem answers at most
16 MB of items and hands the rest back as UnprocessedKeys, with those of throttled tables.
When throttling holds back every request, the batch fails with
ProvisionedThroughputExceededException, as on AWS.
"""

from __future__ import annotations

from typing import Any

from cloudlet.services.base import RequestContext
from cloudlet.services.dynamodb.base import DynamoBase
from cloudlet.services.dynamodb.capacity import consumed, read_units, write_units
from cloudlet.services.dynamodb.errors import validation
from cloudlet.services.dynamodb.expressions.paths import project
from cloudlet.services.dynamodb.operations.items import projection_paths
from cloudlet.services.dynamodb.size import item_size
from cloudlet.services.dynamodb.storage import apply_change, load_item
from cloudlet.services.dynamodb.tables import Table
from cloudlet.services.dynamodb.throttling import READ, WRITE, exceeded
from cloudlet.services.dynamodb.writes import DeleteRequest, PutRequest, WriteRequest
from cloudlet.store import Tx

MAX_WRITES = 25
MAX_GETS = 100
MAX_GET_BYTES = 16 * 1024 * 1024


class BatchOperations(DynamoBase):
    async def batch_write_item(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        batches = params["RequestItems"]
        total = sum(len(entries) for entries in batches.values())
        if total > MAX_WRITES:
            raise validation("Too many items requested for the BatchWriteItem call")
        requests: list[WriteRequest] = []
        seen: set[tuple[int, bytes, bytes]] = set()
        unprocessed: dict[str, list[Any]] = {}
        tables: dict[str, Table] = {}
        for name, entries in batches.items():
            table = tables[name] = self._table(ctx, name)
            for entry in entries:
                put, delete = entry.get("PutRequest"), entry.get("DeleteRequest")
                if (put is None) == (delete is None):
                    raise validation(
                        "A WriteRequest must contain exactly one of PutRequest or DeleteRequest"
                    )
                request: WriteRequest = (
                    PutRequest(table, put) if put is not None else DeleteRequest(table, delete)
                )
                identity = (table.id, *request.key)
                if identity in seen:
                    raise validation("Provided list of item keys contains duplicates")
                seen.add(identity)
                requests.append(request)
        if self.throttle is not None:
            throttled = {n for n, t in tables.items() if not self.throttle.allows(t, WRITE)}
            if throttled:
                if len(throttled) == len(tables):
                    raise exceeded()
                unprocessed = {name: batches[name] for name in throttled}
                held = {tables[name].id for name in throttled}
                requests = [r for r in requests if r.table.id not in held]
        now = self.now()

        def write(tx: Tx) -> tuple[set[str], dict[str, float]]:
            streams: set[str] = set()
            units: dict[str, float] = {}
            for request in requests:
                change = request.change(tx)
                stream = apply_change(tx, change, now)
                if stream is not None:
                    streams.add(stream)
                name = request.table.name
                units[name] = units.get(name, 0.0) + write_units(change.size)
            return streams, units

        streams, units = await self.store.write(write)
        for stream in streams:
            self.signals.wake(stream)
        self._charge({table.name: table for table in tables.values()}, WRITE, units)
        return {"UnprocessedItems": unprocessed, **consumed(params, units)}

    async def batch_get_item(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        batches = params["RequestItems"]
        total = sum(len(spec["Keys"]) for spec in batches.values())
        if total > MAX_GETS:
            raise validation("Too many items requested for the BatchGetItem call")
        plans = []
        for name, spec in batches.items():
            table = self._table(ctx, name)
            paths = projection_paths(spec)
            keys = []
            seen: set[tuple[bytes, bytes]] = set()
            for raw_key in spec["Keys"]:
                key, _ = table.schema.request_key(raw_key)
                if key in seen:
                    raise validation("Provided list of item keys contains duplicates")
                seen.add(key)
                keys.append((key, raw_key))
            plans.append((name, table, paths, keys, spec))
        held: dict[str, Any] = {}
        if self.throttle is not None:
            held = {p[0]: p[4] for p in plans if not self.throttle.allows(p[1], READ)}
            if held and len(held) == len(plans):
                raise exceeded()
            plans = [plan for plan in plans if plan[0] not in held]

        def read(tx: Tx) -> tuple[dict[str, Any], dict[str, float]]:
            responses: dict[str, list[Any]] = {}
            unprocessed: dict[str, Any] = dict(held)
            units: dict[str, float] = {}
            size = 0
            full = False  # the next item would take the answer past 16 MB
            for name, table, paths, keys, spec in plans:
                found = responses.setdefault(name, [])
                for key, raw_key in keys:
                    if not full:
                        item = load_item(tx, table, key)
                        if item is None:
                            continue
                        item_bytes = item_size(item)
                        full = size + item_bytes > MAX_GET_BYTES
                        if not full:
                            size += item_bytes
                            units[name] = units.get(name, 0.0) + read_units(
                                item_bytes, bool(spec.get("ConsistentRead"))
                            )
                            found.append(project(item, paths) if paths else item)
                            continue
                    rest = unprocessed.setdefault(
                        name, {k: v for k, v in spec.items() if k != "Keys"}
                    )
                    rest.setdefault("Keys", []).append(raw_key)
            return {
                "Responses": responses,
                "UnprocessedKeys": unprocessed,
                **consumed(params, units),
            }, units

        out, units = await self.store.read(read)
        self._charge({plan[0]: plan[1] for plan in plans}, READ, units)
        return out
