"""The `query` protocol (awsQuery): form-encoded parameters in, XML out.

Spoken by IAM, STS, SNS and CloudFormation, and by SQS for its older SDKs. `Action=` names
the operation, in a POST's form body or in the query string; the other parameters are the
input flattened into dotted names (see `query_input`). Answers are
`<OpResponse xmlns=...><OpResult>...</OpResult><ResponseMetadata>...` and errors
`<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`, with the
service's legacy error codes.

A model may name, in its metadata's `queryPathMember`, an input member that the request path
fills when the form lacks it: older SQS SDKs post to the queue's URL instead of naming it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from botocore.model import OperationModel, ServiceModel

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.http import Request, Response
from cloudlet.gateway.protocols.query_input import compile_reader, form_tree
from cloudlet.gateway.protocols.query_output import compile_writer, escape

CONTENT_TYPE = "text/xml"
_FORM = "application/x-www-form-urlencoded"


class QueryProtocol:
    name = "query"

    def __init__(self, service: ServiceModel, query_codes: dict[str, str]) -> None:
        namespace = service.metadata.get("xmlNamespace")
        self.xmlns = f' xmlns="{escape(namespace)}"' if namespace else ""
        self.query_codes = query_codes
        # SQS, which moved from query to json, still ends its query errors with <Detail/>.
        self.detail = "<Detail/>" if "awsQueryCompatible" in service.metadata else ""
        self.path_member: str | None = service.metadata.get("queryPathMember")

    def find_operation(self, request: Request) -> tuple[str, dict[str, str]] | None:
        action = _action(request)
        return None if action is None else (action, {})

    def compile(self, operation: OperationModel) -> QueryOperation:
        return QueryOperation(operation, self.xmlns, self.path_member)

    def error(self, error: ServiceError, request_id: str) -> Response:
        code = self.query_codes.get(error.code, error.code)
        fault = "Sender" if error.sender_fault else "Receiver"
        fields = "".join(
            f"<{name}>{escape(str(value))}</{name}>"
            for name, value in error.fields.items()
            if value is not None
        )
        body = (
            f"<ErrorResponse{self.xmlns}><Error><Type>{fault}</Type><Code>{escape(code)}</Code>"
            f"<Message>{escape(error.message)}</Message>{fields}{self.detail}</Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        headers = [
            ("content-type", CONTENT_TYPE),
            ("x-amzn-requestid", request_id),
            *error.headers.items(),
        ]
        return Response(error.status, headers, body.encode())


class QueryOperation:
    def __init__(self, operation: OperationModel, xmlns: str, path_member: str | None) -> None:
        input_shape = operation.input_shape
        self.read = compile_reader(input_shape) if input_shape is not None else None
        self.path_member = (
            path_member if input_shape is not None and path_member in input_shape.members else None
        )
        output = operation.output_shape
        self.write = compile_writer(output) if output is not None else None
        wrapper = output.serialization.get("resultWrapper") if output is not None else None
        name = operation.name
        self.head = f"<{name}Response{xmlns}>" + (f"<{wrapper}>" if wrapper else "")
        self.middle = (f"</{wrapper}>" if wrapper else "") + "<ResponseMetadata><RequestId>"
        self.tail = f"</RequestId></ResponseMetadata></{name}Response>"

    def parse(self, request: Request, path_params: dict[str, str]) -> dict[str, Any]:
        if self.read is None:
            return {}
        params: dict[str, Any] = self.read(form_tree(_form_items(request)))
        if self.path_member and self.path_member not in params and request.path.strip("/"):
            params[self.path_member] = f"http://{request.host}{request.path}"
        return params

    def serialize(self, result: dict[str, Any] | None, request_id: str) -> Response:
        out = [self.head]
        if result and self.write is not None:
            self.write(result, out)
        out += (self.middle, request_id, self.tail)
        return Response(
            200,
            [("content-type", CONTENT_TYPE), ("x-amzn-requestid", request_id)],
            "".join(out).encode(),
        )


def is_form(request: Request) -> bool:
    """Whether the body is a form (the query protocol's), as a request without a
    content type is taken to be."""
    content_type = request.headers.get("content-type")
    return content_type is None or content_type.lower().startswith(_FORM)


def _action(request: Request) -> str | None:
    """The `Action` parameter, found without decoding the whole form."""
    if request.method == "POST" and request.body and is_form(request):
        for pair in request.body.split(b"&"):
            if pair.startswith(b"Action="):
                return unquote_plus(pair[7:].decode("utf-8", "replace"))
    if "Action=" in request.query_string:
        for name, value in request.query_items:
            if name == "Action":
                return value
    return None


def _form_items(request: Request) -> list[tuple[str, str]]:
    """Every parameter of the query string and the form body, strictly decoded as UTF-8."""
    try:
        items = _decode(request.query_string) if request.query_string else []
        if request.method == "POST" and request.body and is_form(request):
            items += _decode(request.body.decode("utf-8"))
    except UnicodeDecodeError:
        raise ServiceError(
            "MalformedQueryString",
            "The request's parameters are not valid UTF-8 in application/x-www-form-urlencoded"
            " form.",
            status=404,
        ) from None
    return items


def _decode(text: str) -> list[tuple[str, str]]:
    return parse_qsl(text, keep_blank_values=True, errors="strict")
