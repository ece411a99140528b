"""What a stream poller needs beyond any mapping's settings: where to start, how to retry,
where failed batches are recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StreamSettings:
    starting_position: str  # TRIM_HORIZON | LATEST | AT_TIMESTAMP, for shards never read
    starting_timestamp: float | None  # StartingPositionTimestamp (AT_TIMESTAMP)
    parallelization: int  # ParallelizationFactor: concurrent batches per shard (1-10)
    maximum_retry_attempts: int  # -1: until the records expire
    maximum_record_age: int  # seconds; -1: as long as the stream keeps them
    bisect: bool  # BisectBatchOnFunctionError
    on_failure: str | None  # DestinationConfig.OnFailure.Destination
    tumbling_window: int  # TumblingWindowInSeconds (0: none)
    # Told LastProcessingResult ("OK", "PROBLEM: ...") whenever it changes.
    report: Callable[[str], None] | None = None
    age_scale: float = 1.0  # records age this much faster than the clock (tests)
