"""DynamoDB's Number: canonical text, limits, and an encoding whose byte order is numeric."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodb.numbers import add_numbers, normalize_text, number_key
from cloudlet.services.dynamodb.size import number_size


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1.50", "1.5"),
        ("0001", "1"),
        ("1E2", "100"),
        ("-0", "0"),
        ("0.000", "0"),
        ("-1.2e-3", "-0.0012"),
        ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
        # Beyond 38 integer digits the exponent form, which SDKs read without rounding.
        (
            "9.9999999999999999999999999999999999999E+125",
            "9.9999999999999999999999999999999999999E+125",
        ),
        ("1" + "0" * 38, "1E+38"),
        ("1" + "0" * 37, "1" + "0" * 37),
        ("1E-130", "0." + "0" * 129 + "1"),
    ],
)
def test_numbers_are_stored_in_canonical_form(text: str, canonical: str) -> None:
    assert normalize_text(text) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "The parameter cannot be converted to a numeric value: abc"),
        ("NaN", "The parameter cannot be converted to a numeric value: NaN"),
        ("Infinity", "The parameter cannot be converted to a numeric value: Infinity"),
        ("", "The parameter cannot be converted to a numeric value: "),
        (
            "1E126",
            "Number overflow. Attempting to store a number with magnitude larger than"
            " supported range",
        ),
        (
            "1E-131",
            "Number underflow. Attempting to store a number with magnitude smaller than"
            " supported range",
        ),
        ("1" * 39, "Attempting to store more than 38 significant digits in a Number"),
    ],
)
def test_invalid_numbers_get_dynamodbs_messages(text: str, message: str) -> None:
    with pytest.raises(ServiceError) as caught:
        normalize_text(text)
    assert caught.value.code == "ValidationException"
    assert caught.value.message == message


def test_trailing_zeros_do_not_count_as_significant_digits() -> None:
    assert normalize_text("1" * 38 + "000") == "1.1111111111111111111111111111111111111E+40"


def test_number_key_orders_bytes_as_numbers() -> None:
    rng = random.Random(7)
    values = [
        Decimal(0),
        Decimal("1E-130"),
        Decimal("-1E-130"),
        Decimal("9.99E125"),
        Decimal("-9.99E125"),
        Decimal("0.5"),
        Decimal("-0.5"),
        Decimal("5"),
        Decimal("50"),
        Decimal("-5"),
        Decimal("-50"),
        Decimal("1.1"),
        Decimal("1.11"),
        Decimal("-1.1"),
        Decimal("-1.11"),
        Decimal("10"),
        Decimal("9.999"),
    ]
    for _ in range(2000):
        digits = rng.randint(1, 38)
        mantissa = rng.randint(1, 10**digits - 1) * rng.choice((1, -1))
        values.append(Decimal(mantissa).scaleb(rng.randint(-120, 80)))
    by_value = sorted(values)
    by_key = sorted(values, key=number_key)
    assert by_key == by_value


def test_equal_numbers_have_equal_keys() -> None:
    assert number_key(Decimal("1.50")) == number_key(Decimal("1.5")) == number_key(Decimal("15E-1"))


def test_arithmetic_is_exact_and_checked() -> None:
    assert add_numbers("0.1", "0.2") == "0.3"
    assert add_numbers("5", "7", negate=True) == "-2"
    with pytest.raises(ServiceError):
        add_numbers("9" * 38, "0.1")  # 39 significant digits


def test_number_size_counts_base_100_digits() -> None:
    assert number_size("1") == 2
    assert number_size("12") == 2
    assert number_size("123") == 3
    assert number_size("-1") == 3
