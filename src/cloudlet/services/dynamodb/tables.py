"""A table and its secondary indexes: their definition, kept in memory and stored as JSON.

`Table.describe()` is DescribeTable's TableDescription; counts and sizes are passed in by
the caller, which reads them from the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cloudlet.services.dynamodb.keys import KeySchema
from cloudlet.services.dynamodb.values import Item


@dataclass
class Index:
    name: str
    id: int  # the index's rows in ddb_index_items
    kind: str  # GLOBAL or LOCAL
    schema: KeySchema
    projection: dict[str, Any]
    status: str = "ACTIVE"
    throughput: dict[str, int] | None = None

    @property
    def projection_type(self) -> str:
        return str(self.projection.get("ProjectionType", "ALL"))

    def project(self, item: Item, table_keys: tuple[str, ...]) -> Item:
        """What the index stores of an item: all of it, its keys, or its keys and some."""
        kind = self.projection_type
        if kind == "ALL":
            return item
        names = set(table_keys) | set(self.schema.names)
        if kind == "INCLUDE":
            names.update(self.projection.get("NonKeyAttributes", ()))
        return {name: value for name, value in item.items() if name in names}

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "id": self.id,
            "kind": self.kind,
            "schema": _schema_json(self.schema),
            "projection": self.projection,
            "status": self.status,
            "throughput": self.throughput,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Index:
        return cls(
            data["name"],
            data["id"],
            data["kind"],
            KeySchema(*data["schema"]),
            data["projection"],
            data["status"],
            data["throughput"],
        )


@dataclass
class Table:
    id: int
    account: str
    region: str
    name: str
    table_id: str  # the TableId UUID
    created: float
    schema: KeySchema
    attributes: dict[str, str]  # AttributeDefinitions: name -> S | N | B
    billing_mode: str
    throughput: dict[str, int]
    indexes: dict[str, Index] = field(default_factory=dict)
    # The stream being written (None when streams are off) and the latest one ever.
    stream_id: int | None = None
    stream_view_type: str | None = None
    latest_stream_arn: str | None = None
    latest_stream_label: str | None = None
    ttl_attribute: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    deletion_protection: bool = False
    table_class: str | None = None
    billing_changed: float | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{self.name}"

    @property
    def key_names(self) -> tuple[str, ...]:
        return self.schema.names

    def index_arn(self, name: str) -> str:
        return f"{self.arn}/index/{name}"

    def describe(
        self, counts: dict[int | None, tuple[int, int]], status: str = "ACTIVE"
    ) -> dict[str, Any]:
        """DescribeTable's TableDescription; `counts` maps an index id (None: the table) to
        (item count, size in bytes)."""
        items, size = counts.get(None, (0, 0))
        out: dict[str, Any] = {
            "AttributeDefinitions": [
                {"AttributeName": name, "AttributeType": kind}
                for name, kind in self.attributes.items()
            ],
            "TableName": self.name,
            "KeySchema": self.schema.describe(),
            "TableStatus": status,
            "CreationDateTime": self.created,
            "ProvisionedThroughput": self._throughput(self.throughput),
            "TableSizeBytes": size,
            "ItemCount": items,
            "TableArn": self.arn,
            "TableId": self.table_id,
            "DeletionProtectionEnabled": self.deletion_protection,
        }
        if self.billing_mode == "PAY_PER_REQUEST" or self.billing_changed:
            out["BillingModeSummary"] = {"BillingMode": self.billing_mode}
            if self.billing_changed:
                out["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"] = (
                    self.billing_changed
                )
        local = [i for i in self.indexes.values() if i.kind == "LOCAL"]
        glob = [i for i in self.indexes.values() if i.kind == "GLOBAL"]
        if local:
            out["LocalSecondaryIndexes"] = [self._describe_index(i, counts) for i in local]
        if glob:
            out["GlobalSecondaryIndexes"] = [self._describe_index(i, counts) for i in glob]
        if self.stream_view_type:
            out["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": self.stream_view_type,
            }
        if self.latest_stream_arn:
            out["LatestStreamArn"] = self.latest_stream_arn
            out["LatestStreamLabel"] = self.latest_stream_label
        if self.table_class:
            out["TableClassSummary"] = {"TableClass": self.table_class}
        return out

    def _describe_index(
        self, index: Index, counts: dict[int | None, tuple[int, int]]
    ) -> dict[str, Any]:
        items, size = counts.get(index.id, (0, 0))
        out: dict[str, Any] = {
            "IndexName": index.name,
            "KeySchema": index.schema.describe(),
            "Projection": index.projection,
            "IndexSizeBytes": size,
            "ItemCount": items,
            "IndexArn": self.index_arn(index.name),
        }
        if index.kind == "GLOBAL":
            out["IndexStatus"] = index.status
            out["ProvisionedThroughput"] = self._throughput(index.throughput or {})
            if index.status == "CREATING":
                out["Backfilling"] = True
        return out

    def _throughput(self, throughput: dict[str, int]) -> dict[str, int]:
        return {
            "NumberOfDecreasesToday": 0,
            "ReadCapacityUnits": throughput.get("ReadCapacityUnits", 0),
            "WriteCapacityUnits": throughput.get("WriteCapacityUnits", 0),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "table_id": self.table_id,
            "created": self.created,
            "schema": _schema_json(self.schema),
            "attributes": self.attributes,
            "billing_mode": self.billing_mode,
            "throughput": self.throughput,
            "indexes": [index.to_json() for index in self.indexes.values()],
            "stream_id": self.stream_id,
            "stream_view_type": self.stream_view_type,
            "latest_stream_arn": self.latest_stream_arn,
            "latest_stream_label": self.latest_stream_label,
            "ttl_attribute": self.ttl_attribute,
            "tags": self.tags,
            "deletion_protection": self.deletion_protection,
            "table_class": self.table_class,
            "billing_changed": self.billing_changed,
        }

    @classmethod
    def from_row(cls, row: tuple[Any, ...], data: dict[str, Any]) -> Table:
        table_id, account, region, name = row
        indexes = [Index.from_json(i) for i in data["indexes"]]
        return cls(
            table_id,
            account,
            region,
            name,
            data["table_id"],
            data["created"],
            KeySchema(*data["schema"]),
            data["attributes"],
            data["billing_mode"],
            data["throughput"],
            {index.name: index for index in indexes},
            data["stream_id"],
            data["stream_view_type"],
            data["latest_stream_arn"],
            data["latest_stream_label"],
            data["ttl_attribute"],
            data["tags"],
            data["deletion_protection"],
            data["table_class"],
            data["billing_changed"],
        )


def _schema_json(schema: KeySchema) -> list[str | None]:
    return [schema.hash_name, schema.hash_type, schema.range_name, schema.range_type]
