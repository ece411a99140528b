"""Which route a request takes, with AWS's priority: an exact path and method first, then
path variables (the most literal segments win, segment by segment), then greedy variables
(the longest literal prefix wins), a method before `ANY`, and `$default` last."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudlet.services.apigatewayv2.routekeys import RouteKey, variable


@dataclass(frozen=True, slots=True)
class CompiledRoute:
    key: RouteKey
    route: dict[str, Any]
    rank: tuple[object, ...]


def _rank(key: RouteKey) -> tuple[object, ...]:
    kinds = tuple(
        2 if segment.endswith("+}") else (1 if variable(segment) is not None else 0)
        for segment in key.segments
    )
    return (key.greedy, kinds, key.method == "ANY")


class RouteTable:
    def __init__(self, routes: list[tuple[RouteKey, dict[str, Any]]]) -> None:
        self.exact: dict[tuple[str, str], CompiledRoute] = {}
        self.patterns: list[CompiledRoute] = []
        self.default: CompiledRoute | None = None
        for key, route in routes:
            compiled = CompiledRoute(key, route, _rank(key))
            if not key.method:
                self.default = compiled
            elif all(variable(segment) is None for segment in key.segments):
                self.exact[(key.method, key.path)] = compiled
            else:
                self.patterns.append(compiled)
        self.patterns.sort(key=lambda compiled: compiled.rank)  # type: ignore[arg-type,return-value]

    def match(self, method: str, path: str) -> tuple[CompiledRoute, dict[str, str]] | None:
        """The route for a request (its path decoded) and its path parameters."""
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        found = self.exact.get((method, path)) or self.exact.get(("ANY", path))
        if found is not None:
            return found, {}
        segments = path[1:].split("/") if path != "/" else []
        for compiled in self.patterns:  # best first
            if compiled.key.method in (method, "ANY"):
                params = _bind(compiled.key.segments, segments)
                if params is not None:
                    return compiled, params
        return (self.default, {}) if self.default is not None else None


def _bind(pattern: tuple[str, ...], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for position, part in enumerate(pattern):
        name = variable(part)
        if part.endswith("+}") and name is not None:
            rest = segments[position:]
            if not rest or rest == [""]:
                return None
            params[name] = "/".join(rest)
            return params
        if position >= len(segments):
            return None
        if name is None:
            if part != segments[position]:
                return None
        elif not segments[position]:
            return None
        else:
            params[name] = segments[position]
    return params if len(pattern) == len(segments) else None
