"""AddPermission and RemovePermission: statements of the queue's Policy, one per label."""

from __future__ import annotations

import re
from typing import Any

import orjson

from cloudlet.services.base import RequestContext
from cloudlet.services.sqs.base import SqsBase
from cloudlet.services.sqs.errors import invalid_value
from cloudlet.services.sqs.queues import Queue

_LABEL = re.compile(r"[A-Za-z0-9_-]{1,80}")
# The actions a permission may grant ("*" for all of them).
SHAREABLE_ACTIONS = frozenset(
    {
        "*",
        "ChangeMessageVisibility",
        "DeleteMessage",
        "GetQueueAttributes",
        "GetQueueUrl",
        "ListDeadLetterSourceQueues",
        "PurgeQueue",
        "ReceiveMessage",
        "SendMessage",
    }
)


class PermissionOperations(SqsBase):
    async def add_permission(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        queue = self._queue(ctx, request["QueueUrl"])
        label = request["Label"]
        if not _LABEL.fullmatch(label):
            raise invalid_value("Label", label, "Can only include alphanumeric characters, "
                                "hyphens, or underscores. 1 to 80 in length.")  # fmt: skip
        for action in request["Actions"]:
            if action not in SHAREABLE_ACTIONS:
                raise invalid_value(
                    "ActionName",
                    f"SQS:{action}",
                    "Please refer to the appropriate WSDL for a list of valid actions.",
                )
        policy = _policy(queue)
        if any(statement.get("Sid") == label for statement in policy["Statement"]):
            raise invalid_value("Label", label, "Already exists.")
        principals = [f"arn:aws:iam::{account}:root" for account in request["AWSAccountIds"]]
        actions = [f"SQS:{action}" for action in request["Actions"]]
        policy["Statement"].append(
            {
                "Sid": label,
                "Effect": "Allow",
                "Principal": {"AWS": _one_or_list(principals)},
                "Action": _one_or_list(actions),
                "Resource": queue.arn,
            }
        )
        await self._save_policy(queue, policy)

    async def remove_permission(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        queue = self._queue(ctx, request["QueueUrl"])
        label = request["Label"]
        policy = _policy(queue)
        kept = [statement for statement in policy["Statement"] if statement.get("Sid") != label]
        if len(kept) == len(policy["Statement"]):
            raise invalid_value("Label", label, "can't find label.")
        policy["Statement"] = kept
        await self._save_policy(queue, policy)

    async def _save_policy(self, queue: Queue, policy: dict[str, Any]) -> None:
        attributes = dict(queue.attributes)
        if policy["Statement"]:
            attributes["Policy"] = orjson.dumps(policy).decode()
        else:  # the last permission gone, the queue has no policy left
            attributes.pop("Policy", None)
        await self.registry.save(queue, attributes, queue.tags)


def _policy(queue: Queue) -> dict[str, Any]:
    """The queue's policy document, or the empty one AddPermission starts."""
    text = queue.attributes.get("Policy")
    policy = orjson.loads(text) if text else {}
    policy.setdefault("Version", "2008-10-17")
    policy.setdefault("Id", f"{queue.arn}/SQSDefaultPolicy")
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    policy["Statement"] = statements if isinstance(statements, list) else []
    return policy


def _one_or_list(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values
