"""API Gateway v2's errors, worded as it words them."""

from __future__ import annotations

from cloudlet.gateway.errors import ServiceError


def bad_request(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message)


def conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message, status=409)


def not_found(what: str, ident: str) -> ServiceError:
    """`Invalid API identifier specified 000000000000:abc` and the like."""
    return ServiceError(
        "NotFoundException",
        f"Invalid {what} identifier specified {ident}",
        status=404,
        fields={"ResourceType": what},
    )
