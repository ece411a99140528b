"""CloudWatch Logs' errors, worded as the service words them (all HTTP 400)."""

from __future__ import annotations

from cloudlet.gateway.errors import ServiceError

INVALID_PARAMETER = "InvalidParameterException"


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError(INVALID_PARAMETER, message)


def group_not_found() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "The specified log group does not exist.")


def stream_not_found() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "The specified log stream does not exist.")


def group_exists() -> ServiceError:
    return ServiceError("ResourceAlreadyExistsException", "The specified log group already exists")


def stream_exists() -> ServiceError:
    return ServiceError("ResourceAlreadyExistsException", "The specified log stream already exists")


def invalid_token() -> ServiceError:
    return invalid_parameter("The specified nextToken is invalid.")


def invalid_resource_arn() -> ServiceError:
    return ServiceError("ValidationException", "Invalid resourceArn")
