"""Lambda's tables: one row per function, version, alias, provisioned configuration and layer
version, each holding its document as JSON (the service keeps them all in memory).

Asynchronous invocations queue in delivery's `async_invocations` table; the events an older
cloudlet queued in `lambda_events` move there (the invoker creates its table first).
"""

from cloudlet.store import Migration

MIGRATIONS: list[Migration] = [
    """
    CREATE TABLE lambda_functions (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (account, region, name)
    );
    CREATE TABLE lambda_versions (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (account, region, name, version)
    );
    CREATE TABLE lambda_aliases (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        alias TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (account, region, name, alias)
    );
    CREATE TABLE lambda_provisioned (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        qualifier TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (account, region, name, qualifier)
    );
    CREATE TABLE lambda_layers (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (account, region, name, version)
    );
    CREATE TABLE lambda_layer_names (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        last_version INTEGER NOT NULL,
        PRIMARY KEY (account, region, name)
    );
    CREATE TABLE lambda_events (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        qualifier TEXT,
        payload BLOB NOT NULL,
        request_id TEXT NOT NULL,
        received REAL NOT NULL
    );
    """,
    """
    INSERT INTO async_invocations (function_arn, payload, request_id, trace_header, received, due)
    SELECT 'arn:aws:lambda:' || region || ':' || account || ':function:' || name
               || COALESCE(':' || qualifier, ''),
           payload, request_id, '', received, received
    FROM lambda_events ORDER BY id;
    DROP TABLE lambda_events;
    """,
]
