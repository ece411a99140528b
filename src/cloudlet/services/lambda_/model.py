"""What the Lambda service holds, in memory as a cache of its rows (see registry.py).

A function has its `$LATEST` version, its published versions and aliases; each version's
configuration is kept as the FunctionConfiguration dict Lambda answers with, beside the
code and layers it runs.
"""

from __future__ import annotations

import datetime
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cloudlet.services.lambda_.code import Code
from cloudlet.services.lambda_.names import LATEST, function_arn

if TYPE_CHECKING:
    from cloudlet.engine.spec import FunctionSpec
    from cloudlet.services.lambda_.execution import RoleSession


def timestamp(moment: float | None = None) -> str:
    """Lambda's LastModified format: 2024-05-01T12:00:00.000+0000."""
    when = datetime.datetime.fromtimestamp(moment or time.time(), datetime.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000"


def new_revision() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class LayerUse:
    """A layer version a function version runs with."""

    arn: str
    code: Code


@dataclass(eq=False)
class Version:
    config: dict[str, Any]  # FunctionConfiguration, as GetFunctionConfiguration answers
    code: Code
    layers: list[LayerUse] = field(default_factory=list)
    # How many updates $LATEST had when this version was cut from it: PublishVersion makes
    # no new version while $LATEST has not been updated since.
    changes: int = 0
    # What the engine runs; rebuilt when the configuration changes (execution.py).
    spec: FunctionSpec | None = None
    # Its execution role's session; kept across configuration updates until renewed.
    session: RoleSession | None = None
    checked_at: float = 0.0  # when a local code directory was last looked at
    fingerprint: str = ""  # of the local code directory's files

    @property
    def number(self) -> str:
        return str(self.config["Version"])

    def to_row(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "code": self.code.to_row(),
            "layers": [{"arn": layer.arn, "code": layer.code.to_row()} for layer in self.layers],
            "changes": self.changes,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Version:
        layers = [LayerUse(item["arn"], Code.from_row(item["code"])) for item in row["layers"]]
        return cls(row["config"], Code.from_row(row["code"]), layers, row["changes"])


@dataclass(eq=False)
class Alias:
    config: dict[str, Any]  # AliasConfiguration

    @property
    def version(self) -> str:
        return str(self.config["FunctionVersion"])

    @property
    def weights(self) -> dict[str, float]:
        routing = self.config.get("RoutingConfig") or {}
        return dict(routing.get("AdditionalVersionWeights") or {})


@dataclass(eq=False)
class Provisioned:
    """A provisioned concurrency configuration, on a version or an alias."""

    requested: int
    modified: str
    status: str = "IN_PROGRESS"
    reason: str | None = None
    version: Version | None = None  # the version provisioned (an alias's, when it was set)


@dataclass(eq=False)
class Function:
    account: str
    region: str
    name: str
    latest: Version
    versions: dict[str, Version] = field(default_factory=dict)  # published, by number
    aliases: dict[str, Alias] = field(default_factory=dict)
    provisioned: dict[str, Provisioned] = field(default_factory=dict)  # by qualifier
    tags: dict[str, str] = field(default_factory=dict)
    reserved: int | None = None  # reserved concurrency
    last_version: int = 0  # version numbers are never reused
    # FunctionEventInvokeConfig per qualifier ($LATEST, a version or an alias), as answered.
    event_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    recursive_loop: str = "Terminate"  # what Lambda does about a recursive loop (or "Allow")
    # Set while an update is being applied, so that a concurrent one is refused.
    updating: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.account, self.region, self.name)

    @property
    def arn(self) -> str:
        return function_arn(self.region, self.account, self.name)

    def qualified_arn(self, qualifier: str) -> str:
        return function_arn(self.region, self.account, self.name, qualifier)

    def version(self, number: str) -> Version | None:
        return self.latest if number == LATEST else self.versions.get(number)

    def all_versions(self) -> list[Version]:
        return [self.latest, *self.versions.values()]

    def row(self) -> dict[str, Any]:
        return {
            "tags": self.tags,
            "reserved": self.reserved,
            "last_version": self.last_version,
            "event_configs": self.event_configs,
            "recursive_loop": self.recursive_loop,
        }


@dataclass(eq=False)
class LayerVersion:
    info: dict[str, Any]  # PublishLayerVersionResponse without Content
    code: Code

    @property
    def arn(self) -> str:
        return str(self.info["LayerVersionArn"])

    @property
    def number(self) -> int:
        return int(self.info["Version"])

    def to_row(self) -> dict[str, Any]:
        return {"info": self.info, "code": self.code.to_row()}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> LayerVersion:
        return cls(row["info"], Code.from_row(row["code"]))
