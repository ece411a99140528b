"""A request's expressions, parsed (from cache) and checked against its names and values.

DynamoDB checks, in order: the values' own validity, each expression's syntax, names and
placeholders an expression uses but the request does not define, names and values the
request defines but no expression uses, and the types of operands it can judge before
reading an item (`begins_with` on a number, a BETWEEN whose bounds are reversed...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudlet.services.dynamodb.errors import expression_error, validation
from cloudlet.services.dynamodb.expressions.nodes import (
    Arithmetic,
    Between,
    Function,
    ListAppend,
    Scope,
    ValueRef,
)
from cloudlet.services.dynamodb.expressions.parser import (
    Action,
    Parsed,
    parse_condition,
    parse_projection,
    parse_update,
)
from cloudlet.services.dynamodb.values import Value, check_expression_values, compare

_PARSERS = {
    "ConditionExpression": parse_condition,
    "FilterExpression": parse_condition,
    "KeyConditionExpression": parse_condition,
    "UpdateExpression": parse_update,
    "ProjectionExpression": parse_projection,
}
ATTRIBUTE_TYPES = frozenset(("S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"))
_LONG_TYPE_NAMES = {
    "S": "STRING", "N": "NUMBER", "B": "BINARY", "SS": "STRING_SET", "NS": "NUMBER_SET",
    "BS": "BINARY_SET", "BOOL": "BOOLEAN", "NULL": "NULL", "L": "LIST", "M": "MAP",
}  # fmt: skip


@dataclass(slots=True)
class Expressions:
    """The parsed expressions of one request (None where absent), its names and values."""

    names: dict[str, str]
    values: dict[str, Value]
    parsed: dict[str, Parsed]

    def get(self, kind: str) -> Parsed | None:
        return self.parsed.get(kind)

    def scope(self, item: dict[str, Value] | None) -> Scope:
        return Scope(item, self.names, self.values)


_NONE = Expressions({}, {}, {})


def prepare(params: dict[str, Any], kinds: tuple[str, ...]) -> Expressions:
    """Parse and check the expressions of `kinds` that `params` holds."""
    names = params.get("ExpressionAttributeNames")
    raw_values = params.get("ExpressionAttributeValues")
    texts = [(kind, params[kind]) for kind in kinds if params.get(kind) is not None]
    if not texts:
        if names is not None:
            raise validation(
                "ExpressionAttributeNames can only be specified when using expressions"
            )
        if raw_values is not None:
            raise validation(
                "ExpressionAttributeValues can only be specified when using expressions"
            )
        return _NONE
    if names is not None and not names:
        raise validation("ExpressionAttributeNames must not be empty")
    if raw_values is not None and not raw_values:
        raise validation("ExpressionAttributeValues must not be empty")
    names = names or {}
    values = check_expression_values(raw_values) if raw_values else {}
    parsed = {kind: _PARSERS[kind](text, kind) for kind, text in texts}
    used_names: set[str] = set()
    used_values: set[str] = set()
    for kind, expression in parsed.items():
        for alias in sorted(expression.aliases - names.keys()):
            raise expression_error(
                kind,
                "An expression attribute name used in the document path is not defined;"
                f" attribute name: {alias}",
            )
        for placeholder in sorted(expression.placeholders - values.keys()):
            raise expression_error(
                kind,
                "An expression attribute value used in expression is not defined;"
                f" attribute value: {placeholder}",
            )
        used_names |= expression.aliases
        used_values |= expression.placeholders
    unused_names = names.keys() - used_names
    if unused_names:
        raise validation(
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {"
            + ", ".join(sorted(unused_names))
            + "}"
        )
    unused_values = values.keys() - used_values
    if unused_values:
        raise validation(
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {"
            + ", ".join(sorted(unused_values))
            + "}"
        )
    for kind, expression in parsed.items():
        for node in expression.typed:
            _check_types(kind, node, values)
    return Expressions(names, values, parsed)


def _check_types(kind: str, node: Any, values: dict[str, Value]) -> None:
    if isinstance(node, Between):
        low, high = _static(node.low, values), _static(node.high, values)
        if low is None or high is None:
            return
        order = compare(low, high)
        if next(iter(low)) != next(iter(high)):
            raise expression_error(
                kind,
                "The BETWEEN operator requires same data type for lower and upper bounds;"
                f" lower bound operand: AttributeValue: {_show(low)}, upper bound operand:"
                f" AttributeValue: {_show(high)}",
            )
        if order is not None and order > 0:
            raise expression_error(
                kind,
                "The BETWEEN operator requires upper bound to be greater than or equal to"
                f" lower bound; lower operand: AttributeValue: {_show(low)}, upper operand:"
                f" AttributeValue: {_show(high)}",
            )
    elif isinstance(node, Function):
        operand = _static(node.args[1], values)
        if operand is None:
            return
        operand_type = next(iter(operand))
        if node.name == "begins_with" and operand_type not in ("S", "B"):
            raise _operand_type(kind, node.name, operand_type)
        if node.name == "attribute_type":
            if operand_type != "S":
                raise _operand_type(kind, node.name, operand_type)
            if operand["S"] not in ATTRIBUTE_TYPES:
                raise expression_error(
                    kind,
                    f"Invalid attribute type name found; type: {operand['S']}, valid types:"
                    " { B,NULL,SS,BOOL,L,BS,N,NS,S,M }",
                )
    elif isinstance(node, Action):
        operand_type = next(iter(values[node.value.name]))
        allowed = ("N", "SS", "NS", "BS") if node.clause == "ADD" else ("SS", "NS", "BS")
        if operand_type not in allowed:
            raise expression_error(
                kind,
                "Incorrect operand type for operator or function; operator:"
                f" {node.clause}, operand type: {_LONG_TYPE_NAMES[operand_type]}, typeSet:"
                f" ALLOWED_FOR_{node.clause}_OPERAND",
            )
    elif isinstance(node, ListAppend):
        for arg in (node.first, node.second):
            operand = _static(arg, values)
            if operand is not None and "L" not in operand:
                raise _operand_type(kind, "list_append", next(iter(operand)))
    elif isinstance(node, Arithmetic):
        for arg in (node.left, node.right):
            operand = _static(arg, values)
            if operand is not None and "N" not in operand:
                raise _operand_type(kind, node.operator, next(iter(operand)))


def _static(operand: Any, values: dict[str, Value]) -> Value | None:
    return values.get(operand.name) if isinstance(operand, ValueRef) else None


def _operand_type(kind: str, function: str, operand_type: str) -> Exception:
    return expression_error(
        kind,
        "Incorrect operand type for operator or function; operator or function:"
        f" {function}, operand type: {operand_type}",
    )


def _show(value: Value) -> str:
    kind, inner = next(iter(value.items()))
    return f"{{{kind}:{inner}}}"
