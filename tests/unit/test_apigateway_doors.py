"""The API Gateway front doors' last resort: an unexpected failure inside a door is logged
and answered with API Gateway's own 500, in each API type's words, never with the HTTP
server's plain-text error."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest

from cloudlet.gateway.http import Request
from cloudlet.services.apigateway.door import RestApiDoor
from cloudlet.services.apigatewayv2.door import HttpApiDoor


class BrokenService:
    """A service whose every lookup fails, as a bug in a door's path would."""

    def __init__(self, state_dir: Path) -> None:
        self.config = SimpleNamespace(state_dir=state_dir, port=4566)

    @property
    def index(self) -> dict[str, object]:
        raise RuntimeError("a bug")


@pytest.mark.parametrize(
    ("door", "body"),
    [
        (RestApiDoor, {"message": "Internal server error"}),
        (HttpApiDoor, {"message": "Internal Server Error"}),
    ],
)
def test_an_unexpected_failure_is_the_gateways_internal_error(tmp_path, caplog, door, body):
    request = Request("GET", "/execute-api/abc123/prod/x", "", {"host": "localhost:4566"}, b"")
    with caplog.at_level(logging.ERROR):
        answer = asyncio.run(door(BrokenService(tmp_path))(request))
    assert (answer.status, orjson.loads(answer.body)) == (500, body)
    assert ("content-type", "application/json") in answer.headers
    assert any(record.exc_info for record in caplog.records)
