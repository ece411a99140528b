"""The EventBridge pattern language, compiled once and matched many times.

One matcher for EventBridge rules, Lambda event source mapping filters (FilterCriteria) and,
with its own wrapper, SNS filter policies. A pattern is a JSON object; every key it names
must match (AND), the values listed for a key are alternatives (OR), and `$or` at any level
lists alternative patterns:

    {"source": ["orders"], "detail": {"total": [{"numeric": [">", 100]}],
                                      "$or": [{"rush": [true]}, {"country": ["NL"]}]}}

Leaf matchers: exact values (string, number, boolean, null), `prefix`, `suffix` (both also
`{"equals-ignore-case": ...}`), `equals-ignore-case`, `wildcard`, `anything-but` (a value, a
list of values, or a prefix/suffix/equals-ignore-case/wildcard of one string or a list of
them), `numeric` ranges, `exists`, `cidr`. When the event holds an array, the key matches if
any element does. Matchers test leaf values only, as EventBridge's Ruler does: a key whose
value is an object (or an array of objects) holds no leaf, so `{"exists": true}` does not
match it and `{"exists": false}` does.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable
from typing import Any

Test = Callable[[Any], bool]  # a test of one leaf value
_MISSING = object()
_NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


# What `anything-but` may hold as an object: text matchers, each of a string or a list.
_ANYTHING_BUT_TEXT = ("prefix", "suffix", "equals-ignore-case", "wildcard")


class PatternError(ValueError):
    """The pattern does not parse; the message says why, as EventBridge's reasons do."""


class Pattern:
    """A compiled pattern: `matches(event)` tells whether a (parsed JSON) event matches."""

    def __init__(self, source: dict[str, Any] | str) -> None:
        if isinstance(source, str):
            try:
                source = json.loads(source)
            except ValueError as error:
                raise PatternError(f"Filter is not valid JSON: {error.msg}") from None
        if not isinstance(source, dict):
            raise PatternError("Filter is not an object")
        self.source = source
        self._match = _compile_object(source, "")

    def matches(self, event: Any) -> bool:
        return isinstance(event, dict) and self._match(event)


def _compile_object(pattern: dict[str, Any], path: str) -> Callable[[dict[str, Any]], bool]:
    checks: list[Callable[[dict[str, Any]], bool]] = []
    for key, value in pattern.items():
        where = f"{path}.{key}" if path else key
        if key == "$or":
            checks.append(_compile_or(value, where))
        elif isinstance(value, dict):
            checks.append(_nested(key, _compile_object(value, where)))
        elif isinstance(value, list):
            checks.append(_field(key, value, where))
        else:
            raise PatternError(
                f"Match value must be String, number, true, false, or null at {where}"
            )
    if not checks and path:
        raise PatternError(f"Empty objects are not allowed at {path}")
    return lambda event: all(check(event) for check in checks)


def _compile_or(alternatives: Any, where: str) -> Callable[[dict[str, Any]], bool]:
    if not isinstance(alternatives, list) or len(alternatives) < 2:
        raise PatternError(f"$or requires a list of at least two patterns at {where}")
    compiled = []
    for alternative in alternatives:
        if not isinstance(alternative, dict):
            raise PatternError(f"$or alternatives must be objects at {where}")
        compiled.append(_compile_object(alternative, where))
    return lambda event: any(match(event) for match in compiled)


def _nested(key: str, match: Callable[[dict[str, Any]], bool]) -> Callable[[dict[str, Any]], bool]:
    def check(event: dict[str, Any]) -> bool:
        value = event.get(key)
        if isinstance(value, dict):
            return match(value)
        if isinstance(value, list):
            return any(isinstance(item, dict) and match(item) for item in _flattened(value))
        return False

    return check


def _field(key: str, matchers: list[Any], where: str) -> Callable[[dict[str, Any]], bool]:
    if not matchers:
        raise PatternError(f"Empty arrays are not allowed at {where}")
    tests: list[Test] = []
    existence: bool | None = None
    for matcher in matchers:
        if isinstance(matcher, dict) and "exists" in matcher:
            if len(matcher) != 1 or not isinstance(matcher["exists"], bool):
                raise PatternError(f"exists match pattern must be either true or false at {where}")
            existence = matcher["exists"]
        else:
            tests.append(_leaf(matcher, where))

    def check(event: dict[str, Any]) -> bool:
        value = event.get(key, _MISSING)
        leaves = [] if value is _MISSING else _leaves(value)
        if existence is not None and bool(leaves) == existence:
            return True
        return any(test(leaf) for leaf in leaves for test in tests)

    return check


def _flattened(values: list[Any]) -> list[Any]:
    """The items of an array, arrays within it flattened (Ruler crushes nested arrays)."""
    items: list[Any] = []
    for item in values:
        if isinstance(item, list):
            items += _flattened(item)
        else:
            items.append(item)
    return items


def _leaves(value: Any) -> list[Any]:
    """The leaf values a key holds: the value itself, or the scalars of its arrays."""
    if isinstance(value, list):
        return [item for item in _flattened(value) if not isinstance(item, dict)]
    return [] if isinstance(value, dict) else [value]


def _leaf(matcher: Any, where: str) -> Test:
    if matcher is None or isinstance(matcher, bool | str):
        return lambda value: type(value) is type(matcher) and value == matcher
    if isinstance(matcher, int | float):
        return lambda value: _is_number(value) and value == matcher
    if not isinstance(matcher, dict) or len(matcher) != 1:
        raise PatternError(f"Match value must be String, number, true, false, or null at {where}")
    ((kind, argument),) = matcher.items()
    if kind == "prefix":
        return _text_test(argument, where, kind, lambda value, text: value.startswith(text))
    if kind == "suffix":
        return _text_test(argument, where, kind, lambda value, text: value.endswith(text))
    if kind == "equals-ignore-case":
        if not isinstance(argument, str):
            raise PatternError(f"equals-ignore-case match pattern must be a string at {where}")
        folded = argument.casefold()
        return lambda value: isinstance(value, str) and value.casefold() == folded
    if kind == "wildcard":
        regex = _wildcard(argument, where)
        return lambda value: isinstance(value, str) and regex.fullmatch(value) is not None
    if kind == "anything-but":
        return _anything_but(argument, where)
    if kind == "numeric":
        return _numeric(argument, where)
    if kind == "cidr":
        return _cidr(argument, where)
    raise PatternError(f"Unrecognized match type {kind} at {where}")


def _text_test(argument: Any, where: str, kind: str, test: Callable[[str, str], bool]) -> Test:
    if isinstance(argument, dict) and list(argument) == ["equals-ignore-case"]:
        text = argument["equals-ignore-case"]
        if not isinstance(text, str):
            raise PatternError(f"{kind} match pattern must be a string at {where}")
        folded = text.casefold()
        return lambda value: isinstance(value, str) and test(value.casefold(), folded)
    if not isinstance(argument, str):
        raise PatternError(f"{kind} match pattern must be a string at {where}")
    return lambda value: isinstance(value, str) and test(value, argument)


def _anything_but(argument: Any, where: str) -> Test:
    if isinstance(argument, dict):
        return _anything_but_text(argument, where)
    excluded = argument if isinstance(argument, list) else [argument]
    all_text = all(isinstance(v, str) for v in excluded)
    all_numbers = all(_is_number(v) for v in excluded)
    if not excluded or not (all_text or all_numbers):
        raise PatternError(
            f"Inside anything but list, start|null|boolean is not supported at {where}"
        )
    tests = [_leaf(value, where) for value in excluded]
    return lambda value: value is not None and not any(test(value) for test in tests)


def _anything_but_text(argument: dict[str, Any], where: str) -> Test:
    """`{"anything-but": {"prefix" | "suffix" | "equals-ignore-case" | "wildcard": ...}}`,
    of one string or a list of them: a string that matches none of them."""
    if len(argument) != 1:
        raise PatternError(f"Only one key allowed in match expression at {where}")
    ((kind, texts),) = argument.items()
    if kind not in _ANYTHING_BUT_TEXT:
        raise PatternError(f"Unsupported anything-but pattern: {kind} at {where}")
    texts = texts if isinstance(texts, list) else [texts]
    if not all(isinstance(text, str) for text in texts):
        raise PatternError(f"{kind} match pattern must be a string at {where}")
    if kind in ("prefix", "suffix") and "" in texts:
        raise PatternError(f"Null prefix/suffix not allowed at {where}")
    tests = [_leaf({kind: text}, where) for text in texts]
    return lambda value: isinstance(value, str) and not any(test(value) for test in tests)


def _numeric(argument: Any, where: str) -> Test:
    if not isinstance(argument, list) or not argument or len(argument) % 2:
        raise PatternError(f"Value of numeric must be an array of operator/number pairs at {where}")
    bounds: list[tuple[Callable[[float, float], bool], float]] = []
    for index in range(0, len(argument), 2):
        operator, bound = argument[index], argument[index + 1]
        if operator not in _NUMERIC_OPS:
            raise PatternError(f"Unrecognized numeric range operator: {operator} at {where}")
        if not _is_number(bound) or not math.isfinite(bound):
            raise PatternError(f"Value of {operator} must be numeric at {where}")
        bounds.append((_NUMERIC_OPS[operator], bound))
    return lambda value: _is_number(value) and all(op(value, b) for op, b in bounds)


def _cidr(argument: Any, where: str) -> Test:
    try:
        network = ipaddress.ip_network(argument, strict=False)
    except (TypeError, ValueError):
        raise PatternError(f"Malformed CIDR, one '/' required at {where}") from None

    def test(value: Any) -> bool:
        try:
            return isinstance(value, str) and ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return test


def _wildcard(argument: Any, where: str) -> re.Pattern[str]:
    if not isinstance(argument, str):
        raise PatternError(f"wildcard match pattern must be a string at {where}")
    if "**" in argument:
        raise PatternError(f"Consecutive wildcard characters at pos {argument.index('**') + 1}")
    parts, escaped = [], False
    for char in argument:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "*":
            parts.append(".*")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
