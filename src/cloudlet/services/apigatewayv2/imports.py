"""ImportApi and ReimportApi: an HTTP API from an OpenAPI definition, as SAM's
`AWS::Serverless::HttpApi` and CloudFormation's `Body` make them.

Routes, integrations and authorizers go through the checks of CreateRoute,
CreateIntegration and CreateAuthorizer, on a copy of the API's document saved once: a
definition with errors changes nothing. A reimport replaces them all and keeps the stages
(those that deploy automatically get the new routes)."""

from __future__ import annotations

from typing import Any

from cloudlet.services.apigateway.ids import now
from cloudlet.services.apigateway.openapi import (
    AUTHORIZER,
    INTEGRATION,
    Definition,
    DefinitionImport,
    Operation,
    malformed_integration,
    read,
    signed_with_sigv4,
)
from cloudlet.services.apigatewayv2.apis import ApiOperations
from cloudlet.services.apigatewayv2.authorizers import AuthorizerOperations
from cloudlet.services.apigatewayv2.integrations import IntegrationOperations
from cloudlet.services.apigatewayv2.routekeys import DEFAULT
from cloudlet.services.apigatewayv2.routes import RouteOperations
from cloudlet.services.base import RequestContext

# x-amazon-apigateway-integration's fields → CreateIntegration's
_INTEGRATION_FIELDS = {
    "uri": "IntegrationUri",
    "httpMethod": "IntegrationMethod",
    "payloadFormatVersion": "PayloadFormatVersion",
    "timeoutInMillis": "TimeoutInMillis",
    "connectionType": "ConnectionType",
    "connectionId": "ConnectionId",
    "credentials": "CredentialsArn",
    "integrationSubtype": "IntegrationSubtype",
    "requestParameters": "RequestParameters",
    "responseParameters": "ResponseParameters",
    "description": "Description",
}
# x-amazon-apigateway-authorizer's fields → CreateAuthorizer's
_AUTHORIZER_FIELDS = {
    "authorizerUri": "AuthorizerUri",
    "authorizerPayloadFormatVersion": "AuthorizerPayloadFormatVersion",
    "authorizerResultTtlInSeconds": "AuthorizerResultTtlInSeconds",
    "enableSimpleResponses": "EnableSimpleResponses",
    "authorizerCredentials": "AuthorizerCredentialsArn",
}
# x-amazon-apigateway-cors's fields → CorsConfiguration's
_CORS_FIELDS = {
    "allowOrigins": "AllowOrigins",
    "allowMethods": "AllowMethods",
    "allowHeaders": "AllowHeaders",
    "exposeHeaders": "ExposeHeaders",
    "allowCredentials": "AllowCredentials",
    "maxAge": "MaxAge",
}


class ImportOperations(ApiOperations, RouteOperations, IntegrationOperations, AuthorizerOperations):
    async def import_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        definition = read(request.get("Body"))
        document = self._new_api({"Name": definition.title or f"Imported on {now().isoformat()}"})
        warnings = self._import(document, definition, request)
        api = document["api"]
        await self.save((ctx.account_id, ctx.region, api["ApiId"]), document, deploy=True)
        return self._imported(ctx, api, warnings)

    async def reimport_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        definition = read(request.get("Body"))
        for part in ("routes", "integrations", "authorizers"):
            document[part] = {}
        warnings = self._import(document, definition, request)
        await self.save(key, document, deploy=True)
        return self._imported(ctx, document["api"], warnings)

    def _imported(
        self, ctx: RequestContext, api: dict[str, Any], warnings: list[str]
    ) -> dict[str, Any]:
        answer = self._api(ctx, api)
        if warnings:
            answer["Warnings"] = warnings
        return answer

    def _import(
        self, document: dict[str, Any], definition: Definition, request: dict[str, Any]
    ) -> list[str]:
        """The definition applied to the document; its warnings (an error with
        FailOnWarnings). Any error: BadRequestException listing them all."""
        _api_settings(document["api"], definition)
        builder = _HttpBuilder(self, document, definition)
        builder.build(request.get("Basepath"))
        return builder.verdict(bool(request.get("FailOnWarnings")))


def _api_settings(api: dict[str, Any], definition: Definition) -> None:
    """The API's name, description and version (`info`), CORS, and whether its
    execute-api endpoint is off, as the definition says (what it leaves out is unset)."""
    if definition.title:
        api["Name"] = definition.title
    for field, source in (("Description", "description"), ("Version", "version")):
        if definition.info.get(source) is not None:
            api[field] = str(definition.info[source])
        else:
            api.pop(field, None)
    cors = definition.extension("x-amazon-apigateway-cors")
    if isinstance(cors, dict):
        api["CorsConfiguration"] = {
            wire: cors[field] for field, wire in _CORS_FIELDS.items() if field in cors
        }
    else:
        api.pop("CorsConfiguration", None)
    endpoint = definition.extension("x-amazon-apigateway-endpoint-configuration") or {}
    api["DisableExecuteApiEndpoint"] = bool(endpoint.get("disableExecuteApiEndpoint", False))


class _HttpBuilder(DefinitionImport):
    """One definition's routes, integrations and authorizers added to an HTTP API's
    document through the provider's own checks; problems collected."""

    def __init__(
        self, provider: ImportOperations, document: dict[str, Any], definition: Definition
    ) -> None:
        super().__init__(document, definition)
        self.provider = provider
        self.shared: dict[str, str] = {}  # an integration's $ref -> its id

    def _authorizer(self, name: str, scheme: dict[str, Any]) -> None:
        extension = scheme[AUTHORIZER]
        kind = str(extension.get("type", "")).upper()
        request: dict[str, Any] = {"Name": name, "AuthorizerType": kind}
        for field, wire in _AUTHORIZER_FIELDS.items():
            if extension.get(field) is not None:
                request[wire] = extension[field]
        source = extension.get("identitySource")
        if isinstance(source, str):
            request["IdentitySource"] = [s.strip() for s in source.split(",") if s.strip()]
        elif isinstance(source, list):
            request["IdentitySource"] = [str(s) for s in source]
        elif kind == "JWT":
            request["IdentitySource"] = ["$request.header.Authorization"]
        config = extension.get("jwtConfiguration")
        if isinstance(config, dict):
            audience = config.get("audience") or []
            request["JwtConfiguration"] = {
                "Issuer": config.get("issuer"),
                "Audience": [audience] if isinstance(audience, str) else list(audience),
            }
        self.authorizers[name] = self.provider._add_authorizer(self.document, request)

    def _operation(self, operation: Operation) -> None:
        if operation.path == "/$default":
            route_key = DEFAULT
        else:
            route_key = f"{operation.method} {operation.path}"
        request: dict[str, Any] = {"RouteKey": route_key}
        if operation.spec.get("operationId"):
            request["OperationName"] = str(operation.spec["operationId"])
        for scheme, authorizer, scopes in self.security(operation):
            if authorizer is not None:
                jwt = authorizer["AuthorizerType"] == "JWT"
                request["AuthorizationType"] = "JWT" if jwt else "CUSTOM"
                request["AuthorizerId"] = authorizer["AuthorizerId"]
                if jwt and scopes:
                    request["AuthorizationScopes"] = scopes
            elif signed_with_sigv4(scheme):
                request["AuthorizationType"] = "AWS_IAM"
        extension = operation.spec.get(INTEGRATION)
        if extension is not None:
            integration_id = self._integration(operation, route_key, extension)
            if integration_id is None:
                return
            if integration_id:
                request["Target"] = f"integrations/{integration_id}"
        self.attempt(
            f"Unable to create route '{route_key}'",
            self.provider._add_route,
            self.document,
            request,
        )

    def _integration(self, operation: Operation, route_key: str, extension: Any) -> str | None:
        """The integration's id: a new one, or the one made for the same `$ref`; "" for one
        HTTP APIs do not have (a warning), None for one refused (an error)."""
        reference = extension.get("$ref") if isinstance(extension, dict) else None
        if reference in self.shared:
            return self.shared[reference]
        extension = self.definition.resolve(extension)
        if not isinstance(extension, dict) or not extension.get("type"):
            raise malformed_integration(operation.path)
        kind = str(extension["type"]).upper()
        if kind not in ("AWS_PROXY", "HTTP_PROXY"):
            # AWS warns and imports the route without it: HTTP APIs integrate only these two.
            self.warnings.append(
                f"Unsupported integration type {kind} for route '{route_key}': HTTP APIs "
                "support only Lambda proxy (AWS_PROXY) and HTTP proxy (HTTP_PROXY) integrations"
            )
            return ""
        request: dict[str, Any] = {"IntegrationType": kind}
        for field, wire in _INTEGRATION_FIELDS.items():
            if extension.get(field) is not None:
                request[wire] = extension[field]
        if isinstance(extension.get("tlsConfig"), dict):
            server = extension["tlsConfig"].get("serverNameToVerify")
            request["TlsConfig"] = {"ServerNameToVerify": server}
        integration = self.attempt(
            f"Unable to create integration for route '{route_key}'",
            self.provider._add_integration,
            self.document,
            request,
        )
        if integration is None:
            return None
        if reference:
            self.shared[reference] = integration["IntegrationId"]
        return str(integration["IntegrationId"])
