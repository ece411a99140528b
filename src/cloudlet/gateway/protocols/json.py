"""The `json` protocol (awsJson1_0 / 1_1): `X-Amz-Target` names the operation, bodies are JSON.

Spoken by SQS, DynamoDB, Step Functions, EventBridge, Kinesis, CloudWatch Logs...
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
from botocore.model import OperationModel, ServiceModel

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.http import Request, Response
from cloudlet.gateway.protocols.shapes import from_json, needs_conversion, to_json


class JsonProtocol:
    name = "json"

    def __init__(self, service: ServiceModel, query_codes: dict[str, str]) -> None:
        self.content_type = f"application/x-amz-json-{service.metadata.get('jsonVersion', '1.0')}"
        # Services that moved from the query protocol (SQS) also send the old error code in
        # a header, which SDKs use to pick the exception class.
        self.query_compatible = "awsQueryCompatible" in service.metadata
        self.query_codes = query_codes

    def find_operation(self, request: Request) -> tuple[str, dict[str, str]] | None:
        target = request.headers.get("x-amz-target")
        if target is None:
            return None
        return target.rpartition(".")[2], {}

    def compile(self, operation: OperationModel) -> JsonOperation:
        return JsonOperation(operation, self.content_type)

    def error(self, error: ServiceError, request_id: str) -> Response:
        headers = [
            ("content-type", self.content_type),
            ("x-amzn-requestid", request_id),
            *error.headers.items(),
        ]
        if self.query_compatible:
            fault = "Sender" if error.sender_fault else "Receiver"
            code = self.query_codes.get(error.code, error.code)
            headers.append(("x-amzn-query-error", f"{code};{fault}"))
        body = {"__type": error.code, "message": error.message, **error.fields}
        return Response(error.status, headers, orjson.dumps(body, default=_encode_other))


class JsonOperation:
    def __init__(self, operation: OperationModel, content_type: str) -> None:
        self.input_shape = operation.input_shape
        self.output_shape = operation.output_shape
        self.convert_input = needs_conversion(self.input_shape)
        self.convert_output = needs_conversion(self.output_shape)
        self.content_type = content_type

    def parse(self, request: Request, path_params: dict[str, str]) -> dict[str, Any]:
        if not request.body:
            return {}
        try:
            params = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            raise ServiceError(
                "SerializationException", "Start of structure or map found where not expected."
            ) from None
        if not isinstance(params, dict):
            raise ServiceError(
                "SerializationException", "Start of structure or map found where not expected."
            )
        if self.convert_input and self.input_shape is not None:
            params = from_json(self.input_shape, params)
        return params

    def serialize(self, result: dict[str, Any] | None, request_id: str) -> Response:
        if result and self.convert_output and self.output_shape is not None:
            result = to_json(self.output_shape, result)
        body = orjson.dumps(result or {}, default=_encode_other)
        return Response(
            200, [("content-type", self.content_type), ("x-amzn-requestid", request_id)], body
        )


def _encode_other(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")
