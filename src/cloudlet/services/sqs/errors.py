"""SQS's errors: their names on the json protocol, legacy query codes and HTTP statuses.

A `ServiceError`'s code is the name the json protocol sends in `__type` (the model's shape
name, or for the common errors the name SQS gives them: `InvalidParameterValueException`);
`QUERY_CODES` gives the legacy code sent in `x-amzn-query-error` (and as `Code` on the query
protocol), which is what SDKs show as the error code.
"""

from __future__ import annotations

from cloudlet.gateway.errors import ServiceError

INVALID_PARAMETER = "InvalidParameterValueException"
MISSING_PARAMETER = "MissingRequiredParameterException"

QUERY_CODES = {
    "BatchEntryIdsNotDistinct": "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    "BatchRequestTooLong": "AWS.SimpleQueueService.BatchRequestTooLong",
    "EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
    "InvalidBatchEntryId": "AWS.SimpleQueueService.InvalidBatchEntryId",
    "MessageNotInflight": "AWS.SimpleQueueService.MessageNotInflight",
    "PurgeQueueInProgress": "AWS.SimpleQueueService.PurgeQueueInProgress",
    "QueueDeletedRecently": "AWS.SimpleQueueService.QueueDeletedRecently",
    "QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
    "QueueNameExists": "QueueAlreadyExists",
    "TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    "UnsupportedOperation": "AWS.SimpleQueueService.UnsupportedOperation",
    # Common errors the model has no shape for (added by SqsService.patch_model).
    INVALID_PARAMETER: "InvalidParameterValue",
    MISSING_PARAMETER: "MissingParameter",
    "AccessDeniedException": "AccessDenied",
}
STATUS = {
    "OverLimit": 403,
    "PurgeQueueInProgress": 403,
    "ResourceNotFoundException": 404,
    "AccessDeniedException": 403,
}


def sqs_error(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, status=STATUS.get(code, 400))


def entry_code(error: ServiceError) -> str:
    """The code a batch answer gives a failed entry: the legacy code, as SDKs show it."""
    return QUERY_CODES.get(error.code, error.code)


def queue_does_not_exist() -> ServiceError:
    return sqs_error("QueueDoesNotExist", "The specified queue does not exist.")


def invalid_parameter(message: str) -> ServiceError:
    return sqs_error(INVALID_PARAMETER, message)


def invalid_value(parameter: str, value: object, reason: str) -> ServiceError:
    """SQS's usual wording for a parameter outside its allowed values."""
    return invalid_parameter(
        f"Value {value} for parameter {parameter} is invalid. Reason: {reason}"
    )


def missing_parameter(parameter: str) -> ServiceError:
    return sqs_error(MISSING_PARAMETER, f"The request must contain the parameter {parameter}.")


def unknown_attribute(name: str) -> ServiceError:
    return sqs_error("InvalidAttributeName", f"Unknown Attribute {name}.")


def invalid_attribute_value(name: str, reason: str = "") -> ServiceError:
    suffix = f" Reason: {reason}" if reason else ""
    return sqs_error("InvalidAttributeValue", f"Invalid value for the parameter {name}.{suffix}")


def receipt_handle_is_invalid(handle: str) -> ServiceError:
    return sqs_error(
        "ReceiptHandleIsInvalid",
        f'The input receipt handle "{handle}" is not a valid receipt handle.',
    )


def resource_not_found(message: str) -> ServiceError:
    return sqs_error("ResourceNotFoundException", message)
