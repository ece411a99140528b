"""One package per AWS service, each a provider: one method per operation, no HTTP.

A service package never imports another one; what crosses services goes through
`cloudlet.delivery`. Entry point: `provider_classes()`, the providers cloudlet serves.
"""

from __future__ import annotations

from cloudlet.services.base import Service


def provider_classes() -> list[type[Service]]:
    from cloudlet.services.apigateway import ApiGatewayService
    from cloudlet.services.apigatewayv2 import ApiGatewayV2Service
    from cloudlet.services.dynamodb import DynamoDBService
    from cloudlet.services.dynamodbstreams import DynamoDBStreamsService
    from cloudlet.services.iam import IamService
    from cloudlet.services.kinesis import KinesisService
    from cloudlet.services.lambda_ import LambdaService
    from cloudlet.services.logs import LogsService
    from cloudlet.services.sqs import SqsService
    from cloudlet.services.sts import SecurityTokenService

    return [
        SqsService,
        LogsService,
        IamService,
        SecurityTokenService,
        LambdaService,
        DynamoDBService,
        DynamoDBStreamsService,
        KinesisService,
        # REST APIs' door before HTTP APIs': the latter also answers addresses of no API.
        ApiGatewayService,
        ApiGatewayV2Service,
    ]
