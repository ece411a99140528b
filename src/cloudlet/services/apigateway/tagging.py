"""Tags on both APIs' resources: the API or the stage a tagging ARN names
(`arn:aws:apigateway:{region}::/restapis/{id}[/stages/{name}]`, `/apis/` for HTTP APIs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.base import RequestContext

Document = tuple[Any, dict[str, Any]]  # an API's key and a copy of its document to change


def tagged(
    ctx: RequestContext,
    arn: str,
    collection: str,
    document: Callable[[RequestContext, str], Document],
    not_found: Callable[[str, str], ServiceError],
    stage: str,
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """The API's key, its document and the item whose tags `arn` names (the API, or one of
    its stages); `collection` is `restapis` or `apis`, `not_found` and `stage` (the word its
    message names a stage by) the API type's NotFoundException."""
    parts = arn.partition("::")[2].strip("/").split("/")
    if len(parts) < 2 or parts[0] != collection:
        raise not_found("resource", arn)
    key, found = document(ctx, parts[1])
    if len(parts) == 4 and parts[2] == "stages":
        item = found["stages"].get(parts[3])
        if item is None:
            raise not_found(stage, parts[3])
        return key, found, item
    return key, found, found["api"]
