"""One invocation of an API, as its integration sees it: the HTTP request, the API and stage
it reached, and the path within the stage."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import unquote

from cloudlet.gateway.http import Request
from cloudlet.ids import random_uuid


@dataclass(eq=False)
class Call:
    request: Request
    account: str
    region: str
    api_id: str
    stage: str
    path: str  # within the stage, percent-encoded as sent (`/pets/1`)
    stage_variables: dict[str, str] = field(default_factory=dict)
    request_id: str = field(default_factory=random_uuid)
    started: float = field(default_factory=time.time)

    @property
    def method(self) -> str:
        return self.request.method

    @cached_property
    def decoded_path(self) -> str:
        return unquote(self.path)

    @property
    def raw_path(self) -> str:
        """The path as the client sent it below the host: with the stage, unless `$default`."""
        return self.path if self.stage == "$default" else f"/{self.stage}{self.path}"

    @cached_property
    def domain_name(self) -> str:
        host = self.request.host
        return host.rpartition(":")[0] if host.count(":") == 1 else host

    @cached_property
    def source_ip(self) -> str:
        return self.request.client or "127.0.0.1"

    @property
    def user_agent(self) -> str:
        return self.request.headers.get("user-agent", "")

    @cached_property
    def request_time(self) -> str:
        """`12/Mar/2020:19:03:58 +0000`, as requestContext shows it."""
        return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(self.started))

    @property
    def epoch_ms(self) -> int:
        return int(self.started * 1000)

    def route_arn(self, method: str, resource: str) -> str:
        """The execute-api ARN authorizers are asked about (`.../stage/GET/pets/1`)."""
        return (
            f"arn:aws:execute-api:{self.region}:{self.account}:{self.api_id}/{self.stage}/"
            f"{method}{resource}"
        )
