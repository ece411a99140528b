"""Deployments compiled for invocations (a REST API's resource tree, an HTTP API's route
table), built at a deployment's first invocation and kept for the next ones.

A deployment never changes once made, so a compiled one is never stale; the cache is only
emptied when it holds too many (APIs deployed again and again in a long session).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

Compiled = TypeVar("Compiled")
KEPT = 256


class CompiledDeployments(Generic[Compiled]):
    def __init__(self, compile: Callable[[dict[str, Any]], Compiled]) -> None:
        self._compile = compile  # a deployment's snapshot -> what invocations use
        self._kept: dict[tuple[str, str], Compiled] = {}

    def get(self, api_id: str, deployment_id: str, snapshot: dict[str, Any]) -> Compiled:
        """The deployment `deployment_id` of `api_id` compiled from its `snapshot`."""
        key = (api_id, deployment_id)
        compiled = self._kept.get(key)
        if compiled is None:
            if len(self._kept) >= KEPT:
                self._kept.clear()
            compiled = self._kept[key] = self._compile(snapshot)
        return compiled
