"""Published versions: immutable snapshots of $LATEST's code and configuration, numbered."""

from __future__ import annotations

from typing import Any

from cloudlet.services.base import RequestContext
from cloudlet.services.lambda_.core import LambdaCore
from cloudlet.services.lambda_.errors import invalid_parameter
from cloudlet.services.lambda_.model import Function, Version
from cloudlet.services.lambda_.paging import paginate


class VersionOperations(LambdaCore):
    async def publish_version(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        function = self.unqualified(ctx, request["FunctionName"])
        self.check_updatable(function, request.get("RevisionId"))
        latest = function.latest
        given = request.get("CodeSha256")
        current = latest.config["CodeSha256"]
        if given is not None and given != current:
            raise invalid_parameter(
                f"CodeSHA256 ({given}) is different from current CodeSHA256 in $LATEST ({current})."
                " Please try again with the CodeSHA256 in $LATEST."
            )
        # Lambda makes no new version while $LATEST has not been updated since the last one.
        if function.versions:
            last = function.versions[str(max(int(n) for n in function.versions))]
            if last.changes == latest.changes:
                return last.config
        version = self.new_version(function, request.get("Description") or "")
        shown = dict(version.config)
        try:
            await self.registry.save(function, [version])
        except BaseException:
            function.last_version -= 1
            raise
        function.versions[version.number] = version
        self.after_update(function, version)
        if (version.config.get("SnapStart") or {}).get("OptimizationStatus") == "On":
            self.background(self._snapshot(function, version))
        return shown

    async def _snapshot(self, function: Function, version: Version) -> None:
        """SnapStart: the snapshot is taken when the version is published, as on Lambda."""
        await self.engine.prepare(await self.execution.spec(function, version))

    async def list_versions_by_function(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        function = self.unqualified(ctx, request["FunctionName"])
        configs = [version.config for version in function.all_versions()]
        page, marker = paginate(configs, request.get("Marker"), request.get("MaxItems") or 50)
        result: dict[str, Any] = {"Versions": page}
        if marker:
            result["NextMarker"] = marker
        return result
