"""One stream batch carried to its end, as Lambda does: invoked until it succeeds or is
discarded, every record then done.

- A success (or a partial failure's records before the lowest failed one) is done.
- ReportBatchItemFailures: the records from the lowest reported sequence number on are
  retried; a response that names no record of the batch fails it whole.
- A function error with BisectBatchOnFunctionError splits the batch in two, halves run in
  order; splitting costs no retry. Otherwise the batch is retried, after a short backoff.
- Past MaximumRetryAttempts (-1: no limit), or once records are older than
  MaximumRecordAgeInSeconds, records are discarded: the OnFailure destination, if any,
  receives the failure record naming them.
- A throttled or refused invocation is not a retry: it is tried again, with backoff, until the
  records age out.
- With a tumbling window, each invocation carries the window and its state (see
  `stream_windows`); a success's returned state is the next one's.

Halting (the mapping changed or stops) abandons the batch between invocations: its records
stay undone, so the next poller runs them again from the checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass, field

from cloudlet.delivery.batch_response import failed_items
from cloudlet.delivery.destinations import DeliveryFailed, deliver
from cloudlet.delivery.mapping_settings import MappingSettings
from cloudlet.delivery.ports import Functions, Invocation, InvokeRefused, Ports, StreamRecord
from cloudlet.delivery.stream_failures import (
    RECORD_AGE_EXCEEDED,
    RETRIES_EXHAUSTED,
    LastAttempt,
    failure_record,
)
from cloudlet.delivery.stream_settings import StreamSettings
from cloudlet.delivery.stream_windows import Window
from cloudlet.ids import random_uuid

log = logging.getLogger("cloudlet.esm")

RETRY_BACKOFF = (0.1, 5.0)  # seconds: the first wait before a failed batch runs again, the longest
REFUSED_BACKOFF = (0.05, 2.0)  # the same for throttled or refused invocations
OK = "OK"
FAILED = "PROBLEM: Function call failed"

_RECORDS = b'{"Records":['


@dataclass(slots=True, eq=False)
class Entry:
    """A record of the shard on its way to the function: its Lambda record, encoded once."""

    item: StreamRecord
    encoded: bytes
    done: bool = False

    @property
    def sequence_number(self) -> str:
        return self.item.sequence_number


@dataclass(slots=True)
class _Work:
    entries: list[Entry]
    retries: int = 0  # retries consumed (splits consume none)
    invokes: int = 0  # invocations these records were part of
    last: LastAttempt = field(default_factory=LastAttempt)


class BatchRunner:
    def __init__(
        self,
        settings: MappingSettings,
        ports: Ports,
        *,
        kinesis: bool,
        halted: asyncio.Event,
    ) -> None:
        assert settings.stream is not None and ports.functions is not None
        self.settings = settings
        self.stream: StreamSettings = settings.stream
        self.ports = ports
        self.functions: Functions = ports.functions
        self.kinesis = kinesis
        self.halted = halted
        self.result = ""  # the last LastProcessingResult reported

    async def settle(self, shard_id: str, batch: list[Entry], window: Window | None = None) -> bool:
        """Run `batch` until every record is done; False when halted first."""
        work = deque([_Work(batch)])
        while work:
            if self.halted.is_set():
                return False
            item = work.popleft()
            item.entries = await self._discard_aged(shard_id, item)
            if not item.entries:
                continue
            attempt = await self._invoke(
                self._payload(item.entries, shard_id, window), item.entries
            )
            if attempt is None:
                if self.halted.is_set():
                    return False
                work.appendleft(item)  # it aged while refused: discarded next round
                continue
            request_id, result = attempt
            item.invokes += 1
            item.last = LastAttempt.of(request_id, result)
            failed = self._first_failed(result, item.entries)
            if failed is None:
                _done(item.entries)
                self._report(OK)
                if window is not None:
                    window.carry(result.payload)
                continue
            self._report(FAILED)
            _done(item.entries[:failed])
            rest = item.entries[failed:]
            if result.function_error and self.stream.bisect and len(rest) > 1:
                half = len(rest) // 2
                work.appendleft(_Work(rest[half:], item.retries, item.invokes, item.last))
                work.appendleft(_Work(rest[:half], item.retries, item.invokes, item.last))
                continue
            retries = item.retries + 1
            limit = self.stream.maximum_retry_attempts
            if limit != -1 and retries > limit:
                await self._discard(shard_id, rest, RETRIES_EXHAUSTED, item.invokes, item.last)
                continue
            await self._pause(_backoff(retries))
            work.appendleft(_Work(rest, retries, item.invokes, item.last))
        return True

    def _first_failed(self, result: Invocation, entries: list[Entry]) -> int | None:
        """Where the records to retry start; None when the whole batch succeeded."""
        if result.function_error is not None:
            return 0
        if not self.settings.report_failures:
            return None
        numbers = {entry.sequence_number: index for index, entry in enumerate(entries)}
        failed = failed_items(result.payload, numbers.keys())
        if failed is None:
            return 0
        return min((numbers[number] for number in failed), default=None)

    async def close_window(self, shard_id: str, window: Window) -> None:
        """The window's last invocation: no records, its final state; retried as a batch is."""
        payload = self._payload([], shard_id, window, final=True)
        retries = 0
        while (attempt := await self._invoke(payload, [])) is not None:
            if attempt[1].function_error is None:
                self._report(OK)
                return
            self._report(FAILED)
            retries += 1
            limit = self.stream.maximum_retry_attempts
            if limit != -1 and retries > limit:
                return
            await self._pause(_backoff(retries))

    def _payload(
        self, entries: list[Entry], shard_id: str, window: Window | None, final: bool = False
    ) -> bytes:
        records = _RECORDS + b",".join(entry.encoded for entry in entries) + b"]"
        if window is None:
            return records + b"}"
        return records + window.envelope_tail(shard_id, self.settings.source_arn, final) + b"}"

    async def _invoke(self, payload: bytes, entries: list[Entry]) -> tuple[str, Invocation] | None:
        """Invoke the function with `payload` (`entries`); None when halted or the records
        aged out while the function could not be invoked."""
        backoff = REFUSED_BACKOFF[0]
        while not self.halted.is_set():
            request_id = random_uuid()
            try:
                result = await self.functions.invoke(
                    self.settings.function_arn, payload, request_id=request_id
                )
            except InvokeRefused as refused:
                self._report(f"PROBLEM: {refused.message}")
                if not refused.retryable:
                    log.warning("event source mapping %s: %s: %s", self.settings.uuid,
                                refused.code, refused.message)  # fmt: skip
                if entries and self._aged(entries[0]):
                    return None
                await self._pause(backoff)
                backoff = min(backoff * 2, REFUSED_BACKOFF[1])
                continue
            return request_id, result
        return None

    def _aged(self, entry: Entry) -> bool:
        age = self.stream.maximum_record_age
        return age != -1 and entry.item.arrival < time.time() - age / self.stream.age_scale

    async def _discard_aged(self, shard_id: str, item: _Work) -> list[Entry]:
        """The batch without its records past MaximumRecordAgeInSeconds (its oldest), which
        are discarded."""
        aged = 0
        while aged < len(item.entries) and self._aged(item.entries[aged]):
            aged += 1
        if aged:
            stale = item.entries[:aged]
            await self._discard(shard_id, stale, RECORD_AGE_EXCEEDED, item.invokes, item.last)
        return item.entries[aged:]

    async def _discard(
        self, shard_id: str, entries: list[Entry], condition: str, invokes: int, last: LastAttempt
    ) -> None:
        """Give up on `entries`: their failure record goes to the OnFailure destination."""
        destination = self.stream.on_failure
        if destination:
            body = failure_record(
                kinesis=self.kinesis,
                function_arn=self.settings.function_arn,
                condition=condition,
                invoke_count=invokes,
                attempt=last,
                shard_id=shard_id,
                stream_arn=self.settings.source_arn,
                batch=[entry.item for entry in entries],
            )
            try:
                await deliver(self.ports, destination, body)
            except DeliveryFailed as failure:
                log.warning("event source mapping %s: the failure record was not delivered: %s",
                            self.settings.uuid, failure)  # fmt: skip
        _done(entries)

    async def _pause(self, seconds: float) -> None:
        """Sleep, unless the poller halts meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.halted.wait(), seconds)

    def _report(self, result: str) -> None:
        if result != self.result:
            self.result = result
            if self.stream.report is not None:
                self.stream.report(result)


def _backoff(retries: int) -> float:
    """Seconds before a failed batch's retry number `retries` (from 1)."""
    return float(min(RETRY_BACKOFF[0] * 2 ** (retries - 1), RETRY_BACKOFF[1]))


def _done(entries: list[Entry]) -> None:
    for entry in entries:
        entry.done = True
