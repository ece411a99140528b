"""OpenAPI definitions as API Gateway reads them: JSON or YAML, both versions, local
references, base path modes, security requirements."""

from __future__ import annotations

import pytest

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.apigateway.openapi import read

SWAGGER = """
swagger: "2.0"
info: {title: pets, version: "1"}
basePath: /stage/v1
security: [{key: []}]
securityDefinitions:
  key: {type: apiKey, name: x-api-key, in: header}
paths:
  /pets/{id}:
    parameters: [{$ref: "#/parameters/id"}]
    get:
      responses: {200: {description: ok}}
    x-amazon-apigateway-any-method:
      security: []
  /other: {summary: only a summary}
parameters:
  id: {name: id, in: path, required: true}
"""


def test_yaml_swagger_operations_parameters_and_security():
    definition = read(SWAGGER.encode())
    assert (definition.swagger, definition.title) == (True, "pets")
    operations = list(definition.operations(None))
    assert [(o.path, o.method) for o in operations] == [
        ("/pets/{id}", "GET"),
        ("/pets/{id}", "ANY"),
    ]
    assert operations[0].parameters == [{"name": "id", "in": "path", "required": True}]
    assert definition.security(operations[0]) == [("key", [])]
    assert definition.security(operations[1]) == []  # the operation's own empty list wins


@pytest.mark.parametrize(
    ("mode", "path"),
    [
        (None, "/pets/{id}"),
        ("ignore", "/pets/{id}"),
        ("prepend", "/stage/v1/pets/{id}"),
        ("split", "/v1/pets/{id}"),
    ],
)
def test_basepath_modes(mode, path):
    assert next(read(SWAGGER).operations(mode)).path == path


def test_openapi3_base_path_is_the_first_servers_base_path_variable():
    definition = read(
        '{"openapi": "3.0.1", "servers": [{"url": "https://x.example/", '
        '"variables": {"basePath": {"default": "/v2"}}}], "paths": {"/a": {"get": {}}}}'
    )
    assert next(definition.operations("prepend")).path == "/v2/a"


def test_openapi3_base_path_comes_from_the_first_server():
    definition = read(
        '{"openapi": "3.0.1", "servers": [{"url": "https://{host}/api/{version}", '
        '"variables": {"host": {"default": "x.example"}, "version": {"default": "v1"}}}], '
        '"paths": {"/a": {"get": {}}}}'
    )
    assert next(definition.operations("prepend")).path == "/api/v1/a"


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe",
        "",
        "[]",
        "{}",
        '{"openapi": "2.5", "paths": {}}',
        '{"swagger": "2.0", "paths": []}',
        "a: [b",
    ],
)
def test_what_is_not_a_definition(body):
    with pytest.raises(ServiceError) as caught:
        read(body)
    assert (caught.value.code, caught.value.message) == (
        "BadRequestException",
        "Invalid OpenAPI input.",
    )


def test_a_reference_outside_the_document_is_refused():
    definition = read('{"openapi": "3.0.1", "paths": {"/a": {"$ref": "other.yaml#/a"}}}')
    with pytest.raises(ServiceError):
        list(definition.operations(None))
