"""The NextToken of the List operations: where the page ended, and when the token was made.

Kinesis's tokens last 300 seconds; an older one gets ExpiredNextTokenException, one that
cloudlet did not make InvalidArgumentException.
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

import orjson

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.kinesis.errors import invalid_argument

LIFETIME = 300.0


def next_token(*position: Any) -> str:
    """A token for the page after `position`."""
    body = orjson.dumps([time.time(), *position])
    return base64.urlsafe_b64encode(body).decode().rstrip("=")


def read_token(token: str, size: int) -> list[Any]:
    """The position a token holds (`size` values)."""
    try:
        body = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise invalid_argument(f"NextToken {token} is invalid.") from None
    if not isinstance(body, list) or len(body) != size + 1 or not isinstance(body[0], float):
        raise invalid_argument(f"NextToken {token} is invalid.")
    if time.time() - body[0] > LIFETIME:
        raise ServiceError("ExpiredNextTokenException", f"NextToken {token} has expired.")
    return body[1:]
