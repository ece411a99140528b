"""IAM's errors, as the service words them; the query protocol sends each shape's legacy code
(`NoSuchEntityException` goes out as `NoSuchEntity`)."""

from __future__ import annotations

from cloudlet.gateway.errors import ServiceError


def no_such_entity(message: str) -> ServiceError:
    return ServiceError("NoSuchEntityException", message, status=404)


def no_such_role(name: str) -> ServiceError:
    return no_such_entity(f"The role with name {name} cannot be found.")


def already_exists(message: str) -> ServiceError:
    return ServiceError("EntityAlreadyExistsException", message, status=409)


def delete_conflict(message: str) -> ServiceError:
    return ServiceError("DeleteConflictException", message, status=409)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceededException", message, status=409)


def invalid_input(message: str) -> ServiceError:
    return ServiceError("InvalidInputException", message)


def malformed_policy(message: str) -> ServiceError:
    return ServiceError("MalformedPolicyDocumentException", message)


def validation_error(message: str) -> ServiceError:
    return ServiceError("ValidationError", message)
