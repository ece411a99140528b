"""SQS's operations, one mixin per theme, all combined into `SqsService`.

Entry point: none of its own; `cloudlet.services.sqs.provider.SqsService` inherits them.
"""
