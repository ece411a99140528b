"""The record an OnFailure destination receives about a discarded stream batch, as AWS
writes it. It names the records (shard, first and last sequence numbers) instead of
carrying them:

    {"requestContext": {"requestId", "functionArn", "condition": "RetryAttemptsExhausted" |
                        "RecordAgeExceeded", "approximateInvokeCount"},
     "responseContext": {"statusCode", "executedVersion", "functionError"},
     "version": "1.0", "timestamp": "2019-11-14T00:38:06.021Z",
     "KinesisBatchInfo" | "DDBStreamBatchInfo": {"shardId", "startSequenceNumber",
         "endSequenceNumber", "approximateArrivalOfFirstRecord",
         "approximateArrivalOfLastRecord", "batchSize", "streamArn"}}

Kinesis arrival times carry milliseconds, DynamoDB's whole seconds.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from cloudlet.delivery.ports import Invocation, StreamRecord

RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"


@dataclass(frozen=True, slots=True)
class LastAttempt:
    """How the batch's last invocation went (None fields: it never ran)."""

    request_id: str = ""
    status_code: int | None = None
    executed_version: str | None = None
    function_error: str | None = None

    @classmethod
    def of(cls, request_id: str, result: Invocation) -> LastAttempt:
        return cls(request_id, result.status_code, result.executed_version, result.function_error)


def failure_record(
    *,
    kinesis: bool,
    function_arn: str,
    condition: str,
    invoke_count: int,
    attempt: LastAttempt,
    shard_id: str,
    stream_arn: str,
    batch: Sequence[StreamRecord],
) -> bytes:
    first, last = batch[0], batch[-1]
    moment = _moment_millis if kinesis else _moment_seconds
    document = {
        "requestContext": {
            "requestId": attempt.request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": {
            "statusCode": attempt.status_code if attempt.status_code is not None else 0,
            "executedVersion": attempt.executed_version,
            "functionError": attempt.function_error,
        },
        "version": "1.0",
        "timestamp": _moment_millis(time.time()),
        "KinesisBatchInfo" if kinesis else "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first.sequence_number,
            "endSequenceNumber": last.sequence_number,
            "approximateArrivalOfFirstRecord": moment(first.arrival),
            "approximateArrivalOfLastRecord": moment(last.arrival),
            "batchSize": len(batch),
            "streamArn": stream_arn,
        },
    }
    return orjson.dumps(document)


def _moment_millis(seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _moment_seconds(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
