"""Function URL configurations: what CreateFunctionUrlConfig stores, and where each answers.

A function has at most one URL per qualifier: `$LATEST` (no qualifier given) or an alias.
Each URL has a url-id of 32 lowercase letters and digits, as AWS's, which names its host:
`http://{url-id}.lambda-url.{region}.localhost:{port}/` (any `*.localhost` name reaches
loopback). The configurations live in memory, a cache of their rows in `lambda_url_configs`
(their own schema component, `lambda_urls`).
"""

from __future__ import annotations

import datetime
import secrets
import string
from dataclasses import dataclass
from typing import Any

import orjson

from cloudlet.services.lambda_.names import LATEST, function_arn
from cloudlet.store import Migration, Store, Tx

COMPONENT = "lambda_urls"
MIGRATIONS: list[Migration] = [
    """
    CREATE TABLE lambda_url_configs (
        url_id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        qualifier TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE UNIQUE INDEX lambda_url_configs_function
        ON lambda_url_configs (account, region, name, qualifier);
    """,
]
URL_ID_ALPHABET = string.ascii_lowercase + string.digits
URL_ID_LENGTH = 32
URL_HOST_MARK = ".lambda-url."  # what a function URL's host name holds, and no AWS endpoint's

UrlKey = tuple[str, str, str, str]  # account, region, function name, qualifier


def new_url_id() -> str:
    return "".join(secrets.choice(URL_ID_ALPHABET) for _ in range(URL_ID_LENGTH))


def url_timestamp() -> str:
    """CreationTime and LastModifiedTime as function URLs show them: microseconds, `Z`."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(eq=False)
class UrlConfig:
    url_id: str
    account: str
    region: str
    function: str  # the function's name
    qualifier: str  # $LATEST or an alias
    auth_type: str  # NONE | AWS_IAM
    created: str
    modified: str
    cors: dict[str, Any] | None = None
    # As given: a URL created without one shows none (and buffers, as AWS does).
    invoke_mode: str | None = None

    @property
    def key(self) -> UrlKey:
        return (self.account, self.region, self.function, self.qualifier)

    @property
    def function_arn(self) -> str:
        qualifier = None if self.qualifier == LATEST else self.qualifier
        return function_arn(self.region, self.account, self.function, qualifier)

    @property
    def streams(self) -> bool:
        return self.invoke_mode == "RESPONSE_STREAM"

    def url(self, port: int) -> str:
        return f"http://{self.url_id}.lambda-url.{self.region}.localhost:{port}/"

    def describe(self, port: int, *, modified: bool = True) -> dict[str, Any]:
        """The FunctionUrlConfig document; CreateFunctionUrlConfig's has no LastModifiedTime."""
        shown: dict[str, Any] = {
            "FunctionUrl": self.url(port),
            "FunctionArn": self.function_arn,
            "AuthType": self.auth_type,
            "CreationTime": self.created,
        }
        if modified:
            shown["LastModifiedTime"] = self.modified
        if self.cors is not None:
            shown["Cors"] = self.cors
        if self.invoke_mode is not None:
            shown["InvokeMode"] = self.invoke_mode
        return shown

    def to_row(self) -> str:
        return orjson.dumps(
            {
                "auth_type": self.auth_type,
                "created": self.created,
                "modified": self.modified,
                "cors": self.cors,
                "invoke_mode": self.invoke_mode,
            }
        ).decode()


class UrlRegistry:
    """Every function URL, by the function and qualifier it serves and by its url-id."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.by_key: dict[UrlKey, UrlConfig] = {}
        self.by_id: dict[str, UrlConfig] = {}
        store.migrate(COMPONENT, MIGRATIONS)
        store.read_now(self._load)

    def _load(self, tx: Tx) -> None:
        for url_id, account, region, name, qualifier, data in tx.execute(
            "SELECT url_id, account, region, name, qualifier, data FROM lambda_url_configs"
        ):
            row = orjson.loads(data)
            self._add(
                UrlConfig(
                    url_id,
                    account,
                    region,
                    name,
                    qualifier,
                    row["auth_type"],
                    row["created"],
                    row["modified"],
                    row["cors"],
                    row["invoke_mode"],
                )
            )

    def _add(self, config: UrlConfig) -> None:
        self.by_key[config.key] = config
        self.by_id[config.url_id] = config

    def of_function(self, account: str, region: str, name: str) -> list[UrlConfig]:
        return [c for k, c in self.by_key.items() if k[:3] == (account, region, name)]

    async def save(self, config: UrlConfig) -> None:
        row = (config.url_id, *config.key, config.to_row())

        def write(tx: Tx) -> None:
            tx.execute(
                "INSERT INTO lambda_url_configs (url_id, account, region, name, qualifier, data)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (url_id) DO UPDATE SET data = excluded.data",
                row,
            )

        await self.store.write(write)
        self._add(config)

    async def delete(self, configs: list[UrlConfig]) -> None:
        if not configs:
            return
        ids = [(config.url_id,) for config in configs]

        def delete(tx: Tx) -> None:
            tx.executemany("DELETE FROM lambda_url_configs WHERE url_id = ?", ids)

        await self.store.write(delete)
        for config in configs:
            self.by_key.pop(config.key, None)
            self.by_id.pop(config.url_id, None)
