"""Lambda's list pagination: `Marker` (an opaque position) and `MaxItems`, `NextMarker` back."""

from __future__ import annotations

import base64
from typing import Any

import orjson

from cloudlet.services.lambda_.errors import invalid_parameter


def paginate(items: list[Any], marker: str | None, limit: int) -> tuple[list[Any], str | None]:
    """A page of `items` after `marker` (an opaque position), and the next page's marker."""
    start = 0
    if marker:
        try:
            start = int(orjson.loads(base64.urlsafe_b64decode(marker.encode())))
        except (ValueError, TypeError, orjson.JSONDecodeError):
            raise invalid_parameter("Invalid marker") from None
    end = start + limit
    page = items[start:end]
    following = None
    if end < len(items):
        following = base64.urlsafe_b64encode(orjson.dumps(end)).decode()
    return page, following
