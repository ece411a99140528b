"""STS's table: the temporary credentials it issued, kept until they expire."""

from cloudlet.store import Migration

MIGRATIONS: list[Migration] = [
    """
    CREATE TABLE sts_credentials (
        access_key_id TEXT PRIMARY KEY,
        secret_access_key TEXT NOT NULL,
        session_token TEXT NOT NULL,
        account TEXT NOT NULL,
        arn TEXT NOT NULL,
        user_id TEXT NOT NULL,
        expires_at REAL NOT NULL
    );
    """,
]
