"""DynamoDB Streams: the API that reads the records DynamoDB writes with each item change.

Entry point: `DynamoDBStreamsService`. The records live in DynamoDB's tables (see
`cloudlet.services.dynamodb.streams`); this package only reads them.
"""

from cloudlet.services.dynamodbstreams.provider import DynamoDBStreamsService

__all__ = ["DynamoDBStreamsService"]
