"""The IAM roles AssumeRole may assume, read from IAM's own table.

IAM and STS are separate packages that never import each other; STS reads IAM's `iam_roles`
table through the store, read-only, as the one place that says which roles exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudlet.store import Tx


@dataclass(frozen=True)
class AssumableRole:
    name: str
    role_id: str
    max_session_duration: int


def find_role(tx: Tx, account: str, arn: str) -> AssumableRole | None:
    """The role whose ARN is `arn` in `account`, None if there is none."""
    row = tx.execute(
        "SELECT name, role_id, max_session_duration FROM iam_roles WHERE account = ? AND arn = ?",
        (account, arn),
    ).fetchone()
    return None if row is None else AssumableRole(row[0], row[1], row[2])
