"""Who may use a queue: its own account, and accounts its queue policy lets in.

Only the policy's principals are read (an Allow statement naming `*`, the caller's account
or one of its ARNs); actions and conditions are not evaluated yet, so a policy that lets an
account in for one action lets it in for all.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.services.sqs.errors import sqs_error
from cloudlet.services.sqs.queues import Queue


def check_access(queue: Queue, account: str, endpoint: str) -> None:
    """Raise AccessDenied unless `account` owns `queue` or its policy lets the account in."""
    if queue.account == account or _policy_admits(queue.attributes.get("Policy"), account):
        return
    raise sqs_error(
        "AccessDeniedException",
        f"Access to the resource {queue.url(endpoint)} is denied.",
    )


def _policy_admits(policy: str | None, account: str) -> bool:
    if not policy:
        return False
    try:
        document = orjson.loads(policy)
    except orjson.JSONDecodeError:
        return False
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    return any(
        isinstance(s, dict) and s.get("Effect") == "Allow" and _names(s.get("Principal"), account)
        for s in statements
    )


def _names(principal: Any, account: str) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        principal = principal.get("AWS", [])
    values = principal if isinstance(principal, list) else [principal]
    return any(value == "*" or value == account or f":{account}:" in str(value) for value in values)
