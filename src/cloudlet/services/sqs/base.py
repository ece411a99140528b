"""What every group of SQS operations shares: the queues, the waiting receives, the clock
for FIFO sequence numbers, and AWS's 60-second windows.
"""

from __future__ import annotations

from typing import ClassVar

from cloudlet.delivery.wakeups import Wakeups
from cloudlet.services.base import Platform, RequestContext, Service
from cloudlet.services.sqs.access import check_access
from cloudlet.services.sqs.claims import DeadLetter
from cloudlet.services.sqs.fifo import SequenceNumbers
from cloudlet.services.sqs.queues import Queue
from cloudlet.services.sqs.registry import QueueRegistry
from cloudlet.services.sqs.rows import Destination
from cloudlet.services.sqs.schema import MIGRATIONS


class SqsBase(Service):
    name = "sqs"
    migrations = MIGRATIONS
    # AWS's windows: no re-creating a deleted queue's name, no second purge, for a minute.
    # Class attributes, so that no request can shorten them.
    DELETED_QUEUE_WINDOW: ClassVar[float] = 60.0
    PURGE_WINDOW: ClassVar[float] = 60.0

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.registry = QueueRegistry(self.store)
        self.waiters: Wakeups[int] = Wakeups()  # long polls, by queue id
        self.sequences = SequenceNumbers()
        # Set when the server stops: long polls answer at once rather than hold it up.
        self.draining = False

    def drain(self) -> None:
        self.draining = True
        self.waiters.wake_all()

    def _queue(self, ctx: RequestContext, url: str) -> Queue:
        queue = self.registry.resolve(url, ctx.account_id, ctx.region)
        if queue.account != ctx.account_id:
            check_access(queue, ctx.account_id, ctx.endpoint)
        return queue

    def _dead_letter(self, queue: Queue) -> DeadLetter | None:
        """Where `queue`'s redrive policy sends messages, if it has one whose target exists."""
        redrive = queue.redrive
        if redrive is None:
            return None
        target = self.registry.by_arn(redrive.dead_letter_arn)
        if target is None:
            return None
        return DeadLetter(Destination(target.id, target.fifo), redrive.max_receive_count, queue.arn)
