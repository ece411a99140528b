"""PartiQL: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction.

Statements run through the same reads and writes as the rest of the API (see `partiql`):
a SELECT whose WHERE fixes the partition key reads that partition only; an UPDATE or DELETE
must fix the whole primary key and fails (ConditionalCheckFailedException) when the item is
missing or the rest of its WHERE is false; an INSERT fails with DuplicateItemException
when the item exists.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

import orjson

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.dynamodb.errors import conditional_check_failed, validation
from cloudlet.services.dynamodb.expressions.nodes import resolve
from cloudlet.services.dynamodb.expressions.parser import parse_projection
from cloudlet.services.dynamodb.expressions.paths import project
from cloudlet.services.dynamodb.expressions.request import prepare
from cloudlet.services.dynamodb.key_conditions import KeyRange
from cloudlet.services.dynamodb.keys import encode
from cloudlet.services.dynamodb.operations.reads import ReadOperations
from cloudlet.services.dynamodb.operations.transactions import TransactionOperations, claim_item
from cloudlet.services.dynamodb.pages import PageSpec
from cloudlet.services.dynamodb.partiql import Bound, Statement, bind, parse_statement
from cloudlet.services.dynamodb.storage import apply_change, load_item
from cloudlet.services.dynamodb.tables import Table
from cloudlet.services.dynamodb.values import check_item, check_value
from cloudlet.services.dynamodb.writes import (
    ConditionFailed,
    DeleteRequest,
    PutRequest,
    UpdateRequest,
    WriteRequest,
    condition_error,
)
from cloudlet.store import Tx

READ = ("FilterExpression", "ProjectionExpression")
# How BatchExecuteStatement names each statement's error (BatchStatementErrorCodeEnum).
_BATCH_CODES = {
    "ValidationException": "ValidationError",
    "ResourceNotFoundException": "ResourceNotFound",
    "ConditionalCheckFailedException": "ConditionalCheckFailed",
    "DuplicateItemException": "DuplicateItem",
}


class PartiqlOperations(ReadOperations, TransactionOperations):
    async def execute_statement(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        statement, table, bound = self._prepare(ctx, params)
        if statement.is_read:
            return await self._select(table, statement, bound, params)
        request = self._write_request(table, statement, bound)
        on_failure = params.get("ReturnValuesOnConditionCheckFailure")
        now = self.now()

        def write(tx: Tx) -> str | None:
            try:
                change = request.change(tx)
            except ConditionFailed as failure:
                raise _write_failure(statement, failure, on_failure) from None
            return apply_change(tx, change, now)

        stream = await self.store.write(write)
        if stream is not None:
            self.signals.wake(stream)
        return {"Items": []}

    async def batch_execute_statement(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        responses = []
        for entry in params["Statements"]:
            try:
                statement, table, bound = self._prepare(ctx, entry)
                if statement.is_read:
                    key = self._full_key(table, bound)
                    item = await self.store.read(lambda tx, t=table, k=key: load_item(tx, t, k))
                    response: dict[str, Any] = {"TableName": table.name}
                    if item is not None:
                        response["Item"] = _projected(statement, item)
                    responses.append(response)
                else:
                    await self.execute_statement(ctx, entry)
                    responses.append({"TableName": table.name})
            except ServiceError as error:
                failure: dict[str, Any] = {
                    "Code": _BATCH_CODES.get(error.code, error.code),
                    "Message": error.message,
                }
                if "Item" in error.fields:
                    failure["Item"] = error.fields["Item"]
                responses.append({"Error": failure})
        return {"Responses": responses}

    async def execute_transaction(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        prepared = [self._prepare(ctx, entry) for entry in params["TransactStatements"]]
        reads = [statement.is_read for statement, _, _ in prepared]
        if any(reads) and not all(reads):
            raise validation("Transaction must contain either reads or writes, not both")
        if all(reads):
            keys = [(s, table, self._full_key(table, bound)) for s, table, bound in prepared]

            def read(tx: Tx) -> list[dict[str, Any]]:
                items = [(s, load_item(tx, table, key)) for s, table, key in keys]
                return [{"Item": _projected(s, item)} if item else {} for s, item in items]

            return {"Responses": await self.store.read(read)}
        requests: list[tuple[WriteRequest, str | None]] = []
        seen: set[tuple[int, bytes, bytes]] = set()
        for (statement, table, bound), entry in zip(
            prepared, params["TransactStatements"], strict=True
        ):
            request = self._write_request(table, statement, bound)
            claim_item(seen, request)
            requests.append((request, entry.get("ReturnValuesOnConditionCheckFailure")))
        digest = hashlib.sha256(
            orjson.dumps(params["TransactStatements"], option=orjson.OPT_SORT_KEYS)
        ).hexdigest()
        await self._transact(ctx, params, requests, digest)
        return {}

    # -- pieces -----------------------------------------------------------------------------

    def _prepare(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> tuple[Statement, Table, Bound]:
        statement = parse_statement(params["Statement"])
        table = self._table(ctx, statement.table)
        parameters = [check_value(value) for value in params.get("Parameters") or []]
        return statement, table, bind(statement, parameters)

    def _full_key(self, table: Table, bound: Bound) -> tuple[bytes, bytes]:
        key_item = {}
        for name in table.key_names:
            if name not in bound.equalities:
                raise validation(
                    "Where clause does not contain a mandatory equality on all key attributes"
                )
            key_item[name] = bound.equalities[name]
        return table.schema.request_key(key_item)[0]

    def _write_request(self, table: Table, statement: Statement, bound: Bound) -> WriteRequest:
        names = statement.names
        if statement.kind == "INSERT":
            alias = "#key"
            return PutRequest(
                table,
                {
                    "Item": check_item(bound.item["M"]),
                    "ConditionExpression": f"attribute_not_exists({alias})",
                    "ExpressionAttributeNames": {alias: table.schema.hash_name},
                },
            )
        self._full_key(table, bound)
        key = {name: bound.equalities[name] for name in table.key_names}
        condition = f"({statement.where})"
        params: dict[str, Any] = {
            "Key": key,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": dict(names),
            "ExpressionAttributeValues": bound.values,
        }
        if statement.kind == "UPDATE":
            params["UpdateExpression"] = statement.update
            return UpdateRequest(table, params)
        return DeleteRequest(table, params)

    async def _select(
        self, table: Table, statement: Statement, bound: Bound, params: dict[str, Any]
    ) -> dict[str, Any]:
        index = None
        if statement.index is not None:
            index = table.indexes.get(statement.index)
            if index is None:
                raise validation(f"The table does not have the specified index: {statement.index}")
        request: dict[str, Any] = {
            "FilterExpression": statement.where,
            "ProjectionExpression": statement.projection,
        }
        if statement.names:
            request["ExpressionAttributeNames"] = statement.names
        if bound.values:
            request["ExpressionAttributeValues"] = bound.values
        expressions = prepare(request, READ)
        paths = None
        parsed = expressions.get("ProjectionExpression")
        if parsed is not None:
            paths = [resolve(path, expressions.names) for path in parsed.root]
        schema = index.schema if index else table.schema
        key_names = table.key_names + (index.schema.names if index else ())
        spec = PageSpec(
            params.get("Limit"),
            expressions,
            paths,
            False,
            lambda item: {name: item[name] for name in dict.fromkeys(key_names)},
        )
        start = _token_position(params.get("NextToken"))
        partition = bound.equalities.get(schema.hash_name)
        if partition is not None and next(iter(partition)) == schema.hash_type:
            key_range = KeyRange(encode(partition, schema.hash_type), (), ())
            page = await self._query_page(table, index, key_range, spec, start)
        else:
            page = await self._scan_page(table, index, spec, start)
        out: dict[str, Any] = {"Items": page.items}
        if page.last_key is not None:
            position = _position(table, index, page.last_key)
            out["NextToken"] = base64.b64encode(orjson.dumps(position)).decode()
            out["LastEvaluatedKey"] = page.last_key
        return out


def _position(table: Table, index: Any, last_key: dict[str, Any]) -> list[str]:
    """A page's end as the row position it stands for (base64 of the key bytes)."""
    key = table.schema.request_key({name: last_key[name] for name in table.key_names})[0]
    parts = [key[0], key[1]]
    if index is not None:
        index_key = index.schema.index_key(last_key, index.name)
        parts = [index_key[0], index_key[1], *parts]
    return [base64.b64encode(part).decode() for part in parts]


def _token_position(token: str | None) -> list[bytes] | None:
    if token is None:
        return None
    try:
        return [base64.b64decode(part) for part in orjson.loads(base64.b64decode(token))]
    except (binascii.Error, ValueError, TypeError):
        raise validation("Invalid NextToken") from None


def _projected(statement: Statement, item: dict[str, Any]) -> dict[str, Any]:
    if statement.projection is None:
        return item
    parsed = parse_projection(statement.projection)
    return project(item, [resolve(path, statement.names) for path in parsed.root])


def _write_failure(statement: Statement, failure: ConditionFailed, on_failure: Any) -> Exception:
    if statement.kind == "INSERT":
        return ServiceError("DuplicateItemException", "Duplicate primary key exists in table")
    if failure.old is None:
        return conditional_check_failed()
    return condition_error(failure, on_failure)
