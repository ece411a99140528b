"""UpdateItem's UpdateExpression applied to an item, as DynamoDB applies it.

Every SET value is computed from the item as it was before the update; then SETs are
applied, then REMOVEs (list elements from the highest index down, so that each index means
the element it meant in the old item), then ADDs and DELETEs.
"""

from __future__ import annotations

from cloudlet.services.dynamodb.errors import invalid_parameters, validation
from cloudlet.services.dynamodb.expressions.nodes import Scope, lookup, resolve
from cloudlet.services.dynamodb.expressions.parser import Action, Parsed
from cloudlet.services.dynamodb.expressions.paths import Steps, assign, check_overlaps, remove
from cloudlet.services.dynamodb.numbers import add_numbers
from cloudlet.services.dynamodb.values import Value


def update_paths(parsed: Parsed, names: dict[str, str], keys: tuple[str, ...]) -> list[Steps]:
    """The resolved paths of an update's actions, checked: no overlaps, no key attribute."""
    paths = [resolve(action.path, names) for action in parsed.root]
    check_overlaps(parsed.kind, paths)
    for steps in paths:
        if steps[0] in keys:
            raise invalid_parameters(
                f"Cannot update attribute {steps[0]}. This attribute is part of the key"
            )
    return paths


def apply_update(parsed: Parsed, paths: list[Steps], scope: Scope) -> dict[str, Value]:
    """The item after the update; `scope.item` (the old item, or None) is left unchanged."""
    old = scope.item or {}
    new = dict(old)
    actions: tuple[Action, ...] = parsed.root
    computed = [
        (steps, action.value.eval(scope))
        for action, steps in zip(actions, paths, strict=True)
        if action.clause == "SET"
    ]
    for steps, value in computed:
        assign(new, steps, value)  # type: ignore[arg-type]
    removals = [
        steps for action, steps in zip(actions, paths, strict=True) if action.clause == "REMOVE"
    ]
    removals.sort(key=lambda steps: steps[-1] if isinstance(steps[-1], int) else -1, reverse=True)
    for steps in removals:
        remove(new, steps)
    for action, steps in zip(actions, paths, strict=True):
        if action.clause == "ADD":
            _add(new, steps, scope.values[action.value.name])
        elif action.clause == "DELETE":
            _delete(new, steps, scope.values[action.value.name])
    return new


def _add(item: dict[str, Value], steps: Steps, operand: Value) -> None:
    current = lookup(item, steps)
    if current is None:
        assign(item, steps, operand)
        return
    kind = next(iter(operand))
    if kind not in current:
        raise _wrong_type()
    if kind == "N":
        assign(item, steps, {"N": add_numbers(current["N"], operand["N"])})
        return
    members = list(current[kind])
    present = set(members)
    members.extend(m for m in operand[kind] if m not in present)
    assign(item, steps, {kind: members})


def _delete(item: dict[str, Value], steps: Steps, operand: Value) -> None:
    current = lookup(item, steps)
    if current is None:
        return
    kind = next(iter(operand))
    if kind not in current:
        raise _wrong_type()
    gone = set(operand[kind])
    members = [m for m in current[kind] if m not in gone]
    if members:
        assign(item, steps, {kind: members})
    else:
        remove(item, steps)


def _wrong_type() -> Exception:
    return validation("An operand in the update expression has an incorrect data type")
