"""An HTTP API's CORS configuration at work: preflight requests answered by the gateway,
and the CORS headers of every other answer to a request with an Origin (the integration's
own CORS headers give way to them, as on AWS)."""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.http import Request, Response

_CORS_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-expose-headers",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
)


def is_preflight(request: Request) -> bool:
    return (
        request.method == "OPTIONS"
        and "origin" in request.headers
        and "access-control-request-method" in request.headers
    )


def _allowed_origin(config: dict[str, Any], origin: str) -> str | None:
    origins = config.get("AllowOrigins") or []
    if origin in origins:
        return origin
    if "*" in origins:
        return origin if config.get("AllowCredentials") else "*"
    return None


def preflight(config: dict[str, Any], request: Request) -> Response:
    """The gateway's answer to a preflight: 204, with the CORS headers if the origin,
    method and headers asked for are allowed."""
    headers: list[tuple[str, str]] = []
    origin = _allowed_origin(config, request.headers["origin"])
    method = request.headers["access-control-request-method"].upper()
    methods = [m.upper() for m in config.get("AllowMethods") or []]
    asked = [
        h.strip().lower()
        for h in request.headers.get("access-control-request-headers", "").split(",")
        if h.strip()
    ]
    allowed_headers = [h.lower() for h in config.get("AllowHeaders") or []]
    method_ok = "*" in methods or method in methods
    headers_ok = "*" in allowed_headers or all(h in allowed_headers for h in asked)
    if origin is not None and method_ok and headers_ok:
        headers.append(("access-control-allow-origin", origin))
        headers.append(("access-control-allow-methods", ",".join(methods)))
        if allowed_headers:
            headers.append(("access-control-allow-headers", ",".join(allowed_headers)))
        if config.get("MaxAge") is not None and config["MaxAge"] >= 0:
            headers.append(("access-control-max-age", str(config["MaxAge"])))
        if config.get("AllowCredentials"):
            headers.append(("access-control-allow-credentials", "true"))
    return Response(204, headers, b"")


def decorate(config: dict[str, Any], request: Request, response: Response) -> None:
    """Replace the answer's CORS headers by the configuration's for the request's Origin."""
    origin = request.headers.get("origin")
    response.headers = [(k, v) for k, v in response.headers if k.lower() not in _CORS_HEADERS]
    if origin is None:
        return
    allowed = _allowed_origin(config, origin)
    if allowed is None:
        return
    response.headers.append(("access-control-allow-origin", allowed))
    if config.get("AllowCredentials"):
        response.headers.append(("access-control-allow-credentials", "true"))
    if config.get("ExposeHeaders"):
        response.headers.append(
            ("access-control-expose-headers", ",".join(config["ExposeHeaders"]))
        )
