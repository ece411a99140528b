"""The query protocol against botocore's own client side: its QuerySerializer writes requests
that we parse, and its QueryParser reads the XML we write, for every operation of IAM, STS,
SNS and CloudFormation with generated values."""

from __future__ import annotations

import datetime
import random
import string
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.loaders import Loader
from botocore.model import ServiceModel, Shape
from botocore.parsers import QueryParser
from botocore.serialize import QuerySerializer

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.http import Request
from cloudlet.gateway.protocols.query import QueryProtocol

SERVICES = ("iam", "sts", "sns", "cloudformation")
# Markup, escapes, a carriage return (XML keeps it only as a reference), non-ASCII text.
ALPHABET = string.ascii_letters + string.digits + " &<>\"'=+%./\r\n\té中"

_loader = Loader()


def service_model(name: str) -> ServiceModel:
    return ServiceModel(_loader.load_service_model(name, "service-2"), name)


def value_for(shape: Shape, rng: random.Random, depth: int = 0) -> Any:
    """A random value of `shape` that survives the wire: no empty maps or structures, which
    the query serializer leaves out entirely; None when the shape is too deep to fill."""
    kind = shape.type_name
    if kind == "structure":
        if depth > 5:
            return None
        names = list(shape.members)
        rng.shuffle(names)
        wanted = 1 if shape.is_tagged_union else max(1, rng.randint(0, len(names)))
        out = {}
        for name in names:
            value = value_for(shape.members[name], rng, depth + 1)
            if value is not None:
                out[name] = value
            if len(out) == wanted:
                break
        return out or None
    if kind == "list":
        if depth > 5:
            return None
        low = 1 if shape.serialization.get("flattened") else 0
        items = [value_for(shape.member, rng, depth + 1) for _ in range(rng.randint(low, 3))]
        return [item for item in items if item is not None]
    if kind == "map":
        if depth > 5:
            return None
        out = {}
        for _ in range(rng.randint(1, 3)):
            value = value_for(shape.value, rng, depth + 1)
            if value is not None:
                out[value_for(shape.key, rng, depth + 1)] = value
        return out or None
    if kind == "string":
        if shape.enum:
            return rng.choice(shape.enum)
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))
    if kind in ("integer", "long"):
        return rng.randint(-1000, 10**9)
    if kind in ("float", "double"):
        return rng.choice([0.5, -3.0, 1.25, 1e20])
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "timestamp":
        return datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
            seconds=rng.randint(0, 10**8)
        )
    if kind == "blob":
        return rng.randbytes(rng.randint(1, 20))
    raise AssertionError(f"no generator for {kind}")


def form_request(body: dict[str, Any], path: str = "/") -> Request:
    return Request(
        "POST",
        path,
        "",
        {"content-type": "application/x-www-form-urlencoded; charset=utf-8", "host": "h:1"},
        urlencode(body).encode(),
    )


def operations(names: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(name, op) for name in names for op in service_model(name).operation_names]


@pytest.mark.parametrize(("service", "operation"), operations(SERVICES))
def test_botocore_requests_parse_back_to_their_input(service: str, operation: str) -> None:
    model = service_model(service)
    op = model.operation_model(operation)
    if op.input_shape is None:
        return
    compiled = QueryProtocol(model, {}).compile(op)
    rng = random.Random(f"in.{service}.{operation}")
    for _ in range(3):
        params = value_for(op.input_shape, rng) or {}
        body = QuerySerializer().serialize_to_request(params, op)["body"]
        assert compiled.parse(form_request(body), {}) == params


@pytest.mark.parametrize(("service", "operation"), operations(SERVICES))
def test_our_answers_parse_in_botocore_to_their_output(service: str, operation: str) -> None:
    model = service_model(service)
    op = model.operation_model(operation)
    compiled = QueryProtocol(model, {}).compile(op)
    rng = random.Random(f"out.{service}.{operation}")
    for _ in range(3):
        result = value_for(op.output_shape, rng) if op.output_shape is not None else None
        response = compiled.serialize(result, "req-1")
        parsed = QueryParser().parse(
            {"body": response.body, "headers": dict(response.headers), "status_code": 200},
            op.output_shape,
        )
        assert parsed.pop("ResponseMetadata")["RequestId"] == "req-1"
        assert parsed == (result or {})


def test_errors_carry_the_legacy_code_fault_and_request_id() -> None:
    model = service_model("iam")
    protocol = QueryProtocol(model, {"NoSuchEntityException": "NoSuchEntity"})
    response = protocol.error(
        ServiceError(
            "NoSuchEntityException", "The role with name <a&b> cannot be found.", status=404
        ),
        "req-2",
    )
    parsed = QueryParser().parse(
        {"body": response.body, "headers": {}, "status_code": response.status}, None
    )
    assert response.status == 404
    assert parsed["Error"] == {
        "Type": "Sender",
        "Code": "NoSuchEntity",
        "Message": "The role with name <a&b> cannot be found.",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "req-2"
    assert response.body.startswith(
        b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>'
    )


def test_server_faults_are_typed_receiver() -> None:
    protocol = QueryProtocol(service_model("sts"), {})
    response = protocol.error(
        ServiceError("InternalFailure", "x", status=500, sender_fault=False), "r"
    )
    assert b"<Type>Receiver</Type>" in response.body


def test_action_is_found_in_a_form_body_or_a_query_string() -> None:
    protocol = QueryProtocol(service_model("sts"), {})
    assert protocol.find_operation(
        form_request({"Version": "1", "Action": "GetCallerIdentity"})
    ) == (
        "GetCallerIdentity",
        {},
    )
    get = Request("GET", "/", "Action=AssumeRole&Version=2011-06-15", {}, b"")
    assert protocol.find_operation(get) == ("AssumeRole", {})
    assert protocol.find_operation(form_request({"Version": "1"})) is None
    json_body = Request("POST", "/", "", {"content-type": "application/json"}, b"Action=X")
    assert protocol.find_operation(json_body) is None


def test_a_body_that_is_not_utf8_is_a_client_error() -> None:
    model = service_model("sts")
    compiled = QueryProtocol(model, {}).compile(model.operation_model("AssumeRole"))
    for body in (b"Action=AssumeRole&RoleArn=\xff\xfe", b"Action=AssumeRole&RoleArn=%ff%fe"):
        request = Request(
            "POST", "/", "", {"content-type": "application/x-www-form-urlencoded"}, body
        )
        with pytest.raises(ServiceError) as caught:
            compiled.parse(request, {})
        assert caught.value.code == "MalformedQueryString"
        assert caught.value.status < 500


def test_values_that_do_not_convert_stay_text_for_the_validator() -> None:
    model = service_model("iam")
    compiled = QueryProtocol(model, {}).compile(model.operation_model("ListRoles"))
    params = compiled.parse(form_request({"Action": "ListRoles", "MaxItems": "ten"}), {})
    assert params == {"MaxItems": "ten"}


def test_unknown_parameters_are_ignored() -> None:
    model = service_model("iam")
    compiled = QueryProtocol(model, {}).compile(model.operation_model("GetRole"))
    body = {"Action": "GetRole", "RoleName": "r", "Bogus.member.1": "x", "RoleName.x": "y"}
    assert compiled.parse(form_request(body), {}) == {"RoleName": "r"}


def test_a_bare_name_is_a_one_item_flattened_list() -> None:
    # Old SQS examples write `AttributeName=All` rather than `AttributeName.1=All`.
    raw = _loader.load_service_model("sqs", "service-2")
    raw["shapes"]["AttributeNameList"]["flattened"] = True
    raw["shapes"]["AttributeNameList"]["member"]["locationName"] = "AttributeName"
    model = ServiceModel(raw, "sqs")
    compiled = QueryProtocol(model, {}).compile(model.operation_model("ReceiveMessage"))
    params = compiled.parse(form_request({"QueueUrl": "u", "AttributeName": "All"}), {})
    assert params == {"QueueUrl": "u", "AttributeNames": ["All"]}
