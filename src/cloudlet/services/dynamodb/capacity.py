"""ConsumedCapacity, as DynamoDB reports it when ReturnConsumedCapacity asks.

A write costs one unit per KB written (at least one); a read one per 4 KB read, half for an
eventually consistent read; a transactional one twice as much.
"""

from __future__ import annotations

import math
from typing import Any

WRITE_UNIT = 1024
READ_UNIT = 4096


def write_units(size: int, transactional: bool = False) -> float:
    units = max(1, math.ceil(size / WRITE_UNIT))
    return float(units * 2 if transactional else units)


def read_units(size: int, consistent: bool, transactional: bool = False) -> float:
    units = max(1, math.ceil(size / READ_UNIT))
    if transactional:
        return float(units * 2)
    return float(units) if consistent else units / 2


def consumed(params: dict[str, Any], units: dict[str, float]) -> dict[str, Any]:
    """The output member for `units` per table, if the request asked for it ({} if not)."""
    mode = params.get("ReturnConsumedCapacity")
    if mode not in ("TOTAL", "INDEXES"):
        return {}
    reports = [{"TableName": name, "CapacityUnits": total} for name, total in units.items()]
    if mode == "INDEXES":
        for report in reports:
            report["Table"] = {"CapacityUnits": report["CapacityUnits"]}
    return {"ConsumedCapacity": reports}


def consumed_one(params: dict[str, Any], table: str, units: float) -> dict[str, Any]:
    """`consumed` for single-table operations, whose ConsumedCapacity is not a list."""
    out = consumed(params, {table: units})
    if out:
        out["ConsumedCapacity"] = out["ConsumedCapacity"][0]
    return out
