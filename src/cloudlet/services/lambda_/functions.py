"""Functions: create, read, list, update code and configuration, delete; tags; account settings.

A function's code comes as a zip (`ZipFile`) or, as cloudlet's local-development extension,
as a directory on this machine: `Code={"S3Bucket": "cloudlet-local", "S3Key": "/abs/path"}`.
Any other S3 bucket does not exist here (there is no S3 yet), and Lambda says so.
"""

from __future__ import annotations

import copy
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.validate import Problem, coral_message
from cloudlet.services.base import RequestContext
from cloudlet.services.lambda_.code import Code
from cloudlet.services.lambda_.core import LambdaCore
from cloudlet.services.lambda_.errors import (
    CODE_SIZE_UNZIPPED,
    CODE_SIZE_ZIPPED,
    TOTAL_CODE_SIZE,
    conflict,
    function_not_found,
    invalid_parameter,
)
from cloudlet.services.lambda_.event_configs import check_dead_letter
from cloudlet.services.lambda_.model import Function, LayerUse, Version, timestamp
from cloudlet.services.lambda_.names import (
    LATEST,
    check_scope,
    function_arn,
    is_version,
    parse_function_name,
    parse_layer_version_arn,
)
from cloudlet.services.lambda_.paging import paginate
from cloudlet.services.lambda_.validation import check_settings

MAX_NAME = 64
# Fields ListFunctions leaves out: "use GetFunction" for the state, says Lambda's reference.
_NOT_LISTED = (
    "State",
    "StateReason",
    "StateReasonCode",
    "LastUpdateStatus",
    "LastUpdateStatusReason",
    "LastUpdateStatusReasonCode",
)
# Settings UpdateFunctionConfiguration replaces as given.
_PLAIN_SETTINGS = (
    "Role",
    "Handler",
    "Description",
    "Timeout",
    "MemorySize",
    "Runtime",
    "DeadLetterConfig",
    "KMSKeyArn",
    "EphemeralStorage",
    "FileSystemConfigs",
)


class FunctionOperations(LambdaCore):
    # -- create -------------------------------------------------------------------------------

    async def create_function(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = parse_function_name(request["FunctionName"])
        check_scope(ref, ctx.account_id, ctx.region)
        name = ref.name
        if len(name) > MAX_NAME:
            problem = Problem(("FunctionName",), "max_length", name, MAX_NAME)
            raise ServiceError("ValidationException", coral_message([problem]))
        key = (ctx.account_id, ctx.region, name)
        if key in self.registry.functions or key in self.creating:
            raise conflict(f"Function already exist: {name}")
        if (request.get("PackageType") or "Zip") != "Zip":
            raise invalid_parameter("cloudlet runs .zip functions only, not container images")
        if not request.get("Runtime") or not request.get("Handler"):
            raise invalid_parameter(
                "Runtime and Handler are mandatory parameters for functions created with"
                " deployment packages."
            )
        check_settings(request)
        check_dead_letter(self.platform.ports, request.get("DeadLetterConfig"))
        layers = self.layers_for(ctx, request.get("Layers") or [])
        self.creating.add(key)
        try:
            code = await self.code_from(ctx, request["Code"], "CreateFunction")
            check_unzipped_size(code, layers)
            arn = function_arn(ctx.region, ctx.account_id, name)
            config = {
                "FunctionName": name,
                "FunctionArn": arn,
                "Runtime": request["Runtime"],
                "Role": request["Role"],
                "Handler": request["Handler"],
                "CodeSize": code.size,
                "Description": request.get("Description") or "",
                "Timeout": request.get("Timeout") or 3,
                "MemorySize": request.get("MemorySize") or 128,
                "LastModified": timestamp(),
                "CodeSha256": code.sha256,
                "Version": LATEST,
                "TracingConfig": {
                    "Mode": (request.get("TracingConfig") or {}).get("Mode") or "PassThrough"
                },
                "PackageType": "Zip",
                "Architectures": request.get("Architectures") or ["x86_64"],
                "EphemeralStorage": request.get("EphemeralStorage") or {"Size": 512},
                "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
                "LoggingConfig": {
                    "LogFormat": "Text",
                    "LogGroup": f"/aws/lambda/{name}",
                    **(request.get("LoggingConfig") or {}),
                },
            }
            apply_settings(config, request)
            set_layers(config, layers)
            latest = Version(config, code, layers)
            function = Function(
                ctx.account_id, ctx.region, name, latest, tags=request.get("Tags") or {}
            )
            shown = self.begin(latest, creating=True)
            published: list[Version] = []
            if request.get("Publish"):
                published.append(self.new_version(function, request.get("Description") or ""))
            await self.registry.save(function, [latest, *published])
            self.registry.functions[key] = function
            for version in published:
                function.versions[version.number] = version
                self.after_update(function, version)
        finally:
            self.creating.discard(key)
        self.after_update(function, latest)
        self.engine.warm(config["Runtime"])
        return shown

    # -- read ---------------------------------------------------------------------------------

    async def get_function(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        function, ref = self.lookup(ctx, request["FunctionName"], request.get("Qualifier"))
        version = self.resolve(function, ref.qualifier)
        code = version.code
        if code.local_dir is not None:
            location = {"RepositoryType": "Local", "Location": f"file://{code.local_dir}"}
        else:
            url = f"{ctx.endpoint}/_cloudlet/lambda/code/{code.digest}.zip"
            location = {"RepositoryType": "S3", "Location": url}
        result: dict[str, Any] = {"Configuration": version.config, "Code": location}
        if function.tags:
            result["Tags"] = function.tags
        if function.reserved is not None:
            result["Concurrency"] = {"ReservedConcurrentExecutions": function.reserved}
        return result

    async def get_function_configuration(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        function, ref = self.lookup(ctx, request["FunctionName"], request.get("Qualifier"))
        return self.resolve(function, ref.qualifier).config

    async def list_functions(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        every_version = request.get("FunctionVersion") == "ALL"
        listed: list[dict[str, Any]] = []
        for key in sorted(self.registry.functions):
            if key[:2] != (ctx.account_id, ctx.region):
                continue
            function = self.registry.functions[key]
            versions = function.all_versions() if every_version else [function.latest]
            for version in versions:
                listed.append({k: v for k, v in version.config.items() if k not in _NOT_LISTED})
        page, marker = paginate(listed, request.get("Marker"), request.get("MaxItems") or 50)
        result: dict[str, Any] = {"Functions": page}
        if marker:
            result["NextMarker"] = marker
        return result

    # -- update -------------------------------------------------------------------------------

    async def update_function_code(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        function = self.unqualified(ctx, request["FunctionName"])
        self.check_updatable(function, request.get("RevisionId"))
        function.updating = True
        try:
            code = await self.code_from(ctx, request, "UpdateFunctionCode")
            latest = function.latest
            check_unzipped_size(code, latest.layers)
            if request.get("DryRun"):
                return latest.config
            config = copy.deepcopy(latest.config)
            config.update(CodeSha256=code.sha256, CodeSize=code.size, LastModified=timestamp())
            if request.get("Architectures"):
                config["Architectures"] = request["Architectures"]
            return await self._apply(function, config, code, latest.layers, request.get("Publish"))
        finally:
            function.updating = False

    async def update_function_configuration(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        function = self.unqualified(ctx, request["FunctionName"])
        self.check_updatable(function, request.get("RevisionId"))
        check_settings(request)
        check_dead_letter(self.platform.ports, request.get("DeadLetterConfig"))
        latest = function.latest
        layers = latest.layers
        if request.get("Layers") is not None:
            layers = self.layers_for(ctx, request["Layers"])
            check_unzipped_size(latest.code, layers)
        config = copy.deepcopy(latest.config)
        apply_settings(config, request)
        if request.get("Layers") is not None:
            set_layers(config, layers)
        config["LastModified"] = timestamp()
        function.updating = True
        try:
            return await self._apply(function, config, latest.code, layers, False)
        finally:
            function.updating = False

    async def _apply(
        self,
        function: Function,
        config: dict[str, Any],
        code: Code,
        layers: list[LayerUse],
        publish: bool | None,
    ) -> dict[str, Any]:
        """Store $LATEST's new configuration (and a version of it when publishing)."""
        previous = function.latest
        # The execution role's session carries over; execution.py takes a new one if the
        # Role is another.
        latest = Version(config, code, layers, previous.changes + 1, session=previous.session)
        shown = self.begin(latest)
        published = [self.new_version(function, "", source=latest)] if publish else []
        await self.registry.save(function, [latest, *published])
        function.latest = latest
        self.execution.forget(function, previous)
        for version in published:
            function.versions[version.number] = version
            self.after_update(function, version)
        self.after_update(function, latest)
        if previous.code.digest != code.digest:
            self.background(self.collect_code())
        return published[0].config if published else shown

    # -- delete -------------------------------------------------------------------------------

    async def delete_function(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        function, ref = self.lookup(ctx, request["FunctionName"], request.get("Qualifier"))
        if ref.qualifier is not None:
            await self._delete_version(function, ref.qualifier)
            return
        await self.registry.delete_function(function)
        del self.registry.functions[function.key]
        scope = (function.account, function.region)
        self.engine.concurrency.set_reserved(scope, function.arn, None)
        for qualifier in function.provisioned:
            await self.provisioner.stop(function, qualifier)
        self.engine.retire_function(function.arn)
        self.background(self.collect_code())

    async def _delete_version(self, function: Function, qualifier: str) -> None:
        if qualifier == LATEST:
            raise invalid_parameter(
                "$LATEST version cannot be deleted without deleting the function."
            )
        version = function.versions.get(qualifier) if is_version(qualifier) else None
        if version is None:
            raise function_not_found(function.qualified_arn(qualifier))
        users = sorted(
            name
            for name, alias in function.aliases.items()
            if qualifier in (alias.version, *alias.weights)
        )
        if users:
            raise conflict(
                "Unable to delete version because the following aliases reference it: "
                f"[{', '.join(users)}]"
            )
        provisioned = [qualifier] if qualifier in function.provisioned else []
        await self.registry.delete_rows(function, versions=[qualifier], provisioned=provisioned)
        if provisioned:
            await self.provisioner.stop(function, qualifier)
            del function.provisioned[qualifier]
        del function.versions[qualifier]
        await self.drop_event_config(function, qualifier)
        self.background(self.collect_code())

    # -- layers -------------------------------------------------------------------------------

    def layers_for(self, ctx: RequestContext, arns: list[str]) -> list[LayerUse]:
        """The layer versions a function names, in order; each must exist."""
        if len(arns) > 5:
            raise invalid_parameter("Cannot reference more than 5 layers.")
        layers = []
        for arn in arns:
            ref = parse_layer_version_arn(arn)
            layer = None
            if ref is not None:
                versions = self.registry.layers.get((ref.account, ref.region, ref.name)) or {}
                layer = versions.get(ref.version)
            if layer is None:
                raise invalid_parameter(f"Layer version {arn} does not exist.")
            layers.append(LayerUse(layer.arn, layer.code))
        return layers

    # -- tags ---------------------------------------------------------------------------------

    def _tagged(self, ctx: RequestContext, resource: str) -> Function:
        function, ref = self.lookup(ctx, resource)
        if ref.qualifier is not None:
            raise invalid_parameter(
                "Tags on function aliases and versions are not supported. "
                "Please specify a function ARN."
            )
        return function

    async def list_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": self._tagged(ctx, request["Resource"]).tags}

    async def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        function = self._tagged(ctx, request["Resource"])
        tags = {**function.tags, **request["Tags"]}
        if len(tags) > 50:
            raise invalid_parameter("Number of tags exceeds resource tag limit.")
        previous, function.tags = function.tags, tags
        try:
            await self.registry.save(function)
        except BaseException:
            function.tags = previous
            raise

    async def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        function = self._tagged(ctx, request["Resource"])
        removed = set(request["TagKeys"])
        previous = function.tags
        function.tags = {k: v for k, v in previous.items() if k not in removed}
        try:
            await self.registry.save(function)
        except BaseException:
            function.tags = previous
            raise

    # -- account ------------------------------------------------------------------------------

    async def get_account_settings(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        scope = (ctx.account_id, ctx.region)
        functions = [f for key, f in self.registry.functions.items() if key[:2] == scope]
        code_size = self.registry.code_size(scope)
        return {
            "AccountLimit": {
                "TotalCodeSize": TOTAL_CODE_SIZE,
                "CodeSizeUnzipped": CODE_SIZE_UNZIPPED,
                "CodeSizeZipped": CODE_SIZE_ZIPPED,
                "ConcurrentExecutions": self.engine.concurrency.limit,
                "UnreservedConcurrentExecutions": self.engine.concurrency.unreserved(scope),
            },
            "AccountUsage": {"TotalCodeSize": code_size, "FunctionCount": len(functions)},
        }


def apply_settings(config: dict[str, Any], request: dict[str, Any]) -> None:
    """Copy a create or update request's settings into a FunctionConfiguration."""
    for name in _PLAIN_SETTINGS:
        if request.get(name) is not None:
            config[name] = request[name]
    if not (config.get("DeadLetterConfig") or {}).get("TargetArn"):
        config.pop("DeadLetterConfig", None)  # an empty TargetArn removes the queue
    environment = request.get("Environment")
    if environment is not None:
        variables = environment.get("Variables") or {}
        if variables:
            config["Environment"] = {"Variables": variables}
        else:
            config.pop("Environment", None)
    if request.get("TracingConfig") is not None:
        config["TracingConfig"] = {"Mode": request["TracingConfig"].get("Mode") or "PassThrough"}
    if request.get("LoggingConfig") is not None:
        config["LoggingConfig"] = {**config.get("LoggingConfig", {}), **request["LoggingConfig"]}
    snap_start = request.get("SnapStart")
    if snap_start is not None:
        config["SnapStart"] = {
            "ApplyOn": snap_start.get("ApplyOn") or "None",
            "OptimizationStatus": "Off",
        }
    vpc = request.get("VpcConfig")
    if vpc is not None:
        config["VpcConfig"] = {
            "SubnetIds": vpc.get("SubnetIds") or [],
            "SecurityGroupIds": vpc.get("SecurityGroupIds") or [],
            "VpcId": "",
        }


def set_layers(config: dict[str, Any], layers: list[LayerUse]) -> None:
    if layers:
        config["Layers"] = [{"Arn": layer.arn, "CodeSize": layer.code.size} for layer in layers]
    else:
        config.pop("Layers", None)


def check_unzipped_size(code: Code, layers: list[LayerUse]) -> None:
    total = code.unzipped + sum(layer.code.unzipped for layer in layers)
    if total > CODE_SIZE_UNZIPPED:
        raise invalid_parameter(
            "Function code combined with layers exceeds the maximum allowed size of "
            f"{CODE_SIZE_UNZIPPED} bytes. The actual size is {total} bytes."
        )
