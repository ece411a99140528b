"""A function URL's Cors configuration at work: preflights answered by Lambda itself, and the
CORS headers of every response, which take precedence over the function's own.

A preflight (OPTIONS with Origin and Access-Control-Request-Method) never reaches the
function when the URL has a Cors configuration; an origin or method it does not allow gets
an answer without CORS headers, which the browser takes as a refusal.
"""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.http import Request, Response

Headers = list[tuple[str, str]]


def is_preflight(request: Request) -> bool:
    headers = request.headers
    return (
        request.method == "OPTIONS"
        and "origin" in headers
        and "access-control-request-method" in headers
    )


class CorsRules:
    def __init__(self, config: dict[str, Any]) -> None:
        self.origins = [origin.lower() for origin in config.get("AllowOrigins") or []]
        self.methods = [method.upper() for method in config.get("AllowMethods") or []]
        self.allow_headers = list(config.get("AllowHeaders") or [])
        self.expose_headers = list(config.get("ExposeHeaders") or [])
        self.credentials = bool(config.get("AllowCredentials"))
        self.max_age = config.get("MaxAge")

    def allowed_origin(self, origin: str | None) -> str | None:
        """The Access-Control-Allow-Origin value for `origin`, None if it is not allowed."""
        if not origin:
            return None
        if "*" in self.origins:
            # A wildcard cannot carry credentials: the browser needs the origin itself then.
            return origin if self.credentials else "*"
        return origin if origin.lower() in self.origins else None

    def preflight(self, request: Request) -> Response:
        origin = self.allowed_origin(request.headers.get("origin"))
        method = request.headers.get("access-control-request-method", "").upper()
        if origin is None or not ("*" in self.methods or method in self.methods):
            return Response(200, [("vary", "Origin")], b"")
        headers: Headers = [
            ("access-control-allow-origin", origin),
            ("access-control-allow-methods", ",".join(self.methods)),
        ]
        if self.allow_headers:
            headers.append(("access-control-allow-headers", ",".join(self.allow_headers)))
        if self.credentials:
            headers.append(("access-control-allow-credentials", "true"))
        if self.max_age is not None:
            headers.append(("access-control-max-age", str(self.max_age)))
        headers.append(("vary", "Origin"))
        return Response(200, headers, b"")

    def apply(self, request: Request, headers: Headers) -> Headers:
        """`headers` with the configured CORS headers in place of the function's own."""
        origin = self.allowed_origin(request.headers.get("origin"))
        if origin is None:
            return headers
        kept = [(n, v) for n, v in headers if not n.lower().startswith("access-control-")]
        kept.append(("access-control-allow-origin", origin))
        if self.expose_headers:
            kept.append(("access-control-expose-headers", ",".join(self.expose_headers)))
        if self.credentials:
            kept.append(("access-control-allow-credentials", "true"))
        kept.append(("vary", "Origin"))
        return kept
