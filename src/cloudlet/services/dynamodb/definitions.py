"""CreateTable's and UpdateTable's definitions checked as DynamoDB checks them.

Key schemas against AttributeDefinitions, billing mode against throughput, secondary
indexes (LSIs share the table's partition key and need its sort key; projections), with
DynamoDB's ValidationException messages.
"""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodb.errors import invalid_parameters, validation
from cloudlet.services.dynamodb.keys import KeySchema

MAX_LOCAL_INDEXES = 5
MAX_GLOBAL_INDEXES = 20
MAX_NON_KEY_ATTRIBUTES = 100


def key_schema(elements: list[dict[str, str]], attributes: dict[str, str]) -> KeySchema:
    """A KeySchema from its elements: HASH first, then an optional RANGE."""
    if not elements or elements[0]["KeyType"] != "HASH":
        raise validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(elements) > 1 and elements[1]["KeyType"] != "RANGE":
        raise validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
    names = [element["AttributeName"] for element in elements]
    if len(names) == 2 and names[0] == names[1]:
        raise validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name"
        )
    missing = [name for name in names if name not in attributes]
    if missing:
        raise invalid_parameters(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: ["
            + ", ".join(missing)
            + "], AttributeDefinitions: ["
            + ", ".join(attributes)
            + "]"
        )
    if len(names) == 1:
        return KeySchema(names[0], attributes[names[0]])
    return KeySchema(names[0], attributes[names[0]], names[1], attributes[names[1]])


def attribute_definitions(definitions: list[dict[str, str]]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for definition in definitions:
        name = definition["AttributeName"]
        if name in attributes:
            raise invalid_parameters(f"Duplicate AttributeName in AttributeDefinitions: {name}")
        attributes[name] = definition["AttributeType"]
    return attributes


def check_all_defined_used(attributes: dict[str, str], used: set[str]) -> None:
    if set(attributes) - used:
        raise invalid_parameters(
            "Number of attributes in KeySchema does not exactly match number of attributes"
            " defined in AttributeDefinitions"
        )


def projection(spec: dict[str, Any]) -> dict[str, Any]:
    kind = spec.get("ProjectionType", "ALL") if spec else "ALL"
    non_key = spec.get("NonKeyAttributes") if spec else None
    if kind == "INCLUDE" and not non_key:
        raise invalid_parameters("ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
    if kind != "INCLUDE" and non_key:
        raise invalid_parameters(f"ProjectionType is {kind}, but NonKeyAttributes is specified")
    if non_key and len(non_key) > MAX_NON_KEY_ATTRIBUTES:
        raise validation(
            "One or more parameter values were invalid: Number of projected non-key attributes"
            f" exceeds limit of {MAX_NON_KEY_ATTRIBUTES}"
        )
    out: dict[str, Any] = {"ProjectionType": kind}
    if non_key:
        out["NonKeyAttributes"] = list(non_key)
    return out


def billing(
    mode: str | None, throughput: dict[str, int] | None, global_indexes: list[dict[str, Any]]
) -> tuple[str, dict[str, int]]:
    """The billing mode and provisioned throughput of a new table."""
    mode = mode or "PROVISIONED"
    if mode == "PAY_PER_REQUEST":
        if throughput:
            raise invalid_parameters(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when"
                " BillingMode is PAY_PER_REQUEST"
            )
        return mode, {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
    if not throughput:
        raise invalid_parameters(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode"
            " is PROVISIONED"
        )
    for index in global_indexes:
        if not index.get("ProvisionedThroughput"):
            raise invalid_parameters(
                "ProvisionedThroughput should not be null for index: " + index["IndexName"]
            )
    return mode, dict(throughput)


def local_index_schema(
    name: str, elements: list[dict[str, str]], attributes: dict[str, str], table: KeySchema
) -> KeySchema:
    if table.range_name is None:
        raise invalid_parameters(
            "Table KeySchema does not have a range key, which is required when specifying a"
            " LocalSecondaryIndex"
        )
    schema = key_schema(elements, attributes)
    if schema.hash_name != table.hash_name:
        raise invalid_parameters(
            "Index KeySchema does not have the same leading hash key as table KeySchema for"
            f" index: {name}. index hash key: {schema.hash_name}, table hash key:"
            f" {table.hash_name}"
        )
    if schema.range_name is None:
        raise invalid_parameters(f"Index KeySchema does not have a range key for index: {name}")
    return schema


def stream_view_type(spec: dict[str, Any] | None, creating: bool) -> str | None:
    """The view type of an enabled stream, None when the specification disables streams.

    AWS words the errors differently for CreateTable (`creating`) and UpdateTable, and calls
    the view type UpdateViewType in both."""
    if not spec or not spec.get("StreamEnabled"):
        if spec and spec.get("StreamViewType"):
            raise invalid_parameters(
                "Table is being created with a stream disabled, UpdateViewType should not be"
                " specified"
                if creating
                else "If stream is being disabled, then UpdateViewType must not be specified"
            )
        return None
    view = spec.get("StreamViewType")
    if not view:
        raise invalid_parameters(
            "Table is being created with a stream enabled, UpdateViewType is required"
            if creating
            else "If stream is being enabled then UpdateViewType is required"
        )
    return str(view)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceededException", message)
