"""Event source mappings: the checks Lambda makes beyond its model, with its errors.

The model already bounds BatchSize (1-10,000), MaximumBatchingWindowInSeconds (0-300),
ScalingConfig.MaximumConcurrency (2-1000) and FunctionResponseTypes; these are the rules
that depend on the source and on each other.
"""

from __future__ import annotations

import copy
from typing import Any

from cloudlet.delivery.filters import FilterCriteria
from cloudlet.delivery.patterns import PatternError
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_.errors import conflict, invalid_parameter

DEFAULT_BATCH_SIZE = {"sqs": 10}
SQS_BATCH_WITHOUT_WINDOW = 10  # more needs a batching window of 1 s or more
# Settings of stream sources (Kinesis, DynamoDB Streams) that a queue has no use for.
STARTING_POSITION = ("StartingPosition", "StartingPositionTimestamp")
TRANSITIONAL = ("Creating", "Enabling", "Disabling", "Updating", "Deleting")
# Filters per mapping: Lambda's default quota (AWS raises it to 10 on request).
FILTER_LIMIT = 5


def unrecognized_source() -> ServiceError:
    return invalid_parameter("Unrecognized event source, must be kinesis, dynamodb stream or sqs.")


def mapping_not_found() -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException", "The resource you requested does not exist.", status=404
    )


def in_use(action: str) -> ServiceError:
    """A mapping in the middle of a state transition (Creating, Updating...)."""
    return ServiceError(
        "ResourceInUseException",
        f"Cannot {action} the event source mapping because it is in use.",
    )


def queue_missing() -> ServiceError:
    """A mapping on a queue that does not exist: Lambda reports its own receive's failure."""
    return invalid_parameter(
        "Error occurred while ReceiveMessage. SQS Error Code: "
        "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does "
        "not exist or you do not have access to it."
    )


def function_missing() -> ServiceError:
    """A mapping to a function that does not exist: a 400, not Lambda's usual 404."""
    return invalid_parameter("Function does not exist")


def duplicate(source_arn: str, function_name: str, uuid: str) -> ServiceError:
    return conflict(
        f'An event source mapping with SQS arn (" {source_arn} ") and function '
        f'(" {function_name} ") already exists. Please update or delete the existing mapping '
        f"with UUID {uuid}"
    )


def check_queue_settings(request: dict[str, Any], config: dict[str, Any], fifo: bool) -> None:
    """What an SQS mapping may be: `config` is the mapping as it would be after `request`."""
    if any(request.get(name) is not None for name in STARTING_POSITION):
        raise invalid_parameter("StartingPosition is not valid for SQS event sources.")
    window = config["MaximumBatchingWindowInSeconds"]
    if fifo and window:
        raise invalid_parameter("Batching window is not supported for FIFO queues")
    if config["BatchSize"] > SQS_BATCH_WITHOUT_WINDOW and not window:
        raise invalid_parameter(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
            "greater than 10"
        )


def check_visibility(visibility: int, function_timeout: int) -> None:
    """A batch must stay out of sight for as long as the function may run."""
    if visibility < function_timeout:
        raise invalid_parameter(
            f"Queue visibility timeout: {visibility} seconds is less than Function timeout: "
            f"{function_timeout} seconds"
        )


def editable(config: dict[str, Any]) -> dict[str, Any]:
    """A copy of a mapping's configuration to change; none while it is in transition."""
    if config["State"] in TRANSITIONAL:
        raise in_use("update")
    return copy.deepcopy(config)


def apply_filter_criteria(config: dict[str, Any], request: dict[str, Any]) -> None:
    """FilterCriteria as a create or an update gives it, checked (empty: none)."""
    criteria = request.get("FilterCriteria")
    if criteria is None:
        return
    patterns = filter_patterns(criteria)
    if patterns:
        config["FilterCriteria"] = {"Filters": [{"Pattern": p} for p in patterns]}
    else:
        config.pop("FilterCriteria", None)


def filter_patterns(criteria: dict[str, Any] | None) -> list[str]:
    """The patterns of a FilterCriteria, each checked; Lambda's error for one that is not."""
    entries = (criteria or {}).get("Filters") or []
    if len(entries) > FILTER_LIMIT:
        # AWS's wording for this quota is not known: the message says what is wrong.
        raise invalid_parameter(
            f"The number of filters ({len(entries)}) exceeds the limit of {FILTER_LIMIT} "
            "filters per event source mapping."
        )
    patterns = []
    for entry in entries:
        text = entry.get("Pattern")
        try:
            if text is None:
                raise PatternError("no pattern")
            FilterCriteria([text])
        except PatternError:
            raise invalid_parameter("Invalid filter pattern definition.") from None
        patterns.append(text)
    return patterns
