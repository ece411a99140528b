"""Amazon Kinesis Data Streams: streams, shards, records, resharding, tags and consumers.

Entry point: `KinesisService`, the provider. Its `arrivals` attribute is the hook a poller
(the Kinesis event source mapping) uses to wake as soon as a shard has new records.
"""

from cloudlet.services.kinesis.provider import KinesisService

__all__ = ["KinesisService"]
