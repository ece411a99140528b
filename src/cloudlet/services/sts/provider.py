"""The STS provider: GetCallerIdentity, and AssumeRole issuing temporary credentials.

Issued keys live in the store and, for the authenticator's per-request lookups, in memory.
The provider is also the `Sessions` port (delivery/ports.py): Lambda assumes execution roles
through it.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import replace
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.validate import Problem, coral_message
from cloudlet.services.base import RequestContext, Service
from cloudlet.services.sts.credentials import TemporaryKey, derived_role_id, new_key
from cloudlet.services.sts.roles import find_role
from cloudlet.services.sts.schema import MIGRATIONS
from cloudlet.store import Tx

DEFAULT_DURATION = 3600
# Session policies are packed into the token; AWS reports their share of the room there is.
PACKED_POLICY_ROOM = 2048
# Expired keys are remembered a while (a day, scaled as their durations are), so that using
# one is "expired", not "unknown".
FORGET_AFTER = 24 * 3600


class SecurityTokenService(Service):
    name = "sts"
    migrations = MIGRATIONS
    validation_error_code = "ValidationError"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.platform.ports.sessions = self
        self.keys: dict[str, TemporaryKey] = {
            key.access_key_id: key
            for key in self.store.read_now(lambda tx: _load_keys(tx, self._forgotten()))
        }

    def invalid_input(self, operation: str, problems: list[Problem]) -> ServiceError:
        # STS quotes numbers in these messages ("Value '0' at 'maxItems'"), and answers a
        # value of the wrong type (a non-number) like any other constraint it breaks.
        quoted = [
            replace(problem, value=str(problem.value))
            if isinstance(problem.value, int | float)
            else problem
            for problem in problems
        ]
        return ServiceError("ValidationError", coral_message(quoted))

    def status(self) -> dict[str, Any]:
        now = time.time()
        return {"temporary_credentials": sum(key.expires_at > now for key in self.keys.values())}

    def temporary_key(self, access_key_id: str) -> TemporaryKey | None:
        """The temporary key AssumeRole issued as `access_key_id`, expired or not; None if
        STS never issued it. For the gateway's authenticator, on every request it verifies."""
        return self.keys.get(access_key_id)

    async def get_caller_identity(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key = self._live_key(ctx.access_key_id)
        if key is not None:
            return {"UserId": key.user_id, "Account": key.account_id, "Arn": key.arn}
        return {
            "UserId": ctx.account_id,
            "Account": ctx.account_id,
            "Arn": f"arn:aws:iam::{ctx.account_id}:root",
        }

    async def assume_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn, session = request["RoleArn"], request["RoleSessionName"]
        account = _role_account(arn)
        role = await self.store.read(lambda tx: find_role(tx, account, arn)) if account else None
        if role is None:
            raise ServiceError(
                "AccessDenied",
                f"User: {self._caller_arn(ctx)} is not authorized to perform: sts:AssumeRole on"
                f" resource: {arn}",
                status=403,
            )
        duration = request.get("DurationSeconds") or DEFAULT_DURATION
        if duration > role.max_session_duration:
            raise ServiceError(
                "ValidationError",
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            )
        packed = _packed_policy_size(request.get("Policy"), request.get("PolicyArns") or [])
        key = await self._issue(account, role.name, role.role_id, session, duration)
        result: dict[str, Any] = {
            "Credentials": {
                "AccessKeyId": key.access_key_id,
                "SecretAccessKey": key.secret_access_key,
                "SessionToken": key.session_token,
                "Expiration": key.expires_at,
            },
            "AssumedRoleUser": {"AssumedRoleId": key.user_id, "Arn": key.arn},
        }
        if packed is not None:
            result["PackedPolicySize"] = packed
        if request.get("SourceIdentity"):
            result["SourceIdentity"] = request["SourceIdentity"]
        return result

    async def assume(
        self, account_id: str, role_arn: str, session_name: str, duration: int
    ) -> TemporaryKey:
        """Credentials for `role_arn` as a service assumes it for its own work (Lambda, a
        function's execution role): no caller, no trust policy. The role need not exist in
        IAM (functions name their role without cloudlet checking it); its id is then one
        derived from the ARN, stable across calls."""
        role = await self.store.read(lambda tx: find_role(tx, account_id, role_arn))
        name = role_arn.rsplit("/", 1)[-1]
        role_id = role.role_id if role is not None else derived_role_id(role_arn)
        return await self._issue(account_id, name, role_id, session_name, duration)

    async def _issue(
        self, account: str, role_name: str, role_id: str, session: str, duration: int
    ) -> TemporaryKey:
        """New credentials for a session of a role, committed before they are handed out."""
        key = new_key(
            account_id=account,
            arn=f"arn:aws:sts::{account}:assumed-role/{role_name}/{session}",
            user_id=f"{role_id}:{session}",
            expires_at=time.time() + duration / self.config.sts_duration_scale,
        )

        forgotten = self._forgotten()

        def insert(tx: Tx) -> None:
            tx.execute("DELETE FROM sts_credentials WHERE expires_at <= ?", (forgotten,))
            tx.execute(
                "INSERT INTO sts_credentials (access_key_id, secret_access_key, session_token,"
                " account, arn, user_id, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key.access_key_id,
                    key.secret_access_key,
                    key.session_token,
                    key.account_id,
                    key.arn,
                    key.user_id,
                    key.expires_at,
                ),
            )

        await self.store.write(insert)
        for stale in [k for k, held in self.keys.items() if held.expires_at <= forgotten]:
            del self.keys[stale]  # as at start-up: past a day expired, a key is unknown
        self.keys[key.access_key_id] = key
        return key

    def _forgotten(self) -> float:
        """Keys that expired before this time are forgotten."""
        return time.time() - FORGET_AFTER / self.config.sts_duration_scale

    def _live_key(self, access_key_id: str) -> TemporaryKey | None:
        key = self.keys.get(access_key_id)
        return key if key is not None and key.expires_at > time.time() else None

    def _caller_arn(self, ctx: RequestContext) -> str:
        key = self._live_key(ctx.access_key_id)
        return key.arn if key is not None else f"arn:aws:iam::{ctx.account_id}:root"


def _load_keys(tx: Tx, since: float) -> list[TemporaryKey]:
    rows = tx.execute(
        "SELECT access_key_id, secret_access_key, session_token, account, arn, user_id,"
        " expires_at FROM sts_credentials WHERE expires_at > ?",
        (since,),
    ).fetchall()
    return [TemporaryKey(*row) for row in rows]


def _role_account(arn: str) -> str | None:
    """The account of a role ARN (`arn:aws:iam::123456789012:role/path/name`), else None."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "iam"] or not parts[5].startswith("role/"):
        return None
    return parts[4] or None


def _packed_policy_size(policy: str | None, policy_arns: list[dict[str, str]]) -> int | None:
    """The share (percent) of the token's policy room that session policies take up."""
    if policy is None and not policy_arns:
        return None
    size = sum(len(item.get("arn", "")) for item in policy_arns)
    if policy is not None:
        try:
            size += len(json.dumps(json.loads(policy), separators=(",", ":")))
        except ValueError:
            raise ServiceError(
                "MalformedPolicyDocumentException", "The policy is not in the valid JSON format."
            ) from None
    percent = math.ceil(size * 100 / PACKED_POLICY_ROOM)
    if percent > 100:
        raise ServiceError(
            "PackedPolicyTooLargeException",
            f"Packed policy consumes {percent}% of allotted space, please use smaller policy"
            " for your request.",
        )
    return percent
