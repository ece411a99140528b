"""Policy documents: JSON on the way in, URL-encoded JSON on the way out, as IAM returns them.

IAM answers with documents percent-encoded (RFC 3986); boto3 and the aws CLI decode them
back into JSON themselves. Documents are stored as given, byte for byte.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from cloudlet.services.iam.errors import limit_exceeded, malformed_policy

# IAM's words for a document that is not JSON: a role's trust policy, and any other policy.
TRUST_POLICY_NOT_JSON = "This policy contains invalid Json"
POLICY_NOT_JSON = "Syntax errors in policy."

MANAGED_POLICY_MAX_CHARS = 6144


def check_document(document: str, not_json: str = POLICY_NOT_JSON) -> None:
    """Refuse a document that is not a JSON object, with IAM's MalformedPolicyDocument."""
    try:
        parsed = json.loads(document)
    except ValueError:
        raise malformed_policy(not_json) from None
    if not isinstance(parsed, dict):
        raise malformed_policy(not_json)


def check_managed_size(document: str) -> None:
    """A managed policy's document is limited to 6,144 characters, whitespace aside."""
    if len("".join(document.split())) > MANAGED_POLICY_MAX_CHARS:
        raise limit_exceeded(f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_MAX_CHARS}")


def on_the_wire(document: str) -> str:
    """A document as IAM's answers carry it."""
    return quote(document, safe="")
