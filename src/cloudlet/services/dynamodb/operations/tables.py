"""Tables: CreateTable, DescribeTable, UpdateTable (indexes, billing, streams), DeleteTable,
ListTables, DescribeLimits, tags, DescribeEndpoints.

A new table answers CREATING and is ACTIVE from the next request on (its rows exist once
CreateTable returns), so boto3's waiters see it at their first poll; a deleted table
answers DELETING and is gone at once. A new global index is backfilled in the UpdateTable
transaction, answered CREATING, ACTIVE after.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

from cloudlet.services.base import RequestContext
from cloudlet.services.dynamodb import definitions as rules
from cloudlet.services.dynamodb.base import DynamoBase
from cloudlet.services.dynamodb.errors import (
    resource_in_use,
    resource_not_found,
    table_not_found,
    validation,
)
from cloudlet.services.dynamodb.keys import KeySchema
from cloudlet.services.dynamodb.registry import table_name
from cloudlet.services.dynamodb.storage import count_rows, write_index_row
from cloudlet.services.dynamodb.streams import stream_label
from cloudlet.services.dynamodb.tables import Index, Table
from cloudlet.store import Tx

LIMITS = {
    "AccountMaxReadCapacityUnits": 80000,
    "AccountMaxWriteCapacityUnits": 80000,
    "TableMaxReadCapacityUnits": 40000,
    "TableMaxWriteCapacityUnits": 40000,
}
MAX_TAGS = 50


class TableOperations(DynamoBase):
    async def create_table(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = table_name(params["TableName"])
        attributes = rules.attribute_definitions(params["AttributeDefinitions"])
        schema = rules.key_schema(params["KeySchema"], attributes)
        used = set(schema.names)
        local_specs = params.get("LocalSecondaryIndexes") or []
        global_specs = params.get("GlobalSecondaryIndexes") or []
        mode, throughput = rules.billing(
            params.get("BillingMode"), params.get("ProvisionedThroughput"), global_specs
        )
        if len(local_specs) > rules.MAX_LOCAL_INDEXES:
            raise rules.limit_exceeded("Too many local secondary indexes")
        if len(global_specs) > rules.MAX_GLOBAL_INDEXES:
            raise rules.limit_exceeded("Too many global secondary indexes")
        index_defs: list[tuple[str, str, KeySchema, dict[str, Any], dict[str, int] | None]] = []
        for spec in local_specs:
            index_schema = rules.local_index_schema(
                spec["IndexName"], spec["KeySchema"], attributes, schema
            )
            index_defs.append(
                (spec["IndexName"], "LOCAL", index_schema, rules.projection(spec["Projection"]),
                 None)
            )  # fmt: skip
        for spec in global_specs:
            index_schema = rules.key_schema(spec["KeySchema"], attributes)
            capacity = spec.get("ProvisionedThroughput") if mode == "PROVISIONED" else None
            index_defs.append(
                (spec["IndexName"], "GLOBAL", index_schema, rules.projection(spec["Projection"]),
                 capacity)
            )  # fmt: skip
        names = [definition[0] for definition in index_defs]
        for index_name in names:
            if names.count(index_name) > 1:
                raise rules.invalid_parameters(f"Duplicate index name: {index_name}")
        for definition in index_defs:
            used.update(definition[2].names)
        rules.check_all_defined_used(attributes, used)
        view_type = rules.stream_view_type(params.get("StreamSpecification"), creating=True)
        tags = _tags(params.get("Tags") or [])
        async with self.registry.changing:
            if self.registry.get(ctx.account_id, ctx.region, name) is not None:
                raise resource_in_use(f"Table already exists: {name}")
            now = time.time()
            table = Table(
                0, ctx.account_id, ctx.region, name, str(uuid.uuid4()), now, schema,
                attributes, mode, throughput, tags=tags,
                deletion_protection=bool(params.get("DeletionProtectionEnabled")),
                table_class=params.get("TableClass"),
            )  # fmt: skip

            def insert(tx: Tx) -> None:
                table.id = int(
                    tx.execute(
                        "INSERT INTO ddb_tables (account, region, name, meta) VALUES (?, ?, ?, ?)"
                        " RETURNING id",
                        (ctx.account_id, ctx.region, name, "{}"),
                    ).fetchone()[0]
                )
                for index_name, kind, index_schema, projection, capacity in index_defs:
                    table.indexes[index_name] = Index(
                        index_name, _new_index_id(tx, table.id, index_name), kind,
                        index_schema, projection, "ACTIVE", capacity,
                    )  # fmt: skip
                if view_type:
                    _start_stream(tx, table, view_type, now)
                tx.execute(
                    "UPDATE ddb_tables SET meta = ? WHERE id = ?",
                    (orjson.dumps(table.to_json()).decode(), table.id),
                )

            await self.store.write(insert)
            self.registry.add(table)
        description = table.describe({}, status="CREATING")
        for index in description.get("GlobalSecondaryIndexes", []):
            index["IndexStatus"] = "CREATING"
        return {"TableDescription": description}

    async def describe_table(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        table = self.registry.get(ctx.account_id, ctx.region, params["TableName"])
        if table is None:
            raise table_not_found(params["TableName"])
        counts = await self.store.read(lambda tx: count_rows(tx, table))
        return {"Table": table.describe(counts)}

    async def delete_table(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["TableName"]
        async with self.registry.changing:
            table = self.registry.get(ctx.account_id, ctx.region, name)
            if table is None:
                raise table_not_found(name)
            if table.deletion_protection:
                raise validation(
                    "Resource cannot be deleted as it is currently protected against deletion."
                    " Disable deletion protection first."
                )
            now = time.time()

            def delete(tx: Tx) -> dict[int | None, tuple[int, int]]:
                counts = count_rows(tx, table)
                tx.execute("DELETE FROM ddb_items WHERE table_id = ?", (table.id,))
                for index in table.indexes.values():
                    tx.execute("DELETE FROM ddb_index_items WHERE index_id = ?", (index.id,))
                tx.execute("DELETE FROM ddb_indexes WHERE table_id = ?", (table.id,))
                tx.execute("DELETE FROM ddb_tables WHERE id = ?", (table.id,))
                if table.stream_id is not None:
                    tx.execute(
                        "UPDATE ddb_streams SET disabled = ? WHERE id = ?", (now, table.stream_id)
                    )
                return counts

            counts = await self.store.write(delete)
            self.registry.remove(table)
        return {"TableDescription": table.describe(counts, status="DELETING")}

    async def list_tables(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        limit = params.get("Limit") or 100
        start = params.get("ExclusiveStartTableName")
        names = [t.name for t in self.registry.in_region(ctx.account_id, ctx.region)]
        if start is not None:
            names = [name for name in names if name > start]
        out: dict[str, Any] = {"TableNames": names[:limit]}
        if len(names) > limit:
            out["LastEvaluatedTableName"] = names[limit - 1]
        return out

    async def update_table(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        async with self.registry.changing:
            table = self._table(ctx, params["TableName"])
            return await self._update_table(table, params)

    async def _update_table(self, table: Table, params: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        attributes = dict(table.attributes)
        for definition in params.get("AttributeDefinitions") or []:
            attributes[definition["AttributeName"]] = definition["AttributeType"]
        updates = params.get("GlobalSecondaryIndexUpdates") or []
        creates = [u["Create"] for u in updates if "Create" in u]
        deletes = [u["Delete"]["IndexName"] for u in updates if "Delete" in u]
        if len(creates) + len(deletes) > 1:
            raise rules.limit_exceeded(
                "Subscriber limit exceeded: Only 1 online index can be created or deleted"
                " simultaneously per table"
            )
        mode = params.get("BillingMode") or table.billing_mode
        throughput = params.get("ProvisionedThroughput")
        if mode == "PROVISIONED" and table.billing_mode == "PAY_PER_REQUEST" and not throughput:
            raise rules.invalid_parameters(
                "ReadCapacityUnits and WriteCapacityUnits must both be specified when"
                " BillingMode is PROVISIONED"
            )
        if mode == "PAY_PER_REQUEST" and throughput:
            raise rules.invalid_parameters(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when"
                " BillingMode is PAY_PER_REQUEST"
            )
        new_index: Index | None = None
        for spec in creates:
            name = spec["IndexName"]
            if name in table.indexes:
                raise validation(
                    f"One or more parameter values were invalid: Index {name} already exists"
                )
            schema = rules.key_schema(spec["KeySchema"], attributes)
            capacity = spec.get("ProvisionedThroughput") if mode == "PROVISIONED" else None
            if mode == "PROVISIONED" and not capacity:
                raise rules.invalid_parameters(
                    f"ProvisionedThroughput should not be null for index: {name}"
                )
            new_index = Index(name, 0, "GLOBAL", schema, rules.projection(spec["Projection"]),
                              "ACTIVE", capacity)  # fmt: skip
        for name in deletes:
            if name not in table.indexes or table.indexes[name].kind != "GLOBAL":
                raise resource_not_found(f"Requested resource not found: Index: {name} not found")
        for update in updates:
            if "Update" in update:
                name = update["Update"]["IndexName"]
                if name not in table.indexes:
                    raise resource_not_found(
                        f"Requested resource not found: Index: {name} not found"
                    )
        stream_spec = params.get("StreamSpecification")
        view_type = None
        if stream_spec is not None:
            view_type = rules.stream_view_type(stream_spec, creating=False)
            if view_type and table.stream_id is not None:
                raise validation(f"Table already has an enabled stream: TableName: {table.name}")
            if not view_type and table.stream_id is None:
                raise validation(f"Table has no stream to disable: TableName: {table.name}")

        def write(tx: Tx) -> None:
            table.attributes = attributes
            if mode != table.billing_mode:
                table.billing_changed = now
                table.billing_mode = mode
                if mode == "PAY_PER_REQUEST":
                    table.throughput = {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
            if throughput:
                table.throughput = dict(throughput)
            for update in updates:
                if "Update" in update:
                    spec = update["Update"]
                    table.indexes[spec["IndexName"]].throughput = spec.get("ProvisionedThroughput")
            for name in deletes:
                index = table.indexes.pop(name)
                tx.execute("DELETE FROM ddb_index_items WHERE index_id = ?", (index.id,))
                tx.execute("DELETE FROM ddb_indexes WHERE id = ?", (index.id,))
            if new_index is not None:
                new_index.id = _new_index_id(tx, table.id, new_index.name)
                _backfill(tx, table, new_index)
                table.indexes[new_index.name] = new_index
            if stream_spec is not None:
                if view_type:
                    _start_stream(tx, table, view_type, now)
                else:
                    tx.execute(
                        "UPDATE ddb_streams SET disabled = ? WHERE id = ?", (now, table.stream_id)
                    )
                    table.stream_id = None
                    table.stream_view_type = None
            if "DeletionProtectionEnabled" in params:
                table.deletion_protection = bool(params["DeletionProtectionEnabled"])
            if params.get("TableClass"):
                table.table_class = params["TableClass"]
            tx.execute(
                "UPDATE ddb_tables SET meta = ? WHERE id = ?",
                (orjson.dumps(table.to_json()).decode(), table.id),
            )

        # The table object changes inside the transaction: restore it if the write fails.
        before = Table.from_row((table.id, table.account, table.region, table.name),
                                orjson.loads(orjson.dumps(table.to_json())))  # fmt: skip
        try:
            await self.store.write(write)
        except BaseException:
            self.registry.add(before)
            raise
        counts = await self.store.read(lambda tx: count_rows(tx, table))
        description = table.describe(
            counts, status="UPDATING" if new_index or deletes else "ACTIVE"
        )
        for index in description.get("GlobalSecondaryIndexes", []):
            if new_index is not None and index["IndexName"] == new_index.name:
                index["IndexStatus"] = "CREATING"
        if deletes:
            for name in deletes:
                description.setdefault("GlobalSecondaryIndexes", []).append(
                    {"IndexName": name, "IndexStatus": "DELETING"}
                )
        return {"TableDescription": description}

    async def describe_limits(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return dict(LIMITS)

    async def describe_endpoints(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        host = ctx.endpoint.split("://", 1)[-1]
        return {"Endpoints": [{"Address": host, "CachePeriodInMinutes": 1440}]}

    # -- tags -----------------------------------------------------------------------------

    def _tagged(self, ctx: RequestContext, arn: str) -> Table:
        table = self.registry.by_arn(arn)
        if table is None or table.account != ctx.account_id or table.region != ctx.region:
            raise resource_not_found(f"Requested resource not found: ResourcArn: {arn} not found")
        return table

    async def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> None:
        async with self.registry.changing:
            table = self._tagged(ctx, params["ResourceArn"])
            tags = {**table.tags, **_tags(params["Tags"])}
            if len(tags) > MAX_TAGS:
                raise rules.limit_exceeded("The number of tags exceeds the limit of 50 tags.")
            old = table.tags
            table.tags = tags
            try:
                await self.registry.save(table)
            except BaseException:
                table.tags = old
                raise

    async def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> None:
        async with self.registry.changing:
            table = self._tagged(ctx, params["ResourceArn"])
            old = table.tags
            table.tags = {k: v for k, v in old.items() if k not in set(params["TagKeys"])}
            try:
                await self.registry.save(table)
            except BaseException:
                table.tags = old
                raise

    async def list_tags_of_resource(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        table = self._tagged(ctx, params["ResourceArn"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in table.tags.items()]}


def _tags(tags: list[dict[str, str]]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags}


def _new_index_id(tx: Tx, table_id: int, name: str) -> int:
    return int(
        tx.execute(
            "INSERT INTO ddb_indexes (table_id, name) VALUES (?, ?) RETURNING id", (table_id, name)
        ).fetchone()[0]
    )


def _backfill(tx: Tx, table: Table, index: Index) -> None:
    """Write the index rows of every item already in the table; those whose index key has
    the wrong type or is empty stay out of the index (index key violations), as on AWS."""
    rows = tx.execute(
        "SELECT pk, sk, item FROM ddb_items WHERE table_id = ?", (table.id,)
    ).fetchall()
    for pk, sk, raw in rows:
        item = orjson.loads(raw)
        index_key = index.schema.index_key(item, index.name, lenient=True)
        if index_key is not None:
            write_index_row(tx, table, index, index_key, (bytes(pk), bytes(sk)), item)


def _start_stream(tx: Tx, table: Table, view_type: str, now: float) -> None:
    label = stream_label(now)
    arn = f"{table.arn}/stream/{label}"
    table.stream_id = int(
        tx.execute(
            "INSERT INTO ddb_streams (arn, account, region, table_name, label, view_type,"
            " key_schema, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (arn, table.account, table.region, table.name, label, view_type,
             orjson.dumps(table.schema.describe()).decode(), now),
        ).fetchone()[0]
    )  # fmt: skip
    table.stream_view_type = view_type
    table.latest_stream_arn = arn
    table.latest_stream_label = label
