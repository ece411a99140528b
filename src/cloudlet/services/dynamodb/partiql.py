"""DynamoDB's PartiQL: SELECT, INSERT, UPDATE and DELETE statements, parsed and translated.

A statement is parsed once per distinct text into a `Statement` whose WHERE clause and SET
values are DynamoDB expressions (with generated `#n` names and `:v` values), so running it
reuses the expression languages: a SELECT becomes a Query when its WHERE fixes the partition
key, a Scan otherwise; UPDATE and DELETE become conditional writes of the one item whose
key the WHERE fixes; INSERT a put that fails if the item exists. Parameters (`?`) are
bound per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cloudlet.services.dynamodb.errors import validation
from cloudlet.services.dynamodb.numbers import normalize_text
from cloudlet.services.dynamodb.values import Value

_PUNCT = ("<<", ">>", "<>", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ",", ".", ":",
          "?", "*", "=", "<", ">", "+", "-")  # fmt: skip
_COMPARATORS = {"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_FUNCTIONS = {"begins_with": 2, "contains": 2, "attribute_type": 2, "size": 1}


def malformed(detail: str) -> Exception:
    return validation(f"Statement wasn't well formed, can't be processed: {detail}")


@dataclass(frozen=True)
class Param:
    """A `?` in the statement: the n-th of the request's Parameters."""

    index: int


@dataclass
class Statement:
    kind: str  # SELECT, INSERT, UPDATE, DELETE
    table: str
    index: str | None = None
    projection: str | None = None  # a ProjectionExpression
    where: str | None = None  # a condition expression over `names` and `values`
    # Top-level `name = value` equalities of the WHERE clause (key candidates).
    equalities: dict[str, Any] = field(default_factory=dict)
    update: str | None = None  # an UpdateExpression
    item: Any = None  # INSERT's value (an M, possibly with Params inside)
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)  # AttributeValue or Param
    parameters: int = 0

    @property
    def is_read(self) -> bool:
        return self.kind == "SELECT"


def bind(statement: Statement, parameters: list[Value] | None) -> Bound:
    """The statement's values, INSERT item and key equalities with `?` replaced by the
    request's Parameters; DynamoDB's error when their numbers differ."""
    given = parameters or []
    if len(given) != statement.parameters:
        raise validation("Number of parameters in request and statement don't match.")
    return Bound(
        {name: _bound(value, given) for name, value in statement.values.items()},
        _bound(statement.item, given) if statement.item is not None else None,
        {name: _bound(value, given) for name, value in statement.equalities.items()},
    )


@dataclass
class Bound:
    values: dict[str, Value]
    item: Any
    equalities: dict[str, Value]


def _bound(value: Any, given: list[Value]) -> Any:
    if isinstance(value, Param):
        return given[value.index]
    if isinstance(value, dict) and "M" in value and isinstance(value["M"], dict):
        return {"M": {k: _bound(v, given) for k, v in value["M"].items()}}
    if isinstance(value, dict) and "L" in value:
        return {"L": [_bound(v, given) for v in value["L"]]}
    return value


@lru_cache(maxsize=1024)
def parse_statement(text: str) -> Statement:
    return _Parser(text).statement()


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self.parameters = 0

    # -- plumbing -----------------------------------------------------------------------------

    def peek(self, offset: int = 0) -> tuple[str, str]:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def word(self, *words: str) -> bool:
        kind, text = self.peek()
        if kind == "word" and text.upper() in words:
            self.pos += 1
            return True
        return False

    def expect_word(self, word: str) -> None:
        if not self.word(word):
            raise malformed(f"Expected {word}")

    def mark(self, mark: str) -> bool:
        if self.peek() == ("punct", mark):
            self.pos += 1
            return True
        return False

    def expect(self, mark: str) -> None:
        if not self.mark(mark):
            raise malformed(f"Expected {mark!r} but found {self.peek()[1]!r}")

    def name(self, attribute: str) -> str:
        alias = self.names.get(attribute)
        if alias is None:
            alias = f"#n{len(self.names)}"
            self.names[attribute] = alias
        return alias

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    # -- statements -------------------------------------------------------------------------

    def statement(self) -> Statement:
        if self.word("SELECT"):
            statement = self.select()
        elif self.word("INSERT"):
            statement = self.insert()
        elif self.word("UPDATE"):
            statement = self.update()
        elif self.word("DELETE"):
            statement = self.delete()
        else:
            raise malformed("Unsupported statement: expected SELECT, INSERT, UPDATE or DELETE")
        if self.peek()[0] != "end":
            raise malformed(f"Unexpected token {self.peek()[1]!r}")
        statement.names = {alias: name for name, alias in self.names.items()}
        statement.values = self.values
        statement.parameters = self.parameters
        return statement

    def target(self) -> tuple[str, str | None]:
        table = self.identifier()
        index = self.identifier() if self.mark(".") else None
        return table, index

    def select(self) -> Statement:
        projection = None
        if not self.mark("*"):
            paths = [self.path()]
            while self.mark(","):
                paths.append(self.path())
            projection = ", ".join(paths)
        self.expect_word("FROM")
        table, index = self.target()
        statement = Statement("SELECT", table, index, projection)
        if self.word("WHERE"):
            self.where(statement)
        return statement

    def insert(self) -> Statement:
        self.expect_word("INTO")
        table, _ = self.target()
        self.expect_word("VALUE")
        item = self.literal()
        if "M" not in item:
            raise malformed("INSERT expects a tuple {...} as its VALUE")
        return Statement("INSERT", table, item=item)

    def update(self) -> Statement:
        table, _ = self.target()
        sets: list[str] = []
        removes: list[str] = []
        adds: list[str] = []
        deletes: list[str] = []
        while True:
            if self.word("SET"):
                self.set_action(sets, adds, deletes)
                while self.mark(","):
                    self.set_action(sets, adds, deletes)
            elif self.word("REMOVE"):
                removes.append(self.path())
                while self.mark(","):
                    removes.append(self.path())
            else:
                break
        if not (sets or removes or adds or deletes):
            raise malformed("UPDATE expects SET or REMOVE")
        clauses = []
        for keyword, parts in (("SET", sets), ("REMOVE", removes), ("ADD", adds),
                               ("DELETE", deletes)):  # fmt: skip
            if parts:
                clauses.append(f"{keyword} " + ", ".join(parts))
        statement = Statement("UPDATE", table, update=" ".join(clauses))
        self.expect_word("WHERE")
        self.where(statement)
        self.returning()
        return statement

    def set_action(self, sets: list[str], adds: list[str], deletes: list[str]) -> None:
        path = self.path()
        self.expect("=")
        kind, text = self.peek()
        if kind == "word" and text.lower() in ("set_add", "set_delete") and self.peek(1)[1] == "(":
            self.take()
            self.expect("(")
            self.path()  # the same attribute, as PartiQL spells it
            self.expect(",")
            operand = self.value(self.literal())
            self.expect(")")
            (adds if text.lower() == "set_add" else deletes).append(f"{path} {operand}")
            return
        left = self.set_operand()
        if self.peek() in (("punct", "+"), ("punct", "-")):
            operator = self.take()[1]
            left = f"{left} {operator} {self.set_operand()}"
        sets.append(f"{path} = {left}")

    def set_operand(self) -> str:
        kind, text = self.peek()
        if kind == "word" and text.lower() in ("list_append", "if_not_exists"):
            self.take()
            self.expect("(")
            first = self.set_operand()
            self.expect(",")
            second = self.set_operand()
            self.expect(")")
            return f"{text.lower()}({first}, {second})"
        if self.is_literal():
            return self.value(self.literal())
        return self.path()

    def delete(self) -> Statement:
        self.expect_word("FROM")
        table, _ = self.target()
        statement = Statement("DELETE", table)
        self.expect_word("WHERE")
        self.where(statement)
        self.returning()
        return statement

    def returning(self) -> None:
        if self.word("RETURNING"):
            while self.peek()[0] != "end":
                self.take()  # RETURNING ALL OLD * and the like: answered as ALL_OLD/ALL_NEW

    # -- WHERE --------------------------------------------------------------------------------

    def where(self, statement: Statement) -> None:
        statement.where = self.disjunction(statement, top=True)

    def disjunction(self, statement: Statement, top: bool = False) -> str:
        parts = [self.conjunction(statement, top)]
        while self.word("OR"):
            parts.append(self.conjunction(statement, False))
        if len(parts) > 1 and top:
            statement.equalities.clear()
        return " OR ".join(parts)

    def conjunction(self, statement: Statement, top: bool) -> str:
        parts = [self.negation(statement, top)]
        while self.word("AND"):
            parts.append(self.negation(statement, top))
        return " AND ".join(parts)

    def negation(self, statement: Statement, top: bool) -> str:
        if self.word("NOT"):
            return f"NOT {self.negation(statement, False)}"
        return self.predicate(statement, top)

    def predicate(self, statement: Statement, top: bool) -> str:
        if self.mark("("):
            inner = self.disjunction(statement)
            self.expect(")")
            return f"({inner})"
        kind, text = self.peek()
        if kind == "word" and text.lower() in _FUNCTIONS and self.peek(1)[1] == "(":
            call = self.function()
            if text.lower() != "size":
                return call
            return self.comparison(statement, call, None, top)
        if kind == "word" and text.upper() == "EXISTS":
            raise malformed("EXISTS is not supported by cloudlet")
        if self.is_literal():
            operand = self.value(self.literal())
            return self.comparison(statement, operand, None, top)
        path = self.path()
        if self.word("IS"):
            negated = self.word("NOT")
            if self.word("MISSING"):
                return f"attribute_{'exists' if negated else 'not_exists'}({path})"
            if self.word("NULL"):
                test = f"attribute_type({path}, {self.value({'S': 'NULL'})})"
                return f"NOT {test}" if negated else test
            raise malformed("Expected MISSING or NULL after IS")
        return self.comparison(statement, path, path, top)

    def comparison(self, statement: Statement, left: str, path: str | None, top: bool) -> str:
        kind, text = self.peek()
        if kind == "punct" and text in _COMPARATORS:
            self.take()
            operator = _COMPARATORS[text]
            if operator == "=" and top and path is not None and self.is_literal():
                literal = self.literal()
                statement.equalities[self.attribute_of(path)] = literal
                return f"{left} = {self.value(literal)}"
            return f"{left} {operator} {self.operand()}"
        if self.word("BETWEEN"):
            low = self.operand()
            self.expect_word("AND")
            return f"{left} BETWEEN {low} AND {self.operand()}"
        if self.word("IN"):
            closing = "]" if self.mark("[") else ")"
            if closing == ")":
                self.expect("(")
            options = [self.operand()]
            while self.mark(","):
                options.append(self.operand())
            self.expect(closing)
            return f"{left} IN ({', '.join(options)})"
        raise malformed(f"Unexpected token {text!r}")

    def attribute_of(self, path: str) -> str:
        alias = path.split(".", 1)[0].split("[", 1)[0]
        return next(name for name, a in self.names.items() if a == alias)

    def function(self) -> str:
        name = self.take()[1].lower()
        self.expect("(")
        args = [self.operand()]
        while self.mark(","):
            args.append(self.operand())
        self.expect(")")
        if len(args) != _FUNCTIONS[name]:
            raise malformed(f"Wrong number of arguments for {name}")
        return f"{name}({', '.join(args)})"

    def operand(self) -> str:
        if self.is_literal():
            return self.value(self.literal())
        kind, text = self.peek()
        if kind == "word" and text.lower() == "size" and self.peek(1)[1] == "(":
            return self.function()
        return self.path()

    # -- paths and literals -------------------------------------------------------------------

    def identifier(self) -> str:
        kind, text = self.take()
        if kind in ("quoted", "word"):
            return text
        raise malformed("Expected identifier for simple path")

    def path(self) -> str:
        steps = [self.name(self.identifier())]
        while True:
            if self.mark("."):
                steps.append("." + self.name(self.identifier()))
            elif self.mark("["):
                kind, text = self.take()
                if kind != "number" or not text.isdigit():
                    raise malformed("Expected a list index")
                self.expect("]")
                steps.append(f"[{text}]")
            else:
                return "".join(steps)

    def is_literal(self) -> bool:
        kind, text = self.peek()
        if kind in ("string", "number"):
            return True
        if kind == "punct" and text in ("?", "{", "[", "<<", "-"):
            return True
        return kind == "word" and text.upper() in ("TRUE", "FALSE", "NULL")

    def literal(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            return {"S": text}
        if kind == "number":
            return {"N": normalize_text(text)}
        if (kind, text) == ("punct", "-") and self.peek()[0] == "number":
            return {"N": normalize_text("-" + self.take()[1])}
        if (kind, text) == ("punct", "?"):
            self.parameters += 1
            return Param(self.parameters - 1)
        if kind == "word" and text.upper() in ("TRUE", "FALSE"):
            return {"BOOL": text.upper() == "TRUE"}
        if kind == "word" and text.upper() == "NULL":
            return {"NULL": True}
        if (kind, text) == ("punct", "{"):
            members: dict[str, Any] = {}
            if not self.mark("}"):
                while True:
                    key_kind, key = self.take()
                    if key_kind not in ("string", "quoted"):
                        raise malformed("Expected a string as a tuple's key")
                    self.expect(":")
                    members[key] = self.literal()
                    if self.mark("}"):
                        break
                    self.expect(",")
            return {"M": members}
        if (kind, text) == ("punct", "["):
            elements: list[Any] = []
            if not self.mark("]"):
                elements.append(self.literal())
                while self.mark(","):
                    elements.append(self.literal())
                self.expect("]")
            return {"L": elements}
        if (kind, text) == ("punct", "<<"):
            members_ = [self.literal()]
            while self.mark(","):
                members_.append(self.literal())
            self.expect(">>")
            kinds = {next(iter(m)) for m in members_ if isinstance(m, dict)}
            if len(kinds) != 1 or not kinds <= {"S", "N", "B"}:
                raise malformed("A set holds strings, numbers or binaries of one type")
            member = kinds.pop()
            return {member + "S": [m[member] for m in members_]}
        raise malformed(f"Unexpected token {text!r}")


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "'\"":
            j = i + 1
            out = []
            while True:
                if j >= n:
                    raise malformed("Unterminated quoted text")
                if text[j] == c:
                    if j + 1 < n and text[j + 1] == c:  # a doubled quote is a quote
                        out.append(c)
                        j += 2
                        continue
                    break
                out.append(text[j])
                j += 1
            tokens.append(("string" if c == "'" else "quoted", "".join(out)))
            i = j + 1
        elif c.isdigit():
            j = i
            while j < n and (text[j].isdigit() or text[j] in ".eE" or (
                    text[j] in "+-" and text[j - 1] in "eE")):  # fmt: skip
                j += 1
            tokens.append(("number", text[i:j]))
            i = j
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            tokens.append(("word", text[i:j]))
            i = j
        else:
            for mark in _PUNCT:
                if text.startswith(mark, i):
                    tokens.append(("punct", mark))
                    i += len(mark)
                    break
            else:
                raise malformed(f"Unexpected character {c!r}")
    tokens.append(("end", ""))
    return tokens
