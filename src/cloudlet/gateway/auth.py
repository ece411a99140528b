"""Who is calling: a request's SigV4 signature mapped to an account, verified in strict mode.

On a loopback bind any key is accepted and maps to the configured account (000000000000 by
default). In strict mode (`CLOUDLET_AUTH=strict`, or any non-loopback bind) the signature
is verified against the configured credentials, or the temporary ones STS issued, and a
refusal is worded as the routed service words it (`auth_errors`). The region is always
the credential scope's.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cloudlet.config import Config, Credential
from cloudlet.gateway.auth_errors import Dialect, S3Dialect, dialect_for
from cloudlet.gateway.catalog import ServiceEntry
from cloudlet.gateway.http import Request
from cloudlet.gateway.protocols import WireProtocol
from cloudlet.gateway.sigv4 import Reason, Refusal, Signature, verify


@dataclass(frozen=True, slots=True)
class Identity:
    account_id: str
    access_key_id: str
    region: str


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A configured key: the secret that signs requests and the account it acts for, as
    the account's root. It never ends and takes no session token (STS's temporary keys
    have both)."""

    secret_access_key: str
    account_id: str
    session_token: str | None = None
    expires_at: float | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"

    @property
    def user_id(self) -> str:
        return self.account_id


class Key(Protocol):
    """What the authenticator needs of a key: a `SigningKey`, or STS's temporary keys."""

    @property
    def secret_access_key(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def session_token(self) -> str | None: ...
    @property
    def expires_at(self) -> float | None: ...
    @property
    def arn(self) -> str: ...  # who the key is, as GetCallerIdentity names it
    @property
    def user_id(self) -> str: ...


# Finds a temporary key (as STS AssumeRole issues them) by its access key id.
KeyLookup = Callable[[str], Key | None]


class Keyring:
    """The keys strict mode accepts: the configured ones, and the temporary ones STS
    issued (found through `temporary_keys`, in memory: no store read per request)."""

    def __init__(
        self, credentials: Sequence[Credential], temporary_keys: Sequence[KeyLookup] = ()
    ) -> None:
        self.keys: dict[str, Key] = {
            c.access_key_id: SigningKey(c.secret_access_key, c.account_id) for c in credentials
        }
        self.temporary_keys = list(temporary_keys)

    def key_for(self, signature: Signature) -> Key:
        """The key that must have made `signature`: known, with its own session token (or
        none), and not expired; else raise `Refusal`."""
        key = self._key(signature.access_key_id)
        if key is None:
            raise Refusal(Reason.UNKNOWN_KEY, access_key_id=signature.access_key_id)
        if not _same_token(key.session_token, signature.security_token):
            raise Refusal(Reason.BAD_TOKEN)
        if key.expires_at is not None and time.time() >= key.expires_at:
            raise Refusal(Reason.EXPIRED_TOKEN)
        return key

    def _key(self, access_key_id: str) -> Key | None:
        key = self.keys.get(access_key_id)
        if key is not None:
            return key
        for lookup in self.temporary_keys:
            key = lookup(access_key_id)
            if key is not None:
                return key
        return None


class Authenticator:
    """Maps a request's signature to the calling identity."""

    def __init__(self, config: Config, services: Sequence[ServiceEntry] = ()) -> None:
        self.config = config
        self.strict = config.strict_auth
        # A provider that issues temporary keys (STS) looks them up with `temporary_key`.
        self.keyring = Keyring(
            config.credentials,
            [
                lookup
                for service in services
                if (lookup := getattr(service.provider, "temporary_key", None)) is not None
            ],
        )
        self.anonymous = Identity(config.account_id, "", config.default_region)
        self._dialects: dict[tuple[str, str], Dialect | S3Dialect] = {}

    def identify(
        self,
        request: Request,
        signature: Signature | None,
        service: ServiceEntry,
        protocol: WireProtocol,
    ) -> Identity:
        """The caller of `request`, routed to `service` in `protocol`; refusals are worded
        as that service words them in that protocol."""
        if signature is not None and signature.problem is not None:
            raise self._dialect(service, protocol).error(signature.problem)
        if not self.strict:
            if signature is None:
                return self.anonymous
            return Identity(self.config.account_id, signature.access_key_id, signature.region)
        try:
            return self._verified(request, signature, service)
        except Refusal as refusal:
            raise self._dialect(service, protocol).error(refusal) from None

    def _verified(
        self, request: Request, signature: Signature | None, service: ServiceEntry
    ) -> Identity:
        if signature is None:
            raise Refusal(Reason.MISSING)
        key = self.keyring.key_for(signature)
        if signature.service != service.signing_name:
            raise Refusal(
                Reason.MISMATCH,
                f"Credential should be scoped to correct service: '{service.signing_name}'. ",
            )
        verify(request, signature, key.secret_access_key)
        return Identity(key.account_id, signature.access_key_id, signature.region)

    def _dialect(self, service: ServiceEntry, protocol: WireProtocol) -> Dialect | S3Dialect:
        key = (service.name, protocol.name)
        dialect = self._dialects.get(key)
        if dialect is None:
            dialect = self._dialects[key] = dialect_for(service, protocol.name)
        return dialect


def _same_token(expected: str | None, given: str | None) -> bool:
    """A permanent key takes no session token; a temporary one only its own."""
    if expected is None or given is None:
        return expected is None and given is None
    return hmac.compare_digest(expected.encode(), given.encode())
