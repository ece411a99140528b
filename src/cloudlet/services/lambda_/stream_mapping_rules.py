"""Event source mappings on Kinesis and DynamoDB streams: their settings, defaults and checks,
with Lambda's errors.

The model bounds BatchSize (1-10,000), MaximumBatchingWindowInSeconds (0-300),
ParallelizationFactor (1-10), MaximumRetryAttempts (-1-10,000), MaximumRecordAgeInSeconds
(-1-604,800), TumblingWindowInSeconds (0-900) and StartingPosition's values; these are the
rules beyond it.
"""

from __future__ import annotations

from typing import Any

from cloudlet.delivery.destinations import exists, service_of
from cloudlet.delivery.ports import Ports
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_.errors import conflict, invalid_parameter

STREAM_KINDS = ("kinesis", "dynamodb")
DEFAULT_BATCH_SIZE = 100
TRANSITION_REASON = "User action"
NOTHING_YET = "No records processed"
MINIMUM_RECORD_AGE = 60  # seconds, unless -1 (forever)
# What a failed batch's record may go to, and what Lambda must be allowed to call on it.
DESTINATION_ACTIONS = {
    "sqs": ("SendMessage", "SQS"),
    "sns": ("Publish", "SNS"),
    "s3": ("PutObject", "S3"),
}
# Settings a create or an update may change, with their defaults.
TUNABLE = {
    "BatchSize": DEFAULT_BATCH_SIZE,
    "MaximumBatchingWindowInSeconds": 0,
    "ParallelizationFactor": 1,
    "MaximumRecordAgeInSeconds": -1,
    "BisectBatchOnFunctionError": False,
    "MaximumRetryAttempts": -1,
    "TumblingWindowInSeconds": 0,
}


def check_starting_position(request: dict[str, Any], kind: str) -> None:
    position = request.get("StartingPosition")
    if position is None:
        raise invalid_parameter(
            "1 validation error detected: Value null at 'startingPosition' failed to satisfy"
            " constraint: Member must not be null."
        )
    if position == "AT_TIMESTAMP":
        if kind == "dynamodb":
            raise invalid_parameter(
                f"Unsupported starting position for arn type: {request['EventSourceArn']}"
            )
        if request.get("StartingPositionTimestamp") is None:
            raise invalid_parameter(
                "StartingPositionTimestamp must be provided when StartingPosition is AT_TIMESTAMP"
            )


def apply_settings(config: dict[str, Any], request: dict[str, Any]) -> None:
    """The tunable settings and the destination a create or an update gives, checked."""
    for name in TUNABLE:
        if request.get(name) is not None:
            config[name] = request[name]
    age = config["MaximumRecordAgeInSeconds"]
    if age != -1 and age < MINIMUM_RECORD_AGE:
        raise invalid_parameter(
            "MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800"
            " (inclusive)"
        )
    destinations = request.get("DestinationConfig")
    if destinations is not None:
        if (destinations.get("OnSuccess") or {}).get("Destination"):
            raise invalid_parameter(
                "Unsupported DestinationConfig parameter for given event source mapping type."
            )
        on_failure = (destinations.get("OnFailure") or {}).get("Destination")
        config["DestinationConfig"] = {
            "OnFailure": {"Destination": on_failure} if on_failure else {}
        }


def on_failure(config: dict[str, Any]) -> str | None:
    return ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")


def check_destination(ports: Ports, arn: str | None) -> None:
    """An OnFailure destination: a queue (or topic, or bucket) Lambda can send to now."""
    if not arn:
        return
    service = service_of(arn)
    if service not in DESTINATION_ACTIONS:
        raise invalid_parameter(f"The destination ARN {arn} is invalid.")
    if not exists(ports, arn):  # SNS topics and S3 buckets exist once cloudlet has them
        action, name = DESTINATION_ACTIONS[service]
        raise invalid_parameter(
            f"The provided execution role does not have permissions to call {action} on {name}"
        )


def stream_not_found(arn: str) -> ServiceError:
    return invalid_parameter(f"Stream not found: {arn}")


def duplicate(source_arn: str, function_name: str, uuid: str) -> ServiceError:
    return conflict(
        f'The event source arn (" {source_arn} ") and function (" {function_name} ") provided'
        f" mapping already exists. Please update or delete the existing mapping with UUID {uuid}"
    )
