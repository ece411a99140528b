"""Parsers for DynamoDB's condition, key condition, filter, update and projection expressions.

Each distinct expression text is parsed once (`functools.lru_cache`): the result holds the
tree and what a request must check against it: the aliases and placeholders it uses, and
the nodes whose operands' types DynamoDB checks before looking at any item.

Errors come as DynamoDB words them. A syntax error wins over the semantic ones (reserved
words, unknown functions), which are remembered while parsing and raised after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodb.errors import expression_error
from cloudlet.services.dynamodb.expressions.nodes import (
    And,
    Arithmetic,
    Between,
    Comparison,
    Function,
    IfNotExists,
    In,
    ListAppend,
    Not,
    Or,
    Path,
    PathRef,
    Size,
    ValueRef,
)
from cloudlet.services.dynamodb.expressions.reserved import RESERVED_WORDS
from cloudlet.services.dynamodb.expressions.tokens import (
    ALIAS,
    EOF,
    NAME,
    NUMBER,
    PUNCT,
    VALUE,
    Token,
    tokenize,
)

COMPARATORS = frozenset(("=", "<>", "<", "<=", ">", ">="))
CONDITION_FUNCTIONS = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
}
UPDATE_FUNCTIONS = {"if_not_exists": 2, "list_append": 2}
_KEYWORDS = frozenset(("AND", "OR", "NOT", "BETWEEN", "IN"))
_CLAUSES = ("SET", "REMOVE", "ADD", "DELETE")
MAX_IN_OPERANDS = 100


@dataclass(frozen=True, slots=True)
class Action:
    """One action of an update expression: SET path = value, REMOVE path, ADD, DELETE."""

    clause: str
    path: Path
    value: Any = None  # an operand (SET) or a ValueRef (ADD, DELETE); None for REMOVE


@dataclass(frozen=True)
class Parsed:
    kind: str  # ConditionExpression, UpdateExpression...: the prefix of its errors
    root: Any  # a condition, a tuple of Actions, or a tuple of paths (projection)
    aliases: frozenset[str]
    placeholders: frozenset[str]
    # Nodes whose operand types are checked per request, before any item is read.
    typed: tuple[Any, ...] = field(default=())


@lru_cache(maxsize=4096)
def parse_condition(text: str, kind: str = "ConditionExpression") -> Parsed:
    """A condition (ConditionExpression, FilterExpression, KeyConditionExpression)."""
    parser = _Parser(text, kind)
    root = parser.condition()
    parser.expect_end()
    return parser.result(root)


@lru_cache(maxsize=4096)
def parse_update(text: str, kind: str = "UpdateExpression") -> Parsed:
    parser = _Parser(text, kind)
    actions = parser.update()
    return parser.result(tuple(actions))


@lru_cache(maxsize=4096)
def parse_projection(text: str, kind: str = "ProjectionExpression") -> Parsed:
    parser = _Parser(text, kind)
    paths = [parser.path()]
    while parser.accept(","):
        paths.append(parser.path())
    parser.expect_end()
    return parser.result(tuple(paths))


class _Parser:
    def __init__(self, text: str, kind: str) -> None:
        self.text = text
        self.kind = kind
        if not text.strip():
            raise expression_error(kind, "The expression can not be empty;")
        self.tokens = tokenize(text)
        self.pos = 0
        self.aliases: set[str] = set()
        self.placeholders: set[str] = set()
        self.typed: list[Any] = []
        self.deferred: ServiceError | None = None

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != EOF:
            self.pos += 1
        return token

    def accept(self, mark: str) -> bool:
        if self.token.kind == PUNCT and self.token.text == mark:
            self.pos += 1
            return True
        return False

    def expect(self, mark: str) -> None:
        if not self.accept(mark):
            raise self.syntax_error()

    def expect_end(self) -> None:
        if self.token.kind != EOF:
            raise self.syntax_error()

    def syntax_error(self) -> ServiceError:
        token = self.token
        before = self.tokens[self.pos - 1].start if self.pos > 0 else token.start
        after = self.tokens[self.pos + 1].end if token.kind != EOF else token.end
        near = self.text[before:after]
        return expression_error(self.kind, f'Syntax error; token: "{token.text}", near: "{near}"')

    def defer(self, detail: str) -> None:
        if self.deferred is None:
            self.deferred = expression_error(self.kind, detail)

    def result(self, root: Any) -> Parsed:
        if self.deferred is not None:
            raise self.deferred
        return Parsed(
            self.kind,
            root,
            frozenset(self.aliases),
            frozenset(self.placeholders),
            tuple(self.typed),
        )

    # -- paths and operands -------------------------------------------------------------------

    def path(self) -> Path:
        steps: list[str | int] = [self.path_name()]
        while True:
            if self.accept("."):
                steps.append(self.path_name())
            elif self.accept("["):
                if self.token.kind != NUMBER:
                    raise self.syntax_error()
                steps.append(int(self.advance().text))
                self.expect("]")
            else:
                return tuple(steps)

    def path_name(self) -> str:
        token = self.token
        if token.kind == ALIAS:
            self.advance()
            self.aliases.add(token.text)
            return token.text
        if token.kind != NAME or token.text.upper() in _KEYWORDS:
            raise self.syntax_error()
        self.advance()
        if token.text.upper() in RESERVED_WORDS:
            self.defer(f"Attribute name is a reserved keyword; reserved keyword: {token.text}")
        return token.text

    def value_ref(self) -> ValueRef:
        token = self.advance()
        self.placeholders.add(token.text)
        return ValueRef(token.text)

    def operand(self) -> Any:
        """A condition's operand: a path, a placeholder, or size(path)."""
        token = self.token
        if token.kind == VALUE:
            return self.value_ref()
        if token.kind == NAME and self.tokens[self.pos + 1].text == "(":
            return self.function_operand()
        return PathRef(self.path())

    def function_operand(self) -> Any:
        name = self.advance().text
        args = self.arguments()
        if name == "size":
            self.arity(name, args, 1)
            return Size(self.document_path(name, args[0]))
        if name in CONDITION_FUNCTIONS or name in UPDATE_FUNCTIONS:
            self.defer(
                "The function is not allowed to be used this way in an expression;"
                f" function: {name}"
            )
        else:
            self.defer(f"Invalid function name; function: {name}")
        return ValueRef("")

    def arguments(self) -> list[Any]:
        self.expect("(")
        args = [self.operand()]
        while self.accept(","):
            args.append(self.operand())
        self.expect(")")
        return args

    def arity(self, name: str, args: list[Any], count: int) -> None:
        if len(args) != count:
            self.defer(
                "Incorrect number of operands for operator or function; operator or function:"
                f" {name}, number of operands: {len(args)}"
            )

    def document_path(self, name: str, arg: Any) -> PathRef:
        if not isinstance(arg, PathRef):
            self.defer(
                f"Operator or function requires a document path; operator or function: {name}"
            )
            return PathRef(("",))
        return arg

    # -- conditions ---------------------------------------------------------------------------

    def condition(self) -> Any:
        left = self.conjunction()
        while self.token.is_word("OR"):
            self.advance()
            left = Or(left, self.conjunction())
        return left

    def conjunction(self) -> Any:
        left = self.negation()
        while self.token.is_word("AND"):
            self.advance()
            left = And(left, self.negation())
        return left

    def negation(self) -> Any:
        if self.token.is_word("NOT"):
            self.advance()
            return Not(self.negation())
        return self.predicate()

    def predicate(self) -> Any:
        if self.accept("("):
            inner = self.condition()
            self.expect(")")
            return inner
        token = self.token
        if token.kind == NAME and self.tokens[self.pos + 1].text == "(":
            if token.text in CONDITION_FUNCTIONS:
                return self.condition_function()
            if token.text != "size":
                self.advance()
                self.arguments()
                self.defer(f"Invalid function name; function: {token.text}")
                return Function("attribute_exists", (PathRef(("",)),))
        subject = self.operand()
        token = self.token
        if token.kind == PUNCT and token.text in COMPARATORS:
            self.advance()
            return Comparison(token.text, subject, self.operand())
        if token.is_word("BETWEEN"):
            self.advance()
            low = self.operand()
            if not self.token.is_word("AND"):
                raise self.syntax_error()
            self.advance()
            node = Between(subject, low, self.operand())
            self.typed.append(node)
            return node
        if token.is_word("IN"):
            self.advance()
            self.expect("(")
            options = [self.operand()]
            while self.accept(","):
                options.append(self.operand())
            self.expect(")")
            if len(options) > MAX_IN_OPERANDS:
                self.defer(
                    "The IN operator is provided with too many operands; number of operands:"
                    f" {len(options)}"
                )
            return In(subject, tuple(options))
        if isinstance(subject, Size) and token.kind == EOF:
            self.defer("The function is not allowed to be used this way in an expression;"
                       " function: size")  # fmt: skip
            return Function("attribute_exists", (subject.path,))
        raise self.syntax_error()

    def condition_function(self) -> Any:
        name = self.advance().text
        args = self.arguments()
        self.arity(name, args, CONDITION_FUNCTIONS[name])
        if len(args) != CONDITION_FUNCTIONS[name]:
            return Function("attribute_exists", (PathRef(("",)),))
        args[0] = self.document_path(name, args[0])
        node = Function(name, tuple(args))
        if name in ("attribute_type", "begins_with"):
            self.typed.append(node)
        return node

    # -- update expressions ---------------------------------------------------------------------

    def update(self) -> list[Action]:
        actions: list[Action] = []
        seen: set[str] = set()
        while self.token.kind != EOF:
            token = self.token
            clause = token.text.upper() if token.kind == NAME else ""
            if clause not in _CLAUSES:
                raise self.syntax_error()
            self.advance()
            if clause in seen:
                self.defer(f'The "{clause}" section can only be used once in an update expression;')
            seen.add(clause)
            actions.append(self.update_action(clause))
            while self.accept(","):
                actions.append(self.update_action(clause))
        return actions

    def update_action(self, clause: str) -> Action:
        path = self.path()
        if clause == "REMOVE":
            return Action(clause, path)
        if clause == "SET":
            self.expect("=")
            return Action(clause, path, self.set_value())
        if self.token.kind != VALUE:
            raise self.syntax_error()
        action = Action(clause, path, self.value_ref())
        self.typed.append(action)
        return action

    def set_value(self) -> Any:
        left = self.set_operand()
        token = self.token
        if token.kind == PUNCT and token.text in "+-":
            self.advance()
            node = Arithmetic(token.text, left, self.set_operand())
            self.typed.append(node)
            return node
        return left

    def set_operand(self) -> Any:
        token = self.token
        if token.kind == VALUE:
            return self.value_ref()
        if token.kind == NAME and self.tokens[self.pos + 1].text == "(":
            name = self.advance().text
            self.expect("(")
            args = [self.set_value()]
            while self.accept(","):
                args.append(self.set_value())
            self.expect(")")
            if name not in UPDATE_FUNCTIONS:
                if name in CONDITION_FUNCTIONS or name == "size":
                    self.defer(
                        f"The function is not allowed in an update expression; function: {name}"
                    )
                else:
                    self.defer(f"Invalid function name; function: {name}")
                return ValueRef("")
            self.arity(name, args, 2)
            if len(args) != 2:
                return ValueRef("")
            if name == "if_not_exists":
                return IfNotExists(self.document_path(name, args[0]), args[1])
            node = ListAppend(args[0], args[1])
            self.typed.append(node)
            return node
        return PathRef(self.path())
