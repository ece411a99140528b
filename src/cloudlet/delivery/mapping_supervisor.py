"""The pollers of every enabled event source mapping: started, replaced and stopped as the
mappings change, whatever their source.

A source kind is the service in the source's ARN; each kind has its poller class (SQS; the
stream poller for Kinesis and DynamoDB Streams, with the checkpoints it keeps). A mapping
that changes gets a new poller at once, while the old one finishes its batches in flight in
the background (a stream poller waits for its predecessor before reading a shard).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

from cloudlet.delivery.mapping_settings import MappingSettings
from cloudlet.delivery.ports import Ports
from cloudlet.delivery.sqs_poller import SqsPoller
from cloudlet.delivery.stream_checkpoints import Checkpoints
from cloudlet.delivery.stream_poller import StreamPoller
from cloudlet.store import Store


class Poller(Protocol):
    def start(self) -> None: ...

    def halt(self) -> None:
        """Take nothing more; finish the batches in flight."""

    def busy(self) -> bool:
        """Whether batches are still in flight."""

    async def close(self) -> None:
        """Stop at once (the server stops)."""


POLLERS: dict[str, type[SqsPoller]] = {"sqs": SqsPoller}


def source_kind(arn: str) -> str:
    """The service an event source ARN names (`sqs`, `kinesis`, `dynamodb`), or ''."""
    parts = arn.split(":", 5)
    return parts[2] if len(parts) == 6 and parts[0] == "arn" else ""


class MappingSupervisor:
    def __init__(self, ports: Ports, store: Store) -> None:
        self.ports = ports
        self.checkpoints = Checkpoints(store)
        self.pollers: dict[str, Poller] = {}
        self.halting: set[Poller] = set()
        self.paused = False

    def run(self, settings: MappingSettings) -> None:
        """Poll for `settings` (a new or changed mapping), replacing its previous poller."""
        self.halt(settings.uuid)
        if self.paused:
            return
        kind = source_kind(settings.source_arn)
        poller: Poller
        if kind in POLLERS:
            poller = POLLERS[kind](settings, self.ports)
        else:
            poller = StreamPoller(settings, self.ports, self.checkpoints)
        self.pollers[settings.uuid] = poller
        poller.start()

    def halt(self, uuid: str) -> None:
        """Stop polling for a mapping (disabled, deleted or replaced)."""
        self.halting = {poller for poller in self.halting if poller.busy()}
        poller = self.pollers.pop(uuid, None)
        if poller is not None:
            poller.halt()
            self.halting.add(poller)

    def pause(self) -> None:
        """Take no more messages anywhere: the server is about to stop."""
        self.paused = True
        for uuid in list(self.pollers):
            self.halt(uuid)

    async def close(self) -> None:
        self.pause()
        pollers, self.halting = list(self.halting), set()
        for poller in pollers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await poller.close()
