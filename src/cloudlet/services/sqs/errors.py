"""SQS's errors, and the codes its legacy query protocol gives them."""

from __future__ import annotations

from cloudlet.gateway.errors import ServiceError

# The query protocol's code for each error shape (sent in `x-amzn-query-error` on the json
# protocol, where SDKs read it to pick the exception class). Shapes not listed use their name.
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
}
STATUS = {"OverLimit": 403, "PurgeQueueInProgress": 403, "ResourceNotFoundException": 404}


def sqs_error(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, status=STATUS.get(code, 400))


def queue_does_not_exist() -> ServiceError:
    return sqs_error("QueueDoesNotExist", "The specified queue does not exist.")


def invalid_parameter(message: str) -> ServiceError:
    return sqs_error("InvalidParameterValue", message)


def invalid_attribute_value(name: str) -> ServiceError:
    return sqs_error("InvalidAttributeValue", f"Invalid value for the parameter {name}.")
