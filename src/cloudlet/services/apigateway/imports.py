"""ImportRestApi and PutRestApi: a REST API from an OpenAPI definition (Swagger 2.0 or
OpenAPI 3), as SAM's `AWS::Serverless::Api` and CloudFormation's `Body` make them.

Each part of the definition goes through the operation that would create it by hand
(CreateResource, PutMethod, PutIntegration, CreateAuthorizer...), on a copy of the API's
document saved once at the end: a definition with errors changes nothing."""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.services.apigateway.authorizers import AuthorizerOperations
from cloudlet.services.apigateway.core import bad_request
from cloudlet.services.apigateway.ids import now
from cloudlet.services.apigateway.methods import MethodOperations
from cloudlet.services.apigateway.openapi import (
    AUTH_TYPE,
    AUTHORIZER,
    INTEGRATION,
    Definition,
    DefinitionImport,
    Operation,
    malformed_integration,
    read,
    signed_with_sigv4,
)
from cloudlet.services.apigateway.restapis import RestApiOperations
from cloudlet.services.base import RequestContext

_AUTHORIZER_FIELDS = (
    "authorizerUri",
    "authorizerCredentials",
    "identitySource",
    "identityValidationExpression",
    "authorizerResultTtlInSeconds",
    "providerARNs",
)
_INTEGRATION_FIELDS = (
    "uri",
    "requestTemplates",
    "requestParameters",
    "contentHandling",
    "timeoutInMillis",
    "cacheKeyParameters",
    "credentials",
    "connectionType",
    "connectionId",
)
_PARAMETER_PLACES = {"path": "path", "query": "querystring", "header": "header"}


class ImportOperations(RestApiOperations, MethodOperations, AuthorizerOperations):
    async def import_rest_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        definition = read(request.get("body"))
        parameters = request.get("parameters") or {}
        settings: dict[str, Any] = {
            "name": definition.title or f"Imported on {now().isoformat()}",
        }
        if parameters.get("endpointConfigurationTypes"):
            settings["endpointConfiguration"] = {
                "types": [t.strip() for t in parameters["endpointConfigurationTypes"].split(",")]
            }
        document = self._new_rest_api(settings)
        warnings = self._import(document, definition, parameters, overwrite=True, request=request)
        api = document["api"]
        await self.save((ctx.account_id, ctx.region, api["id"]), document)
        return {**api, "warnings": warnings} if warnings else api

    async def put_rest_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        mode = request.get("mode") or "merge"
        if mode not in ("merge", "overwrite"):
            raise bad_request(f"Invalid mode specified: {mode}. Valid options are merge,overwrite")
        definition = read(request.get("body"))
        if mode == "overwrite":
            root = document["api"]["rootResourceId"]
            document["resources"] = {root: {"id": root, "path": "/"}}
            document["authorizers"] = {}
        parameters = request.get("parameters") or {}
        warnings = self._import(
            document, definition, parameters, overwrite=mode == "overwrite", request=request
        )
        await self.save(key, document)
        api = document["api"]
        return {**api, "warnings": warnings} if warnings else api

    def _import(
        self,
        document: dict[str, Any],
        definition: Definition,
        parameters: dict[str, str],
        *,
        overwrite: bool,
        request: dict[str, Any],
    ) -> list[str]:
        """The definition applied to the document; its warnings (an error if the request
        says failOnWarnings). Any error: BadRequestException listing them all."""
        _api_settings(document["api"], definition, overwrite=overwrite)
        builder = _RestBuilder(self, document, definition)
        builder.build(parameters.get("basepath"))
        return builder.verdict(bool(request.get("failOnWarnings")))


def _api_settings(api: dict[str, Any], definition: Definition, *, overwrite: bool) -> None:
    """What the definition says of the API itself: its name and description (`info`), binary
    media types, API key source, resource policy, compression."""
    if overwrite and definition.title:
        api["name"] = definition.title
    for field, source in (("description", "description"), ("version", "version")):
        if definition.info.get(source) is not None:
            api[field] = str(definition.info[source])
    binary = definition.extension("x-amazon-apigateway-binary-media-types")
    if binary is not None:
        kept = [] if overwrite else list(api.get("binaryMediaTypes") or [])
        api["binaryMediaTypes"] = kept + [str(t) for t in binary if str(t) not in kept]
    source = definition.extension("x-amazon-apigateway-api-key-source")
    if source is not None:
        api["apiKeySource"] = str(source).upper()
    policy = definition.extension("x-amazon-apigateway-policy")
    if policy is not None:
        api["policy"] = policy if isinstance(policy, str) else orjson.dumps(policy).decode()
    size = definition.extension("x-amazon-apigateway-minimum-compression-size")
    if size is not None:
        api["minimumCompressionSize"] = int(size)


class _RestBuilder(DefinitionImport):
    """One definition's resources, methods, integrations and authorizers added to a REST
    API's document through the provider's own checks; problems collected as AWS lists them."""

    def __init__(
        self, provider: ImportOperations, document: dict[str, Any], definition: Definition
    ) -> None:
        super().__init__(document, definition)
        self.provider = provider
        self.by_path = {r["path"]: r["id"] for r in document["resources"].values()}

    # -- authorizers ---------------------------------------------------------------------------

    def _authorizer(self, name: str, scheme: dict[str, Any]) -> None:
        extension = scheme[AUTHORIZER]
        request: dict[str, Any] = {"name": name, "type": str(extension.get("type", "")).upper()}
        for field in _AUTHORIZER_FIELDS:
            if extension.get(field) is not None:
                request[field] = extension[field]
        if "identitySource" not in request and scheme.get("in") == "header" and scheme.get("name"):
            request["identitySource"] = f"method.request.header.{scheme['name']}"
        if scheme.get(AUTH_TYPE):
            request["authType"] = scheme[AUTH_TYPE]
        same = [a for a in self.document["authorizers"].values() if a["name"] == name]
        authorizer = self.provider._add_authorizer(self.document, request)
        if same:  # merged onto an API that has it: the methods using it keep its id
            del self.document["authorizers"][authorizer["id"]]
            authorizer["id"] = same[0]["id"]
            self.document["authorizers"][authorizer["id"]] = authorizer
        self.authorizers[name] = authorizer

    # -- resources and methods -----------------------------------------------------------------

    def _resource(self, path: str) -> str | None:
        """The resource at `path`, made with its missing ancestors."""
        parent = self.by_path["/"]
        built = ""
        for part in [p for p in path.split("/") if p]:
            built += "/" + part
            if built not in self.by_path:
                resource = self.attempt(
                    f"Unable to create resource at path '{built}'",
                    self.provider._add_resource,
                    self.document,
                    parent,
                    part,
                )
                if resource is None:
                    return None
                self.by_path[built] = resource["id"]
            parent = self.by_path[built]
        return parent

    def _operation(self, operation: Operation) -> None:
        resource_id = self._resource(operation.path)
        if resource_id is not None:
            self._method(operation, resource_id)

    def _method(self, operation: Operation, resource_id: str) -> None:
        verb, path, spec = operation.method, operation.path, operation.spec
        where = f"'{verb}' for resource at path '{path}'"
        methods = self.document["resources"][resource_id].setdefault("resourceMethods", {})
        methods.pop(verb, None)  # a merge replaces a method the API has
        if self.definition.swagger and "responses" not in spec:
            self.warnings.append(
                f"Parse issue: attribute paths.'{path}'({verb.lower()}).responses is missing"
            )
        added = self.attempt(
            f"Unable to put method '{verb}' on resource at path '{path}'",
            self.provider._add_method,
            self.document,
            self._method_request(operation, resource_id),
        )
        if added is None:
            return
        for status, response in (spec.get("responses") or {}).items():
            if str(status).isdigit():
                self._method_response(resource_id, verb, str(status), response)
        extension = spec.get(INTEGRATION)
        if extension is None:
            return
        extension = self.definition.resolve(extension)
        if not isinstance(extension, dict) or not extension.get("type"):
            raise malformed_integration(path)
        integration = {
            "resourceId": resource_id,
            "httpMethod": verb,
            "type": str(extension["type"]).upper(),
        }
        for field in _INTEGRATION_FIELDS:
            if extension.get(field) is not None:
                integration[field] = extension[field]
        if extension.get("httpMethod"):
            integration["integrationHttpMethod"] = str(extension["httpMethod"]).upper()
        if extension.get("passthroughBehavior"):
            integration["passthroughBehavior"] = str(extension["passthroughBehavior"]).upper()
        if self.attempt(
            f"Unable to put integration on {where}",
            self.provider._add_integration,
            self.document,
            integration,
        ):
            for pattern, response in (extension.get("responses") or {}).items():
                self._integration_response(resource_id, verb, where, str(pattern), response)

    def _method_request(self, operation: Operation, resource_id: str) -> dict[str, Any]:
        """PutMethod's request for the operation: its authorization from its security
        requirement, its request parameters."""
        request: dict[str, Any] = {
            "resourceId": resource_id,
            "httpMethod": operation.method,
            "authorizationType": "NONE",
        }
        if operation.spec.get("operationId"):
            request["operationName"] = str(operation.spec["operationId"])
        for scheme, authorizer, scopes in self.security(operation):
            if authorizer is not None:
                cognito = authorizer["type"] == "COGNITO_USER_POOLS"
                request["authorizationType"] = "COGNITO_USER_POOLS" if cognito else "CUSTOM"
                request["authorizerId"] = authorizer["id"]
                if cognito and scopes:
                    request["authorizationScopes"] = scopes
            elif signed_with_sigv4(scheme):
                request["authorizationType"] = "AWS_IAM"
            elif scheme.get("type") == "apiKey":
                request["apiKeyRequired"] = True
        wanted = {}
        for parameter in operation.parameters:
            place = _PARAMETER_PLACES.get(str(parameter.get("in")))
            if place and parameter.get("name"):
                required = place == "path" or bool(parameter.get("required", False))
                wanted[f"method.request.{place}.{parameter['name']}"] = required
        if wanted:
            request["requestParameters"] = wanted
        return request

    def _method_response(
        self, resource_id: str, verb: str, status: str, response: dict[str, Any]
    ) -> None:
        response = self.definition.resolve(response) or {}
        request: dict[str, Any] = {
            "resourceId": resource_id,
            "httpMethod": verb,
            "statusCode": status,
        }
        headers = response.get("headers") if isinstance(response, dict) else None
        if headers:
            request["responseParameters"] = {f"method.response.header.{h}": False for h in headers}
        self.provider._add_method_response(self.document, request)

    def _integration_response(
        self, resource_id: str, verb: str, where: str, pattern: str, response: Any
    ) -> None:
        if not isinstance(response, dict) or response.get("statusCode") is None:
            self.errors.append(f"Unable to put integration response on {where}: no statusCode")
            return
        status = str(response["statusCode"])
        method = self.document["resources"][resource_id]["resourceMethods"][verb]
        if status not in (method.get("methodResponses") or {}):
            # The definition's integration may answer with a status its operation does not
            # list: the method response it needs is made with it.
            self._method_response(resource_id, verb, status, {})
        request: dict[str, Any] = {
            "resourceId": resource_id,
            "httpMethod": verb,
            "statusCode": status,
        }
        if pattern != "default":
            request["selectionPattern"] = pattern
        for field in ("responseParameters", "responseTemplates", "contentHandling"):
            if response.get(field) is not None:
                request[field] = response[field]
        self.attempt(
            f"Unable to put integration response on {where}",
            self.provider._add_integration_response,
            self.document,
            request,
        )
