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
