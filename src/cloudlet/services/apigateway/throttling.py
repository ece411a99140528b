"""Request throttling as API Gateway applies it: a token bucket per limit, holding up to
`burst` requests and refilled at `rate` a second; an empty bucket answers 429."""

from __future__ import annotations

import time


class TokenBucket:
    __slots__ = ("burst", "rate", "tokens", "updated")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def take(self) -> bool:
        """Spend one request's token; False when none is left (throttled)."""
        now = time.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Buckets:
    """Token buckets by key, rebuilt when the limits configured for the key change."""

    def __init__(self) -> None:
        self.buckets: dict[object, TokenBucket] = {}

    def take(self, key: object, rate: float | None, burst: int | None) -> bool:
        if rate is None and burst is None:
            return True
        rate = 10_000.0 if rate is None else float(rate)
        burst = 5_000 if burst is None else int(burst)
        bucket = self.buckets.get(key)
        if bucket is None or bucket.rate != rate or bucket.burst != burst:
            bucket = self.buckets[key] = TokenBucket(rate, burst)
        return bucket.take()
