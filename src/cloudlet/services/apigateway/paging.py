"""Paging of API Gateway's lists: an opaque token that is the next item's position."""

from __future__ import annotations

import base64
from typing import Any

from cloudlet.gateway.errors import ServiceError


def page(
    items: list[Any], limit: int | str | None, token: str | None, default: int = 500
) -> tuple[list[Any], str | None]:
    """The page starting at `token`, at most `limit` items, and the next page's token."""
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except (ValueError, UnicodeDecodeError):
            raise ServiceError("BadRequestException", "Invalid pagination token") from None
    try:
        size = int(limit) if limit not in (None, "") else default
    except ValueError:
        raise ServiceError("BadRequestException", f"Invalid MaxResults: {limit}") from None
    size = max(1, size)
    end = start + size
    following = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], following


def http_api_page(items: list[Any], request: dict[str, Any]) -> dict[str, Any]:
    """An HTTP API list's answer (GetApis, GetRoutes...): the page of `items` the request's
    MaxResults and NextToken name, as Items, and the next page's NextToken."""
    listed, following = page(items, request.get("MaxResults"), request.get("NextToken"))
    return {"Items": listed, **({"NextToken": following} if following else {})}


def rest_api_page(items: list[Any], request: dict[str, Any]) -> dict[str, Any]:
    """A REST API list's answer (GetRestApis, GetResources, GetApiKeys): the page of `items`
    the request's limit and position name, as items, and the next page's position."""
    listed, following = page(items, request.get("limit"), request.get("position"), 25)
    return {"items": listed, **({"position": following} if following else {})}
