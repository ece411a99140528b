"""TransactWriteItems and TransactGetItems: all or nothing, in one store transaction.

Every action's condition is tested before any is applied; if one fails, nothing is
written and TransactionCanceledException lists a reason per action, in the request's
order. A ClientRequestToken makes a TransactWriteItems idempotent for 10 minutes: the same
request again gets the first answer, a different one IdempotentParameterMismatchException.
The items a transaction writes may total 4 MB at most (sizes as `size.item_size` counts).
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.dynamodb.base import DynamoBase
from cloudlet.services.dynamodb.capacity import consumed, read_units, write_units
from cloudlet.services.dynamodb.errors import validation
from cloudlet.services.dynamodb.expressions.paths import project
from cloudlet.services.dynamodb.operations.items import projection_paths
from cloudlet.services.dynamodb.size import item_size
from cloudlet.services.dynamodb.storage import Change, apply_change, load_item
from cloudlet.services.dynamodb.tables import Table
from cloudlet.services.dynamodb.throttling import READ, WRITE
from cloudlet.services.dynamodb.writes import (
    CheckRequest,
    ConditionFailed,
    DeleteRequest,
    PutRequest,
    UpdateRequest,
    WriteRequest,
)
from cloudlet.store import Tx

TOKEN_WINDOW = 600.0
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024
_KINDS = {
    "ConditionCheck": CheckRequest,
    "Put": PutRequest,
    "Delete": DeleteRequest,
    "Update": UpdateRequest,
}


def claim_item(seen: set[tuple[int, bytes, bytes]], request: WriteRequest) -> None:
    """Note the item `request` writes among a transaction's `seen` items (TransactWriteItems,
    ExecuteTransaction): a second operation on one item is a ValidationException."""
    identity = (request.table.id, *request.key)
    if identity in seen:
        raise validation("Transaction request cannot include multiple operations on one item")
    seen.add(identity)


class TransactionOperations(DynamoBase):
    async def transact_write_items(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        requests: list[tuple[WriteRequest, str | None]] = []
        seen: set[tuple[int, bytes, bytes]] = set()
        for action in params["TransactItems"]:
            kinds = [kind for kind in _KINDS if action.get(kind) is not None]
            if len(kinds) != 1:
                raise validation(
                    "TransactItems can only contain one of Check, Put, Update or Delete"
                )
            spec = action[kinds[0]]
            table = self._table(ctx, spec["TableName"])
            request = _KINDS[kinds[0]](table, spec)
            claim_item(seen, request)
            requests.append((request, spec.get("ReturnValuesOnConditionCheckFailure")))
        digest = hashlib.sha256(
            orjson.dumps(params["TransactItems"], option=orjson.OPT_SORT_KEYS)
        ).hexdigest()
        return await self._transact(ctx, params, requests, digest)

    async def _transact(
        self,
        ctx: RequestContext,
        params: dict[str, Any],
        requests: list[tuple[WriteRequest, str | None]],
        digest: str,
    ) -> dict[str, Any]:
        """Run checked write requests as one transaction (idempotent by ClientRequestToken)."""
        token = params.get("ClientRequestToken")
        tables = {request.table.name: request.table for request, _ in requests}
        if self.throttle is not None:
            for table in tables.values():
                self.throttle.admit(table, WRITE)
        now = self.now()

        def write(tx: Tx) -> tuple[dict[str, Any], set[str], dict[str, float]]:
            if token is not None:
                previous = _previous(tx, ctx, token, digest, now)
                if previous is not None:
                    return previous, set(), {}
            changes: list[Change] = []
            reasons: list[dict[str, Any]] = []
            for request, on_failure in requests:
                try:
                    changes.append(request.change(tx))
                    reasons.append({"Code": "None"})
                except ConditionFailed as failure:
                    reason: dict[str, Any] = {
                        "Code": "ConditionalCheckFailed",
                        "Message": "The conditional request failed",
                    }
                    if on_failure == "ALL_OLD" and failure.old is not None:
                        reason["Item"] = failure.old
                    reasons.append(reason)
                except ServiceError as error:
                    if error.code != "ValidationException":
                        raise
                    reasons.append({"Code": "ValidationError", "Message": error.message})
            if sum(change.size for change in changes) > MAX_TRANSACTION_BYTES:
                raise validation("Transaction item size has exceeded the 4 MB limit")
            if any(reason["Code"] != "None" for reason in reasons):
                codes = ", ".join(reason["Code"] for reason in reasons)
                raise ServiceError(
                    "TransactionCanceledException",
                    "Transaction cancelled, please refer cancellation reasons for specific"
                    f" reasons [{codes}]",
                    fields={"CancellationReasons": reasons},
                )
            streams: set[str] = set()
            units: dict[str, float] = {}
            for change in changes:
                stream = apply_change(tx, change, now)
                if stream is not None:
                    streams.add(stream)
                name = change.table.name
                units[name] = units.get(name, 0.0) + write_units(change.size, transactional=True)
            answer = consumed(params, units)
            if token is not None:
                tx.execute(
                    "INSERT INTO ddb_transactions (account, region, token, digest, answer,"
                    " expires) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account, region, token)"
                    " DO UPDATE SET digest = excluded.digest, answer = excluded.answer,"
                    " expires = excluded.expires",
                    (ctx.account_id, ctx.region, token, digest, orjson.dumps(answer).decode(),
                     now + TOKEN_WINDOW / self.config.dynamodb_window_scale),
                )  # fmt: skip
            return answer, streams, units

        answer, streams, units = await self.store.write(write)
        for stream in streams:
            self.signals.wake(stream)
        self._charge(tables, WRITE, units)
        return answer

    async def transact_get_items(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        gets = []
        tables: dict[str, Table] = {}
        for action in params["TransactItems"]:
            spec = action["Get"]
            table = tables[spec["TableName"]] = self._table(ctx, spec["TableName"])
            key, _ = table.schema.request_key(spec["Key"])
            gets.append((table, key, projection_paths(spec)))
        if self.throttle is not None:
            for table in tables.values():
                self.throttle.admit(table, READ)

        def read(tx: Tx) -> tuple[dict[str, Any], dict[str, float]]:
            responses: list[dict[str, Any]] = []
            units: dict[str, float] = {}
            for table, key, paths in gets:
                item = load_item(tx, table, key)
                size = item_size(item) if item else 0
                units[table.name] = units.get(table.name, 0.0) + read_units(size, True, True)
                if item is None:
                    responses.append({})
                else:
                    responses.append({"Item": project(item, paths) if paths else item})
            return {"Responses": responses, **consumed(params, units)}, units

        answer, units = await self.store.read(read)
        self._charge({table.name: table for table in tables.values()}, READ, units)
        return answer


def _previous(
    tx: Tx, ctx: RequestContext, token: str, digest: str, now: float
) -> dict[str, Any] | None:
    """The answer to an earlier request with this token, if within the window."""
    row = tx.execute(
        "SELECT digest, answer FROM ddb_transactions WHERE account = ? AND region = ?"
        " AND token = ? AND expires > ?",
        (ctx.account_id, ctx.region, token, now),
    ).fetchone()
    if row is None:
        return None
    if row[0] != digest:
        raise ServiceError(
            "IdempotentParameterMismatchException",
            "The request uses the same client token as a previous, but non-identical request.",
        )
    return orjson.loads(row[1])  # type: ignore[no-any-return]
