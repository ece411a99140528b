"""Kinesis's tables. Records are keyed by (stream, shard, index): GetRecords is a range scan.

Ids are given by cloudlet, not the database. `swept` remembers the highest record index the
retention sweep removed from a shard, so that indexes keep increasing after a restart even
when every record of a shard has expired.
"""

from cloudlet.store import Migration

_TABLES = """
CREATE TABLE kinesis_streams (
    id {id} PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    mode TEXT NOT NULL,
    retention_hours INTEGER NOT NULL,
    created REAL NOT NULL,
    encryption TEXT NOT NULL,
    key_id TEXT,
    metrics TEXT NOT NULL,
    tags TEXT NOT NULL,
    max_record_kib INTEGER NOT NULL,
    UNIQUE (account, region, name)
);
CREATE TABLE kinesis_shards (
    stream_id BIGINT NOT NULL,
    shard INTEGER NOT NULL,
    parent INTEGER,
    adjacent_parent INTEGER,
    starting_hash TEXT NOT NULL,
    ending_hash TEXT NOT NULL,
    created REAL NOT NULL,
    closed REAL,
    swept BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (stream_id, shard)
);
CREATE TABLE kinesis_records (
    stream_id BIGINT NOT NULL,
    shard INTEGER NOT NULL,
    seq BIGINT NOT NULL,
    partition_key TEXT NOT NULL,
    data {blob} NOT NULL,
    arrival BIGINT NOT NULL,
    PRIMARY KEY (stream_id, shard, seq)
);
CREATE TABLE kinesis_consumers (
    stream_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    created REAL NOT NULL,
    tags TEXT NOT NULL,
    PRIMARY KEY (stream_id, name)
);
"""

MIGRATIONS: list[Migration] = [
    {
        "sqlite": _TABLES.format(id="INTEGER", blob="BLOB"),
        "postgresql": _TABLES.format(id="BIGINT", blob="BYTEA"),
    }
]
