"""Errors as values with AWS codes, raised where the rule lives and rendered once by the gateway."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """An error the client should see, shaped as the real service returns it.

    `code` is the error's name as the service's model spells it (an exception shape such as
    `QueueDoesNotExist`, or a common error such as `ValidationException`); the protocol turns
    it into the wire form the client's SDK reads. Without a `status`, a modelled error gets
    the HTTP status its model gives it (404 for Lambda's ResourceNotFoundException...), any
    other 400. `fields` are further members of the error
    shape (DynamoDB's `CancellationReasons`, Lambda's `Reason`...). `headers` are sent as is.
    """

    def __init__(
        self,
        code: str,
        message: str = "",
        *,
        status: int | None = None,
        sender_fault: bool = True,
        fields: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = 400 if status is None else status
        self.status_given = status is not None
        self.sender_fault = sender_fault
        self.fields = fields or {}
        self.headers = headers or {}

    def __repr__(self) -> str:
        return f"ServiceError({self.code!r}, {self.message!r}, status={self.status})"


def internal_failure() -> ServiceError:
    """What a client sees when cloudlet itself fails: no details, a 500, as AWS does."""
    return ServiceError(
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
        status=500,
        sender_fault=False,
    )


def not_implemented(service: str, operation: str) -> ServiceError:
    return ServiceError(
        "NotImplemented",
        f"cloudlet does not implement {service} {operation} yet",
        status=501,
        sender_fault=False,
    )
