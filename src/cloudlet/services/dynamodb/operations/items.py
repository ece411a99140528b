"""Items one at a time: PutItem, GetItem, UpdateItem, DeleteItem.

A write is one store transaction: read the old item, test the condition, write the item,
its index rows and its stream record; the answer goes out once that has committed.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.services.base import RequestContext
from cloudlet.services.dynamodb.base import DynamoBase
from cloudlet.services.dynamodb.capacity import consumed_one, read_units, write_units
from cloudlet.services.dynamodb.errors import validation
from cloudlet.services.dynamodb.expressions.nodes import resolve
from cloudlet.services.dynamodb.expressions.paths import check_overlaps, project
from cloudlet.services.dynamodb.expressions.request import Expressions, prepare
from cloudlet.services.dynamodb.storage import apply_change, load_raw
from cloudlet.services.dynamodb.tables import Table
from cloudlet.services.dynamodb.throttling import READ, WRITE
from cloudlet.services.dynamodb.values import Item
from cloudlet.services.dynamodb.writes import (
    ConditionFailed,
    DeleteRequest,
    PutRequest,
    UpdateRequest,
    WriteRequest,
    condition_error,
)
from cloudlet.store import Tx

PROJECTION = ("ProjectionExpression",)
_PUT_DELETE_RETURNS = frozenset(("NONE", "ALL_OLD"))


class ItemOperations(DynamoBase):
    async def put_item(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        table = self._table(ctx, params["TableName"])
        returns = _returns(params, _PUT_DELETE_RETURNS)
        change = await self._write(PutRequest(table, params), params)
        out: dict[str, Any] = {}
        if returns == "ALL_OLD" and change.old:
            out["Attributes"] = change.old
        out.update(consumed_one(params, table.name, self._wrote(table, change.size)))
        return out

    async def delete_item(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        table = self._table(ctx, params["TableName"])
        returns = _returns(params, _PUT_DELETE_RETURNS)
        change = await self._write(DeleteRequest(table, params), params)
        out: dict[str, Any] = {}
        if returns == "ALL_OLD" and change.old:
            out["Attributes"] = change.old
        out.update(consumed_one(params, table.name, self._wrote(table, 0)))
        return out

    async def update_item(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        table = self._table(ctx, params["TableName"])
        returns = params.get("ReturnValues") or "NONE"
        request = UpdateRequest(table, params)
        change = await self._write(request, params)
        old, new = change.old, change.new or {}
        attributes: Item | None = None
        if returns == "ALL_OLD":
            attributes = old
        elif returns == "ALL_NEW":
            attributes = new
        elif returns == "UPDATED_OLD":
            attributes = project(old, request.paths) if old else None
        elif returns == "UPDATED_NEW":
            attributes = project(new, request.paths)
        out: dict[str, Any] = {}
        if attributes:
            out["Attributes"] = attributes
        out.update(consumed_one(params, table.name, self._wrote(table, change.size)))
        return out

    async def _write(self, request: WriteRequest, params: dict[str, Any]) -> Any:
        on_failure = params.get("ReturnValuesOnConditionCheckFailure")
        if self.throttle is not None:
            self.throttle.admit(request.table, WRITE)
        now = self.now()

        def write(tx: Tx) -> Any:
            try:
                change = request.change(tx)
            except ConditionFailed as failure:
                raise condition_error(failure, on_failure) from None
            return change, apply_change(tx, change, now)

        change, stream = await self.store.write(write)
        if stream is not None:
            self.signals.wake(stream)
        return change

    async def get_item(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        table = self._table(ctx, params["TableName"])
        key, _ = table.schema.request_key(params["Key"])
        paths = projection_paths(params)
        if self.throttle is not None:
            self.throttle.admit(table, READ)
        raw = await self.store.read(lambda tx: load_raw(tx, table, key))
        out: dict[str, Any] = {}
        if raw is not None:
            if paths is None:
                out["Item"] = orjson.Fragment(raw)  # the stored JSON, sent as is
            else:
                out["Item"] = project(orjson.loads(raw), paths)
        size = len(raw) if raw else 0
        units = read_units(size, bool(params.get("ConsistentRead")))
        if self.throttle is not None:
            self.throttle.charge(table, READ, units)
        out.update(consumed_one(params, table.name, units))
        return out

    def _wrote(self, table: Table, size: int) -> float:
        """The write units of a single-item write of `size` bytes, paid if throttling."""
        units = write_units(size)
        if self.throttle is not None:
            self.throttle.charge(table, WRITE, units)
        return units


def projection_paths(params: dict[str, Any], expressions: Expressions | None = None) -> Any:
    """The resolved paths of a request's ProjectionExpression (or AttributesToGet), or None."""
    if params.get("AttributesToGet") is not None:
        if params.get("ProjectionExpression") is not None:
            raise validation(
                "Can not use both expression and non-expression parameters in the same request:"
                " Non-expression parameters: {AttributesToGet} Expression parameters:"
                " {ProjectionExpression}"
            )
        return [(name,) for name in params["AttributesToGet"]]
    if expressions is None:
        expressions = prepare(params, PROJECTION)
    parsed = expressions.get("ProjectionExpression")
    if parsed is None:
        return None
    paths = [resolve(path, expressions.names) for path in parsed.root]
    check_overlaps(parsed.kind, paths)
    return paths


def _returns(params: dict[str, Any], allowed: frozenset[str]) -> str:
    returns = params.get("ReturnValues") or "NONE"
    if returns not in allowed:
        raise validation("Return values set to invalid value")
    return str(returns)
