"""Document paths resolved for one request: overlap checks, projection, assignment.

`project` builds the part of an item a ProjectionExpression (or UPDATED_OLD / UPDATED_NEW)
names; `assign` and `remove` change an item at a path, copying the containers on the way
so the item they were given (the old image) stays as it was.
"""

from __future__ import annotations

from typing import Any

from cloudlet.services.dynamodb.errors import expression_error, validation
from cloudlet.services.dynamodb.expressions.nodes import Step, render_path
from cloudlet.services.dynamodb.values import Value

Steps = tuple[Step, ...]


def check_overlaps(kind: str, paths: list[Steps]) -> None:
    """DynamoDB refuses two paths of which one is the other or lies inside it."""
    for i, one in enumerate(paths):
        for two in paths[:i]:
            shorter = min(len(one), len(two))
            if one[:shorter] == two[:shorter]:
                raise expression_error(
                    kind,
                    "Two document paths overlap with each other; must remove or rewrite one of"
                    f" these paths; path one: {render_path(two)}, path two: {render_path(one)}",
                )


def project(item: dict[str, Value], paths: list[Steps]) -> dict[str, Value]:
    """The parts of `item` at `paths`, nested as in the item (lists keep element order)."""
    out: dict[str, Value] = {}
    nested = False
    for steps in paths:
        value = item.get(steps[0])  # type: ignore[call-overload]
        if value is None:
            continue
        if len(steps) == 1:
            out[steps[0]] = value  # type: ignore[index]
            continue
        nested = True
        picked = _pick(value, steps[1:])
        if picked is not None:
            existing = out.get(steps[0])  # type: ignore[call-overload]
            out[steps[0]] = _merge(existing, picked) if existing else picked  # type: ignore[index]
    return {name: _clean(value) for name, value in out.items()} if nested else out


def _pick(value: Value, steps: Steps) -> Value | None:
    step = steps[0]
    if isinstance(step, int):
        elements = value.get("L")
        if elements is None or step >= len(elements):
            return None
        inner = elements[step] if len(steps) == 1 else _pick(elements[step], steps[1:])
        # Remember the index so that merged picks keep the list's order.
        return None if inner is None else {"L": [inner], "_at": [step]}
    members = value.get("M")
    if members is None or step not in members:
        return None
    inner = members[step] if len(steps) == 1 else _pick(members[step], steps[1:])
    return None if inner is None else {"M": {step: inner}}


def _merge(a: Value, b: Value) -> Value:
    if "M" in a and "M" in b:
        members = dict(a["M"])
        for name, value in b["M"].items():
            members[name] = _merge(members[name], value) if name in members else value
        return {"M": members}
    if "L" in a and "_at" in a and "_at" in b:
        pairs = dict(zip(a["_at"], a["L"], strict=True))
        for at, value in zip(b["_at"], b["L"], strict=True):
            pairs[at] = _merge(pairs[at], value) if at in pairs else value
        order = sorted(pairs)
        return {"L": [pairs[at] for at in order], "_at": order}
    return b


def _clean(value: Value) -> Value:
    """`value` without the positions `_pick` keeps in projected lists."""
    if "_at" in value:
        return {"L": [_clean(element) for element in value["L"]]}
    if "M" in value and any(isinstance(v, dict) for v in value["M"].values()):
        return {"M": {name: _clean(member) for name, member in value["M"].items()}}
    return value


def invalid_path() -> Exception:
    return validation("The document path provided in the update expression is invalid for update")


def assign(item: dict[str, Value], steps: Steps, value: Value) -> None:
    """Set `steps` in `item` to `value` (a list index past the end appends)."""
    if len(steps) == 1:
        item[steps[0]] = value  # type: ignore[index]
        return
    container = _container(item, steps[:-1])
    last = steps[-1]
    if isinstance(last, int):
        elements = container.get("L")
        if elements is None:
            raise invalid_path()
        if last >= len(elements):
            elements.append(value)
        else:
            elements[last] = value
    else:
        members = container.get("M")
        if members is None:
            raise invalid_path()
        members[last] = value


def remove(item: dict[str, Value], steps: Steps) -> None:
    """Remove what is at `steps` in `item`, if anything."""
    if len(steps) == 1:
        item.pop(steps[0], None)  # type: ignore[call-overload]
        return
    container = _container(item, steps[:-1], missing_ok=True)
    if container is None:
        return
    last = steps[-1]
    if isinstance(last, int):
        elements = container.get("L")
        if elements is None:
            raise invalid_path()
        if last < len(elements):
            del elements[last]
    else:
        members = container.get("M")
        if members is None:
            raise invalid_path()
        members.pop(last, None)


def _container(item: dict[str, Value], steps: Steps, missing_ok: bool = False) -> Any:
    """The value at `steps`, with it and every container above it copied (so writable)."""
    first = steps[0]
    current = item.get(first)  # type: ignore[call-overload]
    if current is None:
        if missing_ok:
            return None
        raise invalid_path()
    current = _copy(current)
    item[first] = current  # type: ignore[index]
    for step in steps[1:]:
        if isinstance(step, int):
            elements = current.get("L")
            if elements is None or step >= len(elements):
                if missing_ok and elements is not None:
                    return None
                raise invalid_path()
            child = _copy(elements[step])
            elements[step] = child
        else:
            members = current.get("M")
            if members is None or step not in members:
                if missing_ok and members is not None:
                    return None
                raise invalid_path()
            child = _copy(members[step])
            members[step] = child
        current = child
    return current


def _copy(value: Value) -> Value:
    if "M" in value:
        return {"M": dict(value["M"])}
    if "L" in value:
        return {"L": list(value["L"])}
    return value
