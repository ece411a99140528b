"""One page of a Query or Scan: rows in key order until Limit, 1 MB, or the end.

DynamoDB reads up to `Limit` items (or 1 MB of them, by item size), then filters: Count is
what passed the filter, ScannedCount what was read, and LastEvaluatedKey the key of the last
item read whenever reading stopped before the end. An item that needs no filter and no projection is
sent as stored (`orjson.Fragment`), never decoded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from cloudlet.services.dynamodb.expressions.paths import Steps, project
from cloudlet.services.dynamodb.expressions.request import Expressions
from cloudlet.services.dynamodb.values import Item

MAX_PAGE_BYTES = 1024 * 1024


@dataclass
class Page:
    items: list[Any] = field(default_factory=list)
    count: int = 0
    scanned: int = 0
    read_bytes: int = 0
    last_key: Item | None = None


@dataclass
class PageSpec:
    limit: int | None
    expressions: Expressions
    paths: list[Steps] | None  # the projection, if any
    count_only: bool
    key_of: Callable[[Item], Item]  # LastEvaluatedKey of an item read
    # A local index's rows answered with their table items (ALL_ATTRIBUTES), by `complete`.
    from_table: bool = False
    complete: Callable[[Any, Item], Item] | None = None


def read_page(rows: Iterable[Any], spec: PageSpec) -> Page:
    """Read `rows` (each a sequence ending with the item's size and its stored JSON)."""
    page = Page()
    condition = spec.expressions.get("FilterExpression")
    test = condition.root.test if condition is not None else None
    needs_item = test is not None or spec.paths is not None or spec.complete is not None
    last: Any = None
    for row in rows:
        raw = row[-1]
        page.scanned += 1
        page.read_bytes += row[-2]
        last = row
        if needs_item:
            item = orjson.loads(raw)
            if spec.complete is not None:
                item = spec.complete(row, item)
            if test is None or test(spec.expressions.scope(item)):
                page.count += 1
                if not spec.count_only:
                    page.items.append(project(item, spec.paths) if spec.paths else item)
        else:
            page.count += 1
            if not spec.count_only:
                page.items.append(orjson.Fragment(bytes(raw)))
        if page.scanned == spec.limit or page.read_bytes >= MAX_PAGE_BYTES:
            page.last_key = spec.key_of(orjson.loads(last[-1]))
            break
    return page


def answer(page: Page, count_only: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"Count": page.count, "ScannedCount": page.scanned}
    if not count_only:
        out["Items"] = page.items
    if page.last_key is not None:
        out["LastEvaluatedKey"] = page.last_key
    return out
