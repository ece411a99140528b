"""Valid sample values for botocore shapes, the same on every run.

`Samples(seed).value(shape)` fills a shape the way a careful client would: enums from their
values, strings matching the model's pattern and length bounds, numbers in range, lists and
maps of one or two entries, one member of a union, and recursion cut off past a depth (only
required members are filled there). Strings that travel in a URI, query string or header are
plain ASCII; strings in bodies carry markup and non-ASCII text to exercise escaping.
"""

from __future__ import annotations

import datetime
import functools
import random
import re
import string
import zlib
from re import _parser as regex_parser  # type: ignore[attr-defined]
from typing import Any

from botocore.model import Shape

from cloudlet.gateway.validate import compile_validator

MAX_DEPTH = 5
PLAIN = string.ascii_letters + string.digits
# Markup and quotes (XML and JSON escaping), separators, whitespace inside text, non-ASCII.
RICH = PLAIN + " &<>\"'=+%./:\n\té中"
_UTC = datetime.UTC


def seeded(*names: str) -> random.Random:
    """A random source fixed by `names` (a service and an operation, say)."""
    return random.Random(zlib.crc32("/".join(names).encode()))


class Samples:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.validators: dict[str, Any] = {}

    def value(self, shape: Shape, depth: int = 0, plain: bool = False) -> Any:
        """A value of `shape`; `plain` for one that travels outside a body. None if too deep."""
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape, depth, plain)
        if kind == "list":
            if depth > MAX_DEPTH + 3:
                return None
            count = _count(shape, depth)
            items = [self.value(shape.member, depth + 1, plain) for _ in range(count)]
            items = [item for item in items if item is not None]
            return items or None
        if kind == "map":
            if depth > MAX_DEPTH + 3:
                return None
            count = _count(shape, depth)
            out = {}
            for _ in range(count):
                key = self.value(shape.key, depth + 1, plain=True)
                item = self.value(shape.value, depth + 1, plain)
                if item is not None:
                    out[key] = item
            return out or None
        return self.scalar(shape, plain)

    def message(self, shape: Shape) -> dict[str, Any]:
        """A whole input or output: plain values where members travel outside the body."""
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            if location == "statusCode":
                out[name] = 200  # anything else would read as an error
            elif location == "headers":
                out[name] = {f"key{n}": self._text(PLAIN, 1, 8) for n in range(2)}
            elif location == "querystring" and member.type_name == "map":
                # Keys no other query member has.
                of_lists = member.value.type_name == "list"
                out[name] = {
                    f"extra{n}": [self._text(PLAIN, 1, 8)] if of_lists else self._text(PLAIN, 1, 8)
                    for n in range(2)
                }
            else:
                item = self.value(member, 1, plain=location is not None)
                if item is not None:
                    out[name] = item
        return out

    def _structure(self, shape: Shape, depth: int, plain: bool) -> dict[str, Any] | None:
        if getattr(shape, "is_document_type", False):
            return {"document": ["of", 1, {"kind": True}]}
        if depth > MAX_DEPTH + 3:
            return None
        names = list(shape.members)
        if shape.is_tagged_union:
            names = [self.rng.choice(names)] if names else []
        elif depth > MAX_DEPTH:
            names = list(shape.required_members)
        out = {}
        for name in names:
            item = self.value(shape.members[name], depth + 1, plain)
            if item is not None:
                out[name] = item
        if shape.is_tagged_union and not out:
            return None
        return out

    def scalar(self, shape: Shape, plain: bool = False) -> Any:
        kind = shape.type_name
        rng = self.rng
        meta = shape.metadata
        if kind in ("string", "character"):
            if shape.enum:
                return rng.choice(shape.enum)
            if plain and shape.serialization.get("jsonvalue"):
                return {"json": ["value", 1]}
            return self._string(shape, plain)
        if kind in ("integer", "long", "short", "byte"):
            low = int(meta.get("min", 0))
            high = int(meta.get("max", low + (2**40 if kind == "long" else 1000)))
            return rng.randint(low, max(low, high))
        if kind in ("float", "double"):
            low = float(meta.get("min", 0))
            high = float(meta.get("max", low + 1000))
            # Halves are exact in binary and decimal: they survive every wire format.
            return low + rng.randint(0, int((high - low) * 2)) / 2
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "timestamp":
            # Whole seconds: headers carry RFC 822 times, which have no fractions.
            seconds = rng.randint(1_500_000_000, 1_900_000_000)
            return datetime.datetime.fromtimestamp(seconds, _UTC)
        if kind == "blob":
            low = max(1, int(meta.get("min", 1)))
            high = min(int(meta.get("max", 16)), low + 16)
            return bytes(rng.randrange(256) for _ in range(rng.randint(low, max(low, high))))
        return None

    def _string(self, shape: Shape, plain: bool) -> str:
        low = max(1, int(shape.metadata.get("min", 1)))
        high = int(shape.metadata.get("max", 1024))
        pattern = shape.metadata.get("pattern")
        alphabet = PLAIN if plain else RICH
        if pattern is None:
            return self._text(alphabet, low, high)
        valid = self._validator(shape)
        for extra in (2, 4, 8, 16, 32, 64, 128, 256):
            candidate = self._from_pattern(pattern, low, high, extra)
            if candidate is not None and (not plain or _is_plain(candidate)) and valid(candidate):
                return candidate
        for candidate in (self._text(PLAIN, low, high), "a" * low, "1" * low):
            if valid(candidate):
                return candidate
        return self._text(PLAIN, low, high)  # the pattern is beyond us: a plain string

    def _text(self, alphabet: str, low: int, high: int) -> str:
        length = self.rng.randint(low, max(low, min(high, low + 12)))
        text = "".join(self.rng.choice(alphabet) for _ in range(length))
        # Whitespace at either end does not survive everywhere (header values are trimmed).
        if text[:1].isspace():
            text = "x" + text[1:]
        if text[-1:].isspace():
            text = text[:-1] + "x"
        return text

    def _validator(self, shape: Shape) -> Any:
        key = f"{shape.name}/{shape.metadata.get('pattern')}"
        if key not in self.validators:
            check = compile_validator(shape)
            self.validators[key] = lambda value: not check(value)  # type: ignore[arg-type]
        return self.validators[key]

    def _from_pattern(self, pattern: str, low: int, high: int, extra: int) -> str | None:
        """A string matching `pattern`, its open repeats at most `extra` beyond their least."""
        try:
            text = self._emit(_parsed(pattern), extra)
        except (re.error, ValueError, TypeError, OverflowError, IndexError):
            return None
        return text if low <= len(text) <= high else None

    def _emit(self, items: Any, extra: int) -> str:
        rng = self.rng
        out = []
        for op, arg in items:
            name = str(op)
            if name == "LITERAL":
                out.append(chr(arg))
            elif name == "NOT_LITERAL":
                out.append("a" if chr(arg) != "a" else "b")
            elif name == "ANY":
                out.append(rng.choice(PLAIN))
            elif name == "IN":
                out.append(self._from_class(arg))
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                least, most, sub = arg
                most = min(most, least + extra)
                count = rng.randint(min(max(least, 1), most), most)
                out.extend(self._emit(sub, extra) for _ in range(count))
            elif name == "SUBPATTERN":
                out.append(self._emit(arg[-1], extra))
            elif name == "BRANCH":
                out.append(self._emit(rng.choice(arg[1]), extra))
            elif name == "CATEGORY":
                out.append(_CATEGORY_SAMPLES.get(str(arg), "a"))
            elif name in ("AT", "ASSERT", "ASSERT_NOT", "GROUPREF"):
                continue
            else:
                raise ValueError(name)
        return "".join(out)

    def _from_class(self, parts: Any) -> str:
        choices: list[str] = []
        negated = False
        for op, arg in parts:
            name = str(op)
            if name == "NEGATE":
                negated = True
            elif name == "LITERAL":
                choices.append(chr(arg))
            elif name == "RANGE":
                first, last = arg
                choices.extend(chr(c) for c in range(first, min(last, first + 60) + 1))
            elif name == "CATEGORY":
                choices.append(_CATEGORY_SAMPLES.get(str(arg), "a"))
        if negated:
            excluded = set(choices)
            return next(c for c in PLAIN if c not in excluded)
        plain = [c for c in choices if c in PLAIN]
        return self.rng.choice(plain or choices)


def _count(shape: Shape, depth: int) -> int:
    """How many items a list or map gets: two near the top, one deeper, within its bounds."""
    wanted = min(2 if depth <= 2 else 1, int(shape.metadata.get("max", 2)))
    return max(wanted, int(shape.metadata.get("min", 0)))


@functools.cache
def _parsed(pattern: str) -> Any:
    return regex_parser.parse(pattern.replace(r"\p{Alpha}", "a-zA-Z"), re.DOTALL)


_CATEGORY_SAMPLES = {
    "CATEGORY_DIGIT": "7",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_WORD": "w",
    "CATEGORY_NOT_WORD": "-",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "s",
}


def _is_plain(text: str) -> bool:
    return text.isascii() and text.isprintable() and text == text.strip() and "," not in text
