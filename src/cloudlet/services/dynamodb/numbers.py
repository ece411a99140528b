"""DynamoDB's Number: 38 significant digits, magnitudes 1E-130 to 9.99..E+125.

Numbers travel as strings. `parse_number` checks one as DynamoDB does and gives its
canonical text (what reads return: no exponent, no leading or trailing zeros), and
`number_key` an order-preserving byte encoding: comparing two encodings byte by byte
(memcmp, as SQLite compares BLOBs) orders them as the numbers they encode, which is what
lets a sort-key range be one index range scan.
"""

from __future__ import annotations

from decimal import Context, Decimal, InvalidOperation, localcontext

from cloudlet.services.dynamodb.errors import validation

MAX_DIGITS = 38
# Adjusted exponents (the power of ten of the first significant digit) DynamoDB stores.
MIN_EXPONENT = -130
MAX_EXPONENT = 125

# Exact arithmetic for the intermediate results of ADD and SET a = a + b; the result is
# checked against DynamoDB's limits afterwards.
EXACT = Context(prec=400, Emin=-999999, Emax=999999)


def parse_number(text: str) -> Decimal:
    """The Decimal `text` denotes, or DynamoDB's ValidationException."""
    try:
        value = Decimal(text.strip()) if _looks_numeric(text) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise validation(f"The parameter cannot be converted to a numeric value: {text}")
    return check_number(value)


def check_number(value: Decimal) -> Decimal:
    """`value` if DynamoDB can store it; its overflow, underflow or precision error if not."""
    if not value:
        return Decimal(0)
    digits = value.as_tuple().digits
    significant = len(digits)
    trailing = 0
    while trailing < significant - 1 and digits[significant - 1 - trailing] == 0:
        trailing += 1
    adjusted = value.adjusted()
    if adjusted > MAX_EXPONENT:
        raise validation(
            "Number overflow. Attempting to store a number with magnitude larger than supported"
            " range"
        )
    if adjusted < MIN_EXPONENT:
        raise validation(
            "Number underflow. Attempting to store a number with magnitude smaller than"
            " supported range"
        )
    if significant - trailing > MAX_DIGITS:
        raise validation("Attempting to store more than 38 significant digits in a Number")
    return value


def canonical(value: Decimal) -> str:
    """The text DynamoDB returns for a number: plain digits, no superfluous zeros; a number
    of more than 38 integer digits in exponent form (`1E+125`), which SDKs read without
    rounding (boto3 refuses to round)."""
    if not value:
        return "0"
    with localcontext(EXACT):
        normal = value.normalize()
        if value.adjusted() >= MAX_DIGITS:
            return str(normal)
        return format(normal, "f")


def normalize_text(text: str) -> str:
    """A number's canonical text from its wire text (validated)."""
    if text.isdigit() and (text[0] != "0" or text == "0") and len(text) <= MAX_DIGITS:
        return text  # the common case: a plain non-negative integer, already canonical
    return canonical(parse_number(text))


def number_key(value: Decimal) -> bytes:
    """Order-preserving bytes for a valid number (see the module docstring).

    Layout: a sign byte (0x40 negative, 0x80 zero, 0xC0 positive), one byte of adjusted
    exponent, then the significant digits as ASCII. Negative numbers complement exponent and
    digits and end with 0xFF, so that, of two negatives sharing a prefix, the one with more
    digits (the larger magnitude) sorts first.
    """
    if not value:
        return b"\x80"
    sign, digits, _ = value.normalize(EXACT).as_tuple()
    exponent = value.adjusted() - MIN_EXPONENT  # 0..255 for DynamoDB's range
    text = "".join(map(str, digits))
    if not sign:
        return bytes((0xC0, exponent)) + text.encode()
    flipped = text.translate(_COMPLEMENT)
    return bytes((0x40, 255 - exponent)) + flipped.encode() + b"\xff"


def add_numbers(a: str, b: str, negate: bool = False) -> str:
    """`a + b` (or `a - b`) of two stored numbers, as DynamoDB's ADD and SET compute it."""
    with localcontext(EXACT):
        total = Decimal(a) - Decimal(b) if negate else Decimal(a) + Decimal(b)
    return canonical(check_number(total))


_COMPLEMENT = str.maketrans("0123456789", "9876543210")


def _looks_numeric(text: str) -> bool:
    # Decimal also reads "NaN", "Infinity" and "1_000"; DynamoDB reads none of them.
    return bool(text) and "_" not in text and not any(c.isalpha() and c not in "eE" for c in text)
