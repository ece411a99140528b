"""AddPermission, RemovePermission, GetPolicy: a function's resource-based policy.

One policy per function version or alias ($LATEST when unqualified), its statements written
as AWS writes them (Principal as `*`, `{"AWS": ...}` or `{"Service": ...}`, the request's
conditions as StringEquals/ArnLike/Bool), kept in their own table (component
`lambda_policies`). Stored and shown, not enforced: cloudlet does not evaluate IAM, so a
function URL with AuthType NONE answers without a `lambda:InvokeFunctionUrl` statement.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.base import Platform, RequestContext
from cloudlet.services.lambda_.core import LambdaCore
from cloudlet.services.lambda_.errors import conflict, invalid_parameter, revision_mismatch
from cloudlet.services.lambda_.model import Function
from cloudlet.services.lambda_.names import LATEST
from cloudlet.store import Migration, Store, Tx

COMPONENT = "lambda_policies"
MIGRATIONS: list[Migration] = [
    """
    CREATE TABLE lambda_policies (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        qualifier TEXT NOT NULL,
        statements TEXT NOT NULL,
        PRIMARY KEY (account, region, name, qualifier)
    );
    """,
]
PolicyKey = tuple[str, str, str, str]  # account, region, function name, qualifier
_ACCOUNT = re.compile(r"\d{12}")
_NO_POLICY = "No policy is associated with the given resource."


class Policies:
    """Every function's policy statements, in memory, a cache of their rows."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.statements: dict[PolicyKey, list[dict[str, Any]]] = {}
        store.migrate(COMPONENT, MIGRATIONS)
        store.read_now(self._load)

    def _load(self, tx: Tx) -> None:
        for account, region, name, qualifier, statements in tx.execute(
            "SELECT account, region, name, qualifier, statements FROM lambda_policies"
        ):
            self.statements[(account, region, name, qualifier)] = orjson.loads(statements)

    async def save(self, key: PolicyKey, statements: list[dict[str, Any]]) -> None:
        data = orjson.dumps(statements).decode()

        def write(tx: Tx) -> None:
            if statements:
                tx.execute(
                    "INSERT INTO lambda_policies (account, region, name, qualifier, statements)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, region, name, qualifier)"
                    " DO UPDATE SET statements = excluded.statements",
                    (*key, data),
                )
            else:
                tx.execute(
                    "DELETE FROM lambda_policies WHERE account = ? AND region = ? AND name = ?"
                    " AND qualifier = ?",
                    key,
                )

        await self.store.write(write)
        if statements:
            self.statements[key] = statements
        else:
            self.statements.pop(key, None)

    async def drop(self, account: str, region: str, name: str, qualifier: str | None) -> None:
        """Remove the policy of one qualifier, or, given None, every policy of the function."""
        keys = [
            key
            for key in self.statements
            if key[:3] == (account, region, name) and qualifier in (None, key[3])
        ]
        for key in keys:
            await self.save(key, [])


class PermissionOperations(LambdaCore):
    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.policies = Policies(self.store)

    async def add_permission(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        function, qualifier = self._policy_target(ctx, request, adding=True)
        self._check_revision(function, qualifier, request.get("RevisionId"))
        key = (*function.key, qualifier)
        statements = list(self.policies.statements.get(key, []))
        sid = request["StatementId"]
        if any(statement["Sid"] == sid for statement in statements):
            raise conflict(
                f"The statement id ({sid}) provided already exists. Please provide a new "
                "statement id, or remove the existing statement."
            )
        resource = function.arn if qualifier == LATEST else function.qualified_arn(qualifier)
        statement = _statement(request, resource)
        await self.policies.save(key, [*statements, statement])
        return {"Statement": orjson.dumps(statement).decode()}

    async def remove_permission(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        function, qualifier = self._policy_target(ctx, request)
        key = (*function.key, qualifier)
        statements = self.policies.statements.get(key)
        if not statements:
            raise ServiceError("ResourceNotFoundException", _NO_POLICY, status=404)
        sid = request["StatementId"]
        kept = [statement for statement in statements if statement["Sid"] != sid]
        if len(kept) == len(statements):
            raise ServiceError(
                "ResourceNotFoundException",
                f"Statement {sid} is not found in resource policy.",
                status=404,
            )
        self._check_revision(function, qualifier, request.get("RevisionId"))
        await self.policies.save(key, kept)

    async def get_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        function, qualifier = self._policy_target(ctx, request)
        statements = self.policies.statements.get((*function.key, qualifier))
        if not statements:
            raise ServiceError(
                "ResourceNotFoundException",
                "The resource you requested does not exist.",
                status=404,
            )
        policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
        return {
            "Policy": orjson.dumps(policy).decode(),
            "RevisionId": self._revision(function, qualifier),
        }

    async def delete_function(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        function, ref = self.lookup(ctx, request["FunctionName"], request.get("Qualifier"))
        await super().delete_function(ctx, request)
        await self.policies.drop(*function.key, ref.qualifier)

    async def delete_alias(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        function = self.unqualified(ctx, request["FunctionName"])
        await super().delete_alias(ctx, request)
        await self.policies.drop(*function.key, request["Name"])

    def _policy_target(
        self, ctx: RequestContext, request: dict[str, Any], *, adding: bool = False
    ) -> tuple[Function, str]:
        """The function and the qualifier whose policy the request names (it must exist)."""
        function, ref = self.lookup(ctx, request["FunctionName"], request.get("Qualifier"))
        if adding and ref.qualifier == LATEST:
            raise invalid_parameter("We currently do not support adding policies for $LATEST.")
        qualifier = ref.qualifier or LATEST
        self.resolve(function, qualifier)
        return function, qualifier

    def _revision(self, function: Function, qualifier: str) -> str:
        alias = function.aliases.get(qualifier)
        if alias is not None:
            return str(alias.config["RevisionId"])
        return str(self.resolve(function, qualifier).config["RevisionId"])

    def _check_revision(self, function: Function, qualifier: str, given: str | None) -> None:
        if given is not None and given != self._revision(function, qualifier):
            raise revision_mismatch()


def _statement(request: dict[str, Any], resource: str) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": request["StatementId"],
        "Effect": "Allow",
        "Principal": _principal(request["Principal"]),
        "Action": request["Action"],
        "Resource": resource,
    }
    condition: dict[str, dict[str, str]] = {}
    equals = {
        "AWS:SourceAccount": request.get("SourceAccount"),
        "aws:PrincipalOrgID": request.get("PrincipalOrgID"),
        "lambda:EventSourceToken": request.get("EventSourceToken"),
        "lambda:FunctionUrlAuthType": request.get("FunctionUrlAuthType"),
    }
    if any(value is not None for value in equals.values()):
        condition["StringEquals"] = {k: v for k, v in equals.items() if v is not None}
    if request.get("SourceArn") is not None:
        condition["ArnLike"] = {"AWS:SourceArn": request["SourceArn"]}
    if request.get("InvokedViaFunctionUrl"):
        condition["Bool"] = {"lambda:InvokedViaFunctionUrl": "true"}
    if condition:
        statement["Condition"] = condition
    return statement


def _principal(principal: str) -> str | dict[str, str]:
    """A principal as the policy writes it: `*`, an account's root, an ARN or a service."""
    if principal == "*":
        return "*"
    if _ACCOUNT.fullmatch(principal):
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    if principal.startswith("arn:"):
        return {"AWS": principal}
    if "." in principal:
        return {"Service": principal}
    raise invalid_parameter(
        "The provided principal was invalid. Please check the principal and try again."
    )
