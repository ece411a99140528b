"""Lambda's errors, with the codes, statuses and messages the real service answers.

The rest-json protocol renders each as Lambda does: `x-amzn-ErrorType`, and a body with
`Type` ("User") and the message under the member name the error shape uses.
"""

from __future__ import annotations

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.validate import Problem, coral_message

CODE_SIZE_ZIPPED = 52_428_800  # 50 MB, a zip uploaded directly
CODE_SIZE_UNZIPPED = 262_144_000  # 250 MB, function and layers unpacked
TOTAL_CODE_SIZE = 80_530_636_800  # 75 GB of packages per account and region
CODE_REQUEST_LIMIT = 69_905_067  # the request that carries a 50 MB zip, base64 encoded


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message)


def validation(member: str, kind: str, value: object, limit: object) -> ServiceError:
    """A constraint Lambda checks beyond its model (Timeout <= 900...), worded as AWS does."""
    return ServiceError(
        "ValidationException", coral_message([Problem((member,), kind, value, limit)])
    )


def function_not_found(arn: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Function not found: {arn}", status=404)


def alias_not_found(arn: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Alias not found: {arn}", status=404)


def layer_not_found() -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException", "The resource you requested does not exist.", status=404
    )


def conflict(message: str) -> ServiceError:
    return ServiceError("ResourceConflictException", message, status=409)


def update_in_progress(arn: str) -> ServiceError:
    return conflict(
        "The operation cannot be performed at this time. An update is in progress for "
        f"resource: {arn}"
    )


def not_invocable(state: str) -> ServiceError:
    return conflict(
        "The operation cannot be performed at this time. The function is currently in the "
        f"following state: {state}"
    )


def revision_mismatch() -> ServiceError:
    return ServiceError(
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/"
        "GetAlias API to retrieve the latest Revision Id",
        status=412,
    )


def request_too_large(operation: str, limit: int) -> ServiceError:
    return ServiceError(
        "RequestEntityTooLargeException",
        f"Request must be smaller than {limit} bytes for the {operation} operation",
        status=413,
    )


def only_latest() -> ServiceError:
    """An operation on $LATEST only, given a qualified function name."""
    return invalid_parameter(
        "Current operation does not support versions other than $LATEST. Please set version to "
        "$LATEST or do not set a version in your request."
    )


def throttled(reason: str) -> ServiceError:
    return ServiceError(
        "TooManyRequestsException", "Rate Exceeded.", status=429, fields={"Reason": reason}
    )
