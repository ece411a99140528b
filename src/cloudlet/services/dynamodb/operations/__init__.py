"""DynamoDB's operations, one mixin per theme, gathered by `provider.DynamoDBService`."""
