"""Queues: the in-memory copy of a queue's row, and queue names, URLs and ARNs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cloudlet.services.sqs.attributes import NUMERIC
from cloudlet.services.sqs.errors import invalid_parameter, queue_does_not_exist
from cloudlet.services.sqs.redrive import Redrive, parse_redrive_policy

Key = tuple[str, str, str]  # account, region, name
_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")


@dataclass(eq=False)
class Queue:
    """A queue as its row holds it, with the attributes the hot paths read kept parsed."""

    id: int
    account: str
    region: str
    name: str
    attributes: dict[str, str]
    tags: dict[str, str]
    created: float
    modified: float
    # When the last PurgeQueue started (PurgeQueueInProgress within a minute of it).
    purged_at: float = 0.0
    arn: str = field(init=False)
    fifo: bool = field(init=False)
    delay: int = field(init=False)
    max_size: int = field(init=False)
    retention: int = field(init=False)
    visibility: int = field(init=False)
    wait: int = field(init=False)
    content_dedup: bool = field(init=False)
    dedup_by_group: bool = field(init=False)
    redrive: Redrive | None = field(init=False)

    def __post_init__(self) -> None:
        self.arn = f"arn:aws:sqs:{self.region}:{self.account}:{self.name}"
        self.settle()

    @property
    def key(self) -> Key:
        return (self.account, self.region, self.name)

    def settle(self) -> None:
        """Refresh the parsed views of `attributes` after they change."""
        attributes = self.attributes
        self.fifo = attributes.get("FifoQueue") == "true"
        self.delay = self._number("DelaySeconds")
        self.max_size = self._number("MaximumMessageSize")
        self.retention = self._number("MessageRetentionPeriod")
        self.visibility = self._number("VisibilityTimeout")
        self.wait = self._number("ReceiveMessageWaitTimeSeconds")
        self.content_dedup = attributes.get("ContentBasedDeduplication") == "true"
        self.dedup_by_group = attributes.get("DeduplicationScope") == "messageGroup"
        policy = attributes.get("RedrivePolicy")
        self.redrive = parse_redrive_policy(policy) if policy else None

    def url(self, endpoint: str) -> str:
        return f"{endpoint}/{self.account}/{self.name}"

    def _number(self, name: str) -> int:
        return int(self.attributes.get(name, NUMERIC[name][0]))


def check_name(name: str, fifo: bool) -> None:
    """AWS's rules for a queue name: 1-80 of [A-Za-z0-9_-], `.fifo` exactly for FIFO queues."""
    base = name.removesuffix(".fifo")
    if fifo and (not name.endswith(".fifo") or not _NAME.fullmatch(base) or len(name) > 80):
        raise invalid_parameter(
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
            "underscores, must end with .fifo suffix and be 1 to 80 in length."
        )
    if not fifo and not _NAME.fullmatch(name):
        raise invalid_parameter(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        )


def parse_queue_url(url: str, account: str, region: str) -> Key:
    """The queue `url` names, as any endpoint spells it; a bare name is the caller's queue."""
    if "/" not in url:
        return (account, region, url)
    parts = urlsplit(url if "://" in url else f"http://{url}")
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) != 2 or not segments[0].isdigit():
        raise queue_does_not_exist()
    # sqs.<region>.amazonaws.com and <region>.queue.amazonaws.com name the region.
    pieces = (parts.hostname or "").split(".")
    if len(pieces) >= 4 and pieces[0] == "sqs":
        region = pieces[1]
    elif len(pieces) >= 4 and pieces[1] == "queue":
        region = pieces[0]
    return (segments[0], region, segments[1])
