"""The REST protocols: rest-json (Lambda, API Gateway, Scheduler...) and rest-xml (S3...).

Each input member says where it travels (botocore's HTTP bindings): in the path (`uri`),
the query string (`querystring`), a header (`header`), a family of headers sharing a prefix
(`headers`, S3's `x-amz-meta-`), or the body. The body is either one `payload` member (the
raw bytes of a blob or string, or a JSON/XML document for a structure) or all remaining
members as one JSON object or XML document. Output travels the same ways back, with a
`statusCode` member as the HTTP status. The two protocols differ only in their documents
and their errors; everything per operation is compiled once, at start-up.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import cached_property
from typing import Any
from urllib.parse import quote
from xml.etree.ElementTree import Element, ParseError, XMLParser

import orjson
from botocore.model import OperationModel, ServiceModel, Shape

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.http import Request, Response
from cloudlet.gateway.protocols.eventstream import EVENT_STREAM, EventStreamWriter
from cloudlet.gateway.protocols.jsonshape import json_reader, json_writer
from cloudlet.gateway.protocols.shapes import format_timestamp, json_default, parse_timestamp
from cloudlet.gateway.protocols.uri import RouteTable
from cloudlet.gateway.protocols.xmlshape import (
    escape_text,
    namespace_attribute,
    xml_reader,
    xml_writer,
)

Text = Callable[[str], Any]
Reader = tuple[Text, str]  # a text reader and the kind of value it expects
ReadBody = Callable[[bytes], Any]
WriteBody = Callable[[Any], bytes]

# What a service answers for a body it cannot parse: (code, message); `{detail}` is the
# parser's complaint. Services not named here answer with their protocol's default.
_MALFORMED_BODY = {
    "lambda": (
        "InvalidRequestContentException",
        "Could not parse request body into json: {detail}",
    ),
    "s3": (
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    ),
}
# What a service answers for a path, query or header value of the wrong type.
_BAD_PARAMETER = {
    "lambda": "InvalidParameterValueException",
    "s3": "InvalidArgument",
}


class RestProtocol:
    """What rest-json and rest-xml share: routing, HTTP bindings, compiled operations."""

    name = ""
    content_type = ""
    default_timestamp_format = ""
    malformed_code = ""
    malformed_message = ""

    def __init__(self, service: ServiceModel, query_codes: dict[str, str]) -> None:
        self.service = service
        self.routes = RouteTable([service.operation_model(n) for n in service.operation_names])
        key = service.service_name
        code, message = _MALFORMED_BODY.get(key, (self.malformed_code, self.malformed_message))
        self.malformed = (code, message)
        self.bad_parameter_code = _BAD_PARAMETER.get(key, self.malformed_code)

    @cached_property
    def errors(self) -> dict[str, Shape]:
        """The service's error shapes by name (resolved when the first error is answered)."""
        return {shape.name: shape for shape in self.service.error_shapes}

    def find_operation(self, request: Request) -> tuple[str, dict[str, str]] | None:
        return self.routes.find(request, request.raw_path)

    def compile(self, operation: OperationModel) -> RestOperation:
        return RestOperation(self, operation)

    def request_id_headers(self, request_id: str) -> list[tuple[str, str]]:
        return [("x-amzn-requestid", request_id)]

    def malformed_body(self, detail: str) -> ServiceError:
        code, message = self.malformed
        return ServiceError(code, message.format(detail=detail))

    def bad_parameter(self, name: str, value: str, kind: str) -> ServiceError:
        return ServiceError(
            self.bad_parameter_code, f"Value '{value}' for parameter {name} is not a valid {kind}"
        )

    # -- documents: one JSON object or XML element, per protocol ----------------------------

    def body_reader(self, shape: Shape, body_only: bool) -> ReadBody:
        raise NotImplementedError

    def body_writer(self, shape: Shape, root: str, body_only: bool) -> WriteBody:
        raise NotImplementedError

    def error(self, error: ServiceError, request_id: str) -> Response:
        raise NotImplementedError


class RestOperation:
    """One operation's HTTP bindings, compiled: `parse` a request, `serialize` a result."""

    def __init__(self, protocol: RestProtocol, operation: OperationModel) -> None:
        self.protocol = protocol
        self.status = int(operation.http.get("responseCode", 200))
        self._compile_input(operation)
        self._compile_output(operation, operation.output_shape)

    # -- input ------------------------------------------------------------------------------

    def _compile_input(self, operation: OperationModel) -> None:
        shape = operation.input_shape
        self.uri: list[tuple[str, str, Reader]] = []
        self.query: list[tuple[str, str, Reader, bool]] = []
        self.query_map: tuple[str, bool, frozenset[str]] | None = None
        self.headers: list[tuple[str, str, Reader, bool]] = []
        self.header_maps: list[tuple[str, str]] = []
        self.read_body: Callable[[Request], dict[str, Any]] | None = None
        if shape is None:
            return
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "uri":
                self.uri.append((name, wire, _text_reader(member, "uri")))
            elif location == "querystring" and member.type_name == "map":
                self.query_map = (name, member.value.type_name == "list", frozenset())
            elif location == "querystring":
                is_list = member.type_name == "list"
                item = member.member if is_list else member
                self.query.append((name, wire, _text_reader(item, "querystring"), is_list))
            elif location == "header":
                is_list = member.type_name == "list"
                item = member.member if is_list else member
                self.headers.append((name, wire.lower(), _text_reader(item, "header"), is_list))
            elif location == "headers":
                self.header_maps.append((name, wire.lower()))
        if self.query_map is not None:
            # A query map takes every parameter no other member (or the template) names.
            name, of_lists, _ = self.query_map
            literal = operation.http["requestUri"].partition("?")[2]
            named = {part.partition("=")[0] for part in literal.split("&") if part}
            named.update(wire for _, wire, _, _ in self.query)
            self.query_map = (name, of_lists, frozenset(named))
        self.read_body = self._body_parser(shape)

    def _body_parser(self, shape: Shape) -> Callable[[Request], dict[str, Any]] | None:
        protocol = self.protocol
        payload = shape.serialization.get("payload")
        if payload is not None:
            member = shape.members[payload]
            if member.type_name in ("blob", "string"):
                as_text = member.type_name == "string"

                def read_raw(request: Request) -> dict[str, Any]:
                    body = _unchunked(request)
                    if not body:
                        return {}
                    return {payload: body.decode("utf-8") if as_text else body}

                return read_raw
            read_payload = protocol.body_reader(member, body_only=False)

            def read_document(request: Request) -> dict[str, Any]:
                return {payload: read_payload(request.body)} if request.body.strip() else {}

            return read_document
        if not any("location" not in m.serialization for m in shape.members.values()):
            return None
        read_members = protocol.body_reader(shape, body_only=True)

        def read_members_body(request: Request) -> dict[str, Any]:
            return read_members(request.body) if request.body.strip() else {}

        return read_members_body

    def parse(self, request: Request, path_params: dict[str, str]) -> dict[str, Any]:
        params = self.read_body(request) if self.read_body is not None else {}
        for name, label, read in self.uri:
            if label in path_params:
                params[name] = self._convert(read, path_params[label], name)
        if self.query or self.query_map:
            self._parse_query(request, params)
        if self.headers or self.header_maps:
            self._parse_headers(request, params)
        return params

    def _parse_query(self, request: Request, params: dict[str, Any]) -> None:
        items = request.query_items
        for name, wire, read, is_list in self.query:
            if is_list:
                values = [self._convert(read, v, name) for k, v in items if k == wire]
                if values:
                    params[name] = values
            else:
                for key, value in items:
                    if key == wire:
                        params[name] = self._convert(read, value, name)
                        break
        if self.query_map is not None:
            name, of_lists, named = self.query_map
            found: dict[str, Any] = {}
            for key, value in items:
                if key in named:
                    continue
                if of_lists:
                    found.setdefault(key, []).append(value)
                else:
                    found.setdefault(key, value)
            if found:
                params[name] = found

    def _parse_headers(self, request: Request, params: dict[str, Any]) -> None:
        headers = request.headers
        for name, header, read, is_list in self.headers:
            value = headers.get(header)
            if value is None:
                continue
            if is_list:
                params[name] = [self._convert(read, item, name) for item in _split_list(value)]
            else:
                params[name] = self._convert(read, value, name)
        for name, prefix in self.header_maps:
            found = {k[len(prefix) :]: v for k, v in headers.items() if k.startswith(prefix)}
            if found:
                params[name] = found

    def _convert(self, reader: Reader, value: str, name: str) -> Any:
        read, kind = reader
        if read is str:
            return value
        try:
            return read(value)
        except (ValueError, TypeError, OverflowError):
            raise self.protocol.bad_parameter(name, value, kind) from None

    # -- output -----------------------------------------------------------------------------

    def _compile_output(self, operation: OperationModel, shape: Shape | None) -> None:
        protocol = self.protocol
        self.status_member: str | None = None
        self.out_headers: list[tuple[str, str, Callable[[Any], str]]] = []
        self.out_header_maps: list[tuple[str, str]] = []
        self.payload: str | None = None
        self.payload_is_raw = False
        self.write_body: WriteBody | None = None
        self.write_events: EventStreamWriter | None = None
        self.content_type = protocol.content_type
        if shape is None:
            return
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "statusCode":
                self.status_member = name
            elif location == "header":
                self.out_headers.append((name, wire.lower(), _text_writer(member)))
            elif location == "headers":
                self.out_header_maps.append((name, wire.lower()))
        payload = shape.serialization.get("payload")
        if payload is not None:
            member = shape.members[payload]
            self.payload = payload
            self.payload_is_raw = member.type_name in ("blob", "string")
            if member.serialization.get("eventstream"):
                self.content_type = EVENT_STREAM
                self.write_events = EventStreamWriter(
                    member,
                    lambda shape, root: protocol.body_writer(shape, root, body_only=False),
                    protocol.content_type,
                )
            elif not self.payload_is_raw:
                root = member.serialization.get("name", payload)
                self.write_body = protocol.body_writer(member, root, body_only=False)
        elif any("location" not in m.serialization for m in shape.members.values()):
            root = shape.serialization.get("name", f"{operation.name}Result")
            self.write_body = protocol.body_writer(shape, root, body_only=True)

    def serialize(self, result: dict[str, Any] | None, request_id: str) -> Response:
        protocol = self.protocol
        result = result or {}
        status = self.status
        headers = protocol.request_id_headers(request_id)
        if self.status_member is not None and result.get(self.status_member) is not None:
            status = int(result[self.status_member])
        has_content_type = False
        for name, header, write in self.out_headers:
            value = result.get(name)
            if value is not None:
                headers.append((header, write(value)))
                has_content_type = has_content_type or header == "content-type"
        for name, prefix in self.out_header_maps:
            for key, value in (result.get(name) or {}).items():
                headers.append((prefix + key.lower(), str(value)))
        body: Any = b""
        if self.payload is not None:
            value = result.get(self.payload)
            if self.payload_is_raw:
                body = value.encode() if isinstance(value, str) else (value or b"")
            elif self.write_events is not None and value is not None:
                body = self.write_events(value)
            elif value is not None and self.write_body is not None:
                body = self.write_body(value)
        elif self.write_body is not None:
            body = self.write_body(result)
        if not has_content_type:
            headers.append(("content-type", self.content_type))
        return Response(status, headers, body)


class RestJsonProtocol(RestProtocol):
    name = "rest-json"
    content_type = "application/json"
    default_timestamp_format = "unixtimestamp"
    malformed_code = "SerializationException"
    malformed_message = "Could not parse the request body as JSON: {detail}"

    def body_reader(self, shape: Shape, body_only: bool) -> ReadBody:
        convert = json_reader(shape, body_only)
        malformed = self.malformed_body
        expect_object = shape.type_name == "structure" and not getattr(
            shape, "is_document_type", False
        )

        def read(body: bytes) -> Any:
            try:
                value = orjson.loads(body)
            except orjson.JSONDecodeError as error:
                raise malformed_body_from(malformed, error) from None
            if expect_object and not isinstance(value, dict):
                raise malformed("the body is not a JSON object")
            if convert is None:
                return value
            try:
                return convert(value)
            except ValueError as error:
                raise malformed(str(error)) from None

        return read

    def body_writer(self, shape: Shape, root: str, body_only: bool) -> WriteBody:
        convert = json_writer(shape, self.default_timestamp_format, body_only)

        def write(value: Any) -> bytes:
            if convert is not None:
                value = convert(value)
            return orjson.dumps(value, default=json_default)

        return write

    def error(self, error: ServiceError, request_id: str) -> Response:
        shape = self.errors.get(error.code)
        headers = [
            ("content-type", self.content_type),
            ("x-amzn-requestid", request_id),
            ("x-amzn-errortype", error.code),
            *error.headers.items(),
        ]
        body: dict[str, Any] = {}
        if shape is not None and "Type" in shape.members and "Type" not in error.fields:
            # Lambda says whose fault an error is in its body.
            body["Type"] = "User" if error.sender_fault else "Service"
        body[_message_key(shape)] = error.message
        for key, value in error.fields.items():
            member = shape.members.get(key) if shape is not None else None
            if member is None:
                body[key] = value
            elif member.serialization.get("location") == "header":
                header = member.serialization["name"].lower()
                if header != "x-amzn-errortype":  # the code's header, written above
                    headers.append((header, _text_writer(member)(value)))
            else:
                convert = json_writer(member, self.default_timestamp_format)
                wire = member.serialization.get("name", key)
                body[wire] = convert(value) if convert is not None else value
        return Response(error.status, headers, orjson.dumps(body, default=json_default))


class RestXmlProtocol(RestProtocol):
    name = "rest-xml"
    content_type = "application/xml"
    default_timestamp_format = "iso8601"
    malformed_code = "MalformedXML"
    malformed_message = "The XML you provided was not well-formed: {detail}"

    def __init__(self, service: ServiceModel, query_codes: dict[str, str]) -> None:
        super().__init__(service, query_codes)
        # S3 alone answers errors with a bare <Error>, names request ids its own way, and
        # takes a bucket from the host name (virtual-hosted style).
        self.is_s3 = service.service_name == "s3"
        self.namespace = _model_namespace(service)

    def find_operation(self, request: Request) -> tuple[str, dict[str, str]] | None:
        raw_path = request.raw_path
        if self.is_s3:
            bucket = virtual_host_bucket(request.host)
            if bucket is not None:
                raw_path = "/" + quote(bucket, safe="") + raw_path
        return self.routes.find(request, raw_path)

    def request_id_headers(self, request_id: str) -> list[tuple[str, str]]:
        if self.is_s3:
            return [("x-amz-request-id", request_id), ("x-amz-id-2", _host_id(request_id))]
        return [("x-amzn-requestid", request_id)]

    def body_reader(self, shape: Shape, body_only: bool) -> ReadBody:
        read_root = xml_reader(shape, body_only)
        malformed = self.malformed_body

        def read(body: bytes) -> Any:
            root = parse_xml(body, malformed)
            try:
                return read_root(root)
            except (ValueError, TypeError, OverflowError) as error:
                raise malformed(str(error)) from None

        return read

    def body_writer(self, shape: Shape, root: str, body_only: bool) -> WriteBody:
        write_root = xml_writer(shape, self.default_timestamp_format, body_only)
        attrs = namespace_attribute(shape, self.namespace)

        def write(value: Any) -> bytes:
            out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
            write_root(out, root, attrs, value)
            return "".join(out).encode("utf-8")

        return write

    def error(self, error: ServiceError, request_id: str) -> Response:
        shape = self.errors.get(error.code)
        parts = [f"<Code>{escape_text(error.code)}</Code>"]
        parts.append(f"<Message>{escape_text(error.message)}</Message>")
        headers = [("content-type", self.content_type), *self.request_id_headers(request_id)]
        for key, value in error.fields.items():
            member = shape.members.get(key) if shape is not None else None
            if member is None:
                parts.append(f"<{key}>{escape_text(str(value))}</{key}>")
            elif member.serialization.get("location") == "header":
                headers.append((member.serialization["name"].lower(), _text_writer(member)(value)))
            else:
                out: list[str] = []
                wire = member.serialization.get("name", key)
                xml_writer(member, self.default_timestamp_format)(out, wire, "", value)
                parts.extend(out)
        headers.extend(error.headers.items())
        fields = "".join(parts)
        if self.is_s3:
            document = (
                f"<Error>{fields}<RequestId>{request_id}</RequestId>"
                f"<HostId>{_host_id(request_id)}</HostId></Error>"
            )
        else:
            fault = "Sender" if error.sender_fault else "Receiver"
            attrs = f' xmlns="{self.namespace}"' if self.namespace else ""
            document = (
                f"<ErrorResponse{attrs}><Error><Type>{fault}</Type>{fields}</Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>"
            )
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n' + document).encode("utf-8")
        return Response(error.status, headers, body)


# -- helpers --------------------------------------------------------------------------------


def malformed_body_from(
    malformed: Callable[[str], ServiceError], error: orjson.JSONDecodeError
) -> ServiceError:
    return malformed(f"{error.msg} at line {error.lineno} column {error.colno}")


def parse_xml(body: bytes, malformed: Callable[[str], ServiceError]) -> Element:
    """The root element of `body`; a document type declaration (entity tricks) is refused."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise malformed("document type declarations are not allowed")
    parser = XMLParser()
    try:
        parser.feed(body)
        return parser.close()
    except ParseError as error:
        raise malformed(str(error)) from None


def virtual_host_bucket(host: str) -> str | None:
    """The bucket a virtual-hosted S3 host name names (`b.s3.amazonaws.com`, `b.localhost`)."""
    name = host.rpartition(":")[0] if host.count(":") == 1 else host
    if not name or name[0].isdigit() or name.startswith("["):
        return None  # an IP address: path style
    for marker in (".s3.", ".s3-"):
        at = name.find(marker)
        if at > 0:
            return name[:at]
    if name.endswith(".localhost"):
        return name[: -len(".localhost")]
    return None


def _model_namespace(service: ServiceModel) -> str:
    # rest-xml models declare their namespace where requests carry a document (an input, or
    # its payload member); responses, which declare none, get the same.
    for name in service.operation_names:
        shape = service.operation_model(name).input_shape
        if shape is None:
            continue
        for candidate in (shape, *shape.members.values()):
            namespace = candidate.serialization.get("xmlNamespace")
            if isinstance(namespace, dict) and not namespace.get("prefix"):
                return str(namespace["uri"])
            if isinstance(namespace, str):
                return namespace
    return ""


def _host_id(request_id: str) -> str:
    return base64.b64encode(request_id.encode()).decode("ascii")


def _message_key(shape: Shape | None) -> str:
    if shape is not None:
        for name, member in shape.members.items():
            wire = member.serialization.get("name", name)
            if wire.lower() == "message":
                return str(wire)
    return "message"


def _split_list(value: str) -> list[str]:
    """A header list: items separated by commas, quoted (with \\" escapes) if they hold one."""
    if '"' not in value:
        return [item.strip() for item in value.split(",")]
    items: list[str] = []
    current = ""
    quoted = escaped = False
    for char in value:
        if escaped:
            current += char
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            items.append(current.strip())
            current = ""
        else:
            current += char
    items.append(current.strip())
    return items


def _unchunked(request: Request) -> bytes:
    """The body, decoded from `aws-chunked` if the client streamed it so (SigV4 streaming)."""
    body = request.body
    encoding = request.headers.get("content-encoding", "")
    sha = request.headers.get("x-amz-content-sha256", "")
    if "aws-chunked" not in encoding and not sha.startswith("STREAMING-"):
        return body
    chunks = []
    position = 0
    while True:
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            break
        size = int(body[position:line_end].split(b";", 1)[0], 16)
        if size == 0:
            break
        start = line_end + 2
        chunks.append(body[start : start + size])
        position = start + size + 2
    return b"".join(chunks)


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ValueError(text)
    return lowered == "true"


def _json_header(text: str) -> Any:
    return orjson.loads(base64.b64decode(text))


def _integer(text: str) -> int:
    return int(text)


def _number(text: str) -> float:
    return float(text)


def _base64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


# How a path, query or header value becomes provider input, and what it must look like.
_TEXT_READERS: dict[str, tuple[Text, str]] = {
    "integer": (_integer, "integer"),
    "long": (_integer, "long"),
    "short": (_integer, "integer"),
    "byte": (_integer, "integer"),
    "float": (_number, "number"),
    "double": (_number, "number"),
    "boolean": (_boolean, "boolean"),
    "timestamp": (parse_timestamp, "timestamp"),
    "blob": (_base64, "base64 value"),
}
_AS_IS: tuple[Text, str] = (str, "string")


def _text_reader(shape: Shape, location: str) -> tuple[Text, str]:
    """How a path, query or header value of `shape` is read, and the kind it must be."""
    if location == "header" and shape.serialization.get("jsonvalue"):
        return _json_header, "base64-encoded JSON value"
    return _TEXT_READERS.get(shape.type_name, _AS_IS)


def _text_writer(shape: Shape) -> Callable[[Any], str]:
    """How an output header member of `shape` is written."""
    kind = shape.type_name
    if kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat", "rfc822")
        return lambda value: str(format_timestamp(value, fmt))
    if kind == "boolean":
        return lambda value: "true" if value else "false"
    if kind == "list":
        write_item = _text_writer(shape.member)
        return lambda value: ",".join(write_item(item) for item in value)
    if shape.serialization.get("jsonvalue"):
        return lambda value: base64.b64encode(orjson.dumps(value)).decode("ascii")
    if kind == "blob":
        return lambda value: base64.b64encode(value).decode("ascii")
    return str
