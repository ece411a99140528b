"""What every group of DynamoDB operations shares: the tables, the stream signals, the clock,
and the provisioned capacity's throttle (None unless CLOUDLET_DYNAMODB_THROTTLING)."""

from __future__ import annotations

import time
from typing import Any

from cloudlet.delivery.wakeups import Wakeups
from cloudlet.services.base import Platform, RequestContext, Service
from cloudlet.services.dynamodb.names import CHECKED_AS, patch_names
from cloudlet.services.dynamodb.registry import TableRegistry
from cloudlet.services.dynamodb.schema import MIGRATIONS
from cloudlet.services.dynamodb.streams import StreamReader
from cloudlet.services.dynamodb.tables import Table
from cloudlet.services.dynamodb.throttling import Throttle

# The order in which DynamoDB lists an enum's values when a value is not one of them ("Member
# must satisfy enum value set: [B, N, S]"), where it is not the model's order; as AWS answered
# CreateTable and UpdateTable (ScalarAttributeType, StreamViewType: us-west-2, 2026-10-09),
# Query (Select) and the item writes (ReturnValue, ConditionalOperator: the regions that have
# not moved to DynamoDB's newer validation wording).
ENUM_ORDER = {
    "ScalarAttributeType": ["B", "N", "S"],
    "StreamViewType": ["OLD_IMAGE", "KEYS_ONLY", "NEW_AND_OLD_IMAGES", "NEW_IMAGE"],
    "Select": ["SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"],
    "ReturnValue": ["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"],
    "ConditionalOperator": ["OR", "AND"],
}


class DynamoBase(Service):
    name = "dynamodb"
    migrations = MIGRATIONS
    checked_as = CHECKED_AS  # table names as AWS checks them (names.py)
    quotes_numbers = True  # "Value '0' at 'limit' failed to satisfy constraint"

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.registry = TableRegistry(self.store)
        # The streams' hook for pollers inside cloudlet: woken by stream ARN once a record commits.
        self.signals: Wakeups[str] = Wakeups()
        self.stream_reader = StreamReader(self.store)
        # Checked as `self.throttle is not None` so that requests pay nothing when it is off.
        self.throttle = Throttle() if self.config.dynamodb_throttling else None

    def patch_model(self, model: dict[str, Any]) -> None:
        # AttributeValues are checked by `values.check_value`, with DynamoDB's own messages,
        # and stay in wire form (binaries as base64 text): the gateway passes them through
        # untouched instead of walking every item twice.
        model["shapes"]["AttributeValue"] = {"type": "document"}
        patch_names(model["shapes"])
        for shape, order in ENUM_ORDER.items():
            values = model["shapes"][shape]["enum"]
            # A value a newer model adds goes last, where AWS's order is not known.
            values[:] = [v for v in order if v in values] + [v for v in values if v not in order]

    def _table(self, ctx: RequestContext, name: str) -> Table:
        return self.registry.require(ctx.account_id, ctx.region, name)

    def _charge(self, tables: dict[str, Table], capacity: str, units: dict[str, float]) -> None:
        """Pay the units a request consumed per table (`tables` and `units` by the same
        names), if throttling."""
        if self.throttle is not None:
            for name, spent in units.items():
                self.throttle.charge(tables[name], capacity, spent)

    @staticmethod
    def now() -> float:
        return time.time()
