"""REST APIs' Update operations: JSON-patch-like `patchOperations` (`op`, `path`, `value`)
applied to a document; paths use `/`-separated members, `~1` for a `/` inside a key."""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.errors import ServiceError


def _bad(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message)


def _typed(current: Any, value: str | None) -> Any:
    """A patch value (always text on the wire) in the type the member already has."""
    if value is None:
        return None
    if isinstance(current, bool):
        return value.lower() == "true"
    if isinstance(current, int):
        try:
            return int(value)
        except ValueError:
            raise _bad(f"Invalid value {value}: a number is expected") from None
    if isinstance(current, float):
        return float(value)
    return value


def apply(
    document: dict[str, Any], operations: list[dict[str, Any]], allowed: tuple[str, ...]
) -> None:
    """Apply `operations` in place; a path outside `allowed` (first segments) is refused
    with AWS's wording."""
    for operation in operations or []:
        op = operation.get("op", "replace")
        path = str(operation.get("path", ""))
        parts = (
            [p.replace("~1", "/") for p in path.strip("/").split("/")] if path.strip("/") else []
        )
        if not parts or parts[0] not in allowed:
            raise _bad(f"Invalid patch path {path}")
        target = document
        for part in parts[:-1]:
            nested = target.get(part)
            if not isinstance(nested, dict):
                nested = target[part] = {}
            target = nested
        last = parts[-1]
        value = operation.get("value")
        if op == "replace":
            target[last] = _typed(target.get(last), value)
        elif op == "add":
            existing = target.get(last)
            if isinstance(existing, list):
                existing.append(value)
            else:
                target[last] = _typed(existing, value)
        elif op == "remove":
            existing = target.get(last)
            if isinstance(existing, list) and value is not None:
                target[last] = [item for item in existing if item != value]
            else:
                target.pop(last, None)
        else:
            raise _bad(
                "Invalid patch operation specified. Must be one of: [add, remove, replace] "
                f"but was {op}"
            )
