"""Layers: versioned zips a function adds to its /opt (Python finds `python/` on sys.path)."""

from __future__ import annotations

from typing import Any

from cloudlet.services.base import RequestContext
from cloudlet.services.lambda_.core import LambdaCore
from cloudlet.services.lambda_.errors import invalid_parameter, layer_not_found
from cloudlet.services.lambda_.model import LayerVersion, timestamp
from cloudlet.services.lambda_.names import layer_arn, layer_name, parse_layer_version_arn
from cloudlet.services.lambda_.paging import paginate
from cloudlet.services.lambda_.registry import LayerKey


class LayerOperations(LambdaCore):
    async def publish_layer_version(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        name = layer_name(request["LayerName"])
        key = (ctx.account_id, ctx.region, name)
        content = request["Content"]
        code = await self.code_from(ctx, content, "PublishLayerVersion", local_allowed=False)
        number = self.registry.layer_counters.get(key, 0) + 1
        arn = layer_arn(ctx.region, ctx.account_id, name)
        info: dict[str, Any] = {
            "LayerArn": arn,
            "LayerVersionArn": f"{arn}:{number}",
            "Description": request.get("Description") or "",
            "CreatedDate": timestamp(),
            "Version": number,
        }
        for optional in ("CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"):
            if request.get(optional):
                info[optional] = request[optional]
        layer = LayerVersion(info, code)
        self.registry.layer_counters[key] = number  # taken before the write: never reused
        await self.registry.save_layer(key, layer)
        self.registry.layers.setdefault(key, {})[number] = layer
        return self._with_content(ctx, layer)

    async def get_layer_version(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key = (ctx.account_id, ctx.region, layer_name(request["LayerName"]))
        return self._with_content(ctx, self._layer(key, request["VersionNumber"]))

    async def get_layer_version_by_arn(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        ref = parse_layer_version_arn(request["Arn"])
        if ref is None:
            raise invalid_parameter(f"Invalid layer version ARN: {request['Arn']}")
        return self._with_content(
            ctx, self._layer((ref.account, ref.region, ref.name), ref.version)
        )

    async def list_layers(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        listed = []
        for key in sorted(self.registry.layers):
            if key[:2] != (ctx.account_id, ctx.region):
                continue
            matching = _matching(self.registry.layers[key].values(), request)
            if matching:
                latest = matching[-1]
                listed.append(
                    {
                        "LayerName": key[2],
                        "LayerArn": latest.info["LayerArn"],
                        "LatestMatchingVersion": _list_item(latest),
                    }
                )
        page, marker = paginate(listed, request.get("Marker"), request.get("MaxItems") or 50)
        result: dict[str, Any] = {"Layers": page}
        if marker:
            result["NextMarker"] = marker
        return result

    async def list_layer_versions(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key = (ctx.account_id, ctx.region, layer_name(request["LayerName"]))
        versions = self.registry.layers.get(key) or {}
        listed = [_list_item(layer) for layer in reversed(_matching(versions.values(), request))]
        page, marker = paginate(listed, request.get("Marker"), request.get("MaxItems") or 50)
        result: dict[str, Any] = {"LayerVersions": page}
        if marker:
            result["NextMarker"] = marker
        return result

    async def delete_layer_version(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        key = (ctx.account_id, ctx.region, layer_name(request["LayerName"]))
        number = request["VersionNumber"]
        versions = self.registry.layers.get(key) or {}
        if number not in versions:
            return  # deleting a layer version that is not there succeeds, as on AWS
        await self.registry.delete_layer(key, number)
        del versions[number]
        if not versions:
            self.registry.layers.pop(key, None)
        # Functions that use the layer keep their copy, as on AWS.
        self.background(self.collect_code())

    def _layer(self, key: LayerKey, number: int) -> LayerVersion:
        layer = (self.registry.layers.get(key) or {}).get(number)
        if layer is None:
            raise layer_not_found()
        return layer

    def _with_content(self, ctx: RequestContext, layer: LayerVersion) -> dict[str, Any]:
        location = f"{ctx.endpoint}/_cloudlet/lambda/code/{layer.code.digest}.zip"
        content = {
            "Location": location,
            "CodeSha256": layer.code.sha256,
            "CodeSize": layer.code.size,
        }
        return {"Content": content, **layer.info}


def _matching(layers: Any, request: dict[str, Any]) -> list[LayerVersion]:
    """The layer versions, oldest first, compatible with the runtime and architecture asked."""
    runtime = request.get("CompatibleRuntime")
    architecture = request.get("CompatibleArchitecture")
    return [
        layer
        for layer in sorted(layers, key=lambda layer: layer.number)
        if (runtime is None or runtime in layer.info.get("CompatibleRuntimes", ()))
        and (architecture is None or architecture in layer.info.get("CompatibleArchitectures", ()))
    ]


def _list_item(layer: LayerVersion) -> dict[str, Any]:
    keep = (
        "LayerVersionArn",
        "Version",
        "Description",
        "CreatedDate",
        "CompatibleRuntimes",
        "CompatibleArchitectures",
        "LicenseInfo",
    )
    return {name: layer.info[name] for name in keep if name in layer.info}
