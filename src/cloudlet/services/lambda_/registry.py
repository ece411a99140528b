"""Lambda's state in memory, loaded from its rows at start-up and written through on change.

Every change is one store write (one transaction) issued by the call that makes it; the
in-memory objects are updated by the caller once the write has committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from cloudlet.services.lambda_.code import CodeStore
from cloudlet.services.lambda_.model import Alias, Function, LayerVersion, Provisioned, Version
from cloudlet.services.lambda_.names import LATEST
from cloudlet.store import Store, Tx

FunctionKey = tuple[str, str, str]  # account, region, name
LayerKey = tuple[str, str, str]


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


class Registry:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.functions: dict[FunctionKey, Function] = {}
        self.layers: dict[LayerKey, dict[int, LayerVersion]] = {}
        self.layer_counters: dict[LayerKey, int] = {}
        store.read_now(self._load)

    def _load(self, tx: Tx) -> None:
        versions: dict[FunctionKey, dict[str, Version]] = {}
        for account, region, name, number, data in tx.execute(
            "SELECT account, region, name, version, data FROM lambda_versions"
        ):
            versions.setdefault((account, region, name), {})[number] = Version.from_row(
                orjson.loads(data)
            )
        for account, region, name, data in tx.execute(
            "SELECT account, region, name, data FROM lambda_functions"
        ):
            key = (account, region, name)
            row = orjson.loads(data)
            own = versions.get(key, {})
            latest = own.pop(LATEST)
            self.functions[key] = Function(
                account,
                region,
                name,
                latest,
                dict(sorted(own.items(), key=lambda item: int(item[0]))),
                tags=row["tags"],
                reserved=row["reserved"],
                last_version=row["last_version"],
                event_configs=row.get("event_configs", {}),
                recursive_loop=row.get("recursive_loop", "Terminate"),
            )
        for account, region, name, alias, data in tx.execute(
            "SELECT account, region, name, alias, data FROM lambda_aliases"
        ):
            function = self.functions.get((account, region, name))
            if function is not None:
                function.aliases[alias] = Alias(orjson.loads(data))
        for account, region, name, qualifier, data in tx.execute(
            "SELECT account, region, name, qualifier, data FROM lambda_provisioned"
        ):
            function = self.functions.get((account, region, name))
            if function is not None:
                row = orjson.loads(data)
                function.provisioned[qualifier] = Provisioned(row["requested"], row["modified"])
        for account, region, name, number, data in tx.execute(
            "SELECT account, region, name, version, data FROM lambda_layers ORDER BY version"
        ):
            layer = LayerVersion.from_row(orjson.loads(data))
            self.layers.setdefault((account, region, name), {})[number] = layer
        for account, region, name, last in tx.execute(
            "SELECT account, region, name, last_version FROM lambda_layer_names"
        ):
            self.layer_counters[(account, region, name)] = last

    # -- functions ----------------------------------------------------------------------------

    async def save(
        self,
        function: Function,
        versions: Iterable[Version] = (),
        aliases: Iterable[tuple[str, Alias]] = (),
        provisioned: Iterable[tuple[str, Provisioned]] = (),
    ) -> None:
        """Write the function's row and the given versions, aliases and configurations."""
        key = function.key
        function_row = _json(function.row())
        version_rows = [(*key, v.number, _json(v.to_row())) for v in versions]
        alias_rows = [(*key, name, _json(alias.config)) for name, alias in aliases]
        provisioned_rows = [
            (*key, qualifier, _json({"requested": p.requested, "modified": p.modified}))
            for qualifier, p in provisioned
        ]

        def write(tx: Tx) -> None:
            tx.execute(
                "INSERT INTO lambda_functions (account, region, name, data) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (account, region, name) DO UPDATE SET data = excluded.data",
                (*key, function_row),
            )
            if version_rows:
                tx.executemany(
                    "INSERT INTO lambda_versions (account, region, name, version, data)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, region, name, version)"
                    " DO UPDATE SET data = excluded.data",
                    version_rows,
                )
            if alias_rows:
                tx.executemany(
                    "INSERT INTO lambda_aliases (account, region, name, alias, data)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, region, name, alias)"
                    " DO UPDATE SET data = excluded.data",
                    alias_rows,
                )
            if provisioned_rows:
                tx.executemany(
                    "INSERT INTO lambda_provisioned (account, region, name, qualifier, data)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, region, name, qualifier)"
                    " DO UPDATE SET data = excluded.data",
                    provisioned_rows,
                )

        await self.store.write(write)

    async def delete_function(self, function: Function) -> None:
        key = function.key

        def delete(tx: Tx) -> None:
            for table in (
                "lambda_functions",
                "lambda_versions",
                "lambda_aliases",
                "lambda_provisioned",
            ):
                tx.execute(
                    f"DELETE FROM {table} WHERE account = ? AND region = ? AND name = ?", key
                )

        await self.store.write(delete)

    async def delete_rows(
        self,
        function: Function,
        versions: Iterable[str] = (),
        aliases: Iterable[str] = (),
        provisioned: Iterable[str] = (),
    ) -> None:
        """Remove some of a function's versions, aliases or provisioned configurations."""
        key = function.key
        rows = [
            ("lambda_versions", "version", list(versions)),
            ("lambda_aliases", "alias", list(aliases)),
            ("lambda_provisioned", "qualifier", list(provisioned)),
        ]

        def delete(tx: Tx) -> None:
            for table, column, names in rows:
                if names:
                    tx.executemany(
                        f"DELETE FROM {table} WHERE account = ? AND region = ? AND name = ?"
                        f" AND {column} = ?",
                        [(*key, name) for name in names],
                    )

        await self.store.write(delete)

    # -- layers -------------------------------------------------------------------------------

    async def save_layer(self, key: LayerKey, layer: LayerVersion) -> None:
        number, data = layer.number, _json(layer.to_row())

        def write(tx: Tx) -> None:
            tx.execute(
                "INSERT INTO lambda_layers (account, region, name, version, data)"
                " VALUES (?, ?, ?, ?, ?)",
                (*key, number, data),
            )
            tx.execute(
                "INSERT INTO lambda_layer_names (account, region, name, last_version)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (account, region, name)"
                " DO UPDATE SET last_version = excluded.last_version",
                (*key, number),
            )

        await self.store.write(write)

    async def delete_layer(self, key: LayerKey, number: int) -> None:
        def delete(tx: Tx) -> None:
            tx.execute(
                "DELETE FROM lambda_layers WHERE account = ? AND region = ? AND name = ?"
                " AND version = ?",
                (*key, number),
            )

        await self.store.write(delete)

    def code_size(self, scope: tuple[str, str]) -> int:
        """Bytes of packages an account keeps in a region: every version's and layer's zip."""
        total = sum(
            version.code.size
            for key, function in self.functions.items()
            if key[:2] == scope
            for version in function.all_versions()
        )
        return total + sum(
            layer.code.size
            for key, versions in self.layers.items()
            if key[:2] == scope
            for layer in versions.values()
        )

    def code_in_use(self) -> set[str]:
        """Every stored package a version or layer refers to, and every merged /opt."""
        used: set[str] = set()
        for function in self.functions.values():
            for version in function.all_versions():
                used.add(version.code.digest)
                used.update(layer.code.digest for layer in version.layers)
                if version.layers:
                    used.add(CodeStore.opt_key([layer.code for layer in version.layers]))
        for versions in self.layers.values():
            used.update(layer.code.digest for layer in versions.values())
        return used
