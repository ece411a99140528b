"""Concurrency as Lambda counts it: per account and region, with reserved slices per function.

An account has `limit` concurrent executions (1000 by default). A function with reserved
concurrency may run at most that many at once and draws on no one else's share; every other
function shares what is left unreserved, which Lambda keeps at 100 or more.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

UNRESERVED_MINIMUM = 100  # executions Lambda keeps unreserved in every account and region


class Throttled(Exception):
    """An invocation over a concurrency limit; `reason` is Lambda's TooManyRequests reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Slot:
    """One running execution, to give back with `release`."""

    scope: tuple[str, str]  # account, region
    function_arn: str
    reserved: bool


class Concurrency:
    def __init__(self, limit: int = 1000, unreserved_minimum: int = UNRESERVED_MINIMUM) -> None:
        self.limit = limit
        self.unreserved_minimum = unreserved_minimum
        self.running: dict[str, int] = defaultdict(int)  # per function
        self.unreserved_running: dict[tuple[str, str], int] = defaultdict(int)
        # Reserved concurrency per function, and its total per account and region.
        self.reserved: dict[str, int] = {}
        self.reserved_total: dict[tuple[str, str], int] = defaultdict(int)

    def set_reserved(self, scope: tuple[str, str], function_arn: str, amount: int | None) -> None:
        """Reserve `amount` executions for a function (None: share the unreserved pool)."""
        previous = self.reserved.pop(function_arn, None)
        if previous is not None:
            self.reserved_total[scope] -= previous
        if amount is not None:
            self.reserved[function_arn] = amount
            self.reserved_total[scope] += amount

    def unreserved(self, scope: tuple[str, str]) -> int:
        """Lambda's UnreservedConcurrentExecutions for the account and region."""
        return self.limit - self.reserved_total[scope]

    def acquire(self, scope: tuple[str, str], function_arn: str) -> Slot:
        """Take a slot for one execution, or raise `Throttled` as Lambda would."""
        reserved = self.reserved.get(function_arn)
        if reserved is not None:
            if self.running[function_arn] >= reserved:
                raise Throttled("ReservedFunctionConcurrentInvocationLimitExceeded")
            self.running[function_arn] += 1
            return Slot(scope, function_arn, True)
        if self.unreserved_running[scope] >= self.unreserved(scope):
            raise Throttled("ConcurrentInvocationLimitExceeded")
        self.unreserved_running[scope] += 1
        self.running[function_arn] += 1
        return Slot(scope, function_arn, False)

    def release(self, slot: Slot) -> None:
        self.running[slot.function_arn] -= 1
        if not slot.reserved:
            self.unreserved_running[slot.scope] -= 1
