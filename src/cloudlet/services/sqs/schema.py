"""SQS's tables. Messages are rows; a queue's visible messages are found by one index scan.

Version 2 adds what FIFO queues, dead-letter queues and retention need: the FIFO group heads
(see `rows`), the deduplication window, ReceiveRequestAttemptId, message move tasks.
"""

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
    """
    ALTER TABLE sqs_messages ADD COLUMN received_at REAL;
    ALTER TABLE sqs_messages ADD COLUMN trace_header TEXT;
    ALTER TABLE sqs_messages ADD COLUMN sender_id TEXT;
    ALTER TABLE sqs_messages ADD COLUMN source_arn TEXT;
    ALTER TABLE sqs_messages ADD COLUMN head INTEGER;
    ALTER TABLE sqs_messages DROP COLUMN receipt;
    ALTER TABLE sqs_messages DROP COLUMN system_attributes;
    UPDATE sqs_messages SET received_at = first_received_at WHERE receive_count > 0;
    CREATE INDEX sqs_messages_sent ON sqs_messages (queue_id, sent_at);
    CREATE INDEX sqs_messages_groups ON sqs_messages (queue_id, group_id, seq)
        WHERE group_id IS NOT NULL;
    CREATE INDEX sqs_messages_heads ON sqs_messages (queue_id, visible_at, seq) WHERE head = 1;
    CREATE TABLE sqs_dedup (
        queue_id INTEGER NOT NULL,
        scope TEXT NOT NULL,
        dedup_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        sequence_number TEXT NOT NULL,
        expires_at REAL NOT NULL,
        PRIMARY KEY (queue_id, scope, dedup_id)
    );
    CREATE INDEX sqs_dedup_expiry ON sqs_dedup (expires_at);
    CREATE TABLE sqs_receive_attempts (
        queue_id INTEGER NOT NULL,
        attempt_id TEXT NOT NULL,
        expires_at REAL NOT NULL,
        receipts TEXT NOT NULL,
        PRIMARY KEY (queue_id, attempt_id)
    );
    CREATE TABLE sqs_move_tasks (
        task_id TEXT PRIMARY KEY,
        source_arn TEXT NOT NULL,
        destination_arn TEXT,
        rate INTEGER,
        status TEXT NOT NULL,
        moved INTEGER NOT NULL,
        to_move INTEGER NOT NULL,
        failure TEXT,
        started REAL NOT NULL
    );
    CREATE INDEX sqs_move_tasks_source ON sqs_move_tasks (source_arn, started);
    """,
]
