"""Asynchronous invocation settings: FunctionEventInvokeConfig per qualifier, and the DLQ check.

Put / Update / Get / List / DeleteFunctionEventInvokeConfig keep, per function and qualifier
($LATEST when none is given), MaximumRetryAttempts (0-2), MaximumEventAgeInSeconds
(60-21600) and the OnSuccess / OnFailure destinations; delivery/async_invoke.py applies
them (through the function port's `resolve`). A destination must exist when it is set: Lambda
checks that the function's role may reach it, and with nothing to reach the check fails the
same way.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from cloudlet.delivery.destinations import ACTIONS, exists, service_of
from cloudlet.delivery.ports import Ports
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.lambda_.core import LambdaCore
from cloudlet.services.lambda_.errors import invalid_parameter, only_latest
from cloudlet.services.lambda_.model import Function
from cloudlet.services.lambda_.names import LATEST, check_scope, function_arn, parse_function_name
from cloudlet.services.lambda_.paging import paginate

SETTINGS = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds")
HALVES = ("OnSuccess", "OnFailure")
LIST_LIMIT = 50
# The services a dead-letter queue may be, and how Lambda names them in its error.
_DEAD_LETTER_SERVICES = {"sqs": ("SendMessage", "SQS"), "sns": ("Publish", "SNS")}


class EventConfigOperations(LambdaCore):
    async def put_function_event_invoke_config(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        function, qualifier = self._existing(ctx, request)
        config = self._merged(function, qualifier, {}, request)
        await self._store(function, qualifier, config)
        return config

    async def update_function_event_invoke_config(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        function, qualifier = self._existing(ctx, request)
        current = function.event_configs.get(qualifier)
        if current is None:
            raise _no_config(function.qualified_arn(qualifier))
        config = self._merged(function, qualifier, current, request)
        await self._store(function, qualifier, config)
        return config

    async def get_function_event_invoke_config(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        function, qualifier, arn = self._named(ctx, request)
        config = function.event_configs.get(qualifier) if function is not None else None
        if config is None:
            raise _no_config(arn)
        return config

    async def list_function_event_invoke_configs(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        function, qualifier, _ = self._named(ctx, {"FunctionName": request["FunctionName"]})
        if function is None:
            raise _no_function()
        if qualifier != LATEST:
            raise only_latest()
        configs = list(function.event_configs.values())
        page, following = paginate(
            configs, request.get("Marker"), request.get("MaxItems") or LIST_LIMIT
        )
        answer: dict[str, Any] = {"FunctionEventInvokeConfigs": page}
        if following:
            answer["NextMarker"] = following
        return answer

    async def delete_function_event_invoke_config(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> None:
        function, qualifier, arn = self._named(ctx, request)
        previous = function.event_configs.pop(qualifier, None) if function is not None else None
        if function is None or previous is None:
            raise _no_config(arn)
        try:
            await self.registry.save(function)
        except BaseException:
            function.event_configs[qualifier] = previous
            raise

    # -- helpers ------------------------------------------------------------------------------

    def _named(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> tuple[Function | None, str, str]:
        """The function a request names (None when it, or the version or alias, does not
        exist), the qualifier ($LATEST when none is given) and their ARN."""
        ref = parse_function_name(request["FunctionName"], request.get("Qualifier"))
        check_scope(ref, ctx.account_id, ctx.region)
        qualifier = ref.qualifier or LATEST
        arn = function_arn(ctx.region, ctx.account_id, ref.name, qualifier)
        function = self.registry.functions.get((ctx.account_id, ctx.region, ref.name))
        if function is None or not _has_qualifier(function, qualifier):
            return None, qualifier, arn
        return function, qualifier, arn

    def _existing(self, ctx: RequestContext, request: dict[str, Any]) -> tuple[Function, str]:
        """The function and qualifier a Put or Update names, which must exist."""
        function, qualifier, _ = self._named(ctx, request)
        if function is None:
            raise _no_function()
        return function, qualifier

    def _merged(
        self,
        function: Function,
        qualifier: str,
        current: dict[str, Any],
        request: dict[str, Any],
    ) -> dict[str, Any]:
        """`current` with the request's settings: Put starts from nothing, Update from the
        stored configuration; a destination given replaces that half."""
        given = {name: request[name] for name in SETTINGS if request.get(name) is not None}
        destinations = request.get("DestinationConfig")
        if not given and destinations is None:
            raise invalid_parameter(
                "You must specify at least one of error handling or destination setting."
            )
        for half in HALVES:
            arn = ((destinations or {}).get(half) or {}).get("Destination")
            if arn:
                check_destination(self.platform.ports, arn)
        config = copy.deepcopy(current)
        config.update(
            FunctionArn=function.qualified_arn(qualifier), LastModified=time.time(), **given
        )
        halves = config.setdefault("DestinationConfig", {"OnSuccess": {}, "OnFailure": {}})
        for half in HALVES:
            if destinations is not None and half in destinations:
                arn = (destinations[half] or {}).get("Destination")
                halves[half] = {"Destination": arn} if arn else {}
        return config

    async def _store(self, function: Function, qualifier: str, config: dict[str, Any]) -> None:
        previous = function.event_configs.get(qualifier)
        function.event_configs[qualifier] = config
        try:
            await self.registry.save(function)
        except BaseException:
            if previous is None:
                del function.event_configs[qualifier]
            else:
                function.event_configs[qualifier] = previous
            raise


def check_destination(ports: Ports, arn: str) -> None:
    """A destination must be a queue or function (topic, bus) that exists."""
    service = service_of(arn)
    if service not in ACTIONS:
        raise invalid_parameter(f"The destination ARN {arn} is invalid.")
    if not exists(ports, arn):
        raise invalid_parameter(
            "The function's execution role does not have permissions to call "
            f"{ACTIONS[service]} on {arn}"
        )


def check_dead_letter(ports: Ports, dead_letter: dict[str, Any] | None) -> None:
    """DeadLetterConfig of CreateFunction / UpdateFunctionConfiguration: an existing queue
    (or topic); an empty TargetArn removes it."""
    arn = (dead_letter or {}).get("TargetArn")
    if not arn:
        return
    kind = _DEAD_LETTER_SERVICES.get(service_of(arn) or "")
    if kind is None:
        raise invalid_parameter(f"The provided target arn {arn} is invalid.")
    if not exists(ports, arn):
        action, name = kind
        raise invalid_parameter(
            f"The provided execution role does not have permissions to call {action} on {name}"
        )


def _has_qualifier(function: Function, qualifier: str) -> bool:
    return qualifier == LATEST or qualifier in function.versions or qualifier in function.aliases


def _no_function() -> ServiceError:
    """Put, Update and List on a function, version or alias that does not exist."""
    return ServiceError("ResourceNotFoundException", "The function doesn't exist.", status=404)


def _no_config(qualified_arn: str) -> ServiceError:
    """Get and Delete answer so whether the config, the version or the function is missing."""
    return ServiceError(
        "ResourceNotFoundException",
        f"The function {qualified_arn} doesn't have an EventInvokeConfig",
        status=404,
    )
