"""What every group of Lambda operations shares: state, lookups, and the update life cycle.

A created or updated function is `Pending` / `InProgress` until its update is applied, then
`Active` / `Successful` (what boto3's waiters poll for). cloudlet applies an update before
answering, so the transition follows at once, unless `CLOUDLET_LAMBDA_STATE_DELAY` holds it
for that many seconds, as AWS does for a few: then updates during the window are refused
with ResourceConflictException, as on AWS.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Coroutine
from typing import Any

from cloudlet.engine.engine import Engine
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.base import Platform, RequestContext, Service
from cloudlet.services.lambda_.code import Code, CodeStore
from cloudlet.services.lambda_.errors import (
    CODE_REQUEST_LIMIT,
    CODE_SIZE_ZIPPED,
    TOTAL_CODE_SIZE,
    function_not_found,
    invalid_parameter,
    not_invocable,
    only_latest,
    request_too_large,
    revision_mismatch,
    update_in_progress,
)
from cloudlet.services.lambda_.execution import Execution
from cloudlet.services.lambda_.model import Function, Version, new_revision, timestamp
from cloudlet.services.lambda_.names import (
    LATEST,
    FunctionRef,
    check_scope,
    function_arn,
    is_version,
    parse_function_name,
)
from cloudlet.services.lambda_.provisioning import Provisioner
from cloudlet.services.lambda_.registry import Registry
from cloudlet.services.lambda_.schema import MIGRATIONS

log = logging.getLogger("cloudlet.lambda")

LOCAL_BUCKET = "cloudlet-local"  # S3Bucket of a function whose code is a local directory

IN_PROGRESS = {
    "LastUpdateStatus": "InProgress",
    "LastUpdateStatusReason": "The function is being created.",
    "LastUpdateStatusReasonCode": "Creating",
}
PENDING = {
    "State": "Pending",
    "StateReason": "The function is being created.",
    "StateReasonCode": "Creating",
}
_TRANSIENT = (
    "StateReason",
    "StateReasonCode",
    "LastUpdateStatusReason",
    "LastUpdateStatusReasonCode",
)


class LambdaCore(Service):
    name = "lambda"
    migrations = MIGRATIONS

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        if platform.engine is None:
            raise RuntimeError("the Lambda service needs the platform's engine")
        self.engine: Engine = platform.engine
        self.codes = CodeStore(self.config.state_dir / "lambda")
        self.registry = Registry(self.store)
        self.execution = Execution(
            self.codes, self.engine, self.config.endpoint(), platform.ports.sessions
        )
        self.state_delay = self.config.lambda_state_delay
        self.tasks: set[asyncio.Task[Any]] = set()
        self.provisioner = Provisioner(self.engine, self.execution, self.background)
        self.execution.renewed = self.provisioner.refresh
        # Names being created by a request still in flight, so a concurrent create conflicts.
        self.creating: set[tuple[str, str, str]] = set()

    def status(self) -> dict[str, Any]:
        return {
            "functions": len(self.registry.functions),
            "layer_versions": sum(len(v) for v in self.registry.layers.values()),
        }

    async def start(self) -> None:
        for runtime in {
            f.latest.config.get("Runtime") or "" for f in self.registry.functions.values()
        }:
            self.engine.warm(runtime)
        for function in self.registry.functions.values():
            if function.reserved is not None:
                self.engine.concurrency.set_reserved(
                    (function.account, function.region), function.arn, function.reserved
                )
            for version in function.all_versions():
                if (
                    version.config.get("State") == "Pending"
                    or version.config.get("LastUpdateStatus") == "InProgress"
                ):
                    self.background(self.settle(function, version, at_once=True))
            for qualifier in function.provisioned:
                # An alias's configuration provisions the version the alias names.
                alias = function.aliases.get(qualifier)
                version = function.version(alias.version if alias else qualifier)
                if version is not None:
                    self.provisioner.start(function, qualifier, version)

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)

    def background(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work failed", exc_info=task.exception())

    # -- lookups -----------------------------------------------------------------------------

    def lookup(
        self, ctx: RequestContext, name: str, qualifier: str | None = None
    ) -> tuple[Function, FunctionRef]:
        """The function `name` names (any of Lambda's forms), or Lambda's not-found error."""
        ref = parse_function_name(name, qualifier)
        check_scope(ref, ctx.account_id, ctx.region)
        function = self.registry.functions.get((ctx.account_id, ctx.region, ref.name))
        if function is None:
            raise function_not_found(
                function_arn(ctx.region, ctx.account_id, ref.name, ref.qualifier)
            )
        return function, ref

    def unqualified(self, ctx: RequestContext, name: str) -> Function:
        """The function for an operation on $LATEST only."""
        function, ref = self.lookup(ctx, name)
        if ref.qualifier not in (None, LATEST):
            raise only_latest()
        return function

    def resolve(self, function: Function, qualifier: str | None) -> Version:
        """The version a qualifier names: $LATEST, a number, or an alias's main version."""
        if qualifier is None or qualifier == LATEST:
            return function.latest
        version = function.versions.get(qualifier) if is_version(qualifier) else None
        if version is None:
            alias = function.aliases.get(qualifier)
            if alias is not None:
                version = function.version(alias.version)
        if version is None:
            raise function_not_found(function.qualified_arn(qualifier))
        return version

    async def drop_event_config(self, function: Function, qualifier: str) -> None:
        """A deleted version's or alias's asynchronous invocation settings go with it."""
        if function.event_configs.pop(qualifier, None) is not None:
            await self.registry.save(function)

    # -- the update life cycle ---------------------------------------------------------------

    def check_updatable(self, function: Function, revision_id: str | None = None) -> None:
        """Refuse an update while another is in progress, or against a stale RevisionId."""
        config = function.latest.config
        if config.get("State") == "Pending":
            raise not_invocable("Pending")
        if function.updating or config.get("LastUpdateStatus") == "InProgress":
            raise update_in_progress(function.arn)
        if revision_id is not None and revision_id != config.get("RevisionId"):
            raise revision_mismatch()

    def begin(self, version: Version, *, creating: bool = False) -> dict[str, Any]:
        """Mark `version` as being updated; return what the answer shows (Pending/InProgress).

        Without a state delay the stored configuration is already the settled one.
        """
        config = version.config
        config["RevisionId"] = new_revision()
        shown = copy.deepcopy(config)
        if creating:
            shown.update(PENDING)
        shown.update(IN_PROGRESS)
        if self.state_delay > 0:
            config.update(shown)
        else:
            settled(config)
        return shown

    async def settle(self, function: Function, version: Version, *, at_once: bool = False) -> None:
        """After the state delay, the version is Active and its last update Successful."""
        if not at_once and self.state_delay <= 0:
            return
        if not at_once:
            await asyncio.sleep(self.state_delay)
        if function.version(version.number) is not version:
            return  # deleted meanwhile
        settled(version.config)
        version.config["RevisionId"] = new_revision()
        await self.registry.save(function, [version])

    def after_update(self, function: Function, version: Version) -> None:
        """Start the transition to Active/Successful if it is delayed."""
        if self.state_delay > 0:
            self.background(self.settle(function, version))

    def new_version(
        self, function: Function, description: str, source: Version | None = None
    ) -> Version:
        """A published version cut from $LATEST (or `source`, $LATEST to be), numbered next."""
        base = source or function.latest
        function.last_version += 1
        number = str(function.last_version)
        config = copy.deepcopy(base.config)
        config.update(
            FunctionArn=function.qualified_arn(number),
            Version=number,
            Description=description or config.get("Description", ""),
            LastModified=timestamp(),
        )
        snap_start = config.get("SnapStart") or {}
        if snap_start.get("ApplyOn") == "PublishedVersions":
            config["SnapStart"] = {**snap_start, "OptimizationStatus": "On"}
        version = Version(config, base.code, list(base.layers), base.changes)
        self.begin(version, creating=True)
        return version

    async def code_from(
        self,
        ctx: RequestContext,
        source: dict[str, Any],
        operation: str,
        *,
        local_allowed: bool = True,
    ) -> Code:
        """Store the code a request gives: a zip, or a local directory (cloudlet-local)."""
        data = source.get("ZipFile")
        if data is not None:
            if len(data) > CODE_SIZE_ZIPPED:
                raise request_too_large(operation, CODE_REQUEST_LIMIT)
            if self.registry.code_size((ctx.account_id, ctx.region)) + len(data) > TOTAL_CODE_SIZE:
                raise ServiceError("CodeStorageExceededException", "Code storage limit exceeded.")
            return await asyncio.to_thread(self.codes.store_zip, bytes(data))
        bucket = source.get("S3Bucket")
        if bucket == LOCAL_BUCKET and local_allowed:
            key = str(source.get("S3Key") or "")
            return self.codes.local(key if key.startswith("/") else "/" + key)
        if bucket:
            raise invalid_parameter(
                "Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: "
                "The specified bucket does not exist"
            )
        if source.get("ImageUri"):
            raise invalid_parameter("cloudlet runs .zip functions only, not container images")
        raise invalid_parameter("Please provide a source for function code.")

    async def collect_code(self) -> None:
        """Delete stored packages nothing refers to any more."""
        await asyncio.to_thread(self.codes.collect, self.registry.code_in_use())


def settled(config: dict[str, Any]) -> None:
    for name in _TRANSIENT:
        config.pop(name, None)
    config["State"] = "Active"
    config["LastUpdateStatus"] = "Successful"


def check_invocable(version: Version) -> None:
    state = version.config.get("State")
    if state != "Active":
        raise not_invocable(str(state))
