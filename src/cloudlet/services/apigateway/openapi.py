"""OpenAPI definitions as API Gateway imports them (both APIs): the body read as JSON or
YAML, Swagger 2.0 or OpenAPI 3.x, local `$ref`s followed, the base path applied as the
`basepath` mode says, and the operations, security schemes and `x-amazon-apigateway-*`
extensions the importers turn into an API; the problems an import lists as AWS does."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import orjson
import yaml

from cloudlet.gateway.errors import ServiceError

ANY_METHOD = "x-amazon-apigateway-any-method"
INTEGRATION = "x-amazon-apigateway-integration"
AUTHORIZER = "x-amazon-apigateway-authorizer"
AUTH_TYPE = "x-amazon-apigateway-authtype"
_VERBS = ("get", "put", "post", "delete", "options", "head", "patch")
_BASEPATH_MODES = ("ignore", "prepend", "split")


def invalid_input() -> ServiceError:
    """What both APIs answer for a body that is not an OpenAPI definition."""
    return ServiceError("BadRequestException", "Invalid OpenAPI input.")


def malformed_integration(path: str) -> ServiceError:
    """An x-amazon-apigateway-integration that is not an object with a type."""
    return ServiceError(
        "BadRequestException",
        f"Unable to parse API definition because of a malformed integration at path {path}.",
    )


class ImportProblems:
    """What an import found wrong, as AWS lists it: any error refuses the import, and so do
    warnings when the request says FailOnWarnings."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def attempt(self, context: str, action: Callable[..., Any], *args: Any) -> Any:
        """`action(*args)`, or None with its refusal noted as an error of `context`."""
        try:
            return action(*args)
        except ServiceError as error:
            self.errors.append(f"{context}: {error.message}")
            return None

    def verdict(self, fail_on_warnings: bool) -> list[str]:
        """The warnings to answer with; BadRequestException listing the errors (or the
        warnings) when the import may not go on."""
        for heading, problems in (("Errors", self.errors), ("Warnings", self.warnings)):
            if problems and (heading == "Errors" or fail_on_warnings):
                raise ServiceError(
                    "BadRequestException",
                    f"{heading} found during import:\n\t" + "\n\t".join(problems),
                )
        return self.warnings


class DefinitionImport(ImportProblems, ABC):
    """One definition applied to an API's document, as both APIs' importers go about it: an
    authorizer for each security scheme that defines one, then each operation."""

    def __init__(self, document: dict[str, Any], definition: Definition) -> None:
        super().__init__()
        self.document = document
        self.definition = definition
        self.authorizers: dict[str, dict[str, Any]] = {}  # scheme name -> the authorizer made

    def build(self, basepath: str | None) -> None:
        for name, scheme in self.definition.authorizer_schemes():
            self.attempt(f"Unable to create authorizer '{name}'", self._authorizer, name, scheme)
        for operation in self.definition.operations(basepath):
            self._operation(operation)

    def security(
        self, operation: Operation
    ) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None, list[str]]]:
        """The operation's security requirement: each scheme it names, the authorizer made
        for that scheme (None if it defines none), and the scopes it asks for."""
        for name, scopes in self.definition.security(operation):
            yield self.definition.schemes[name], self.authorizers.get(name), scopes

    @abstractmethod
    def _authorizer(self, name: str, scheme: dict[str, Any]) -> None:
        """Make the authorizer `scheme` defines, kept in `authorizers` under `name`."""

    @abstractmethod
    def _operation(self, operation: Operation) -> None:
        """Add what serves the operation (a REST API's method, an HTTP API's route)."""


def signed_with_sigv4(scheme: dict[str, Any]) -> bool:
    """Whether a security scheme means IAM authorization (its authtype `awsSigv4`)."""
    return str(scheme.get(AUTH_TYPE, "")).lower() == "awssigv4"


@dataclass(frozen=True, slots=True)
class Operation:
    path: str  # as the API serves it, base path applied
    method: str  # GET ... or ANY
    spec: dict[str, Any]  # the OpenAPI operation object
    parameters: list[dict[str, Any]]  # the path item's and the operation's, refs followed


class Definition:
    """One parsed OpenAPI definition."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.swagger = str(document.get("swagger", "")).startswith("2")
        info = document.get("info")
        self.info: dict[str, Any] = info if isinstance(info, dict) else {}

    @property
    def title(self) -> str | None:
        title = self.info.get("title")
        return str(title) if title is not None else None

    def extension(self, name: str, default: Any = None) -> Any:
        """A top-level `x-amazon-apigateway-*` value."""
        return self.document.get(name, default)

    def resolve(self, node: Any) -> Any:
        """`node`, or what its local `$ref` (`#/components/...`) points at."""
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            reference = node["$ref"]
            if not reference.startswith("#/") or seen > 16:
                raise invalid_input()
            node = self.document
            for part in reference[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, dict) or part not in node:
                    raise invalid_input()
                node = node[part]
            seen += 1
        return node

    def base_path(self) -> str:
        """Swagger's `basePath`; in OpenAPI 3, the first server's `basePath` variable (its
        default), else the path of its URL (variables replaced by their defaults)."""
        if self.swagger:
            return str(self.document.get("basePath") or "/")
        servers = self.document.get("servers") or []
        if not servers or not isinstance(servers[0], dict):
            return "/"
        variables = servers[0].get("variables") or {}
        if isinstance(variables.get("basePath"), dict):
            return "/" + str(variables["basePath"].get("default", "")).strip("/")
        url = str(servers[0].get("url") or "/")
        for name, variable in variables.items():
            url = url.replace("{" + name + "}", str((variable or {}).get("default", "")))
        return urlsplit(url).path or "/"

    @cached_property
    def schemes(self) -> dict[str, dict[str, Any]]:
        """Security schemes by name (Swagger's `securityDefinitions`, OpenAPI 3's
        `components.securitySchemes`)."""
        if self.swagger:
            schemes = self.document.get("securityDefinitions") or {}
        else:
            schemes = (self.document.get("components") or {}).get("securitySchemes") or {}
        if not isinstance(schemes, dict):
            raise invalid_input()
        return {name: self.resolve(scheme) for name, scheme in schemes.items()}

    def authorizer_schemes(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """The security schemes that define an authorizer (`x-amazon-apigateway-authorizer`)."""
        for name, scheme in self.schemes.items():
            if isinstance(scheme, dict) and isinstance(scheme.get(AUTHORIZER), dict):
                yield name, scheme

    def security(self, operation: Operation) -> list[tuple[str, list[str]]]:
        """The schemes the operation's first security requirement names, with their scopes
        (the operation's `security`, else the definition's). A name no scheme defines
        authorizes nothing: SAM writes `NONE` for a route without its API's authorizer."""
        requirements = operation.spec.get("security", self.document.get("security")) or []
        if not requirements or not isinstance(requirements[0], dict):
            return []
        return [
            (name, list(scopes or []))
            for name, scopes in requirements[0].items()
            if name in self.schemes
        ]

    def operations(self, basepath: str | None) -> Iterator[Operation]:
        """Every operation of every path, its path as the `basepath` mode (`ignore`, the
        default, `prepend` or `split`) makes it."""
        paths = self.document.get("paths") or {}
        if not isinstance(paths, dict):
            raise invalid_input()
        prefix = _prefix(self.base_path(), basepath)
        for path, item in paths.items():
            item = self.resolve(item)
            if not isinstance(item, dict):
                raise invalid_input()
            shared = [self.resolve(p) for p in item.get("parameters") or []]
            full = "/" + "/".join(p for p in (prefix + str(path)).split("/") if p)
            for key, spec in item.items():
                method = "ANY" if key == ANY_METHOD else key.upper() if key in _VERBS else None
                if method is None:
                    continue
                if not isinstance(spec, dict):
                    raise invalid_input()
                own = [self.resolve(p) for p in spec.get("parameters") or []]
                yield Operation(full, method, spec, shared + own)


def _prefix(base: str, mode: str | None) -> str:
    if (mode or "ignore") not in _BASEPATH_MODES:
        raise ServiceError(
            "BadRequestException",
            f"Invalid basepath mode {mode}: must be one of ignore, prepend or split",
        )
    if mode == "prepend":
        return base.rstrip("/")
    if mode == "split":  # the first segment is the stage's; the rest prefixes the paths
        segments = [s for s in base.split("/") if s]
        return "/" + "/".join(segments[1:]) if len(segments) > 1 else ""
    return ""


def read(body: bytes | str | None) -> Definition:
    """The definition a request's body holds: JSON, else YAML; `Invalid OpenAPI input.`
    for anything that is not a Swagger 2.0 or OpenAPI 3 document."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid_input() from None
    if not body or not body.strip():
        raise invalid_input()
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            document = yaml.load(body, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            raise invalid_input() from None
    if not isinstance(document, dict):
        raise invalid_input()
    version = str(document.get("swagger") or document.get("openapi") or "")
    if not (version == "2.0" or version.startswith("3.")):
        raise invalid_input()
    if not isinstance(document.get("paths", {}), dict):
        raise invalid_input()
    return Definition(document)
