"""Amazon SQS: standard and FIFO queues, durable messages, dead-letter queues.

Entry point: `SqsService`, the provider.
"""

from cloudlet.services.sqs.provider import SqsService

__all__ = ["SqsService"]
