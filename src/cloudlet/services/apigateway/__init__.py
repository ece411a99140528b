"""API Gateway: REST APIs (the apigateway API), and what invocations of REST and HTTP APIs
share: invocation URLs, proxy events and responses, integrations, JWT verification,
authorizer policies and caches, throttling.

HTTP APIs (the apigatewayv2 API) are `cloudlet.services.apigatewayv2`, which uses these
shared modules: API Gateway's two APIs are one AWS service.
"""

from cloudlet.services.apigateway.provider import ApiGatewayService

__all__ = ["ApiGatewayService"]
