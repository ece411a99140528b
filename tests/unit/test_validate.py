"""gateway/validate.py: alternatives (values of a shape checked as another) and the wording."""

from __future__ import annotations

from typing import Any

from botocore.model import ServiceModel

from cloudlet.gateway.validate import Alternative, Problem, compile_validator, coral_message

MODEL = ServiceModel(
    {
        "metadata": {"protocol": "json", "apiVersion": "2020-01-01", "endpointPrefix": "x"},
        "operations": {},
        "shapes": {
            "Input": {
                "type": "structure",
                "members": {
                    "Table": {"shape": "TableArn"},
                    "Tables": {"shape": "TableMap"},
                    "Limit": {"shape": "Limit"},
                },
            },
            "TableArn": {"type": "string", "min": 1, "max": 1024},
            "TableName": {"type": "string", "min": 3, "max": 255, "pattern": "[a-z]+"},
            "TableMap": {"type": "map", "key": {"shape": "TableArn"}, "value": {"shape": "Limit"}},
            "Limit": {"type": "integer", "min": 1},
        },
    }
)


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and not value.startswith("arn:")


def validate(params: dict[str, Any]) -> list[Problem]:
    check = compile_validator(
        MODEL.shape_for("Input"),
        [Alternative(MODEL.shape_for("TableArn"), MODEL.shape_for("TableName"), _is_name)],
    )
    return check(params)


def test_values_an_alternative_picks_are_checked_against_its_shape() -> None:
    assert [(p.kind, p.limit) for p in validate({"Table": "a!"})] == [
        ("min_length", 3),
        ("pattern", "[a-z]+"),
    ]
    assert validate({"Table": "arn:" + "x" * 100}) == []
    assert [p.kind for p in validate({"Table": "arn:" + "x" * 1021})] == ["max_length"]
    assert [p.path for p in validate({"Tables": {"ab": 1}})] == [("Tables",)]
    assert [p.kind for p in validate({"Table": 3})] == ["type"]


def test_numbers_are_quoted_only_when_asked() -> None:
    problems = validate({"Limit": 0})
    rest = "at 'limit' failed to satisfy constraint: Member must have value"
    rest += " greater than or equal to 1"
    assert coral_message(problems) == f"1 validation error detected: Value 0 {rest}"
    assert coral_message(problems, quote_numbers=True) == (
        f"1 validation error detected: Value '0' {rest}"
    )
