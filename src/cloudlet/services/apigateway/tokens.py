"""JWT validation as API Gateway's JWT and Cognito authorizers do it: an RSA signature by a
key of the issuer's JWKS (found through its OpenID discovery document), `iss`, `exp`, `nbf`,
and the audience (`aud`, or `client_id` for access tokens).

cloudlet's own issuer (`/_cloudlet/issuer` on this server) and Cognito user pools, which
cloudlet stands in for, are verified with the local key without a request; any other issuer
whose JWKS is reachable is fetched and cached.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import jwt

from cloudlet.issuer import DISCOVERY_SUFFIX, ISSUER_PATH, LocalIssuer

_RSA = ("RS256", "RS384", "RS512")
_KEYS_TTL = 3600.0
_REFETCH_AFTER = 1.0  # a key id not in the cached set (rotated in?): ask again, at most this often
_VERIFIED_KEPT = 10_000
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


class TokenRejected(Exception):
    """The token is not valid; the text is the reason (`www-authenticate`'s description)."""


class Verifier:
    def __init__(self, local: LocalIssuer, port: int) -> None:
        self.local = local
        self.port = port
        self.keys: dict[str, tuple[float, dict[str, Any]]] = {}  # issuer -> (fetched, kid->key)
        # (token, issuer) -> (claims, when the keys that verified them were fetched)
        self.verified: dict[tuple[str, str], tuple[dict[str, Any], float]] = {}

    async def verify(self, token: str, issuer: str, audiences: list[str] | None) -> dict[str, Any]:
        """The token's claims once every check passed; raises TokenRejected."""
        entry = self.verified.get((token, issuer))
        if entry is not None and not self._current(issuer, entry[1]):
            entry = None  # the issuer's keys are due again: they may have rotated
        if entry is None:
            claims = await self._verify(token, issuer)
            if len(self.verified) >= _VERIFIED_KEPT:
                self.verified.clear()
            self.verified[(token, issuer)] = (claims, self._fetched(issuer))
        else:
            claims = entry[0]
            # A verified token stays so until it expires (its nbf was already past).
            if claims.get("exp") is not None and claims["exp"] <= time.time():
                del self.verified[(token, issuer)]
                raise TokenRejected("the token has expired")
        if audiences:
            given = claims.get("aud", claims.get("client_id"))
            listed = given if isinstance(given, list) else [given]
            if not any(item in audiences for item in listed):
                raise TokenRejected("the token does not have a valid audience")
        return claims

    async def _verify(self, token: str, issuer: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise TokenRejected("the token is malformed") from None
        algorithm = header.get("alg")
        if algorithm not in _RSA:
            raise TokenRejected(f"the token's algorithm {algorithm} is not supported")
        key = await self._key(issuer, header.get("kid"))
        if key is None:
            raise TokenRejected("the token's signing key is not in the issuer's JWKS")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=issuer,
                options={"verify_aud": False, "require": ["iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise TokenRejected("the token is not valid yet") from None
        except jwt.InvalidIssuerError:
            raise TokenRejected("the token does not have a valid issuer") from None
        except jwt.InvalidTokenError as error:
            raise TokenRejected(f"the token is not valid: {error}") from None
        return claims

    def _fetched(self, issuer: str) -> float:
        """When the issuer's JWKS was fetched (0 for the local key, which is never fetched)."""
        return self.keys[issuer][0] if issuer in self.keys else 0.0

    def _current(self, issuer: str, fetched: float) -> bool:
        """Whether a verdict reached with the keys fetched at `fetched` still stands: they
        are the issuer's latest, and not yet due to be fetched again."""
        if fetched == 0.0:
            return issuer not in self.keys
        return fetched == self._fetched(issuer) and time.monotonic() - fetched <= _KEYS_TTL

    async def _key(self, issuer: str, kid: str | None) -> Any:
        if self._is_local(issuer):
            jwk = self.local.jwk
            return jwt.PyJWK(jwk).key if kid in (None, jwk["kid"]) else None
        fetched, keys = self.keys.get(issuer, (0.0, {}))
        age = time.monotonic() - fetched
        if age > _KEYS_TTL or (kid not in keys and age > _REFETCH_AFTER):
            try:
                keys = await asyncio.to_thread(_fetch_keys, issuer)
            except (OSError, ValueError, KeyError):
                keys = {}
            self.keys[issuer] = (time.monotonic(), keys)
        if kid is None and len(keys) == 1:
            return next(iter(keys.values()))
        return keys.get(kid or "")

    def _is_local(self, issuer: str) -> bool:
        parts = urlsplit(issuer)
        if parts.hostname and parts.hostname.startswith("cognito-idp."):
            return True
        host = parts.hostname or ""
        local = host in _LOCAL_HOSTS or host.endswith(".localhost")
        return local and parts.path.rstrip("/") == ISSUER_PATH and parts.port == self.port


def _fetch_keys(issuer: str) -> dict[str, Any]:
    discovery = _get_json(issuer.rstrip("/") + DISCOVERY_SUFFIX)
    document = _get_json(str(discovery["jwks_uri"]))
    keys: dict[str, Any] = {}
    for entry in document.get("keys", []):
        if entry.get("kty") == "RSA":
            keys[str(entry.get("kid", ""))] = jwt.PyJWK(entry).key
    return keys


def _get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as answer:
        value = json.load(answer)
    if not isinstance(value, dict):
        raise ValueError(f"{url} did not answer with a JSON object")
    return value


def bearer(value: str) -> str:
    """The token of an Authorization header, with or without its `Bearer ` scheme."""
    scheme, _, rest = value.partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest else value.strip()


def scopes_of(claims: dict[str, Any]) -> list[str]:
    """The token's scopes: its `scope` (space-separated) or `scp` claim."""
    value = claims.get("scope", claims.get("scp"))
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(item) for item in value]
    return []
