"""DynamoDB's legacy conditional parameters, translated into expressions.

Before expressions, requests said the same with KeyConditions, QueryFilter, ScanFilter,
Expected (with ConditionalOperator) and AttributeUpdates; older SDK layers (Java's
DynamoDBMapper, .NET's object persistence model) still send them. Each becomes the
expression it stands for, with generated names and values, and then runs as one.
"""

from __future__ import annotations

from typing import Any

from cloudlet.services.dynamodb.errors import validation

# Legacy parameter -> the expression it becomes.
LEGACY = {
    "KeyConditions": "KeyConditionExpression",
    "QueryFilter": "FilterExpression",
    "ScanFilter": "FilterExpression",
    "Expected": "ConditionExpression",
    "AttributeUpdates": "UpdateExpression",
}
_EXPRESSION_PARAMETERS = (
    "KeyConditionExpression",
    "FilterExpression",
    "ConditionExpression",
    "UpdateExpression",
    "ProjectionExpression",
)
_COMPARATORS = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}
# How many values each comparison operator takes (None: one or more).
_ARITY = {"NULL": 0, "NOT_NULL": 0, "BETWEEN": 2, "IN": None}


def translate(params: dict[str, Any]) -> dict[str, Any]:
    """`params` with its legacy parameters turned into expressions (`params` if it has none)."""
    legacy = [name for name in LEGACY if params.get(name)]
    if not legacy:
        return params
    modern = [name for name in _EXPRESSION_PARAMETERS if params.get(name) is not None]
    if modern:
        raise validation(
            "Can not use both expression and non-expression parameters in the same request:"
            f" Non-expression parameters: {{{', '.join(legacy)}}} Expression parameters:"
            f" {{{', '.join(modern)}}}"
        )
    for name in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
        if params.get(name) is not None:
            raise validation(f"{name} can only be specified when using expressions")
    out = dict(params)
    builder = _Builder()
    joiner = f" {params.get('ConditionalOperator') or 'AND'} "
    for name in legacy:
        value = out.pop(name)
        if name == "AttributeUpdates":
            text = builder.updates(value)
        elif name == "Expected":
            text = joiner.join(builder.expected(a, spec) for a, spec in value.items())
        else:
            parts = [builder.condition(a, spec) for a, spec in value.items()]
            text = (" AND " if name == "KeyConditions" else joiner).join(parts)
        if text:
            out[LEGACY[name]] = text
    out.pop("ConditionalOperator", None)
    if builder.names:
        out["ExpressionAttributeNames"] = builder.names
    if builder.values:
        out["ExpressionAttributeValues"] = builder.values
    return out


class _Builder:
    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attribute: str) -> str:
        alias = f"#l{len(self.names)}"
        self.names[alias] = attribute
        return alias

    def value(self, value: Any) -> str:
        placeholder = f":l{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def condition(self, attribute: str, spec: dict[str, Any]) -> str:
        operator = spec.get("ComparisonOperator")
        values = spec.get("AttributeValueList") or []
        arity = _ARITY.get(operator, 1)  # type: ignore[arg-type]
        if (arity is None and not values) or (arity is not None and len(values) != arity):
            raise validation(
                "One or more parameter values were invalid: Invalid number of argument(s) for"
                f" the {operator} ComparisonOperator"
            )
        path = self.name(attribute)
        placeholders = [self.value(v) for v in values]
        if operator in _COMPARATORS:
            return f"{path} {_COMPARATORS[operator]} {placeholders[0]}"
        if operator == "NULL":
            return f"attribute_not_exists({path})"
        if operator == "NOT_NULL":
            return f"attribute_exists({path})"
        if operator == "CONTAINS":
            return f"contains({path}, {placeholders[0]})"
        if operator == "NOT_CONTAINS":
            return f"NOT contains({path}, {placeholders[0]})"
        if operator == "BEGINS_WITH":
            return f"begins_with({path}, {placeholders[0]})"
        if operator == "BETWEEN":
            return f"{path} BETWEEN {placeholders[0]} AND {placeholders[1]}"
        if operator == "IN":
            return f"{path} IN ({', '.join(placeholders)})"
        raise validation(f"Unsupported ComparisonOperator: {operator}")

    def expected(self, attribute: str, spec: dict[str, Any]) -> str:
        if spec.get("ComparisonOperator"):
            return self.condition(attribute, spec)
        exists = spec.get("Exists", True)
        if exists is False:
            if spec.get("Value") is not None:
                raise validation(
                    "One or more parameter values were invalid: Value cannot be used when"
                    " Exists is false for Attribute: " + attribute
                )
            return f"attribute_not_exists({self.name(attribute)})"
        if spec.get("Value") is None:
            raise validation(
                "One or more parameter values were invalid: Value must be provided when Exists"
                f" is true for Attribute: {attribute}"
            )
        return f"{self.name(attribute)} = {self.value(spec['Value'])}"

    def updates(self, updates: dict[str, Any]) -> str:
        clauses: dict[str, list[str]] = {"SET": [], "REMOVE": [], "ADD": [], "DELETE": []}
        for attribute, spec in updates.items():
            action = spec.get("Action") or "PUT"
            value = spec.get("Value")
            path = self.name(attribute)
            if action == "PUT":
                if value is None:
                    raise validation(
                        "One or more parameter values were invalid: Only DELETE action is"
                        " allowed when no attribute value is specified"
                    )
                clauses["SET"].append(f"{path} = {self.value(value)}")
            elif action == "DELETE" and value is None:
                clauses["REMOVE"].append(path)
            else:
                clauses[action].append(f"{path} {self.value(value)}")
        return " ".join(f"{kind} {', '.join(parts)}" for kind, parts in clauses.items() if parts)
