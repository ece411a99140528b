"""The request and response the gateway passes between routing, protocols and services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol
from urllib.parse import parse_qsl, unquote


@dataclass(eq=False)
class Request:
    method: str
    raw_path: str  # percent-encoded, as the client signed it
    query_string: str
    headers: dict[str, str]  # names lower-cased; repeated headers joined with ","
    body: bytes
    client: str = ""
    # Headers sent on more than one line: every value, in order (None when none was).
    repeated: dict[str, list[str]] | None = None
    # The spelling the client sent of header names that were not all lower-case (REST APIs
    # hand functions the names as sent).
    cased: dict[str, str] | None = None

    def header_values(self, name: str) -> list[str]:
        """Every value of a header (lower-case name), one per line it was sent on."""
        if self.repeated is not None and name in self.repeated:
            return self.repeated[name]
        value = self.headers.get(name)
        return [] if value is None else [value]

    @cached_property
    def path(self) -> str:
        return unquote(self.raw_path)

    @cached_property
    def query(self) -> dict[str, str]:
        """Query parameters; a repeated name keeps its last value (see `query_items`)."""
        return dict(self.query_items)

    @cached_property
    def query_items(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)

    @cached_property
    def host(self) -> str:
        return self.headers.get("host", "")

    @cached_property
    def form(self) -> dict[str, str]:
        """The body as an `application/x-www-form-urlencoded` form (the query protocol)."""
        return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))


@dataclass(eq=False, slots=True)
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | AsyncIterator[bytes] = b""


class FrontDoor(Protocol):
    """An HTTP entrance of a service's own, beside the AWS APIs on the same port: API
    Gateway invocations and Lambda function URLs. It claims requests by host name or path
    prefix (`claims` must be cheap: it runs for every request) and answers them itself."""

    def claims(self, request: Request) -> bool: ...

    async def __call__(self, request: Request) -> Response: ...
