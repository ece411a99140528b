"""Kinesis's errors, worded as the service words them (all HTTP 400)."""

from __future__ import annotations

import time

from cloudlet.gateway.errors import ServiceError

LIMITS_PAGE = "http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html"


def invalid_argument(message: str) -> ServiceError:
    return ServiceError("InvalidArgumentException", message)


def stream_not_found(name: str, account: str) -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException", f"Stream {name} under account {account} not found."
    )


def stream_exists(name: str, account: str) -> ServiceError:
    return ServiceError(
        "ResourceInUseException", f"Stream {name} under account {account} already exists."
    )


def stream_not_active(name: str, account: str, status: str) -> ServiceError:
    return ServiceError(
        "ResourceInUseException",
        f"Stream {name} under account {account} not ACTIVE, instead in state {status}",
    )


def shard_not_found(shard_id: str, stream: str, account: str) -> ServiceError:
    """A well-formed shard id that the stream does not have (or no such stream)."""
    return ServiceError(
        "ResourceNotFoundException",
        f"Shard {shard_id} in stream {stream} under account {account} does not exist",
    )


def unknown_shard(given: str, stream: str, account: str) -> ServiceError:
    """A shard id Kinesis cannot read a shard index from."""
    return ServiceError(
        "ResourceNotFoundException",
        f"Could not find shard {given} in stream {stream} under account {account}.",
    )


def not_eligible(shard_id: str, stream: str, account: str, change: str) -> ServiceError:
    """A closed shard named in a split or merge (`change`: "splitting" or "merging")."""
    return invalid_argument(
        f"Shard {shard_id} in stream {stream} under account {account} has already been merged"
        f" or split, and thus is not eligible for {change}."
    )


def invalid_iterator() -> ServiceError:
    return invalid_argument("Invalid ShardIterator.")


def expired_iterator(issued_ms: int, now_ms: int) -> ServiceError:
    return ServiceError(
        "ExpiredIteratorException",
        f"Iterator expired. The iterator was created at time {_java_date(issued_ms)} while right"
        f" now it is {_java_date(now_ms)} which is further in the future than the tolerated"
        " delay of 300000 milliseconds.",
    )


def shard_limit(account: str, region: str, current: int, limit: int, more: int) -> ServiceError:
    return ServiceError(
        "LimitExceededException",
        f"This request would exceed the shard limit for the account {account} in {region}."
        f" Current shard count for the account: {current}. Limit: {limit}. Number of additional"
        f" shards that would have resulted from this request: {more}. Refer to the AWS Service"
        f" Limits page ({LIMITS_PAGE}) for current limits and how to request higher limits.",
    )


def on_demand_limit(account: str, region: str, limit: int) -> ServiceError:
    return ServiceError(
        "LimitExceededException",
        f"This request would exceed the on-demand stream limit for the account {account} in"
        f" {region}. Limit: {limit}.",
    )


def consumers_remain(stream: str, account: str) -> ServiceError:
    return ServiceError(
        "ResourceInUseException",
        f"Stream {stream} under account {account} has registered consumers. Deregister them"
        " first, or set EnforceConsumerDeletion.",
    )


def throttled(shard_id: str, stream: str, account: str) -> ServiceError:
    return ServiceError(
        "ProvisionedThroughputExceededException", throttled_message(shard_id, stream, account)
    )


def throttled_message(shard_id: str, stream: str, account: str) -> str:
    return f"Rate exceeded for shard {shard_id} in stream {stream} under account {account}."


def dry_run() -> ServiceError:
    return ServiceError(
        "DryRunOperationException", "The request would have succeeded, but the DryRun flag is set."
    )


def consumer_not_found(name: str, account: str) -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException", f"Consumer {name}, account {account} not found."
    )


def _java_date(ms: int) -> str:
    """A time as Java's Date.toString() prints it in UTC, which is how Kinesis words it."""
    return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(ms / 1000))
