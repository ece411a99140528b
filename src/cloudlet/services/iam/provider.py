"""The IAM provider: roles with their trust, inline and attached policies; managed policies.

Every operation reads or writes the store directly: IAM is not on a hot path, and one place
for the truth keeps restarts and several nodes simple. Policies are stored, not enforced.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.validate import Problem, coral_message
from cloudlet.services.base import RequestContext, Service
from cloudlet.services.iam.documents import (
    TRUST_POLICY_NOT_JSON,
    check_document,
    check_managed_size,
    on_the_wire,
)
from cloudlet.services.iam.errors import (
    already_exists,
    delete_conflict,
    invalid_input,
    limit_exceeded,
    no_such_entity,
    no_such_role,
)
from cloudlet.services.iam.identifiers import new_id, page, paged, policy_arn, role_arn
from cloudlet.services.iam.managed import AWS_POLICY_PREFIX, CREATED, MANAGED_POLICIES
from cloudlet.services.iam.schema import MIGRATIONS
from cloudlet.store import Tx

# IAM's default quotas.
ROLES_PER_ACCOUNT = 1000
POLICIES_PER_ROLE = 10
TAGS_PER_ROLE = 50
INLINE_POLICY_CHARS_PER_ROLE = 10240

_ROLE_COLUMNS = (
    "name, role_id, path, arn, trust_policy, description, max_session_duration,"
    " permissions_boundary, tags, created"
)
_POLICY_COLUMNS = "name, policy_id, path, arn, description, default_version, tags, created, updated"


@dataclass(frozen=True)
class Role:
    name: str
    role_id: str
    path: str
    arn: str
    trust_policy: str
    description: str | None
    max_session_duration: int
    permissions_boundary: str | None
    tags: list[dict[str, str]]
    created: float

    def describe(self, *, full: bool = True) -> dict[str, Any]:
        """The role as IAM's `Role` shape; ListRoles leaves out tags and boundary (`full`)."""
        out: dict[str, Any] = {
            "Path": self.path,
            "RoleName": self.name,
            "RoleId": self.role_id,
            "Arn": self.arn,
            "CreateDate": self.created,
            "AssumeRolePolicyDocument": on_the_wire(self.trust_policy),
            "MaxSessionDuration": self.max_session_duration,
        }
        if self.description is not None:
            out["Description"] = self.description
        if full:
            if self.permissions_boundary:
                out["PermissionsBoundary"] = {
                    "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                    "PermissionsBoundaryArn": self.permissions_boundary,
                }
            if self.tags:
                out["Tags"] = self.tags
            out["RoleLastUsed"] = {}
        return out


@dataclass(frozen=True)
class Policy:
    name: str
    policy_id: str
    path: str
    arn: str
    description: str | None
    default_version: str
    tags: list[dict[str, str]]
    created: float
    updated: float

    def describe(self, attachments: int, *, full: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "PolicyName": self.name,
            "PolicyId": self.policy_id,
            "Arn": self.arn,
            "Path": self.path,
            "DefaultVersionId": self.default_version,
            "AttachmentCount": attachments,
            "PermissionsBoundaryUsageCount": 0,
            "IsAttachable": True,
            "CreateDate": self.created,
            "UpdateDate": self.updated,
        }
        if full and self.description is not None:
            out["Description"] = self.description
        if full and self.tags:
            out["Tags"] = self.tags
        return out


class IamService(Service):
    name = "iam"
    migrations = MIGRATIONS
    validation_error_code = "ValidationError"

    def invalid_input(self, operation: str, problems: list[Problem]) -> ServiceError:
        # IAM quotes numbers in these messages ("Value '0' at 'maxItems'"), and answers a
        # value of the wrong type (a non-number) like any other constraint it breaks.
        return ServiceError("ValidationError", coral_message(problems, quote_numbers=True))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What `cloudlet status` shows, counted once here and kept up to date by the
        # operations, so that status never waits for the store.
        self.counts: dict[str, int] = dict(
            zip(("roles", "policies"), self.store.read_now(_count), strict=True)
        )

    def status(self) -> dict[str, Any]:
        return dict(self.counts)

    # -- roles ------------------------------------------------------------------------------

    async def create_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["RoleName"]
        trust_policy = request["AssumeRolePolicyDocument"]
        check_document(trust_policy, TRUST_POLICY_NOT_JSON)
        tags = _checked_tags(request.get("Tags") or [], [])
        path = request.get("Path") or "/"
        account = ctx.account_id
        role = Role(
            name=name,
            role_id=new_id("AROA"),
            path=path,
            arn=role_arn(account, path, name),
            trust_policy=trust_policy,
            description=request.get("Description"),
            max_session_duration=request.get("MaxSessionDuration") or 3600,
            permissions_boundary=request.get("PermissionsBoundary"),
            tags=tags,
            created=float(int(time.time())),
        )

        def insert(tx: Tx) -> None:
            if _find_role(tx, account, name) is not None:
                raise already_exists(f"Role with name {name} already exists.")
            count = tx.execute(
                "SELECT COUNT(*) FROM iam_roles WHERE account = ?", (account,)
            ).fetchone()[0]
            if count >= ROLES_PER_ACCOUNT:
                raise limit_exceeded(
                    f"Cannot exceed quota for RolesPerAccount: {ROLES_PER_ACCOUNT}."
                )
            tx.execute(
                f"INSERT INTO iam_roles (account, name_key, {_ROLE_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    account,
                    name.lower(),
                    role.name,
                    role.role_id,
                    role.path,
                    role.arn,
                    role.trust_policy,
                    role.description,
                    role.max_session_duration,
                    role.permissions_boundary,
                    orjson.dumps(role.tags).decode(),
                    role.created,
                ),
            )

        await self.store.write(insert)
        self.counts["roles"] += 1
        return {"Role": role.describe()}

    async def get_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        role = await self._role(ctx.account_id, request["RoleName"])
        return {"Role": role.describe()}

    async def list_roles(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        prefix = request.get("PathPrefix") or "/"

        def select(tx: Tx) -> list[Role]:
            rows = tx.execute(
                f"SELECT {_ROLE_COLUMNS} FROM iam_roles WHERE account = ? ORDER BY name_key",
                (ctx.account_id,),
            ).fetchall()
            return [_role(row) for row in rows]

        roles = [r for r in await self.store.read(select) if r.path.startswith(prefix)]
        chosen, marker = page(roles, _name_key, request.get("Marker"), request.get("MaxItems"))
        return paged({"Roles": [r.describe(full=False) for r in chosen]}, marker)

    async def delete_role(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        name = request["RoleName"]
        account = ctx.account_id

        def delete(tx: Tx) -> None:
            if _find_role(tx, account, name) is None:
                raise no_such_role(name)
            key = (account, name.lower())
            if tx.execute(
                "SELECT 1 FROM iam_attachments WHERE account = ? AND role_key = ? LIMIT 1", key
            ).fetchone():
                raise delete_conflict("Cannot delete entity, must detach all policies first.")
            if tx.execute(
                "SELECT 1 FROM iam_role_policies WHERE account = ? AND role_key = ? LIMIT 1", key
            ).fetchone():
                raise delete_conflict("Cannot delete entity, must delete policies first.")
            tx.execute("DELETE FROM iam_roles WHERE account = ? AND name_key = ?", key)

        await self.store.write(delete)
        self.counts["roles"] -= 1

    async def update_assume_role_policy(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        name = request["RoleName"]
        document = request["PolicyDocument"]
        check_document(document, TRUST_POLICY_NOT_JSON)
        await self._update_role(ctx.account_id, name, "trust_policy = ?", (document,))

    async def update_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["RoleName"]
        role = await self._role(ctx.account_id, name)
        description = request.get("Description", role.description)
        duration = request.get("MaxSessionDuration") or role.max_session_duration
        await self._update_role(
            ctx.account_id,
            name,
            "description = ?, max_session_duration = ?",
            (description, duration),
        )
        return {}

    # -- role tags --------------------------------------------------------------------------

    async def tag_role(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        role = await self._role(ctx.account_id, request["RoleName"])
        tags = _checked_tags(request["Tags"], role.tags)
        await self._update_role(
            ctx.account_id, role.name, "tags = ?", (orjson.dumps(tags).decode(),)
        )

    async def untag_role(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        role = await self._role(ctx.account_id, request["RoleName"])
        removed = {key.lower() for key in request["TagKeys"]}
        tags = [tag for tag in role.tags if tag["Key"].lower() not in removed]
        await self._update_role(
            ctx.account_id, role.name, "tags = ?", (orjson.dumps(tags).decode(),)
        )

    async def list_role_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        role = await self._role(ctx.account_id, request["RoleName"])
        numbered = [(f"{i:08d}", tag) for i, tag in enumerate(role.tags)]
        chosen, marker = page(
            numbered, lambda item: item[0], request.get("Marker"), request.get("MaxItems")
        )
        return paged({"Tags": [tag for _, tag in chosen]}, marker)

    # -- inline role policies ---------------------------------------------------------------

    async def put_role_policy(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        role_name, policy_name = request["RoleName"], request["PolicyName"]
        document = request["PolicyDocument"]
        check_document(document)
        account = ctx.account_id

        def put(tx: Tx) -> None:
            if _find_role(tx, account, role_name) is None:
                raise no_such_role(role_name)
            others = tx.execute(
                "SELECT document FROM iam_role_policies WHERE account = ? AND role_key = ?"
                " AND name != ?",
                (account, role_name.lower(), policy_name),
            ).fetchall()
            size = sum(_chars(row[0]) for row in others) + _chars(document)
            if size > INLINE_POLICY_CHARS_PER_ROLE:
                raise limit_exceeded(
                    f"Maximum policy size of {INLINE_POLICY_CHARS_PER_ROLE} bytes exceeded for"
                    f" role {role_name}"
                )
            tx.execute(
                "INSERT INTO iam_role_policies (account, role_key, name, document)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (account, role_key, name)"
                " DO UPDATE SET document = excluded.document",
                (account, role_name.lower(), policy_name, document),
            )

        await self.store.write(put)

    async def get_role_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        role = await self._role(ctx.account_id, request["RoleName"])
        policy_name = request["PolicyName"]

        def select(tx: Tx) -> Any:
            return tx.execute(
                "SELECT document FROM iam_role_policies WHERE account = ? AND role_key = ?"
                " AND name = ?",
                (ctx.account_id, role.name.lower(), policy_name),
            ).fetchone()

        row = await self.store.read(select)
        if row is None:
            raise no_such_entity(f"The role policy with name {policy_name} cannot be found.")
        return {
            "RoleName": role.name,
            "PolicyName": policy_name,
            "PolicyDocument": on_the_wire(row[0]),
        }

    async def delete_role_policy(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        role_name, policy_name = request["RoleName"], request["PolicyName"]
        account = ctx.account_id

        def delete(tx: Tx) -> None:
            if _find_role(tx, account, role_name) is None:
                raise no_such_role(role_name)
            deleted = tx.execute(
                "DELETE FROM iam_role_policies WHERE account = ? AND role_key = ? AND name = ?",
                (account, role_name.lower(), policy_name),
            ).rowcount
            if not deleted:
                raise no_such_entity(f"The role policy with name {policy_name} cannot be found.")

        await self.store.write(delete)

    async def list_role_policies(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        role = await self._role(ctx.account_id, request["RoleName"])

        def select(tx: Tx) -> list[str]:
            rows = tx.execute(
                "SELECT name FROM iam_role_policies WHERE account = ? AND role_key = ?"
                " ORDER BY name",
                (ctx.account_id, role.name.lower()),
            ).fetchall()
            return [row[0] for row in rows]

        names = await self.store.read(select)
        chosen, marker = page(names, str, request.get("Marker"), request.get("MaxItems"))
        return paged({"PolicyNames": chosen}, marker)

    # -- attached (managed) role policies ---------------------------------------------------

    async def attach_role_policy(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        role_name, arn = request["RoleName"], request["PolicyArn"]
        _check_policy_arn(arn)
        account = ctx.account_id

        def attach(tx: Tx) -> None:
            if _find_role(tx, account, role_name) is None:
                raise no_such_role(role_name)
            if arn not in MANAGED_POLICIES and _find_policy(tx, account, arn) is None:
                raise no_such_entity(f"Policy {arn} does not exist or is not attachable.")
            attached = [
                row[0]
                for row in tx.execute(
                    "SELECT policy_arn FROM iam_attachments WHERE account = ? AND role_key = ?",
                    (account, role_name.lower()),
                )
            ]
            if arn in attached:
                return
            if len(attached) >= POLICIES_PER_ROLE:
                raise limit_exceeded(
                    f"Cannot exceed quota for PoliciesPerRole: {POLICIES_PER_ROLE}."
                )
            tx.execute(
                "INSERT INTO iam_attachments (account, role_key, policy_arn) VALUES (?, ?, ?)",
                (account, role_name.lower(), arn),
            )

        await self.store.write(attach)

    async def detach_role_policy(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        role_name, arn = request["RoleName"], request["PolicyArn"]
        _check_policy_arn(arn)
        account = ctx.account_id

        def detach(tx: Tx) -> None:
            if _find_role(tx, account, role_name) is None:
                raise no_such_role(role_name)
            deleted = tx.execute(
                "DELETE FROM iam_attachments WHERE account = ? AND role_key = ? AND policy_arn = ?",
                (account, role_name.lower(), arn),
            ).rowcount
            if not deleted:
                raise no_such_entity(f"Policy {arn} was not found.")

        await self.store.write(detach)

    async def list_attached_role_policies(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        role = await self._role(ctx.account_id, request["RoleName"])
        prefix = request.get("PathPrefix") or "/"

        def select(tx: Tx) -> list[tuple[str, str, str]]:
            found = []
            for (arn,) in tx.execute(
                "SELECT policy_arn FROM iam_attachments WHERE account = ? AND role_key = ?",
                (ctx.account_id, role.name.lower()),
            ).fetchall():
                managed = MANAGED_POLICIES.get(arn)
                if managed is not None:
                    found.append((managed.name, managed.path, arn))
                    continue
                policy = _find_policy(tx, ctx.account_id, arn)
                if policy is not None:
                    found.append((policy.name, policy.path, arn))
            return sorted(found)

        attached = [a for a in await self.store.read(select) if a[1].startswith(prefix)]
        chosen, marker = page(
            attached, lambda item: item[2], request.get("Marker"), request.get("MaxItems")
        )
        policies = [{"PolicyName": name, "PolicyArn": arn} for name, _, arn in chosen]
        return paged({"AttachedPolicies": policies}, marker)

    # -- managed policies -------------------------------------------------------------------

    async def create_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["PolicyName"]
        document = request["PolicyDocument"]
        check_document(document)
        check_managed_size(document)
        account = ctx.account_id
        path = request.get("Path") or "/"
        now = float(int(time.time()))
        policy = Policy(
            name=name,
            policy_id=new_id("ANPA"),
            path=path,
            arn=policy_arn(account, path, name),
            description=request.get("Description"),
            default_version="v1",
            tags=_checked_tags(request.get("Tags") or [], []),
            created=now,
            updated=now,
        )

        def insert(tx: Tx) -> None:
            if tx.execute(
                "SELECT 1 FROM iam_policies WHERE account = ? AND name_key = ?",
                (account, name.lower()),
            ).fetchone():
                raise already_exists(
                    f"A policy called {name} already exists. Duplicate names are not allowed."
                )
            tx.execute(
                f"INSERT INTO iam_policies (account, name_key, {_POLICY_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    account,
                    name.lower(),
                    policy.name,
                    policy.policy_id,
                    policy.path,
                    policy.arn,
                    policy.description,
                    policy.default_version,
                    orjson.dumps(policy.tags).decode(),
                    policy.created,
                    policy.updated,
                ),
            )
            tx.execute(
                "INSERT INTO iam_policy_versions (account, policy_arn, version_id, document,"
                " created) VALUES (?, ?, ?, ?, ?)",
                (account, policy.arn, policy.default_version, document, now),
            )

        await self.store.write(insert)
        self.counts["policies"] += 1
        described = policy.describe(0)
        described.pop("Description", None)  # CreatePolicy's answer leaves it out
        return {"Policy": described}

    async def get_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["PolicyArn"]
        _check_policy_arn(arn)

        def select(tx: Tx) -> tuple[Policy | None, int]:
            return _find_policy(tx, ctx.account_id, arn), _attachments(tx, ctx.account_id, arn)

        policy, attachments = await self.store.read(select)
        if policy is None:
            raise no_such_entity(f"Policy {arn} was not found.")
        return {"Policy": policy.describe(attachments)}

    async def get_policy_version(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        arn, version = request["PolicyArn"], request["VersionId"]
        _check_policy_arn(arn)
        managed = MANAGED_POLICIES.get(arn)

        def select(tx: Tx) -> Any:
            return tx.execute(
                "SELECT v.document, v.created, p.default_version FROM iam_policy_versions v"
                " JOIN iam_policies p ON p.account = v.account AND p.arn = v.policy_arn"
                " WHERE v.account = ? AND v.policy_arn = ? AND v.version_id = ?",
                (ctx.account_id, arn, version),
            ).fetchone()

        if managed is not None:
            row = (managed.document, CREATED.timestamp(), "v1") if version == "v1" else None
        else:
            row = await self.store.read(select)
        if row is None:
            raise no_such_entity(
                f"Policy {arn} version {version} does not exist or is not attachable."
            )
        document, created, default_version = row
        return {
            "PolicyVersion": {
                "Document": on_the_wire(document),
                "VersionId": version,
                "IsDefaultVersion": version == default_version,
                "CreateDate": created,
            }
        }

    async def list_policies(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        scope = request.get("Scope") or "All"
        prefix = request.get("PathPrefix") or "/"
        only_attached = bool(request.get("OnlyAttached"))

        def select(tx: Tx) -> list[tuple[Policy, int]]:
            counts = dict(
                tx.execute(
                    "SELECT policy_arn, COUNT(*) FROM iam_attachments WHERE account = ?"
                    " GROUP BY policy_arn",
                    (ctx.account_id,),
                ).fetchall()
            )
            found: list[Policy] = []
            if scope in ("All", "AWS"):
                found += [_as_policy(m) for m in MANAGED_POLICIES.values()]
            if scope in ("All", "Local"):
                rows = tx.execute(
                    f"SELECT {_POLICY_COLUMNS} FROM iam_policies WHERE account = ?",
                    (ctx.account_id,),
                ).fetchall()
                found += [_policy(row) for row in rows]
            return [(p, counts.get(p.arn, 0)) for p in found]

        policies = [
            (policy, count)
            for policy, count in await self.store.read(select)
            if policy.path.startswith(prefix) and (count or not only_attached)
        ]
        policies.sort(key=lambda item: item[0].name.lower())
        chosen, marker = page(
            policies,
            lambda item: item[0].name.lower(),
            request.get("Marker"),
            request.get("MaxItems"),
        )
        return paged({"Policies": [p.describe(n, full=False) for p, n in chosen]}, marker)

    async def delete_policy(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        arn = request["PolicyArn"]
        _check_policy_arn(arn)
        account = ctx.account_id

        def delete(tx: Tx) -> None:
            policy = _find_policy(tx, account, arn)
            if policy is None or arn in MANAGED_POLICIES:
                raise no_such_entity(f"Policy {arn} was not found.")
            if _attachments(tx, account, arn):
                raise delete_conflict("Cannot delete a policy attached to entities.")
            tx.execute(
                "DELETE FROM iam_policy_versions WHERE account = ? AND policy_arn = ?",
                (account, arn),
            )
            tx.execute("DELETE FROM iam_policies WHERE account = ? AND arn = ?", (account, arn))

        await self.store.write(delete)
        self.counts["policies"] -= 1

    # -- helpers ----------------------------------------------------------------------------

    async def _role(self, account: str, name: str) -> Role:
        role = await self.store.read(lambda tx: _find_role(tx, account, name))
        if role is None:
            raise no_such_role(name)
        return role

    async def _update_role(
        self, account: str, name: str, assignments: str, values: tuple[Any, ...]
    ) -> None:
        def update(tx: Tx) -> None:
            changed = tx.execute(
                f"UPDATE iam_roles SET {assignments} WHERE account = ? AND name_key = ?",
                (*values, account, name.lower()),
            ).rowcount
            if not changed:
                raise no_such_role(name)

        await self.store.write(update)


def _count(tx: Tx) -> tuple[int, int]:
    roles = tx.execute("SELECT COUNT(*) FROM iam_roles").fetchone()[0]
    policies = tx.execute("SELECT COUNT(*) FROM iam_policies").fetchone()[0]
    return int(roles), int(policies)


def _find_role(tx: Tx, account: str, name: str) -> Role | None:
    row = tx.execute(
        f"SELECT {_ROLE_COLUMNS} FROM iam_roles WHERE account = ? AND name_key = ?",
        (account, name.lower()),
    ).fetchone()
    return None if row is None else _role(row)


def _role(row: Any) -> Role:
    return Role(*row[:8], orjson.loads(row[8]), row[9])


def _find_policy(tx: Tx, account: str, arn: str) -> Policy | None:
    managed = MANAGED_POLICIES.get(arn)
    if managed is not None:
        return _as_policy(managed)
    row = tx.execute(
        f"SELECT {_POLICY_COLUMNS} FROM iam_policies WHERE account = ? AND arn = ?",
        (account, arn),
    ).fetchone()
    return None if row is None else _policy(row)


def _policy(row: Any) -> Policy:
    return Policy(*row[:6], orjson.loads(row[6]), row[7], row[8])


def _as_policy(managed: Any) -> Policy:
    created = CREATED.timestamp()
    return Policy(
        managed.name, managed.policy_id, managed.path, managed.arn, None, "v1", [], created, created
    )


def _attachments(tx: Tx, account: str, arn: str) -> int:
    return int(
        tx.execute(
            "SELECT COUNT(*) FROM iam_attachments WHERE account = ? AND policy_arn = ?",
            (account, arn),
        ).fetchone()[0]
    )


def _name_key(role: Role) -> str:
    return role.name.lower()


def _chars(document: str) -> int:
    """A policy's size as IAM counts it: whitespace is free."""
    return len("".join(document.split()))


def _check_policy_arn(arn: str) -> None:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam":
        raise invalid_input(f"ARN {arn} is not valid.")
    if not (parts[5].startswith("policy/") or arn.startswith(AWS_POLICY_PREFIX)):
        raise invalid_input(f"ARN {arn} is not valid.")


def _checked_tags(
    new: list[dict[str, str]], existing: list[dict[str, str]]
) -> list[dict[str, str]]:
    """`existing` tags updated with `new` ones; keys compare without case, as IAM's do."""
    keys = [tag["Key"].lower() for tag in new]
    if len(set(keys)) != len(keys):
        raise invalid_input(
            "Duplicate tag keys found. Please note that Tag keys are case insensitive."
        )
    merged = {tag["Key"].lower(): tag for tag in existing}
    merged.update({tag["Key"].lower(): {"Key": tag["Key"], "Value": tag["Value"]} for tag in new})
    if len(merged) > TAGS_PER_ROLE:
        raise limit_exceeded(f"Cannot exceed quota for TagsPerRole: {TAGS_PER_ROLE}.")
    return list(merged.values())
