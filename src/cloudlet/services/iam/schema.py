"""IAM's tables, partitioned by account. Names are unique per account whatever their case,
as IAM's are: `name_key` is the lower-cased name."""

from cloudlet.store import Migration

MIGRATIONS: list[Migration] = [
    """
    CREATE TABLE iam_roles (
        account TEXT NOT NULL,
        name_key TEXT NOT NULL,
        name TEXT NOT NULL,
        role_id TEXT NOT NULL,
        path TEXT NOT NULL,
        arn TEXT NOT NULL,
        trust_policy TEXT NOT NULL,
        description TEXT,
        max_session_duration INTEGER NOT NULL,
        permissions_boundary TEXT,
        tags TEXT NOT NULL,
        created REAL NOT NULL,
        PRIMARY KEY (account, name_key)
    );
    CREATE INDEX iam_roles_arn ON iam_roles (arn);
    CREATE TABLE iam_role_policies (
        account TEXT NOT NULL,
        role_key TEXT NOT NULL,
        name TEXT NOT NULL,
        document TEXT NOT NULL,
        PRIMARY KEY (account, role_key, name)
    );
    CREATE TABLE iam_policies (
        account TEXT NOT NULL,
        name_key TEXT NOT NULL,
        name TEXT NOT NULL,
        policy_id TEXT NOT NULL,
        path TEXT NOT NULL,
        arn TEXT NOT NULL,
        description TEXT,
        default_version TEXT NOT NULL,
        tags TEXT NOT NULL,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        PRIMARY KEY (account, name_key)
    );
    CREATE UNIQUE INDEX iam_policies_arn ON iam_policies (account, arn);
    CREATE TABLE iam_policy_versions (
        account TEXT NOT NULL,
        policy_arn TEXT NOT NULL,
        version_id TEXT NOT NULL,
        document TEXT NOT NULL,
        created REAL NOT NULL,
        PRIMARY KEY (account, policy_arn, version_id)
    );
    CREATE TABLE iam_attachments (
        account TEXT NOT NULL,
        role_key TEXT NOT NULL,
        policy_arn TEXT NOT NULL,
        PRIMARY KEY (account, role_key, policy_arn)
    );
    CREATE INDEX iam_attachments_policy ON iam_attachments (account, policy_arn);
    """,
]
