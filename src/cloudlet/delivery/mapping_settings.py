"""What a poller needs to know of its event source mapping, whatever the source."""

from __future__ import annotations

from dataclasses import dataclass

from cloudlet.delivery.filters import FilterCriteria
from cloudlet.delivery.stream_settings import StreamSettings


@dataclass(frozen=True, slots=True)
class MappingSettings:
    uuid: str
    source_arn: str
    function_arn: str  # as the mapping names it: qualified or not
    region: str
    batch_size: int
    batching_window: int  # MaximumBatchingWindowInSeconds
    maximum_concurrency: int | None  # ScalingConfig.MaximumConcurrency
    report_failures: bool  # FunctionResponseTypes has ReportBatchItemFailures
    filters: FilterCriteria | None
    stream: StreamSettings | None = None  # Kinesis and DynamoDB Streams sources only
