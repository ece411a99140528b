"""Query and Scan, on a table or one of its secondary indexes.

A Query is one range scan of the primary key (or of an index's rows) from the partition
key and the sort key's range, forwards or backwards from ExclusiveStartKey; a Scan walks a
table's or index's rows in key order. Parallel scan segments split the partition keys by a
hash of their bytes.
"""

from __future__ import annotations

import dataclasses
import zlib
from typing import Any

from cloudlet.services.base import RequestContext
from cloudlet.services.dynamodb.base import DynamoBase
from cloudlet.services.dynamodb.capacity import consumed_one, read_units
from cloudlet.services.dynamodb.errors import invalid_parameters, validation
from cloudlet.services.dynamodb.expressions.nodes import (
    And,
    Between,
    Comparison,
    Function,
    In,
    Not,
    Or,
    PathRef,
    Size,
    resolve,
)
from cloudlet.services.dynamodb.expressions.request import Expressions, prepare
from cloudlet.services.dynamodb.key_conditions import KeyRange, key_range
from cloudlet.services.dynamodb.legacy import translate
from cloudlet.services.dynamodb.operations.items import projection_paths
from cloudlet.services.dynamodb.pages import Page, PageSpec, answer, read_page
from cloudlet.services.dynamodb.storage import load_item
from cloudlet.services.dynamodb.tables import Index, Table
from cloudlet.services.dynamodb.throttling import READ
from cloudlet.services.dynamodb.values import Item
from cloudlet.store import Tx

QUERY = ("KeyConditionExpression", "FilterExpression", "ProjectionExpression")
SCAN = ("FilterExpression", "ProjectionExpression")


class ReadOperations(DynamoBase):
    async def query(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        table = self._table(ctx, params["TableName"])
        index = _index(table, params)
        params = translate(params)
        if params.get("KeyConditionExpression") is None:
            raise validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified"
                " in the request."
            )
        expressions = prepare(params, QUERY)
        schema = index.schema if index else table.schema
        key_range_ = key_range(expressions, schema)
        _refuse_key_filters(expressions, table, index)
        spec, consistent = self._spec(params, table, index, expressions)
        start = _start_key(params, table, index)
        forward = params.get("ScanIndexForward", True) is not False
        if self.throttle is not None:
            self.throttle.admit(table, READ)
        page = await self._query_page(table, index, key_range_, spec, start, forward)
        return self._answer(params, table, page, spec, consistent)

    async def _query_page(
        self,
        table: Table,
        index: Index | None,
        key_range_: KeyRange,
        spec: PageSpec,
        start: list[bytes] | None,
        forward: bool = True,
    ) -> Page:
        """One page of a partition's items (of the table or an index), in key order."""
        order = "ASC" if forward else "DESC"
        beyond = ">" if forward else "<"
        if index is None:
            sql = "SELECT pk, sk, size, item FROM ddb_items WHERE table_id = ? AND pk = ?"
            args: list[Any] = [table.id, key_range_.partition]
            position = "sk"
            ordering = f"sk {order}"
        else:
            sql = (
                "SELECT pk, sk, tpk, tsk, size, item FROM ddb_index_items"
                " WHERE index_id = ? AND pk = ?"
            )
            args = [index.id, key_range_.partition]
            position = "(sk, tpk, tsk)"
            ordering = f"sk {order}, tpk {order}, tsk {order}"
        for clause in key_range_.clauses:
            sql += f" AND {clause}"
        args.extend(key_range_.params)
        if start is not None:
            sql += f" AND {position} {beyond} {_placeholders(len(start) - 1)}"
            args.extend(start[1:])
        sql += f" ORDER BY {ordering}"
        return await self.store.read(  # type: ignore[no-any-return]
            lambda tx: read_page(tx.execute(sql, args), _with_table_items(spec, table, tx))
        )

    async def scan(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        table = self._table(ctx, params["TableName"])
        index = _index(table, params)
        segment, total = params.get("Segment"), params.get("TotalSegments")
        if segment is not None and total is None:
            raise validation(
                "The TotalSegments parameter is required but was not present in the request"
                " when Segment parameter is present"
            )
        if total is not None and segment is None:
            raise validation(
                "The Segment parameter is required but was not present in the request when"
                " parameter TotalSegments is present"
            )
        if segment is not None and segment >= total:
            raise validation(
                "The Segment parameter is zero-based and must be less than parameter"
                f" TotalSegments: Segment: {segment} is not less than TotalSegments: {total}"
            )
        params = translate(params)
        expressions = prepare(params, SCAN)
        spec, consistent = self._spec(params, table, index, expressions)
        start = _start_key(params, table, index)
        if self.throttle is not None:
            self.throttle.admit(table, READ)
        page = await self._scan_page(table, index, spec, start, segment, total)
        return self._answer(params, table, page, spec, consistent)

    def _answer(
        self, params: dict[str, Any], table: Table, page: Page, spec: PageSpec, consistent: bool
    ) -> dict[str, Any]:
        """A Query's or Scan's answer; its read units paid if throttling."""
        out = answer(page, spec.count_only)
        units = read_units(page.read_bytes, consistent)
        if self.throttle is not None:
            self.throttle.charge(table, READ, units)
        out.update(consumed_one(params, table.name, units))
        return out

    async def _scan_page(
        self,
        table: Table,
        index: Index | None,
        spec: PageSpec,
        start: list[bytes] | None,
        segment: int | None = None,
        total: int | None = None,
    ) -> Page:
        """One page of all the items of the table or an index, in key order."""
        if index is None:
            sql = "SELECT pk, sk, size, item FROM ddb_items WHERE table_id = ?"
            args: list[Any] = [table.id]
            position, ordering = "(pk, sk)", "pk, sk"
        else:
            sql = "SELECT pk, sk, tpk, tsk, size, item FROM ddb_index_items WHERE index_id = ?"
            args = [index.id]
            position, ordering = "(pk, sk, tpk, tsk)", "pk, sk, tpk, tsk"
        if start is not None:
            sql += f" AND {position} > {_placeholders(len(start))}"
            args.extend(start)
        sql += f" ORDER BY {ordering}"

        def read(tx: Tx) -> Any:
            rows = tx.execute(sql, args)
            if total is not None and total > 1:
                rows = (row for row in rows if zlib.crc32(row[0]) % total == segment)
            return read_page(rows, _with_table_items(spec, table, tx))

        return await self.store.read(read)  # type: ignore[no-any-return]

    def _spec(
        self, params: dict[str, Any], table: Table, index: Index | None, expressions: Expressions
    ) -> tuple[PageSpec, bool]:
        consistent = bool(params.get("ConsistentRead"))
        if consistent and index is not None and index.kind == "GLOBAL":
            raise validation("Consistent reads are not supported on global secondary indexes")
        paths = projection_paths(params, expressions)
        select = params.get("Select")
        if select is None:
            if paths is not None:
                select = "SPECIFIC_ATTRIBUTES"
            else:
                select = "ALL_PROJECTED_ATTRIBUTES" if index else "ALL_ATTRIBUTES"
        if paths is not None and select != "SPECIFIC_ATTRIBUTES":
            raise validation(
                f"Cannot specify the ProjectionExpression when choosing to get {select}"
            )
        if select == "SPECIFIC_ATTRIBUTES" and paths is None:
            raise validation(
                "Select type SPECIFIC_ATTRIBUTES requires AttributesToGet or"
                " ProjectionExpression to be set"
            )
        if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
            raise validation(
                "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
            )
        from_table = False
        if index is not None and select == "ALL_ATTRIBUTES" and index.projection_type != "ALL":
            if index.kind == "GLOBAL":
                raise invalid_parameters(
                    f"Select type ALL_ATTRIBUTES is not supported for global secondary index"
                    f" {index.name} because its projection type is not ALL"
                )
            from_table = True
        limit = params.get("Limit")
        key_names = table.key_names + (index.schema.names if index else ())
        spec = PageSpec(
            limit,
            expressions,
            paths,
            select == "COUNT",
            lambda item: {name: item[name] for name in dict.fromkeys(key_names)},
            from_table=from_table,
        )
        return spec, consistent


def _index(table: Table, params: dict[str, Any]) -> Index | None:
    name = params.get("IndexName")
    if name is None:
        return None
    index = table.indexes.get(name)
    if index is None:
        raise validation(f"The table does not have the specified index: {name}")
    return index


def _start_key(params: dict[str, Any], table: Table, index: Index | None) -> list[bytes] | None:
    """ExclusiveStartKey as the row position after which to read: (pk, sk[, tpk, tsk])."""
    start = params.get("ExclusiveStartKey")
    if start is None:
        return None
    invalid = validation(
        "The provided starting key is invalid: The provided key element does not match the schema"
    )
    try:
        table_part = {name: start[name] for name in table.key_names}
        key, _ = table.schema.request_key(table_part)
        if index is None:
            if len(start) != len(table.key_names):
                raise invalid
            return [key[0], key[1]]
        index_key = index.schema.index_key(start, index.name)
    except (KeyError, TypeError):
        raise invalid from None
    if index_key is None:
        raise invalid
    return [index_key[0], index_key[1], key[0], key[1]]


def _placeholders(count: int) -> str:
    return "(" + ", ".join("?" * count) + ")" if count > 1 else "?"


def _with_table_items(spec: PageSpec, table: Table, tx: Tx) -> PageSpec:
    """`spec` completing each row of a local index with its table item (ALL_ATTRIBUTES)."""
    if not spec.from_table:
        return spec

    def complete(row: Any, item: Item) -> Item:
        return load_item(tx, table, (bytes(row[2]), bytes(row[3]))) or item

    return dataclasses.replace(spec, complete=complete)


def _refuse_key_filters(expressions: Expressions, table: Table, index: Index | None) -> None:
    parsed = expressions.get("FilterExpression")
    if parsed is None:
        return
    keys = set(table.key_names) | set(index.schema.names if index else ())
    for path in _paths(parsed.root):
        name = resolve(path, expressions.names)[0]
        if name in keys:
            raise validation(
                "Filter Expression can only contain non-primary key attributes: Primary key"
                f" attribute: {name}"
            )


def _paths(node: Any) -> list[Any]:
    if isinstance(node, PathRef):
        return [node.path]
    if isinstance(node, Size):
        return [node.path.path]
    if isinstance(node, And | Or):
        return _paths(node.left) + _paths(node.right)
    if isinstance(node, Not):
        return _paths(node.inner)
    if isinstance(node, Comparison):
        return _paths(node.left) + _paths(node.right)
    if isinstance(node, Between):
        return _paths(node.subject) + _paths(node.low) + _paths(node.high)
    if isinstance(node, In):
        return _paths(node.subject) + [p for o in node.options for p in _paths(o)]
    if isinstance(node, Function):
        return [p for arg in node.args for p in _paths(arg)]
    return []
