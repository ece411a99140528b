"""The parsed forms of expressions, and how each evaluates against an item.

A path is a tuple of steps: attribute names (an `#alias` still as written, resolved per
request through `Scope.names`) and list indexes (ints). Operands give an AttributeValue or
None when the item lacks it; conditions give a bool. Parsed expressions are cached and
shared between requests, so nodes are immutable and all per-request data is in `Scope`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudlet.services.dynamodb.errors import validation
from cloudlet.services.dynamodb.numbers import add_numbers
from cloudlet.services.dynamodb.values import SET_TYPES, Value, binary, compare, equal

Step = str | int
Path = tuple[Step, ...]


@dataclass(slots=True)
class Scope:
    """What one request gives its expressions: the item, and the names and values."""

    item: dict[str, Value] | None
    names: dict[str, str]
    values: dict[str, Value]


def resolve(path: Path, names: dict[str, str]) -> tuple[Step, ...]:
    """The path with its aliases replaced by the names they stand for."""
    return tuple(names[s] if isinstance(s, str) and s[:1] == "#" else s for s in path)


def lookup(item: dict[str, Value] | None, steps: tuple[Step, ...]) -> Value | None:
    """The value at `steps` in `item`, or None."""
    if item is None:
        return None
    first = steps[0]
    assert isinstance(first, str)
    current: Value | None = item.get(first)
    for step in steps[1:]:
        if current is None:
            return None
        if isinstance(step, int):
            elements = current.get("L")
            if elements is None or step >= len(elements):
                return None
            current = elements[step]
        else:
            members = current.get("M")
            if members is None:
                return None
            current = members.get(step)
    return current


def render_path(steps: tuple[Step, ...]) -> str:
    """A path as DynamoDB shows it in messages: `[a, b, [0]]`."""
    return "[" + ", ".join(f"[{s}]" if isinstance(s, int) else s for s in steps) + "]"


# -- operands -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PathRef:
    path: Path

    def eval(self, scope: Scope) -> Value | None:
        return lookup(scope.item, resolve(self.path, scope.names))


@dataclass(frozen=True, slots=True)
class ValueRef:
    name: str

    def eval(self, scope: Scope) -> Value | None:
        return scope.values[self.name]


@dataclass(frozen=True, slots=True)
class Size:
    path: PathRef

    def eval(self, scope: Scope) -> Value | None:
        value = self.path.eval(scope)
        if value is None:
            return None
        kind, inner = next(iter(value.items()))
        if kind == "S":
            return {"N": str(len(inner))}
        if kind == "B":
            return {"N": str(len(binary(value)))}
        if kind in SET_TYPES or kind in ("L", "M"):
            return {"N": str(len(inner))}
        return None


@dataclass(frozen=True, slots=True)
class IfNotExists:
    path: PathRef
    fallback: Any  # an operand

    def eval(self, scope: Scope) -> Value | None:
        value = self.path.eval(scope)
        return value if value is not None else self.fallback.eval(scope)


@dataclass(frozen=True, slots=True)
class ListAppend:
    first: Any
    second: Any

    def eval(self, scope: Scope) -> Value | None:
        a, b = _present(self.first.eval(scope)), _present(self.second.eval(scope))
        if "L" not in a or "L" not in b:
            raise validation("An operand in the update expression has an incorrect data type")
        return {"L": a["L"] + b["L"]}


@dataclass(frozen=True, slots=True)
class Arithmetic:
    operator: str  # + or -
    left: Any
    right: Any

    def eval(self, scope: Scope) -> Value | None:
        a, b = _present(self.left.eval(scope)), _present(self.right.eval(scope))
        if "N" not in a or "N" not in b:
            raise validation("An operand in the update expression has an incorrect data type")
        return {"N": add_numbers(a["N"], b["N"], negate=self.operator == "-")}


def _present(value: Value | None) -> Value:
    if value is None:
        raise validation(
            "The provided expression refers to an attribute that does not exist in the item"
        )
    return value


# -- conditions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comparison:
    operator: str
    left: Any
    right: Any

    def test(self, scope: Scope) -> bool:
        a, b = self.left.eval(scope), self.right.eval(scope)
        op = self.operator
        if op == "=":
            return a is not None and b is not None and equal(a, b)
        if op == "<>":
            return a is None or b is None or not equal(a, b)
        if a is None or b is None:
            return False
        order = compare(a, b)
        if order is None:
            return False
        if op == "<":
            return order < 0
        if op == "<=":
            return order <= 0
        if op == ">":
            return order > 0
        return order >= 0


@dataclass(frozen=True, slots=True)
class Between:
    subject: Any
    low: Any
    high: Any

    def test(self, scope: Scope) -> bool:
        value = self.subject.eval(scope)
        low, high = self.low.eval(scope), self.high.eval(scope)
        if value is None or low is None or high is None:
            return False
        above, below = compare(value, low), compare(value, high)
        return above is not None and below is not None and above >= 0 and below <= 0


@dataclass(frozen=True, slots=True)
class In:
    subject: Any
    options: tuple[Any, ...]

    def test(self, scope: Scope) -> bool:
        value = self.subject.eval(scope)
        if value is None:
            return False
        return any(
            (option := candidate.eval(scope)) is not None and equal(value, option)
            for candidate in self.options
        )


@dataclass(frozen=True, slots=True)
class And:
    left: Any
    right: Any

    def test(self, scope: Scope) -> bool:
        return bool(self.left.test(scope) and self.right.test(scope))


@dataclass(frozen=True, slots=True)
class Or:
    left: Any
    right: Any

    def test(self, scope: Scope) -> bool:
        return bool(self.left.test(scope) or self.right.test(scope))


@dataclass(frozen=True, slots=True)
class Not:
    inner: Any

    def test(self, scope: Scope) -> bool:
        return not self.inner.test(scope)


@dataclass(frozen=True, slots=True)
class Function:
    """attribute_exists, attribute_not_exists, attribute_type, begins_with, contains."""

    name: str
    args: tuple[Any, ...]

    def test(self, scope: Scope) -> bool:
        subject = self.args[0].eval(scope)
        name = self.name
        if name == "attribute_exists":
            return subject is not None
        if name == "attribute_not_exists":
            return subject is None
        if subject is None:
            return False
        operand = self.args[1].eval(scope)
        if operand is None:
            return False
        if name == "attribute_type":
            return next(iter(subject)) == operand.get("S")
        if name == "begins_with":
            if "S" in subject and "S" in operand:
                return bool(subject["S"].startswith(operand["S"]))
            if "B" in subject and "B" in operand:
                return binary(subject).startswith(binary(operand))
            return False
        return _contains(subject, operand)


def _contains(subject: Value, operand: Value) -> bool:
    kind, inner = next(iter(subject.items()))
    if kind == "S":
        return "S" in operand and operand["S"] in inner
    if kind == "B":
        return "B" in operand and binary(operand) in binary(subject)
    if kind in SET_TYPES:
        member = kind[0]
        return member in operand and operand[member] in inner
    if kind == "L":
        return any(equal(element, operand) for element in inner)
    return False
