"""Our protocols against botocore's own client side, for every service botocore knows.

For each operation: botocore's serializer writes the request for a sample input, which our
protocol must route to the same operation and parse back to that input; our serializer
writes a sample output, which botocore's parser must read back to that output; and every
modelled error must reach the client with its code, message and fields. The services we
serve or soon will are covered whole; of every other service speaking json, rest-json,
rest-xml or query, a fixed sample of operations and errors (the whole file must stay fast).
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import io
import os
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.loaders import JSONFileLoader, Loader
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from botocore.serialize import create_serializer
from samples import Samples, seeded
from urllib3 import HTTPHeaderDict

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.http import Request, Response
from cloudlet.gateway.protocols import WireProtocol, protocol_for

WHOLE = [
    "lambda",
    "apigateway",
    "apigatewayv2",
    "s3",
    "scheduler",
    "dynamodb",
    "sqs",
    "sns",
    "iam",
    "sts",
    "stepfunctions",
    "events",
    "kinesis",
    "logs",
    "cloudformation",
]
SAMPLED_OPERATIONS = 3
SAMPLED_ERRORS = 3
PROTOCOLS = {"json", "rest-json", "rest-xml"}
if importlib.util.find_spec("cloudlet.gateway.protocols.query") is not None:
    PROTOCOLS.add("query")
DIRECTIONS = ("requests", "responses", "errors")


class _OrjsonFiles(JSONFileLoader):
    """botocore's model files decoded by orjson: the same data, several times faster."""

    def _load_file(self, full_path: str, open_method: Any) -> Any:
        if not os.path.isfile(full_path):
            return None
        with open_method(full_path, "rb") as file:
            return orjson.loads(file.read())


_loader = Loader(file_loader=_OrjsonFiles())


def raw_model(name: str) -> dict[str, Any]:
    """A service's model, read afresh (botocore's loader would keep every model in memory)."""
    version = _loader.determine_latest_version(name, "service-2")
    for root in _loader.search_paths:
        found = _loader.file_loader.load_file(os.path.join(root, name, version, "service-2"))
        if found is not None:
            return found  # type: ignore[no-any-return]
    raise LookupError(name)


SERVICES = [
    name
    for name in _loader.list_available_services("service-2")
    if raw_model(name)["metadata"].get("protocol") in PROTOCOLS
]


class Subject:
    """One service: its model, our protocol for it, and the operations under test."""

    def __init__(self, name: str) -> None:
        raw = raw_model(name)
        self.name = name
        self.model = ServiceModel(raw, name)
        query_codes = {
            shape_name: shape["error"]["code"]
            for shape_name, shape in raw["shapes"].items()
            if shape.get("exception") and "code" in shape.get("error", {})
        }
        self.protocol: WireProtocol = protocol_for(self.model, query_codes)
        self.wire = self.model.protocol
        names = list(self.model.operation_names)
        if name not in WHOLE:
            names = sorted(seeded(name).sample(names, min(SAMPLED_OPERATIONS, len(names))))
        self.operations = [self.model.operation_model(n) for n in names]
        errors = list(self.model.error_shapes)
        if name not in WHOLE:
            errors = seeded(name, "errors").sample(errors, min(SAMPLED_ERRORS, len(errors)))
        self.errors = errors


# Tests run service by service (see the parameters below): one service in memory at a time.
@functools.lru_cache(maxsize=1)
def subject(name: str) -> Subject:
    return Subject(name)


@pytest.mark.parametrize(("service", "direction"), [(s, d) for s in SERVICES for d in DIRECTIONS])
def test_botocore_round_trip(service: str, direction: str) -> None:
    """requests: botocore writes, we read; responses and errors: we write, botocore reads."""
    target = subject(service)
    if direction == "errors":
        each(target.errors, lambda shape: check_error(target, shape))
    else:
        check = check_request if direction == "requests" else check_response
        each(target.operations, lambda operation: check(target, operation))


def each(things: list[Any], check: Any) -> None:
    """Run `check` on each operation or error shape; report all failures at once."""
    failures = []
    for thing in things:
        try:
            check(thing)
        except AssertionError as failure:
            failures.append(f"{thing.name}: {failure}")
    assert not failures, "\n".join(failures[:10])


# -- requests: botocore writes, we read -----------------------------------------------------


def check_request(subject: Subject, operation: OperationModel) -> None:
    shape = operation.input_shape
    if shape is not None and _has_event_stream(shape):
        return  # event streams in requests are not part of these protocols' bodies
    if shape is not None and _has_twin_elements(shape, set()):
        # Two members share one XML element name (S3's deprecated PutBucketNotification:
        # `Event` and the flattened `Events`): the wire cannot tell them apart.
        return
    params = Samples(seeded(subject.name, operation.name, "in")).message(shape) if shape else {}
    request = botocore_request(subject, operation, params)
    found = subject.protocol.find_operation(request)
    assert found is not None, f"no route for {request.method} {request.raw_path}"
    assert found[0] == operation.name or _same_binding(subject, found[0], operation), (
        f"routed to {found[0]}"
    )
    parsed = subject.protocol.compile(operation).parse(request, found[1])
    expected = normalized_input(subject, shape, params) if shape else {}
    assert _comparable(subject, parsed) == _comparable(subject, expected)


def botocore_request(subject: Subject, operation: OperationModel, params: dict) -> Request:
    """The request botocore's client sends for `params`, as our gateway receives it."""
    serializer = create_serializer(subject.wire, include_validation=False)
    request_dict = serializer.serialize_to_request(params, operation)
    prepare_request_dict(request_dict, "http://localhost:4566")
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    return Request(
        prepared.method,
        url.path or "/",
        url.query,
        {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in prepared.headers.items()},
        body.encode() if isinstance(body, str) else bytes(body),
    )


def normalized_input(subject: Subject, shape: Shape, params: dict[str, Any]) -> dict[str, Any]:
    expected = dict(params)
    for name, member in shape.members.items():
        if member.serialization.get("location") == "headers" and name in expected:
            # HTTP header names are case-insensitive; we read them lower-cased, as S3 keeps
            # user metadata.
            expected[name] = {k.lower(): v for k, v in expected[name].items()}
    return expected


def _same_binding(subject: Subject, found: str, operation: OperationModel) -> bool:
    # Some operations share one HTTP binding exactly (S3's deprecated GetBucketLifecycle and
    # GetBucketLifecycleConfiguration; ListBuckets and ListDirectoryBuckets, which real S3
    # tells apart by host name): any of them is a right answer.
    other = subject.model.operation_model(found)
    return bool(other.http == operation.http)


# -- responses: we write, botocore reads ----------------------------------------------------


def check_response(subject: Subject, operation: OperationModel) -> None:
    shape = operation.output_shape
    stream = _event_stream_member(shape)
    if stream is not None and subject.wire == "json":
        return  # event streams of the json protocol (Kinesis SubscribeToShard): not yet
    if shape is not None and _has_twin_elements(shape, set()):
        return  # see check_request
    samples = Samples(seeded(subject.name, operation.name, "out"))
    result = samples.message(shape) if shape else {}
    if shape is not None and stream is not None:
        # One event of each type, as the provider would yield them (modelled exceptions
        # end a stream: the client raises them, see the rest tests).
        events = shape.members[stream].members
        result[stream] = [
            {name: samples.value(event, 2) or {}}
            for name, event in events.items()
            if not event.metadata.get("exception")
        ]
    response = subject.protocol.compile(operation).serialize(result, "req-1")
    if stream is not None:
        response.body = b"".join(asyncio.run(_collect(response.body)))
    parsed = botocore_parse(subject, response, shape, operation.name)
    parsed.pop("ResponseMetadata", None)
    if stream is not None:
        parsed[stream] = list(parsed[stream])
    expected = normalized_input(subject, shape, result) if shape else {}
    assert _comparable(subject, parsed) == _comparable(subject, expected)


async def _collect(frames: Any) -> list[bytes]:
    return [frame async for frame in frames]


class _Chunks:
    """What botocore's EventStream reads from: a body that yields its chunks."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self) -> list[bytes]:
        return [self.data]

    def close(self) -> None:
        pass


def botocore_parse(
    subject: Subject, response: Response, shape: Shape | None, operation: str = ""
) -> dict[str, Any]:
    assert isinstance(response.body, bytes)
    headers = HTTPHeaderDict()
    for name, value in response.headers:
        headers.add(name, value)
    body: Any = response.body
    # botocore's client hands a blob payload to the parser as a stream, which the caller
    # reads (Lambda's Invoke Payload, S3's GetObject Body); errors come whole.
    streamed = _blob_payload(shape) if response.status < 300 else None
    if streamed is not None:
        body = StreamingBody(io.BytesIO(body), len(body))
    elif _event_stream_member(shape) is not None and response.status < 300:
        body = _Chunks(body)
    wire = {
        "status_code": response.status,
        "headers": headers,
        "body": body,
        "context": {"operation_name": operation},
    }
    parsed: dict[str, Any] = create_parser(subject.wire).parse(wire, shape)
    if streamed is not None and streamed in parsed:
        parsed[streamed] = parsed[streamed].read()
    return parsed


def _blob_payload(shape: Shape | None) -> str | None:
    payload = shape.serialization.get("payload") if shape is not None else None
    if payload is not None and shape is not None and shape.members[payload].type_name == "blob":
        return str(payload)
    return None


# -- errors: we write, botocore reads the code, message and fields ---------------------------


def check_error(subject: Subject, shape: Shape) -> None:
    samples = Samples(seeded(subject.name, shape.name, "error"))
    fields = {
        name: value
        for name, value in samples.message(shape).items()
        if name.lower() != "message" and not _is_error_type(shape.members[name])
    }
    status = shape.metadata.get("error", {}).get("httpStatusCode", 400)
    error = ServiceError(shape.name, "It went wrong: <&>", status=status, fields=fields)
    response = subject.protocol.error(error, "req-1")
    # What botocore's client does: the generic parse gives the code, which names the
    # modelled shape, whose parse gives the fields.
    operation = subject.operations[0] if subject.operations else None
    parsed = botocore_parse(subject, response, operation.output_shape if operation else None)
    code = parsed["Error"].get("QueryErrorCode") or parsed["Error"]["Code"]
    assert subject.model.shape_for_error_code(code) is shape, f"code {code!r}"
    assert parsed["Error"]["Message"] == "It went wrong: <&>"
    modelled = botocore_parse(subject, response, shape)
    modelled.pop("ResponseMetadata", None)
    for name in list(modelled):
        if name.lower() == "message":
            modelled.pop(name)
        elif _is_error_type(shape.members[name]):
            # A member bound to the code's header reads back as the code.
            assert modelled.pop(name) == shape.name
    assert _comparable(subject, modelled) == _comparable(subject, fields)


def _is_error_type(member: Shape) -> bool:
    return str(member.serialization.get("name", "")).lower() == "x-amzn-errortype"


# -- comparing ------------------------------------------------------------------------------


def _comparable(subject: Subject, value: Any) -> Any:
    if subject.wire == "query":
        return _pruned(value)
    return value


def _pruned(value: Any) -> Any:
    # The query protocol cannot say "empty": botocore's serializer leaves empty lists, maps
    # and structures out of the form entirely, so they are compared as absent.
    if isinstance(value, dict):
        out = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in ({}, [], None)}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _has_event_stream(shape: Shape) -> bool:
    return _event_stream_member(shape) is not None


def _event_stream_member(shape: Shape | None) -> str | None:
    if shape is None:
        return None
    for name, member in shape.members.items():
        if member.serialization.get("eventstream"):
            return name
    return None


def _has_twin_elements(shape: Shape, seen: set[str]) -> bool:
    if shape.name in seen:
        return False
    seen.add(shape.name)
    if shape.type_name == "structure":
        names = [_element(name, member) for name, member in shape.members.items()]
        if len(names) != len(set(names)):
            return True
        return any(_has_twin_elements(m, seen) for m in shape.members.values())
    if shape.type_name == "list":
        return _has_twin_elements(shape.member, seen)
    if shape.type_name == "map":
        return _has_twin_elements(shape.value, seen)
    return False


def _element(name: str, member: Shape) -> str:
    if member.type_name == "list" and member.serialization.get("flattened"):
        return str(
            member.member.serialization.get("name") or member.serialization.get("name", name)
        )
    return str(member.serialization.get("name", name))
