"""Function and layer names as Lambda accepts them, and the ARNs it answers with.

A function may be named `my-function`, `my-function:alias`, `123456789012:function:my-function`
(a partial ARN) or `arn:aws:lambda:us-east-1:123456789012:function:my-function:3`; the
qualifier (a version or alias) may come with the name or in a `Qualifier` parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_.errors import invalid_parameter

LATEST = "$LATEST"
_VERSION = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A function name as given: its name, and the qualifier, account and region it names."""

    name: str
    qualifier: str | None = None
    account: str | None = None
    region: str | None = None


def parse_function_name(text: str, qualifier: str | None = None) -> FunctionRef:
    """Split `text` into its parts; a `qualifier` given apart must agree with the name's."""
    parts = text.split(":")
    if "function" in parts:
        at = parts.index("function")
        name = parts[at + 1] if at + 1 < len(parts) else ""
        derived = parts[at + 2] if at + 2 < len(parts) else None
        account = parts[at - 1] if at >= 1 else None
        region = parts[at - 2] if at >= 2 else None
    else:
        name = parts[0]
        derived = parts[1] if len(parts) > 1 else None
        account = region = None
    if derived is not None and qualifier is not None and derived != qualifier:
        raise invalid_parameter(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    return FunctionRef(name, derived or qualifier, account, region)


def is_version(qualifier: str) -> bool:
    return qualifier == LATEST or _VERSION.fullmatch(qualifier) is not None


def function_arn(region: str, account: str, name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def layer_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{account}:layer:{name}"


@dataclass(frozen=True, slots=True)
class LayerRef:
    region: str
    account: str
    name: str
    version: int


_LAYER_VERSION_ARN = re.compile(
    r"arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):layer:"
    r"(?P<name>[a-zA-Z0-9-_]+):(?P<version>[0-9]+)"
)


def parse_layer_version_arn(arn: str) -> LayerRef | None:
    match = _LAYER_VERSION_ARN.fullmatch(arn)
    if match is None:
        return None
    return LayerRef(match["region"], match["account"], match["name"], int(match["version"]))


def layer_name(text: str) -> str:
    """A layer's name, given as a name or as its ARN."""
    if text.startswith("arn:"):
        return text.rsplit(":", 1)[-1]
    return text


def check_scope(ref: FunctionRef, account: str, region: str) -> None:
    """Functions are reachable in their own region and account only."""
    if ref.region is not None and ref.region != region:
        raise invalid_parameter(
            f"Functions from '{ref.region}' are not reachable in this region ('{region}')"
        )
    if ref.account is not None and ref.account != account:
        raise ServiceError(
            "AccessDeniedException",
            f"cloudlet: account {account} cannot reach functions of account {ref.account}",
            status=403,
        )
