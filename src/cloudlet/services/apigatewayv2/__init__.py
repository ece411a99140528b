"""API Gateway HTTP APIs (the apigatewayv2 API): APIs, routes, integrations, authorizers,
stages and deployments, and their invocation on cloudlet's port (door.py).

Entry point: `ApiGatewayV2Service` (provider.py). API Gateway's two APIs are one AWS
service: what invocations of both need (proxy events and responses, integrations, JWT
verification, authorizer policies, throttling) lives in `cloudlet.services.apigateway`.
"""

from cloudlet.services.apigatewayv2.provider import ApiGatewayV2Service

__all__ = ["ApiGatewayV2Service"]
