"""DynamoDB: tables, items, expressions, queries, batches, transactions, TTL and streams.

Entry point: `DynamoDBService` (provider.py). Items are stored by ordered key bytes
(`keys`), secondary index entries and stream records in the same transaction (`storage`).
"""

from cloudlet.services.dynamodb.provider import DynamoDBService

__all__ = ["DynamoDBService"]
