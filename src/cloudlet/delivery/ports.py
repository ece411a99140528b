"""What services do for each other without importing each other.

A provider that others need registers an implementation of its port when it is built
(`platform.ports.queues = ...`); delivery code and other providers call through the port.
Each port is a small Protocol below: the few operations others need, in AWS terms (ARNs,
payload bytes), never a provider's internals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# -- functions (Lambda) ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AsyncSettings:
    """How asynchronous invocations through one function ARN are retried and recorded:
    the function's event invoke config for that qualifier, and its version's DLQ."""

    maximum_retry_attempts: int = 2
    maximum_event_age: int = 21_600  # seconds
    on_success: str | None = None  # destination ARNs
    on_failure: str | None = None
    dead_letter: str | None = None  # DeadLetterConfig.TargetArn


@dataclass(frozen=True, slots=True)
class FunctionTarget:
    """A function ARN resolved: the function exists, with this qualifier if one was given."""

    function_arn: str  # unqualified
    qualifier: str | None  # a version or alias, as given (None: $LATEST)
    settings: AsyncSettings
    role: str = ""  # the execution role of the version it runs (stream records name it)

    @property
    def qualified_arn(self) -> str:
        """The ARN invocation records name: unqualified invocations run $LATEST."""
        return f"{self.function_arn}:{self.qualifier or '$LATEST'}"


# Lambda's limit on a synchronous invocation's request (6 MB): Invoke refuses a larger
# payload, and so must every door that turns a request into one (API Gateway, URLs).
SYNC_PAYLOAD_LIMIT = 6_291_456


@dataclass(frozen=True, slots=True)
class Invocation:
    """What a synchronous invocation returned."""

    payload: bytes
    function_error: str | None  # "Unhandled" when the function failed
    executed_version: str
    status_code: int = 200


class InvokeRefused(Exception):
    """Lambda did not run the invocation: `status` and `code` as Invoke's error says.

    `retryable`: whether the same event may run later (throttles and system errors).
    """

    def __init__(self, status: int, code: str, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retryable = retryable


class FunctionThrottled(InvokeRefused):
    """Over the function's or the account's concurrency (429 TooManyRequestsException).

    Not retryable when the function's reserved concurrency is 0: Lambda then sends
    asynchronous events straight to their failure destination.
    """

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(
            429, "TooManyRequestsException", f"Rate Exceeded. ({reason})", retryable=retryable
        )
        self.reason = reason


class RecursionStopped(InvokeRefused):
    """The event has already run the function 16 times in one chain (recursive loop)."""

    def __init__(self, message: str) -> None:
        super().__init__(400, "RecursiveInvocationException", message, retryable=False)


class Functions(Protocol):
    """Lambda, for those who invoke functions: event sources, destinations, notifications."""

    def resolve(self, arn: str) -> FunctionTarget | None:
        """The function (qualified or not) `arn` names, or None when it does not exist."""

    async def invoke(
        self, arn: str, payload: bytes, *, request_id: str = "", trace_header: str = ""
    ) -> Invocation:
        """Run the function synchronously and return its result.

        `trace_header` is the event's X-Ray trace header (X-Amzn-Trace-Id, SQS's
        AWSTraceHeader): it carries the recursion count. Raises `InvokeRefused`
        (`FunctionThrottled`, `RecursionStopped`, a missing or not yet active function).
        """

    async def invoke_async(self, arn: str, payload: bytes, *, trace_header: str = "") -> str:
        """Queue an asynchronous invocation (InvocationType=Event) durably; its request id."""


# -- queues (SQS) ------------------------------------------------------------------------------


class QueueNotFound(LookupError):
    """No queue has the ARN given (never created, or deleted since)."""


class MessageRejected(ValueError):
    """SQS refused a message (too large, bad attributes...); the text is SQS's reason."""


@dataclass(frozen=True, slots=True)
class QueueInfo:
    """What a consumer of a queue needs to know about it."""

    arn: str
    fifo: bool
    visibility_timeout: int  # seconds, the queue's default
    dead_letter_arn: str | None = None  # its redrive policy's target, if it has one
    max_receive_count: int | None = None


class Queues(Protocol):
    """SQS, for the services that consume queues (event source mappings) or send to them
    (destinations, dead-letter queues). Messages are dicts as ReceiveMessage returns them,
    with every system attribute and message attribute (binary values as bytes)."""

    def describe(self, arn: str) -> QueueInfo | None:
        """The queue `arn` names, or None."""

    async def receive(
        self, arn: str, limit: int, *, wait: float = 0.0, visibility: int | None = None
    ) -> list[dict[str, Any]]:
        """Up to `limit` messages (beyond ReceiveMessage's 10), long-polling up to `wait`
        seconds as ReceiveMessage does. Raises QueueNotFound."""

    async def delete(self, arn: str, receipt_handles: Sequence[str]) -> None:
        """Delete received messages; handles that no longer match are ignored."""

    async def change_visibility(
        self, arn: str, receipt_handles: Sequence[str], timeout: int
    ) -> None:
        """Make received messages visible again after `timeout` seconds (0: at once)."""

    def watch(self, arn: str, wake: Callable[[], None]) -> Callable[[], None]:
        """Call `wake` whenever a message may have become receivable on the queue (sent,
        or released); returns the function that stops watching."""

    async def send(
        self,
        arn: str,
        body: str,
        *,
        message_attributes: dict[str, dict[str, Any]] | None = None,
        trace_header: str | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        sender: str | None = None,
    ) -> str:
        """Send a message as SendMessage would (committed on return); its MessageId.
        Raises QueueNotFound, or MessageRejected with SQS's reason."""


# -- streams (Kinesis, DynamoDB Streams) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """What a consumer of a stream needs to know about it."""

    arn: str
    active: bool  # records can still arrive (a Kinesis stream, an enabled DynamoDB stream)
    retention: float  # seconds records are kept
    view_type: str | None = None  # DynamoDB's StreamViewType


@dataclass(frozen=True, slots=True)
class ShardInfo:
    shard_id: str
    parents: tuple[str, ...]  # read to their end before this shard is read (resharding)
    closed: bool  # no record will be added (split, merged, or its stream disabled)


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """One record of a shard, as GetRecords returns it, with what ordering and ageing need."""

    sequence_number: str
    arrival: float  # seconds since the epoch (Kinesis: its ApproximateArrivalTimestamp)
    key: str  # what order is kept by: the partition key, or the item's key as JSON
    record: dict[str, Any]  # Kinesis: SequenceNumber, ApproximateArrivalTimestamp, Data
    # (bytes), PartitionKey; DynamoDB: the stream record, userIdentity as Lambda shows it


@dataclass(frozen=True, slots=True)
class ShardRead:
    records: list[StreamRecord]
    ended: bool  # the shard is closed and nothing is left past the last record


class StreamNotFound(LookupError):
    """No stream (or no such shard in it) has the ARN given."""


class Streams(Protocol):
    """Kinesis or DynamoDB Streams, for event source mappings. A position in a shard is the
    sequence number of the last record already read; reads return the records after it, in
    order. Raises StreamNotFound when the stream or shard is gone."""

    async def describe(self, arn: str) -> StreamInfo | None:
        """The stream `arn` names, or None."""

    async def shards(self, arn: str) -> list[ShardInfo]:
        """The shards whose records may still be read, parents before children."""

    async def position(
        self, arn: str, shard_id: str, starting: str, timestamp: float | None = None
    ) -> str:
        """Where reading starts: TRIM_HORIZON (before the oldest record), LATEST (after
        the newest), AT_TIMESTAMP (before the first record that arrived at `timestamp`)."""

    async def read(self, arn: str, shard_id: str, after: str, limit: int) -> ShardRead:
        """Up to `limit` records after the position `after`, oldest first."""

    async def wait(self, arn: str, shard_id: str, after: str, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a record past `after` (at once if one is there);
        whether one is. Woken by the write that commits it, not by polling."""


# -- sessions (STS) ---------------------------------------------------------------------------


class SessionKey(Protocol):
    """Temporary credentials STS issued: what signs requests, whom they act for, their end."""

    @property
    def access_key_id(self) -> str: ...
    @property
    def secret_access_key(self) -> str: ...
    @property
    def session_token(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def arn(self) -> str: ...  # arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
    @property
    def user_id(self) -> str: ...  # ROLE_ID:SESSION
    @property
    def expires_at(self) -> float: ...  # seconds since the epoch


class Sessions(Protocol):
    """STS, for the services that act as a role (Lambda runs a function as its execution
    role) and for the doors that verify signatures themselves (function URLs)."""

    async def assume(
        self, account_id: str, role_arn: str, session_name: str, duration: int
    ) -> SessionKey:
        """Credentials for `role_arn` in `account_id`, as a service assumes the role on its
        own (no caller, no trust check), lasting `duration` seconds. Stored durably."""

    def temporary_key(self, access_key_id: str) -> SessionKey | None:
        """The key STS issued as `access_key_id`, expired or not; None if it never did."""


@dataclass
class Ports:
    """The registry: one slot per service that others use; None until its provider is built."""

    functions: Functions | None = None
    queues: Queues | None = None
    kinesis: Streams | None = None
    dynamodb_streams: Streams | None = None
    sessions: Sessions | None = None
