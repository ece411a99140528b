"""IAM's names for things: unique ids, ARNs, and the opaque markers of its paginated lists."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable, Sequence
from typing import TypeVar

from cloudlet.services.iam.errors import validation_error

T = TypeVar("T")

# IAM's unique ids: a prefix naming the kind (AROA a role, ANPA a managed policy, ASIA a
# temporary access key) and 17 characters of the base32 alphabet.
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
DEFAULT_PAGE = 100


def new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def role_arn(account: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role{path}{name}"


def policy_arn(account: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account}:policy{path}{name}"


def page(
    items: Sequence[T], key: Callable[[T], str], marker: str | None, max_items: int | None
) -> tuple[list[T], str | None]:
    """One page of `items` (sorted by `key`) from `marker`, and the marker of the next page."""
    start = 0
    if marker:
        after = _decode_marker(marker)
        start = next((i for i, item in enumerate(items) if key(item) >= after), len(items))
    size = max_items or DEFAULT_PAGE
    chosen = list(items[start : start + size])
    if start + size < len(items):
        return chosen, base64.urlsafe_b64encode(key(items[start + size]).encode()).decode()
    return chosen, None


def paged(result: dict[str, object], next_marker: str | None) -> dict[str, object]:
    """`result` with IAM's `IsTruncated`, and `Marker` when there is more."""
    result["IsTruncated"] = next_marker is not None
    if next_marker is not None:
        result["Marker"] = next_marker
    return result


def _decode_marker(marker: str) -> str:
    try:
        return base64.urlsafe_b64decode(marker.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise validation_error("Invalid Marker.") from None
