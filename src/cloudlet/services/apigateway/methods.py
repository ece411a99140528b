"""Methods on resources, their integrations (Lambda proxy, MOCK, HTTP proxy), and the
method and integration responses a MOCK integration answers with."""

from __future__ import annotations

from typing import Any

from cloudlet.services.apigateway.core import (
    RestApiCore,
    bad_request,
    conflict,
    method_of,
    not_found,
    resource_of,
)
from cloudlet.services.apigateway.integrations import function_arn
from cloudlet.services.apigateway.patches import apply
from cloudlet.services.base import RequestContext

METHODS = frozenset(("ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"))
_AUTHORIZATION = frozenset(("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"))
_TYPES = frozenset(("AWS_PROXY", "MOCK", "HTTP_PROXY", "AWS", "HTTP"))


class MethodOperations(RestApiCore):
    async def put_method(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        method = self._add_method(document, request)
        await self.save(key, document)
        return method

    def _add_method(self, document: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        """PutMethod's method, checked and added to the document."""
        resource = resource_of(document, request["resourceId"])
        verb = request["httpMethod"].upper()
        if verb not in METHODS:
            raise bad_request(
                "Invalid HttpMethod specified. Valid options are "
                "GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY"
            )
        methods = resource.setdefault("resourceMethods", {})
        if verb in methods:
            raise conflict("Method already exists for this resource")
        method: dict[str, Any] = {
            "httpMethod": verb,
            "authorizationType": request["authorizationType"],
            "apiKeyRequired": bool(request.get("apiKeyRequired", False)),
        }
        for name in (
            "authorizerId",
            "operationName",
            "requestParameters",
            "requestModels",
            "authorizationScopes",
            "requestValidatorId",
        ):
            if request.get(name) is not None:
                method[name] = request[name]
        self._check_authorization(document, method)
        methods[verb] = method
        return method

    def _check_authorization(self, document: dict[str, Any], method: dict[str, Any]) -> None:
        kind = method["authorizationType"]
        if kind not in _AUTHORIZATION:
            raise bad_request(f"Invalid authorization type specified: {kind}")
        if kind in ("CUSTOM", "COGNITO_USER_POOLS"):
            authorizer = document["authorizers"].get(method.get("authorizerId") or "")
            if authorizer is None:
                raise bad_request(
                    "Invalid authorizer ID specified. Setting the authorization type to "
                    f"{kind} requires a valid authorizer."
                )
            wanted = (
                ("COGNITO_USER_POOLS",) if kind == "COGNITO_USER_POOLS" else ("TOKEN", "REQUEST")
            )
            if authorizer["type"] not in wanted:
                raise bad_request(
                    f"Authorizer {authorizer['id']} of type {authorizer['type']} cannot be used "
                    f"with authorization type {kind}"
                )
        else:
            method.pop("authorizerId", None)

    def get_method(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        document = self.peek(ctx, request["restApiId"])
        return method_of(document, request["resourceId"], request["httpMethod"])

    async def update_method(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        method = method_of(document, request["resourceId"], request["httpMethod"])
        apply(
            method,
            request.get("patchOperations") or [],
            (
                "apiKeyRequired",
                "authorizationType",
                "authorizerId",
                "operationName",
                "authorizationScopes",
            ),
        )
        self._check_authorization(document, method)
        await self.save(key, document)
        return method

    async def delete_method(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        method_of(document, request["resourceId"], request["httpMethod"])
        del resource_of(document, request["resourceId"])["resourceMethods"][request["httpMethod"]]
        await self.save(key, document)
        return {}

    # -- method responses ----------------------------------------------------------------------

    async def put_method_response(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        response = self._add_method_response(document, request)
        await self.save(key, document)
        return response

    def _add_method_response(
        self, document: dict[str, Any], request: dict[str, Any]
    ) -> dict[str, Any]:
        method = method_of(document, request["resourceId"], request["httpMethod"])
        response = {"statusCode": request["statusCode"]}
        for name in ("responseParameters", "responseModels"):
            if request.get(name) is not None:
                response[name] = request[name]
        method.setdefault("methodResponses", {})[request["statusCode"]] = response
        return response

    def get_method_response(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        method = method_of(
            self.peek(ctx, request["restApiId"]), request["resourceId"], request["httpMethod"]
        )
        found = (method.get("methodResponses") or {}).get(request["statusCode"])
        if found is None:
            raise not_found("Response type")
        return found

    async def delete_method_response(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        method = method_of(document, request["resourceId"], request["httpMethod"])
        if (method.get("methodResponses") or {}).pop(request["statusCode"], None) is None:
            raise not_found("Response type")
        await self.save(key, document)
        return {}

    # -- integrations ------------------------------------------------------------------------

    async def put_integration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        integration = self._add_integration(document, request)
        await self.save(key, document)
        return integration

    def _add_integration(self, document: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        """PutIntegration's integration, checked and set on its method."""
        method = method_of(document, request["resourceId"], request["httpMethod"])
        kind = request["type"]
        if kind not in _TYPES:
            raise bad_request(f"Invalid integration type specified: {kind}")
        integration: dict[str, Any] = {
            "type": kind,
            "timeoutInMillis": request.get("timeoutInMillis", 29000),
            "passthroughBehavior": request.get("passthroughBehavior") or "WHEN_NO_MATCH",
            "cacheNamespace": request["resourceId"],
            "cacheKeyParameters": request.get("cacheKeyParameters") or [],
        }
        for name in (
            "uri",
            "requestTemplates",
            "requestParameters",
            "contentHandling",
            "credentials",
            "connectionType",
            "connectionId",
        ):
            if request.get(name) is not None:
                integration[name] = request[name]
        if request.get("integrationHttpMethod"):
            integration["httpMethod"] = request["integrationHttpMethod"]
        self._check_integration(integration)
        method["methodIntegration"] = integration
        return integration

    def _check_integration(self, integration: dict[str, Any]) -> None:
        timeout = integration["timeoutInMillis"]
        if not 50 <= int(timeout) <= 29000:
            raise bad_request("Timeout should be between 50 ms and 29000 ms")
        kind = integration["type"]
        if kind in ("MOCK",):
            return
        if not integration.get("httpMethod"):
            raise bad_request("Enumeration value for HttpMethod must be non-empty")
        uri = integration.get("uri")
        if not uri:
            raise bad_request(f"Integrations of type '{kind}' must specify a uri")
        if kind == "AWS_PROXY":
            if "${" not in uri and function_arn(uri) is None:
                raise bad_request("Invalid function ARN or invalid uri")
            if integration["httpMethod"] != "POST":
                raise bad_request(
                    "Lambda proxy integrations are invoked with POST: "
                    "set integrationHttpMethod to POST"
                )
        elif kind in ("AWS", "HTTP"):
            raise bad_request(
                f"cloudlet serves AWS_PROXY, HTTP_PROXY and MOCK integrations, not {kind}"
            )
        elif not uri.startswith(("http://", "https://")) and "${" not in uri:
            raise bad_request("Invalid HTTP endpoint specified for URI")

    def get_integration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        method = method_of(
            self.peek(ctx, request["restApiId"]), request["resourceId"], request["httpMethod"]
        )
        if "methodIntegration" not in method:
            raise not_found("Integration")
        return method["methodIntegration"]

    async def update_integration(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        method = method_of(document, request["resourceId"], request["httpMethod"])
        integration = method.get("methodIntegration")
        if integration is None:
            raise not_found("Integration")
        apply(
            integration,
            request.get("patchOperations") or [],
            (
                "uri",
                "timeoutInMillis",
                "httpMethod",
                "requestTemplates",
                "contentHandling",
                "passthroughBehavior",
            ),
        )
        self._check_integration(integration)
        await self.save(key, document)
        return integration

    async def delete_integration(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        method = method_of(document, request["resourceId"], request["httpMethod"])
        if method.pop("methodIntegration", None) is None:
            raise not_found("Integration")
        await self.save(key, document)
        return {}

    async def put_integration_response(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        response = self._add_integration_response(document, request)
        await self.save(key, document)
        return response

    def _add_integration_response(
        self, document: dict[str, Any], request: dict[str, Any]
    ) -> dict[str, Any]:
        method = method_of(document, request["resourceId"], request["httpMethod"])
        integration = method.get("methodIntegration")
        if integration is None:
            raise not_found("Integration")
        status = request["statusCode"]
        if status not in (method.get("methodResponses") or {}):
            raise not_found("Response type")
        response = {"statusCode": status}
        for name in (
            "selectionPattern",
            "responseParameters",
            "responseTemplates",
            "contentHandling",
        ):
            if request.get(name) is not None:
                response[name] = request[name]
        integration.setdefault("integrationResponses", {})[status] = response
        return response

    def get_integration_response(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        method = method_of(
            self.peek(ctx, request["restApiId"]), request["resourceId"], request["httpMethod"]
        )
        found = ((method.get("methodIntegration") or {}).get("integrationResponses") or {}).get(
            request["statusCode"]
        )
        if found is None:
            raise not_found("Response type")
        return found

    async def delete_integration_response(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        method = method_of(document, request["resourceId"], request["httpMethod"])
        responses = (method.get("methodIntegration") or {}).get("integrationResponses") or {}
        if responses.pop(request["statusCode"], None) is None:
            raise not_found("Response type")
        await self.save(key, document)
        return {}
