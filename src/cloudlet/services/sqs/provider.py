"""The SQS provider: queues in memory (a cache of their rows), messages in the store.

`SqsService` gathers the operations (see `operations/`) and owns what runs beside them: the
retention sweeper and the message move tasks. It serves other services as the queue port
(`queue_port.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.validate import Problem
from cloudlet.services.base import Platform
from cloudlet.services.sqs.errors import QUERY_CODES, STATUS, missing_parameter
from cloudlet.services.sqs.move_tasks import MoveTaskRunner
from cloudlet.services.sqs.operations.batches import BatchOperations
from cloudlet.services.sqs.operations.dead_letters import DeadLetterOperations
from cloudlet.services.sqs.operations.permissions import PermissionOperations
from cloudlet.services.sqs.operations.queues import QueueOperations
from cloudlet.services.sqs.query_traits import add_query_traits
from cloudlet.services.sqs.queue_port import SqsQueues
from cloudlet.services.sqs.sweeper import Sweeper

# Name lists SQS checks itself, with its own errors (InvalidAttributeName) or leniency (a
# receive ignores system attribute names it does not know).
_OWN_ENUMS = (
    "QueueAttributeName",
    "MessageSystemAttributeName",
    "MessageSystemAttributeNameForSends",
)


class SqsService(QueueOperations, BatchOperations, DeadLetterOperations, PermissionOperations):
    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.move_tasks = MoveTaskRunner(self.store, self.registry, self.waiters, self.sequences)
        self.sweeper = Sweeper(self.store, self.registry, self.waiters, self.DELETED_QUEUE_WINDOW)
        self._background: asyncio.Task[None] | None = None
        platform.ports.queues = SqsQueues(self)

    def patch_model(self, model: dict[str, Any]) -> None:
        shapes = model["shapes"]
        for name, code in QUERY_CODES.items():
            # The common errors have no shape in the model: give them one, for their codes.
            shape = shapes.setdefault(
                name,
                {"type": "structure", "members": {"message": {"shape": "ExceptionMessage"}}},
            )
            shape["exception"] = True
            shape["error"] = {
                "code": code,
                "httpStatusCode": STATUS.get(name, 400),
                "senderFault": True,
            }
        for name in _OWN_ENUMS:
            shapes[name].pop("enum", None)
        add_query_traits(model)

    async def start(self) -> None:
        await self.move_tasks.resume()
        self._background = asyncio.get_running_loop().create_task(self.sweeper.run())

    async def stop(self) -> None:
        await self.move_tasks.stop()
        if self._background is not None:
            self._background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._background

    def status(self) -> dict[str, Any]:
        return {"queues": len(self.registry)}

    def invalid_input(self, operation: str, problems: list[Problem]) -> ServiceError:
        """SQS names a missing parameter as it always has; other problems as json services do."""
        missing = next((p for p in problems if p.kind == "missing"), None)
        if missing is not None:
            return missing_parameter(missing.member)
        return super().invalid_input(operation, problems)
