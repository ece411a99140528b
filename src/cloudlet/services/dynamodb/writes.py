"""The three item writes (put, update, delete) and the condition check, as requests.

A request is checked when it is made (`PutRequest(...)` etc. raise DynamoDB's validation
errors, reading nothing); `change(tx)` then runs in the write transaction: it reads the old
item, tests the condition and returns the prepared `Change`. PutItem, BatchWriteItem,
TransactWriteItems and PartiQL all write through these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudlet.services.dynamodb.errors import conditional_check_failed
from cloudlet.services.dynamodb.expressions.request import Expressions, prepare
from cloudlet.services.dynamodb.expressions.update import apply_update, update_paths
from cloudlet.services.dynamodb.keys import Key
from cloudlet.services.dynamodb.legacy import translate
from cloudlet.services.dynamodb.storage import Change, load_item, prepare_change
from cloudlet.services.dynamodb.tables import Table
from cloudlet.services.dynamodb.values import Item, check_item

CONDITION = ("ConditionExpression",)
UPDATE = ("UpdateExpression", "ConditionExpression")


class ConditionFailed(Exception):
    """A write's condition was false: the old item, for ALL_OLD reports and transactions."""

    def __init__(self, old: Item | None) -> None:
        super().__init__("The conditional request failed")
        self.old = old


@dataclass
class WriteRequest:
    table: Table
    key: Key
    expressions: Expressions

    def tested(self, tx: Any) -> Item | None:
        """The old item, once the condition holds for it (ConditionFailed otherwise)."""
        old = load_item(tx, self.table, self.key)
        condition = self.expressions.get("ConditionExpression")
        if condition is not None and not condition.root.test(self.expressions.scope(old)):
            raise ConditionFailed(old)
        return old

    def change(self, tx: Any) -> Change:
        raise NotImplementedError


class PutRequest(WriteRequest):
    def __init__(self, table: Table, params: dict[str, Any]) -> None:
        params = translate(params)
        item = check_item(params["Item"])
        super().__init__(table, table.schema.item_key(item), prepare(params, CONDITION))
        self.item = item
        # Size and index key types are known now: refuse before reading anything.
        self.prepared = prepare_change(table, self.key, None, item)

    def change(self, tx: Any) -> Change:
        self.prepared.old = self.tested(tx)
        return self.prepared


class DeleteRequest(WriteRequest):
    def __init__(self, table: Table, params: dict[str, Any]) -> None:
        params = translate(params)
        key, _ = table.schema.request_key(params["Key"])
        super().__init__(table, key, prepare(params, CONDITION))

    def change(self, tx: Any) -> Change:
        return prepare_change(self.table, self.key, self.tested(tx), None)


class UpdateRequest(WriteRequest):
    def __init__(self, table: Table, params: dict[str, Any]) -> None:
        params = translate(params)
        key, self.key_item = table.schema.request_key(params["Key"])
        expressions = prepare(params, UPDATE)
        super().__init__(table, key, expressions)
        self.update = expressions.get("UpdateExpression")
        self.paths = (
            update_paths(self.update, expressions.names, table.key_names) if self.update else []
        )

    def change(self, tx: Any) -> Change:
        old = self.tested(tx)
        if self.update is None:
            new = dict(old) if old is not None else dict(self.key_item)
        else:
            new = apply_update(self.update, self.paths, self.expressions.scope(old))
            if old is None:
                new.update(self.key_item)
        return prepare_change(self.table, self.key, old, new, update=True)


class CheckRequest(WriteRequest):
    """TransactWriteItems' ConditionCheck: a condition and no change."""

    def __init__(self, table: Table, params: dict[str, Any]) -> None:
        key, _ = table.schema.request_key(params["Key"])
        super().__init__(table, key, prepare(params, CONDITION))

    def change(self, tx: Any) -> Change:
        old = self.tested(tx)
        return Change(self.table, self.key, old, old)


def condition_error(failure: ConditionFailed, return_on_failure: str | None) -> Exception:
    """ConditionalCheckFailedException, carrying the item when ALL_OLD was asked for."""
    item = failure.old if return_on_failure == "ALL_OLD" else None
    return conditional_check_failed(item)
