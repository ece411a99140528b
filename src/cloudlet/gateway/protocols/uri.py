"""Which operation of a REST API a request names: botocore's `requestUri` templates, compiled.

A template is a path of literal segments, `{Label}` (one segment) and `{Label+}` (one or
more segments, slashes included), optionally followed by literal query parts that the
request must carry (S3's `/{Bucket}?tagging`, `?list-type=2`). An operation's required
query and header members are part of its route too: S3 tells UploadPart from PutObject by
`partNumber` and `uploadId`, CopyObject by `x-amz-copy-source`. Several routes may match
one request (S3's `GET /{Bucket}` and `GET /{Bucket}?tagging`); the most specific wins: more
literal segments, then more required query parts, then more required members, then fewer
greedy labels, then operations not deprecated, then the model's order.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from urllib.parse import unquote

from botocore.model import OperationModel

from cloudlet.gateway.http import Request

_LABEL = re.compile(r"\{([^}]+)\}")


@dataclass(slots=True)
class Route:
    operation: str
    regex: str
    labels: tuple[str, ...]
    # Query parts the request must carry: (name, value), value None when any value will do;
    # the template's literal parts first, then the operation's required query members.
    query: tuple[tuple[str, str | None], ...]
    literal_query: int  # how many of `query` the template itself names
    headers: tuple[str, ...]  # lower-cased names of required header members
    rank: tuple[int, ...]
    # Compiled on first use: a service has hundreds of routes, a client uses a few.
    pattern: re.Pattern[str] | None = None

    def match(self, raw_path: str, request: Request) -> dict[str, str] | None:
        pattern = self.pattern
        if pattern is None:
            pattern = self.pattern = re.compile(self.regex)
        found = pattern.match(raw_path)
        if found is None:
            return None
        if self.query:
            query = request.query
            for name, value in self.query:
                if name not in query or (value is not None and query[name] != value):
                    return None
        for name in self.headers:
            if name not in request.headers:
                return None
        return {
            label: unquote(text) for label, text in zip(self.labels, found.groups(), strict=True)
        }


class RouteTable:
    """Every operation of one REST API, indexed by method, segment count and first segment."""

    def __init__(self, operations: list[OperationModel]) -> None:
        routes = [_compile(operation, order) for order, operation in enumerate(operations)]
        routes = _drop_needless_member_checks(routes)
        # Routes with a fixed number of segments are filed under their method, segment count
        # and first segment (None when it is a label); greedy routes may match any count, so
        # each list also holds its method's greedy routes. Lists are in rank order.
        fixed: dict[tuple[str, int, str | None], list[Route]] = {}
        self.greedy: dict[str, list[Route]] = {}
        for (method, count, first), route in routes:
            if count < 0:
                self.greedy.setdefault(method, []).append(route)
            else:
                fixed.setdefault((method, count, first), []).append(route)
        self.lists: dict[tuple[str, int, str | None], list[Route]] = {}
        for method, count, first in fixed:
            candidates = fixed[method, count, first] + self.greedy.get(method, [])
            if first is not None:
                candidates += fixed.get((method, count, None), [])
            self.lists[method, count, first] = sorted(candidates, key=_by_rank)
        for greedy in self.greedy.values():
            greedy.sort(key=_by_rank)

    def find(self, request: Request, raw_path: str) -> tuple[str, dict[str, str]] | None:
        """The operation `request` names, with its decoded path labels; None if none does.

        `raw_path` is the request's path as the API sees it (S3 puts a virtual host's bucket
        in front of it).
        """
        method = request.method
        trimmed = raw_path[:-1] if len(raw_path) > 1 and raw_path.endswith("/") else raw_path
        segments = trimmed.split("/")[1:] if trimmed not in ("", "/") else []
        first = segments[0] if segments else None
        candidates = (
            self.lists.get((method, len(segments), first))
            or self.lists.get((method, len(segments), None))
            or self.greedy.get(method)
        )
        for route in candidates or ():
            labels = route.match(raw_path or "/", request)
            if labels is not None:
                return route.operation, labels
        return None


def _by_rank(route: Route) -> tuple[int, ...]:
    return route.rank


def _compile(operation: OperationModel, order: int) -> tuple[tuple[str, int, str | None], Route]:
    method = operation.http.get("method", "POST")
    path, _, query_part = operation.http["requestUri"].partition("?")
    segments = [s for s in path.split("/") if s]
    pattern = ""
    labels: list[str] = []
    literal_count = greedy_count = 0
    for segment in segments:
        pattern += "/"
        position = 0
        for found in _LABEL.finditer(segment):
            pattern += re.escape(segment[position : found.start()])
            label = found.group(1)
            if label.endswith("+"):
                greedy_count += 1
                labels.append(label[:-1])
                pattern += "(.+)"
            else:
                labels.append(label)
                pattern += "([^/]+)"
            position = found.end()
        pattern += re.escape(segment[position:])
        if position == 0:
            literal_count += 1
    # A trailing slash is optional, except where a greedy label ends the path and the slash
    # belongs to the value (an S3 key such as `photos/`).
    if not segments:
        pattern = "/?"
    elif not segments[-1].endswith("+}"):
        pattern += "/?"
    query = tuple(
        (key, value if sep else None)
        for key, sep, value in (part.partition("=") for part in query_part.split("&") if part)
    )
    required_query, required_headers = _required_members(operation)
    route = Route(
        operation.name,
        pattern + r"\Z",
        tuple(labels),
        query + tuple((name, None) for name in required_query),
        len(query),
        required_headers,
        (
            -literal_count,
            -len(query),
            -(len(required_query) + len(required_headers)),
            greedy_count,
            1 if operation.deprecated else 0,
            order,
        ),
    )
    first = segments[0] if segments and "{" not in segments[0] else None
    count = -1 if greedy_count else len(segments)
    return (method, count, first), route


def _drop_needless_member_checks(
    routes: list[tuple[tuple[str, int, str | None], Route]],
) -> list[tuple[tuple[str, int, str | None], Route]]:
    # Required members tell apart operations that share a method and template; elsewhere a
    # request that lacks one must still reach its operation, to get the validation error.
    def template(where: tuple[str, int, str | None], route: Route) -> tuple[object, ...]:
        return where[0], route.regex, route.query[: route.literal_query]

    sharing = Counter(template(where, route) for where, route in routes)
    return [
        (where, route)
        if sharing[template(where, route)] > 1
        else (where, replace(route, query=route.query[: route.literal_query], headers=()))
        for where, route in routes
    ]


def _required_members(operation: OperationModel) -> tuple[tuple[str, ...], tuple[str, ...]]:
    shape = operation.input_shape
    if shape is None:
        return (), ()
    query: list[str] = []
    headers: list[str] = []
    for name in shape.required_members:
        member = shape.members[name]
        location = member.serialization.get("location")
        if location == "querystring" and member.type_name != "map":
            query.append(member.serialization.get("name", name))
        elif location == "header":
            headers.append(member.serialization.get("name", name).lower())
    return tuple(query), tuple(headers)
