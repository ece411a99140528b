"""Temporary credentials as STS issues them: ASIA access keys, secrets and session tokens."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
from dataclasses import dataclass

_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


@dataclass(frozen=True, slots=True)
class TemporaryKey:
    """An issued key, shaped like the authenticator's signing keys: the secret that signs
    requests, the account it acts for, its session token and its end (epoch seconds); and
    who it is (`arn`, `user_id`) for GetCallerIdentity."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    account_id: str
    arn: str
    user_id: str
    expires_at: float


def new_key(account_id: str, arn: str, user_id: str, expires_at: float) -> TemporaryKey:
    return TemporaryKey(
        access_key_id="ASIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16)),
        secret_access_key="".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40)),
        # Real tokens are a few hundred characters of base64; clients only pass them back.
        session_token=base64.b64encode(secrets.token_bytes(270)).decode(),
        account_id=account_id,
        arn=arn,
        user_id=user_id,
        expires_at=expires_at,
    )


def derived_role_id(role_arn: str) -> str:
    """A role id (AROA and 17 characters) for a role IAM does not hold, the same each time."""
    digest = hashlib.sha256(role_arn.encode()).digest()
    return "AROA" + "".join(_KEY_ALPHABET[byte % len(_KEY_ALPHABET)] for byte in digest[:17])
