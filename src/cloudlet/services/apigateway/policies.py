"""Lambda authorizers' answers: IAM policies (`execute-api:Invoke` on route ARNs, with `*`
and `?` wildcards; an explicit Deny wins) and the result cache keyed by identity sources."""

from __future__ import annotations

import fnmatch
import re
import time
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1024)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(text), re.DOTALL)


def _listed(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value]
    return []


def evaluate(policy: Any, arn: str) -> str:
    """ "allow", "deny" (an explicit Deny matches) or "none" (no statement allows)."""
    if not isinstance(policy, dict):
        return "none"
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements if isinstance(statements, list) else []:
        if not isinstance(statement, dict):
            continue
        actions = _listed(statement.get("Action"))
        if not any(_pattern(action).match("execute-api:Invoke") for action in actions):
            continue
        if not any(
            _pattern(resource).match(arn) for resource in _listed(statement.get("Resource"))
        ):
            continue
        effect = str(statement.get("Effect", "")).lower()
        if effect == "deny":
            return "deny"
        allowed = allowed or effect == "allow"
    return "allow" if allowed else "none"


def valid_policy_answer(answer: Any) -> bool:
    """Whether a Lambda authorizer's IAM-policy answer has the shape API Gateway needs."""
    return (
        isinstance(answer, dict)
        and isinstance(answer.get("policyDocument"), dict)
        and isinstance(answer.get("context", {}), dict)
    )


class ResultCache:
    """Authorizer answers by (authorizer, identity values), each for its TTL."""

    def __init__(self) -> None:
        self.entries: dict[tuple[object, ...], tuple[float, Any]] = {}

    def get(self, key: tuple[object, ...]) -> Any:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self.entries[key]
            return None
        return entry[1]

    def put(self, key: tuple[object, ...], ttl: int, value: Any) -> None:
        if ttl > 0:
            if len(self.entries) > 10_000:
                self.entries.clear()
            self.entries[key] = (time.monotonic() + ttl, value)

    def forget(self, prefix: object) -> None:
        """Drop every entry of one authorizer or API (whose key starts with `prefix`)."""
        for key in [k for k in self.entries if k[0] == prefix]:
            del self.entries[key]
