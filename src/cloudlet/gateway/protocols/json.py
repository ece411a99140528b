"""The `json` protocol (awsJson1_0 / 1_1): `X-Amz-Target` names the operation, bodies are JSON.

Spoken by SQS, DynamoDB, Step Functions, EventBridge, Kinesis, CloudWatch Logs...
"""

from __future__ import annotations

from typing import Any

import orjson
from botocore.model import OperationModel, ServiceModel

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.http import Request, Response
from cloudlet.gateway.protocols.jsonshape import conversion_markers, json_reader, json_writer
from cloudlet.gateway.protocols.shapes import json_default


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
        return Response(error.status, headers, orjson.dumps(body, default=json_default))


class JsonOperation:
    def __init__(self, operation: OperationModel, content_type: str) -> None:
        # None when the JSON is already what the provider gets (SQS): nothing to walk; and
        # nothing to walk either when the body names no member that needs converting.
        self.read = json_reader(operation.input_shape)
        self.markers = conversion_markers(operation.input_shape) if self.read else ()
        self.write = json_writer(operation.output_shape, "unixtimestamp")
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
        if self.read is not None and (
            not self.markers or any(marker in request.body for marker in self.markers)
        ):
            try:
                params = self.read(params)
            except ValueError as error:
                raise ServiceError("SerializationException", str(error)) from None
        return params

    def serialize(self, result: dict[str, Any] | None, request_id: str) -> Response:
        if result and self.write is not None:
            result = self.write(result)
        body = orjson.dumps(result or {}, default=json_default)
        return Response(
            200, [("content-type", self.content_type), ("x-amzn-requestid", request_id)], body
        )
