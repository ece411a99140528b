"""Shape walking shared by the protocols: blobs, timestamps, and knowing when to bother."""

from __future__ import annotations

import base64
import binascii
import datetime
import email.utils
from typing import Any

from botocore.model import Shape

from cloudlet.gateway.errors import ServiceError

UTC = datetime.UTC
_SCALARS_NEEDING_WORK = frozenset({"blob", "timestamp"})


def needs_conversion(shape: Shape | None) -> bool:
    """Whether a value of `shape` can hold a blob or timestamp (JSON needs them converted)."""
    return shape is not None and _contains(shape, _SCALARS_NEEDING_WORK, set())


def _contains(shape: Shape, kinds: frozenset[str], seen: set[str]) -> bool:
    if shape.type_name in kinds:
        return True
    if shape.name in seen:
        return False
    seen.add(shape.name)
    if shape.type_name == "structure":
        return any(_contains(m, kinds, seen) for m in shape.members.values())
    if shape.type_name == "list":
        return _contains(shape.member, kinds, seen)
    if shape.type_name == "map":
        return _contains(shape.key, kinds, seen) or _contains(shape.value, kinds, seen)
    return False


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
    if fmt == "unixtimestamp":
        return round(moment.timestamp(), 3)
    if fmt == "rfc822":
        return email.utils.format_datetime(moment.astimezone(UTC), usegmt=True)
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


# -- JSON bodies ----------------------------------------------------------------------------


def from_json(shape: Shape, value: Any) -> Any:
    """Turn JSON input into what providers get: bytes for blobs, datetimes for timestamps."""
    kind = shape.type_name
    if value is None:
        return None
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {k: from_json(members[k], v) if k in members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [from_json(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: from_json(shape.value, v) for k, v in value.items()}
    if kind == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ServiceError(
                "SerializationException", "Base64 encoded binary value is not valid"
            ) from None
    if kind == "timestamp":
        try:
            return parse_timestamp(value)
        except (ValueError, TypeError, OverflowError):
            raise ServiceError(
                "SerializationException", f"Timestamp value {value!r} is not valid"
            ) from None
    return value


def to_json(shape: Shape, value: Any, timestamp_format: str = "unixtimestamp") -> Any:
    """The inverse of `from_json`, for output: base64 text for blobs, epoch for timestamps."""
    kind = shape.type_name
    if value is None:
        return None
    if kind == "structure":
        members = shape.members
        return {
            k: to_json(members[k], v, timestamp_format) if k in members else v
            for k, v in value.items()
        }
    if kind == "list":
        return [to_json(shape.member, v, timestamp_format) for v in value]
    if kind == "map":
        return {k: to_json(shape.value, v, timestamp_format) for k, v in value.items()}
    if kind == "blob":
        raw = value.encode() if isinstance(value, str) else value
        return base64.b64encode(raw).decode("ascii")
    if kind == "timestamp":
        return format_timestamp(value, shape.serialization.get("timestampFormat", timestamp_format))
    return value
