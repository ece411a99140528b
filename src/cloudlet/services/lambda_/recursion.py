"""Recursive loop detection: a function's setting (Get/PutFunctionRecursionConfig) and the check.

Every invocation carries a trace header whose Lineage field counts how many times the chain
of events it belongs to has run each function (delivery/lineage.py). An invocation that
would run a function for the 17th time is stopped unless the function allows recursive
loops: a synchronous Invoke fails with RecursiveInvocationException, an asynchronous event
or a queue's message goes to its dead-letter queue or failure destination.
"""

from __future__ import annotations

from typing import Any

from cloudlet.delivery.lineage import MAX_ROUNDS, next_round
from cloudlet.delivery.ports import RecursionStopped
from cloudlet.services.base import RequestContext
from cloudlet.services.lambda_.core import LambdaCore
from cloudlet.services.lambda_.model import Function

TERMINATE = "Terminate"
MESSAGE = (
    "Lambda has detected your function being invoked in a recursive loop with other AWS "
    "resources and stopped your function's invocation."
)


def trace_for(function: Function, trace_header: str) -> str:
    """The trace header the function's invocation carries; raises RecursionStopped when the
    event's chain has already run the function MAX_ROUNDS times and loops are not allowed."""
    header, round_number = next_round(trace_header, function.arn)
    if round_number > MAX_ROUNDS and function.recursive_loop == TERMINATE:
        raise RecursionStopped(MESSAGE)
    return header


class RecursionOperations(LambdaCore):
    async def get_function_recursion_config(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        return {"RecursiveLoop": self.unqualified(ctx, request["FunctionName"]).recursive_loop}

    async def put_function_recursion_config(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        function = self.unqualified(ctx, request["FunctionName"])
        previous, function.recursive_loop = function.recursive_loop, request["RecursiveLoop"]
        try:
            await self.registry.save(function)
        except BaseException:
            function.recursive_loop = previous
            raise
        return {"RecursiveLoop": function.recursive_loop}
