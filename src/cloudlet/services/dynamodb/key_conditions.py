"""A Query's KeyConditionExpression turned into a key range, with DynamoDB's refusals.

The partition key must be compared with `=`; the sort key may be compared with `=`, `<`,
`<=`, `>`, `>=`, BETWEEN or begins_with. The result is the partition key's bytes and SQL
conditions on the sort key's bytes, which `keys` orders as DynamoDB does, so the range is
one index scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudlet.services.dynamodb.errors import invalid_parameters, validation
from cloudlet.services.dynamodb.expressions.nodes import (
    And,
    Between,
    Comparison,
    Function,
    PathRef,
    ValueRef,
    resolve,
)
from cloudlet.services.dynamodb.expressions.request import Expressions
from cloudlet.services.dynamodb.keys import KeySchema, encode
from cloudlet.services.dynamodb.values import Value

_FLIPPED = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


@dataclass(frozen=True)
class KeyRange:
    partition: bytes
    # SQL conditions on the sort key column, with their parameters.
    clauses: tuple[str, ...]
    params: tuple[bytes, ...]


def key_range(expressions: Expressions, schema: KeySchema) -> KeyRange:
    parsed = expressions.get("KeyConditionExpression")
    assert parsed is not None
    conditions: dict[str, tuple[str, tuple[Value, ...]]] = {}
    for leaf in _leaves(parsed.root):
        name, operator, operands = _condition(leaf, expressions)
        if name in conditions:
            raise validation("KeyConditionExpressions must only contain one condition per key")
        conditions[name] = (operator, operands)
    hash_condition = conditions.pop(schema.hash_name, None)
    if hash_condition is None:
        raise validation(f"Query condition missed key schema element: {schema.hash_name}")
    range_condition = conditions.pop(schema.range_name, None) if schema.range_name else None
    if conditions or hash_condition[0] != "=":
        raise validation("Query key condition not supported")
    partition = _encode(hash_condition[1][0], schema.hash_type)
    if range_condition is None:
        return KeyRange(partition, (), ())
    operator, operands = range_condition
    kind = schema.range_type
    assert kind is not None
    bounds = [_encode(operand, kind) for operand in operands]
    if operator == "BETWEEN":
        return KeyRange(partition, ("sk >= ?", "sk <= ?"), (bounds[0], bounds[1]))
    if operator == "begins_with":
        if kind == "N":
            raise validation(
                "Invalid KeyConditionExpression: Incorrect operand type for operator or"
                " function; operator or function: begins_with, operand type: N"
            )
        successor = _successor(bounds[0])
        if successor is None:
            return KeyRange(partition, ("sk >= ?",), (bounds[0],))
        return KeyRange(partition, ("sk >= ?", "sk < ?"), (bounds[0], successor))
    return KeyRange(partition, (f"sk {operator} ?",), (bounds[0],))


def _leaves(node: Any) -> list[Any]:
    if isinstance(node, And):
        return _leaves(node.left) + _leaves(node.right)
    return [node]


def _condition(leaf: Any, expressions: Expressions) -> tuple[str, str, tuple[Value, ...]]:
    if isinstance(leaf, Comparison):
        operator, subject, operand = leaf.operator, leaf.left, leaf.right
        if isinstance(subject, ValueRef) and isinstance(operand, PathRef):
            subject, operand = operand, subject
            operator = _FLIPPED.get(operator, operator)
        if operator not in _FLIPPED:
            raise _unsupported(operator)
        return _name(subject, expressions), operator, (_value(operand, expressions),)
    if isinstance(leaf, Between):
        return (
            _name(leaf.subject, expressions),
            "BETWEEN",
            (_value(leaf.low, expressions), _value(leaf.high, expressions)),
        )
    if isinstance(leaf, Function) and leaf.name == "begins_with":
        return _name(leaf.args[0], expressions), "begins_with", (_value(leaf.args[1], expressions),)
    if isinstance(leaf, Function):
        raise _unsupported(leaf.name)
    raise _unsupported(type(leaf).__name__.upper())


def _unsupported(operator: str) -> Exception:
    return validation(f"Invalid operator used in KeyConditionExpression: {operator}")


def _name(operand: Any, expressions: Expressions) -> str:
    if not isinstance(operand, PathRef):
        raise validation("Query key condition not supported")
    steps = resolve(operand.path, expressions.names)
    if len(steps) != 1:
        raise validation(
            "Invalid KeyConditionExpression: Nested attributes are not supported in key conditions"
        )
    return str(steps[0])


def _value(operand: Any, expressions: Expressions) -> Value:
    if not isinstance(operand, ValueRef):
        raise validation("Query key condition not supported")
    return expressions.values[operand.name]


def _encode(value: Value, kind: str) -> bytes:
    if next(iter(value)) != kind:
        raise invalid_parameters("Condition parameter type does not match schema type")
    return encode(value, kind)


def _successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string that starts with `prefix`."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes((trimmed[-1] + 1,))
