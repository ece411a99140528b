"""DynamoDB's expression languages: parse errors worded as AWS words them, and evaluation."""

from __future__ import annotations

from typing import Any

import pytest

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodb.expressions.request import prepare
from cloudlet.services.dynamodb.expressions.update import apply_update, update_paths

CONDITION = ("ConditionExpression",)
UPDATE = ("UpdateExpression", "ConditionExpression")


def error(params: dict[str, Any], kinds: tuple[str, ...] = CONDITION) -> str:
    with pytest.raises(ServiceError) as caught:
        prepare(params, kinds)
    assert caught.value.code == "ValidationException"
    return caught.value.message


def test_syntax_errors_quote_the_token_and_its_neighbours() -> None:
    assert error({"UpdateExpression": "ADD hits : incr"}, UPDATE) == (
        'Invalid UpdateExpression: Syntax error; token: ":", near: "hits : incr"'
    )
    assert error({"UpdateExpression": "SET a = :v, updated ="}, UPDATE).endswith(
        'Syntax error; token: "<EOF>", near: "="'
    )
    assert error({"ConditionExpression": "a = = b"}) == (
        'Invalid ConditionExpression: Syntax error; token: "=", near: "= = b"'
    )
    assert error({"UpdateExpression": "INVALID SYNTAX HERE"}, UPDATE) == (
        'Invalid UpdateExpression: Syntax error; token: "INVALID", near: "INVALID SYNTAX"'
    )


def test_empty_expressions_are_refused() -> None:
    assert error({"ConditionExpression": " "}) == (
        "Invalid ConditionExpression: The expression can not be empty;"
    )


def test_reserved_words_need_an_alias() -> None:
    assert error({"ConditionExpression": "attribute_exists(status)"}) == (
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword:"
        " status"
    )


def test_names_and_values_must_be_defined_and_used() -> None:
    assert error(
        {"ConditionExpression": "#a = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}}
    ) == (
        "Invalid ConditionExpression: An expression attribute name used in the document path is"
        " not defined; attribute name: #a"
    )
    assert error({"ConditionExpression": "a = :v"}) == (
        "Invalid ConditionExpression: An expression attribute value used in expression is not"
        " defined; attribute value: :v"
    )
    assert (
        error(
            {
                "ConditionExpression": "a = :v",
                "ExpressionAttributeValues": {":v": {"S": "x"}, ":w": {"S": "y"}},
            }
        )
        == "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"
    )
    assert (
        error(
            {
                "ConditionExpression": "a = :v",
                "ExpressionAttributeNames": {"#n": "x"},
                "ExpressionAttributeValues": {":v": {"S": "x"}},
            }
        )
        == "Value provided in ExpressionAttributeNames unused in expressions: keys: {#n}"
    )
    assert error({"ExpressionAttributeNames": {"#n": "x"}}) == (
        "ExpressionAttributeNames can only be specified when using expressions"
    )


def test_functions_are_checked() -> None:
    assert error({"ConditionExpression": "foo(a)"}) == (
        "Invalid ConditionExpression: Invalid function name; function: foo"
    )
    assert error({"ConditionExpression": "size(a)"}) == (
        "Invalid ConditionExpression: The function is not allowed to be used this way in an"
        " expression; function: size"
    )
    assert error({"ConditionExpression": "attribute_exists(a, b)"}) == (
        "Invalid ConditionExpression: Incorrect number of operands for operator or function;"
        " operator or function: attribute_exists, number of operands: 2"
    )
    assert error(
        {
            "ConditionExpression": "begins_with(a, :n)",
            "ExpressionAttributeValues": {":n": {"N": "1"}},
        }
    ) == (
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator"
        " or function: begins_with, operand type: N"
    )


def test_between_bounds_must_be_in_order() -> None:
    message = error(
        {
            "ConditionExpression": "a BETWEEN :hi AND :lo",
            "ExpressionAttributeValues": {":hi": {"N": "5"}, ":lo": {"N": "1"}},
        }
    )
    assert message == (
        "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater"
        " than or equal to lower bound; lower operand: AttributeValue: {N:5}, upper operand:"
        " AttributeValue: {N:1}"
    )


def test_update_paths_may_not_overlap() -> None:
    prepared = prepare(
        {
            "UpdateExpression": "SET a = :v REMOVE a",
            "ExpressionAttributeValues": {":v": {"S": "x"}},
        },
        UPDATE,
    )
    with pytest.raises(ServiceError) as caught:
        update_paths(prepared.get("UpdateExpression"), {}, ("id",))
    assert caught.value.message == (
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or"
        " rewrite one of these paths; path one: [a], path two: [a]"
    )


def test_conditions_evaluate_with_dynamodbs_precedence() -> None:
    prepared = prepare(
        {
            "ConditionExpression": "a = :x OR b = :x AND NOT attribute_exists(c)"
            " AND size(l) BETWEEN :one AND :two AND contains(s, :x) AND n IN (:one, :two)",
            "ExpressionAttributeValues": {":x": {"S": "x"}, ":one": {"N": "1"}, ":two": {"N": "2"}},
        },
        CONDITION,
    )
    condition = prepared.get("ConditionExpression").root
    item = {"b": {"S": "x"}, "l": {"L": [{"N": "1"}]}, "s": {"SS": ["x"]}, "n": {"N": "2"}}
    assert condition.test(prepared.scope(item))
    assert not condition.test(prepared.scope({**item, "c": {"NULL": True}}))
    assert condition.test(prepared.scope({"a": {"S": "x"}}))  # OR binds loosest


def test_update_applies_every_clause_against_the_old_item() -> None:
    prepared = prepare(
        {
            "UpdateExpression": "SET a.b = :v, c = c + :one, l[5] = :v, m = list_append(l, :l)"
            " REMOVE d, l[0] ADD s :s DELETE t :t",
            "ExpressionAttributeValues": {
                ":v": {"S": "x"},
                ":one": {"N": "1"},
                ":s": {"SS": ["q"]},
                ":t": {"SS": ["z"]},
                ":l": {"L": [{"N": "9"}]},
            },
        },
        UPDATE,
    )
    parsed = prepared.get("UpdateExpression")
    old = {
        "a": {"M": {}},
        "c": {"N": "41"},
        "l": {"L": [{"N": "1"}, {"N": "2"}]},
        "d": {"S": "x"},
        "t": {"SS": ["z"]},
    }
    new = apply_update(parsed, update_paths(parsed, {}, ("id",)), prepared.scope(old))
    assert new == {
        "a": {"M": {"b": {"S": "x"}}},
        "c": {"N": "42"},
        "l": {"L": [{"N": "2"}, {"S": "x"}]},
        "m": {"L": [{"N": "1"}, {"N": "2"}, {"N": "9"}]},
        "s": {"SS": ["q"]},
    }
    assert old["a"] == {"M": {}} and len(old["l"]["L"]) == 2  # the old image is untouched


def test_parsed_expressions_are_cached() -> None:
    params = {"ConditionExpression": "attribute_not_exists(pk)"}
    assert prepare(params, CONDITION).get("ConditionExpression") is prepare(
        dict(params), CONDITION
    ).get("ConditionExpression")
