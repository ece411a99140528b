"""Where an API invocation is addressed on cloudlet's one port.

By host: `http://{apiId}.execute-api.localhost:4566/{stage}/path` (`*.localhost` resolves
to loopback; any host `{apiId}.execute-api.*` works). By path, for clients that cannot set
the host: `http://localhost:4566/execute-api/{apiId}/{stage}/path`. A `$default` stage
answers without a stage in the path.
"""

from __future__ import annotations

from cloudlet.gateway.http import Request

HOST_MARKER = ".execute-api."
PATH_PREFIX = "/execute-api/"


def api_target(request: Request) -> tuple[str, str] | None:
    """(api id, raw path below the API) the request addresses, or None."""
    host = request.host
    at = host.find(HOST_MARKER)
    if at > 0:
        return host[:at].lower(), request.raw_path or "/"
    raw = request.raw_path
    if raw.startswith(PATH_PREFIX):
        api_id, _, rest = raw[len(PATH_PREFIX) :].partition("/")
        return api_id, "/" + rest
    return None


def split_stage(path: str, stages: dict[str, object]) -> tuple[str | None, str]:
    """(stage, path within it): the first segment when a stage has that name, else
    `$default` if the API has it; (None, path) when neither."""
    first, _, rest = path[1:].partition("/")
    if first and first != "$default" and first in stages:
        return first, "/" + rest
    if "$default" in stages:
        return "$default", path
    return None, path


def api_endpoint(api_id: str, endpoint: str) -> str:
    """The invocation URL of an API for a client that reached cloudlet at `endpoint`."""
    scheme, _, host = endpoint.partition("://")
    name, _, port = host.partition(":")
    if name in ("localhost", "127.0.0.1") or name.endswith(".localhost"):
        name = "localhost"
    return f"{scheme}://{api_id}.execute-api.{name}" + (f":{port}" if port else "")
