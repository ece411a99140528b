"""CloudWatch Logs filter patterns, compiled to a predicate on an event's message.

The syntax FilterLogEvents accepts (and metric and subscription filters, later):

- terms: `ERROR` (the message contains it, case-sensitive), `ERROR Exception` (all of them),
  `"exact phrase"`, `?ERROR ?WARN` (any of them), `-DEBUG` (not this one);
- a regular expression between percent signs: `%user-[0-9]+%`;
- JSON: `{ $.level = "ERROR" }`, `{ $.latency > 100 && ($.user.id = 7 || $.tags[0] = a*) }`,
  `{ $.flag IS TRUE }`, `{ $.x IS NULL }`, `{ $.y NOT EXISTS }`, `{ $.msg = %time.?out% }`;
- space-delimited fields: `[ip, user, ..., status=4*, bytes > 1000]`.

Entry point: `compile_pattern(text)`; a pattern it cannot read raises `PatternError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

Matcher = Callable[[str], bool]

_MISSING = object()


class PatternError(ValueError):
    """The pattern is not valid filter pattern syntax; the message is AWS's."""


def compile_pattern(text: str | None) -> Matcher | None:
    """A predicate on messages, or None when the pattern matches every event."""
    pattern = (text or "").strip()
    if not pattern:
        return None
    if pattern.startswith("{"):
        if not pattern.endswith("}"):
            raise PatternError("If a filter pattern starts with '{' it must end with '}'")
        return _json_matcher(pattern[1:-1])
    if pattern.startswith("["):
        if not pattern.endswith("]"):
            raise PatternError("Invalid filter pattern")
        return _delimited_matcher(pattern[1:-1])
    if len(pattern) > 1 and pattern.startswith("%") and pattern.endswith("%"):
        regex = _regex(pattern[1:-1])
        return lambda message: regex.search(message) is not None
    return _terms_matcher(pattern)


# -- terms ----------------------------------------------------------------------------------

_TERM = re.compile(r'\s*([?-]?)(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))')


def _terms_matcher(pattern: str) -> Matcher:
    required: list[str] = []
    optional: list[str] = []
    excluded: list[str] = []
    position = 0
    while position < len(pattern):
        if pattern[position:].isspace():
            break
        found = _TERM.match(pattern, position)
        if found is None:
            raise PatternError("Invalid filter pattern")
        sign, quoted, bare = found.groups()
        term = _unescape(quoted) if quoted is not None else bare
        {"": required, "?": optional, "-": excluded}[sign].append(term)
        position = found.end()

    def matches(message: str) -> bool:
        return (
            all(term in message for term in required)
            and (not optional or any(term in message for term in optional))
            and not any(term in message for term in excluded)
        )

    return matches


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _regex(body: str) -> re.Pattern[str]:
    # CloudWatch's regex subset has no groups; anything Python cannot compile is invalid too.
    if not body or "(" in body or ")" in body:
        raise PatternError("Invalid filter pattern")
    try:
        return re.compile(body)
    except re.error:
        raise PatternError("Invalid filter pattern") from None


# -- values shared by JSON and space-delimited patterns -----------------------------------------

Comparison = Callable[[Any], bool]

_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def _compare(operator: str, raw: str, quoted: bool) -> Comparison:
    """A test on one value (a JSON value or a field's text) for `operator raw`."""
    if raw.startswith("%") and raw.endswith("%") and len(raw) > 1 and not quoted:
        regex = _regex(raw[1:-1])
        if operator not in ("=", "!="):
            raise PatternError("Invalid filter pattern")
        positive = operator == "="
        return lambda value: (
            isinstance(value, str) and (regex.search(value) is not None) == positive
        )
    if not quoted and _NUMBER.match(raw):
        number = float(raw)
        compare = _NUMERIC[operator]
        return lambda value: (target := _as_number(value)) is not None and compare(target, number)
    if operator not in ("=", "!="):
        raise PatternError("Invalid filter pattern")
    wildcard = re.compile(".*".join(re.escape(part) for part in raw.split("*")), re.DOTALL)
    positive = operator == "="

    def test(value: Any) -> bool:
        text = _as_text(value)
        return text is not None and (wildcard.fullmatch(text) is not None) == positive

    return test


_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _NUMBER.match(value):
        return float(value)
    return None


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return json.dumps(value)
    return None


# -- JSON -------------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(
    r"""\s*(?:
        (?P<paren>[()])
      | (?P<logic>&&|\|\|)
      | (?P<op>!=|<=|>=|=|<|>)
      | "(?P<string>(?:[^"\\]|\\.)*)"
      | (?P<regex>%[^%]*%)
      | (?P<word>[^\s()=!<>&|"]+)
    )""",
    re.VERBOSE,
)


def _json_tokens(body: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(body):
        if body[position:].isspace():
            break
        found = _JSON_TOKEN.match(body, position)
        if found is None:
            raise PatternError("Invalid filter pattern")
        kind = found.lastgroup or ""
        value = found.group(kind)
        tokens.append((kind, _unescape(value) if kind == "string" else value))
        position = found.end()
    return tokens


def _json_matcher(body: str) -> Matcher:
    parser = _JsonParser(_json_tokens(body))
    test = parser.expression()
    if not parser.at_end():
        raise PatternError("Invalid filter pattern")

    def matches(message: str) -> bool:
        try:
            document = json.loads(message)
        except ValueError:
            return False
        return isinstance(document, dict | list) and test(document)

    return matches


class _JsonParser:
    """Recursive descent over JSON pattern tokens; `&&` binds tighter than `||`."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.index = 0

    def at_end(self) -> bool:
        return self.index == len(self.tokens)

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.index] if self.index < len(self.tokens) else ("end", "")

    def _take(self, kind: str | None = None) -> tuple[str, str]:
        token = self._peek()
        if token[0] == "end" or (kind is not None and token[0] != kind):
            raise PatternError("Invalid filter pattern")
        self.index += 1
        return token

    def expression(self) -> Comparison:
        tests = [self._conjunction()]
        while self._peek() == ("logic", "||"):
            self._take()
            tests.append(self._conjunction())
        return tests[0] if len(tests) == 1 else lambda doc: any(test(doc) for test in tests)

    def _conjunction(self) -> Comparison:
        tests = [self._atom()]
        while self._peek() == ("logic", "&&"):
            self._take()
            tests.append(self._atom())
        return tests[0] if len(tests) == 1 else lambda doc: all(test(doc) for test in tests)

    def _atom(self) -> Comparison:
        if self._peek() == ("paren", "("):
            self._take()
            inner = self.expression()
            self._take("paren")
            return inner
        kind, selector = self._take("word")
        path = _selector(selector)
        kind, word = self._peek()
        if kind == "word" and word.upper() in ("IS", "NOT", "EXISTS"):
            return self._keyword_test(path)
        _, operator = self._take("op")
        kind, raw = self._take()
        if kind not in ("word", "string", "regex"):
            raise PatternError("Invalid filter pattern")
        compare = _compare(operator, raw, quoted=kind == "string")
        return lambda doc: (value := _resolve(doc, path)) is not _MISSING and compare(value)

    def _keyword_test(self, path: list[str | int]) -> Comparison:
        first = self._take("word")[1].upper()
        if first == "EXISTS":
            return lambda doc: _resolve(doc, path) is not _MISSING
        second = self._take("word")[1].upper()
        if first == "NOT" and second == "EXISTS":
            return lambda doc: _resolve(doc, path) is _MISSING
        expected = {"TRUE": True, "FALSE": False, "NULL": None}
        if first != "IS" or second not in expected:
            raise PatternError("Invalid filter pattern")
        wanted = expected[second]
        return lambda doc: (value := _resolve(doc, path)) is not _MISSING and value is wanted


_SELECTOR_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


def _selector(text: str) -> list[str | int]:
    """`$.user.tags[0]` -> ["user", "tags", 0]."""
    if not text.startswith("$") or len(text) == 1:
        raise PatternError("Invalid filter pattern")
    path: list[str | int] = []
    position = 1
    while position < len(text):
        step = _SELECTOR_STEP.match(text, position)
        if step is None:
            raise PatternError("Invalid filter pattern")
        key, index = step.groups()
        path.append(int(index) if index is not None else key)
        position = step.end()
    return path


def _resolve(document: Any, path: list[str | int]) -> Any:
    value = document
    for step in path:
        in_list = isinstance(step, int) and isinstance(value, list) and step < len(value)
        in_object = isinstance(step, str) and isinstance(value, dict) and step in value
        if not (in_list or in_object):
            return _MISSING
        value = value[step]
    return value


# -- space-delimited --------------------------------------------------------------------------

_FIELD_CONDITION = re.compile(r'\s*(?:(&&|\|\|)\s*)?(\w+)\s*(!=|<=|>=|=|<|>)\s*("[^"]*"|[^\s&|]+)')
_MESSAGE_FIELD = re.compile(r'"[^"]*"|\[[^\]]*\]|\S+')


def _delimited_matcher(body: str) -> Matcher:
    specs = [spec.strip() for spec in body.split(",")]
    if not specs or any(not spec for spec in specs):
        raise PatternError("Invalid filter pattern")
    names: list[str] = []
    tests: dict[str, Comparison] = {}
    for spec in specs:
        if spec == "...":
            names.append("...")
            continue
        name = re.match(r"\w+", spec)
        if name is None:
            raise PatternError("Invalid filter pattern")
        names.append(name.group())
        if spec != name.group():
            tests[name.group()] = _field_conditions(spec)
    if names.count("...") > 1:
        raise PatternError("Invalid filter pattern")

    def matches(message: str) -> bool:
        fields = [_strip_field(field) for field in _MESSAGE_FIELD.findall(message)]
        values = _assign(names, fields)
        if values is None:
            return False
        return all(test(values[name]) for name, test in tests.items())

    return matches


def _field_conditions(spec: str) -> Comparison:
    """`status=4* || status=5*` -> a test on the field's text (`&&` binds tighter)."""
    alternatives: list[list[Comparison]] = [[]]
    position = 0
    while position < len(spec):
        found = _FIELD_CONDITION.match(spec, position)
        if found is None or (position == 0) != (found.group(1) is None):
            raise PatternError("Invalid filter pattern")
        logic, _, operator, raw = found.groups()
        if logic == "||":
            alternatives.append([])
        quoted = raw.startswith('"')
        alternatives[-1].append(_compare(operator, raw.strip('"'), quoted=quoted))
        position = found.end()
        if spec[position:].isspace():
            break
    return lambda value: any(all(test(value) for test in group) for group in alternatives)


def _strip_field(field: str) -> str:
    if len(field) >= 2 and field[0] + field[-1] in ('""', "[]"):
        return field[1:-1]
    return field


def _assign(names: list[str], fields: list[str]) -> dict[str, str] | None:
    """Map field names to the message's fields; `...` takes whatever the others leave."""
    if "..." not in names:
        return dict(zip(names, fields, strict=True)) if len(names) == len(fields) else None
    split = names.index("...")
    before, after = names[:split], names[split + 1 :]
    if len(fields) < len(before) + len(after):
        return None
    values = dict(zip(before, fields, strict=False))
    if after:
        values.update(zip(after, fields[-len(after) :], strict=True))
    return values
