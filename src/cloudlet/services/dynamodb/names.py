"""Table names as AWS checks them, before it looks for the table.

The model types most TableName members as a `TableArn` (1 to 1024 characters), since AWS
takes a table's ARN there too. A value that is not an ARN is a name, and AWS holds it to
rules of its own, in the same "N validation errors detected" message as the model's:

- table operations (CreateTable, DescribeTable, UpdateTable, ...), batch keys and
  transaction items: the `TableName` shape, 3 to 255 characters of [a-zA-Z0-9_.-]; an empty
  name breaks both its length and its pattern;
- the item operations (GetItem, PutItem, UpdateItem, DeleteItem, Query, Scan): 255
  characters of [a-zA-Z0-9_.-] at most, so a name of one or two characters is looked for
  (ResourceNotFoundException) and an empty one breaks the ARN's length only.

`patch_names` gives the item operations' TableName shapes of their own; `CHECKED_AS` hands
both kinds of name to the gateway's validator (`Service.checked_as`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ITEM_OPERATIONS = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan")


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and not value.startswith("arn:")


def _is_item_name(value: Any) -> bool:
    return _is_name(value) and value != ""


CHECKED_AS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "TableArn": ("TableName", _is_name),
    "ItemTableArn": ("ItemTableName", _is_item_name),
}


def patch_names(shapes: dict[str, Any]) -> None:
    """Give the item operations' TableName members the shapes `CHECKED_AS` names."""
    shapes["ItemTableArn"] = dict(shapes["TableArn"])
    name = dict(shapes["TableName"])
    del name["min"]
    shapes["ItemTableName"] = name
    for operation in ITEM_OPERATIONS:
        members = shapes[f"{operation}Input"]["members"]
        members["TableName"] = {**members["TableName"], "shape": "ItemTableArn"}
