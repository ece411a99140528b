"""SQS's tables. Messages are rows; a queue's visible messages are found by one index scan."""

from cloudlet.store import Migration

MIGRATIONS: list[Migration] = [
    """
    CREATE TABLE sqs_queues (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        attributes TEXT NOT NULL,
        tags TEXT NOT NULL,
        created REAL NOT NULL,
        modified REAL NOT NULL,
        UNIQUE (account, region, name)
    );
    CREATE TABLE sqs_messages (
        seq INTEGER PRIMARY KEY,
        queue_id INTEGER NOT NULL,
        message_id TEXT NOT NULL,
        body TEXT NOT NULL,
        message_attributes TEXT,
        system_attributes TEXT,
        sent_at REAL NOT NULL,
        visible_at REAL NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0,
        first_received_at REAL,
        receipt TEXT,
        group_id TEXT,
        dedup_id TEXT,
        sequence_number TEXT
    );
    CREATE INDEX sqs_messages_visible ON sqs_messages (queue_id, visible_at, seq);
    """,
]
