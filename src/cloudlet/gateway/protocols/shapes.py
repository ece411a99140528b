"""Values the protocols share: timestamps in every wire format, and JSON's fallbacks."""

from __future__ import annotations

import base64
import datetime
import email.utils
from typing import Any

UTC = datetime.UTC

# -- timestamps -----------------------------------------------------------------------------


def parse_timestamp(value: Any) -> datetime.datetime:
    """Epoch seconds, ISO 8601 or RFC 822, as AWS clients send them, to an aware datetime."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a timestamp")
    if isinstance(value, int | float):
        return datetime.datetime.fromtimestamp(value, UTC)
    text = str(value).strip()
    try:
        return datetime.datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_timestamp(value: Any, fmt: str) -> Any:
    """A datetime or epoch seconds in the wire format `fmt` (iso8601, unixtimestamp, rfc822)."""
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        moment = datetime.datetime.fromtimestamp(float(value), UTC)
    fmt = fmt.lower()  # models spell it unixTimestamp too
    if fmt == "unixtimestamp":
        return round(moment.timestamp(), 3)
    if fmt == "rfc822":
        return email.utils.format_datetime(moment.astimezone(UTC), usegmt=True)
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


# -- JSON -----------------------------------------------------------------------------------


def json_default(value: Any) -> Any:
    """orjson's fallback for what providers may return: bytes as base64, sets as lists."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")
