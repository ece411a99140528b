"""The tokens of DynamoDB's expression languages, with their place in the source.

DynamoDB quotes a syntax error's token and the source around it, from the start of the
token before to the end of the token after (`token: ":", near: "hits : incr"`); tokens keep
their offsets so the parser can say the same.
"""

from __future__ import annotations

from dataclasses import dataclass

NAME = "name"  # an attribute name or a keyword or a function name
ALIAS = "alias"  # #name: an ExpressionAttributeNames placeholder
VALUE = "value"  # :value: an ExpressionAttributeValues placeholder
NUMBER = "number"  # digits, as in a list index
PUNCT = "punct"
EOF = "eof"

_PUNCTUATION = ("<=", ">=", "<>", "=", "<", ">", "(", ")", "[", "]", ",", ".", "+", "-")
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    start: int
    end: int

    def is_word(self, word: str) -> bool:
        """Whether this is the keyword `word` (keywords are case-insensitive)."""
        return self.kind == NAME and self.text.upper() == word


def tokenize(source: str) -> list[Token]:
    """Every token of `source`, ending with an EOF token; unknown characters are tokens too
    (the parser reports them as the syntax error they are)."""
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c.isspace():
            i += 1
            continue
        if c in "#:":
            j = i + 1
            while j < n and source[j] in _WORD:
                j += 1
            kind = (ALIAS if c == "#" else VALUE) if j > i + 1 else PUNCT
            tokens.append(Token(kind, source[i:j], i, j))
            i = j
            continue
        if c in _WORD:
            j = i + 1
            while j < n and source[j] in _WORD:
                j += 1
            text = source[i:j]
            tokens.append(Token(NUMBER if text.isdigit() else NAME, text, i, j))
            i = j
            continue
        for mark in _PUNCTUATION:
            if source.startswith(mark, i):
                tokens.append(Token(PUNCT, mark, i, i + len(mark)))
                i += len(mark)
                break
        else:
            tokens.append(Token(PUNCT, c, i, i + 1))
            i += 1
    tokens.append(Token(EOF, "<EOF>", n, n))
    return tokens
