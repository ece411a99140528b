"""The Lambda provider: every operation group, over the state and engine they share (core.py)."""

from __future__ import annotations

from cloudlet.services.lambda_.aliases import AliasOperations
from cloudlet.services.lambda_.concurrency import ConcurrencyOperations
from cloudlet.services.lambda_.event_configs import EventConfigOperations
from cloudlet.services.lambda_.functions import FunctionOperations
from cloudlet.services.lambda_.invoke import InvokeOperations
from cloudlet.services.lambda_.layers import LayerOperations
from cloudlet.services.lambda_.permissions import PermissionOperations
from cloudlet.services.lambda_.recursion import RecursionOperations
from cloudlet.services.lambda_.stream_mappings import StreamMappingOperations
from cloudlet.services.lambda_.url_configs import UrlConfigOperations
from cloudlet.services.lambda_.versions import VersionOperations


class LambdaService(
    UrlConfigOperations,
    PermissionOperations,
    InvokeOperations,
    FunctionOperations,
    VersionOperations,
    AliasOperations,
    LayerOperations,
    ConcurrencyOperations,
    StreamMappingOperations,
    EventConfigOperations,
    RecursionOperations,
):
    """AWS Lambda's control plane and invocation, on cloudlet's engine."""
