"""HTTP API route keys: `$default`, or `METHOD /path` with `{variables}` and one greedy
`{variable+}` at the end; how they are parsed, and which of them may not live together."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cloudlet.services.apigatewayv2.errors import bad_request, conflict

DEFAULT = "$default"
METHODS = frozenset(("ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"))
_VARIABLE = re.compile(r"^\{([A-Za-z0-9._\-]+)(\+?)\}$")
_LITERAL = re.compile(r"^[A-Za-z0-9._\-~:@!$&'()*,;=%]+$")


@dataclass(frozen=True, slots=True)
class RouteKey:
    text: str
    method: str  # "" for $default
    segments: tuple[str, ...]  # `pets`, `{id}`, `{proxy+}`

    @property
    def greedy(self) -> bool:
        return bool(self.segments) and self.segments[-1].endswith("+}")

    @property
    def path(self) -> str:
        return "/" + "/".join(self.segments)


def variable(segment: str) -> str | None:
    """The variable a path segment names (`{id}` → `id`, `{proxy+}` → `proxy`)."""
    if segment.startswith("{") and segment.endswith("}"):
        return segment[1:-1].rstrip("+")
    return None


def parse(text: str) -> RouteKey:
    """A route key, or BadRequestException for one that does not parse."""
    if text == DEFAULT:
        return RouteKey(text, "", ())
    method, _, path = text.partition(" ")
    if method not in METHODS or not path.startswith("/") or " " in path:
        raise bad_request(f"Unable to create route. The route key '{text}' is invalid.")
    segments = tuple(path[1:].split("/")) if path != "/" else ()
    names: set[str] = set()
    for position, segment in enumerate(segments):
        found = _VARIABLE.match(segment)
        if found is None:
            if not segment or not _LITERAL.match(segment) or "{" in segment or "}" in segment:
                raise bad_request(f"Unable to create route. The route key '{text}' is invalid.")
            continue
        name, greedy = found.groups()
        if greedy and position != len(segments) - 1:
            raise bad_request(
                f"Unable to create route. The route key '{text}' is invalid: a greedy path "
                "variable must be the last segment."
            )
        if name in names:
            raise bad_request(
                f"Unable to create route. The route key '{text}' has a duplicate path "
                f"variable '{name}'."
            )
        names.add(name)
    return RouteKey(text, method, segments)


def check_clash(new: RouteKey, existing: list[RouteKey]) -> None:
    """ConflictException for a key already there, or one whose variable sits where another
    route has a variable of another name (the two could not share a resource tree)."""
    for other in existing:
        if other.text == new.text:
            raise conflict(f"Route with key {new.text} already exists for this API")
        for mine, theirs in zip(new.segments, other.segments, strict=False):
            mine_var, their_var = variable(mine), variable(theirs)
            if mine_var is None and their_var is None:
                if mine != theirs:
                    break
                continue
            if mine_var is not None and their_var is not None:
                if mine_var != their_var or mine.endswith("+}") != theirs.endswith("+}"):
                    raise conflict(
                        f'The provided route key "{new.text}" has a conflicting variable on '
                        f'the same hierarchical level as "{other.text}"'
                    )
                continue
            break
