"""DynamoDB's errors, worded as DynamoDB words them."""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.errors import ServiceError


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def invalid_parameters(detail: str) -> ServiceError:
    """DynamoDB's prefix for a bad value in the request's items or keys."""
    return validation(f"One or more parameter values were invalid: {detail}")


def resource_not_found(message: str = "Requested resource not found") -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)


def table_not_found(name: str) -> ServiceError:
    return resource_not_found(f"Requested resource not found: Table: {name} not found")


def resource_in_use(message: str) -> ServiceError:
    return ServiceError("ResourceInUseException", message)


def conditional_check_failed(item: dict[str, Any] | None = None) -> ServiceError:
    """A write's condition was false; `item` is sent when the request asked for ALL_OLD."""
    fields = {"Item": item} if item is not None else None
    return ServiceError(
        "ConditionalCheckFailedException", "The conditional request failed", fields=fields
    )


def key_schema_mismatch() -> ServiceError:
    return validation("The provided key element does not match the schema")


def item_too_large(update: bool = False) -> ServiceError:
    if update:
        return validation("Item size to update has exceeded the maximum allowed size")
    return validation("Item size has exceeded the maximum allowed size")


def expression_error(kind: str, detail: str) -> ServiceError:
    """An error in one expression (`kind`: ConditionExpression, UpdateExpression...)."""
    return validation(f"Invalid {kind}: {detail}")
