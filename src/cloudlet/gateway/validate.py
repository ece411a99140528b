"""Input validation against a botocore shape, compiled once per operation.

`compile_validator(shape)` returns a function that walks parsed input and lists every
`Problem` (missing member, wrong type, length, range, enum, pattern). Where a model's shape
is looser than the service (DynamoDB's `TableArn` members take a table name too, and a name
has rules of its own), an `Alternative` checks the values it picks out against another shape.
Services decide how the problems read on the wire; `coral_message` renders them the way most
AWS services do ("1 validation error detected: Value null at 'queueName' failed to satisfy
constraint: ...").
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from botocore.model import Shape

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    path: Path  # member names and 1-based list positions, from the input's top
    kind: str  # missing | type | min_length | max_length | min | max | enum | pattern | union
    value: Any
    limit: Any = None  # the bound, the enum values or the pattern

    @property
    def member(self) -> str:
        """The innermost member name, as the model spells it."""
        names = [p for p in self.path if isinstance(p, str)]
        return names[-1] if names else ""


# Where a value sits, as nested pairs (parent trail, step): cheaper to extend for every member
# visited than a tuple, and flattened into a Problem's `path` only when there is a problem.
Trail = tuple[Any, ...]
Validator = Callable[[Any, Trail, list[Problem]], None]


def _flatten(trail: Trail) -> Path:
    steps: list[str | int] = []
    while trail:
        trail, step = trail
        steps.append(step)
    return tuple(reversed(steps))


def _problem(trail: Trail, kind: str, value: Any, limit: Any = None) -> Problem:
    return Problem(_flatten(trail), kind, value, limit)


@dataclass(frozen=True)
class Alternative:
    """Values of `shape` for which `when` holds are checked against `other` instead."""

    shape: Shape
    other: Shape
    when: Callable[[Any], bool]


def compile_validator(
    shape: Shape | None, alternatives: Iterable[Alternative] = ()
) -> Callable[[dict[str, Any]], list[Problem]]:
    """A function listing the problems of an input dict for `shape`."""
    if shape is None:
        return lambda params: []
    memo: dict[str, Validator] = {}
    for alternative in alternatives:
        # Seeded before the input is compiled, so every member of that shape finds it.
        memo[alternative.shape.name] = _either(
            alternative.when, _compile(alternative.other, memo), _build(alternative.shape, memo)
        )
    check = _compile(shape, memo)

    def validate(params: dict[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        check(params, (), problems)
        return problems

    return validate


_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "character": (str,),
    "integer": (int,),
    "long": (int,),
    "short": (int,),
    "byte": (int,),
    "boolean": (bool,),
    "double": (int, float),
    "float": (int, float),
    "bigdecimal": (int, float, str),
    "biginteger": (int, str),
    "blob": (bytes, bytearray),
    "timestamp": (datetime.datetime,),
    "structure": (dict,),
    "map": (dict,),
    "list": (list,),
}


def _compile(shape: Shape, memo: dict[str, Validator]) -> Validator:
    if shape.name in memo:
        return memo[shape.name]
    # Recursive shapes (DynamoDB's AttributeValue) refer to themselves: bind late.
    cell: list[Validator] = []
    memo[shape.name] = lambda value, path, problems: cell[0](value, path, problems)
    check = _build(shape, memo)
    cell.append(check)
    memo[shape.name] = check
    return check


def _either(when: Callable[[Any], bool], other: Validator, own: Validator) -> Validator:
    def check(value: Any, path: Trail, problems: list[Problem]) -> None:
        (other if when(value) else own)(value, path, problems)

    return check


def _build(shape: Shape, memo: dict[str, Validator]) -> Validator:
    kind = shape.type_name
    if kind == "document":
        return lambda value, path, problems: None
    types = _PY_TYPES.get(kind, (object,))
    refuse_bool = kind in ("integer", "long", "short", "byte", "double", "float")
    checks: list[Validator] = []
    meta = shape.metadata
    if kind == "structure":
        checks.append(_structure(shape, memo))
    elif kind == "list":
        checks.append(_list(shape, memo))
    elif kind == "map":
        checks.append(_map(shape, memo))
    if kind in ("string", "blob", "list", "map"):
        checks.extend(_length(meta))
    elif kind in ("integer", "long", "short", "byte", "double", "float"):
        checks.extend(_range(meta))
    if kind == "string" and shape.enum:
        checks.append(_enum(tuple(shape.enum)))
    if kind == "string" and "pattern" in meta:
        checks.extend(_pattern(meta["pattern"]))

    def check(value: Any, path: Trail, problems: list[Problem]) -> None:
        if not isinstance(value, types) or (refuse_bool and isinstance(value, bool)):
            problems.append(_problem(path, "type", value, kind))
            return
        for sub in checks:
            sub(value, path, problems)

    if not checks and not refuse_bool:
        # Nothing but a type to check: a structure holding it checks it inline.
        check.only_types = types  # type: ignore[attr-defined]
    return check


def _structure(shape: Shape, memo: dict[str, Validator]) -> Validator:
    members = {name: _compile(member, memo) for name, member in shape.members.items()}
    simple = {
        name: types
        for name, check in members.items()
        if (types := getattr(check, "only_types", None)) is not None
    }
    required = tuple(shape.required_members)
    is_union = bool(shape.metadata.get("union"))

    def check(value: dict[str, Any], path: Trail, problems: list[Problem]) -> None:
        for name in required:
            if value.get(name) is None:
                problems.append(_problem((path, name), "missing", None))
        present = 0
        for name, item in value.items():
            if item is None:
                continue
            only = simple.get(name)
            if only is not None and isinstance(item, only):
                present += 1
                continue
            member_check = members.get(name)
            if member_check is None:
                continue  # unknown members are ignored, as AWS does
            present += 1
            member_check(item, (path, name), problems)
        if is_union and present != 1:
            problems.append(_problem(path, "union", value, present))

    return check


def _list(shape: Shape, memo: dict[str, Validator]) -> Validator:
    member_check = _compile(shape.member, memo)

    def check(value: list[Any], path: Trail, problems: list[Problem]) -> None:
        for index, item in enumerate(value, start=1):
            if item is None:
                problems.append(_problem((path, index), "missing", None))
            else:
                member_check(item, (path, index), problems)

    return check


def _map(shape: Shape, memo: dict[str, Validator]) -> Validator:
    key_check = _compile(shape.key, memo)
    value_check = _compile(shape.value, memo)

    def check(value: dict[Any, Any], path: Trail, problems: list[Problem]) -> None:
        for key, item in value.items():
            key_check(key, path, problems)
            if item is None:
                problems.append(_problem((path, str(key)), "missing", None))
            else:
                value_check(item, (path, str(key)), problems)

    return check


def _length(meta: dict[str, Any]) -> list[Validator]:
    checks: list[Validator] = []
    low, high = meta.get("min"), meta.get("max")
    if low is not None and low > 0:

        def too_short(value: Any, path: Trail, problems: list[Problem]) -> None:
            if len(value) < low:
                problems.append(_problem(path, "min_length", value, low))

        checks.append(too_short)
    if high is not None:

        def too_long(value: Any, path: Trail, problems: list[Problem]) -> None:
            if len(value) > high:
                problems.append(_problem(path, "max_length", value, high))

        checks.append(too_long)
    return checks


def _range(meta: dict[str, Any]) -> list[Validator]:
    checks: list[Validator] = []
    low, high = meta.get("min"), meta.get("max")
    if low is not None:

        def too_small(value: Any, path: Trail, problems: list[Problem]) -> None:
            if value < low:
                problems.append(_problem(path, "min", value, low))

        checks.append(too_small)
    if high is not None:

        def too_big(value: Any, path: Trail, problems: list[Problem]) -> None:
            if value > high:
                problems.append(_problem(path, "max", value, high))

        checks.append(too_big)
    return checks


def _enum(allowed: tuple[str, ...]) -> Validator:
    allowed_set = frozenset(allowed)

    def check(value: str, path: Trail, problems: list[Problem]) -> None:
        if value not in allowed_set:
            problems.append(_problem(path, "enum", value, allowed))

    return check


def _pattern(pattern: str) -> list[Validator]:
    try:
        regex = re.compile(_java_to_python(pattern), re.DOTALL)
    except re.error:
        return []  # a Java-only construct: the service's own checks must cover it

    def check(value: str, path: Trail, problems: list[Problem]) -> None:
        if regex.fullmatch(value) is None:
            problems.append(_problem(path, "pattern", value, pattern))

    return [check]


def _java_to_python(pattern: str) -> str:
    # botocore's patterns are Java regular expressions; these are the constructs they use
    # that Python spells differently.
    return (
        pattern.replace(r"\p{Alpha}", "a-zA-Z")
        .replace(r"\p{Alnum}", "a-zA-Z0-9")
        .replace(r"\p{Digit}", "0-9")
        .replace(r"\p{Punct}", r"!-/:-@\[-`{-~")
    )


# -- rendering ------------------------------------------------------------------------------


def coral_message(problems: list[Problem], quote_numbers: bool = False) -> str:
    """Render problems as AWS's common validation message; some services quote numbers as
    they quote strings ("Value '0' at 'limit'"), others not ("Value 0 at 'batchSize'")."""
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    parts = [_coral_part(problem, quote_numbers) for problem in problems]
    return f"{count} validation {noun} detected: " + "; ".join(parts)


def coral_path(path: Path) -> str:
    """`("KeySchema", 1, "AttributeName")` -> `keySchema.1.member.attributeName`."""
    out: list[str] = []
    for step in path:
        if isinstance(step, int):
            out.append(f"{step}.member")
        else:
            out.append(step[:1].lower() + step[1:])
    return ".".join(out)


def _coral_part(problem: Problem, quote_numbers: bool) -> str:
    constraint = {
        "missing": "Member must not be null",
        "min_length": f"Member must have length greater than or equal to {problem.limit}",
        "max_length": f"Member must have length less than or equal to {problem.limit}",
        "min": f"Member must have value greater than or equal to {problem.limit}",
        "max": f"Member must have value less than or equal to {problem.limit}",
        "enum": "Member must satisfy enum value set: ["
        + (", ".join(problem.limit) if problem.kind == "enum" else "")
        + "]",
        "pattern": f"Member must satisfy regular expression pattern: {problem.limit}",
        "type": f"Member must be of type {problem.limit}",
        "union": "Member must have exactly one member set",
    }[problem.kind]
    value = _show(problem.value, quote_numbers)
    return f"Value {value} at '{coral_path(problem.path)}' failed to satisfy " + (
        f"constraint: {constraint}"
    )


def _show(value: Any, quote_numbers: bool = False) -> str:
    if value is None:
        return "null"
    if isinstance(value, str) or (quote_numbers and isinstance(value, int | float)):
        return f"'{value}'"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, bytes):
        return "'" + value.decode("utf-8", "replace") + "'"
    return str(value)
