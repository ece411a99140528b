"""cloudlet's own token issuer: an RSA key kept in the state directory, whose public half is
served as OpenID discovery and a JWKS under `/_cloudlet/issuer`, so that API Gateway's JWT
and Cognito-style authorizers verify tokens minted locally (`cloudlet token`, or `mint()`).

The issuer URL is the server's endpoint followed by `/_cloudlet/issuer`
(`http://localhost:4566/_cloudlet/issuer`); a token's `iss` may also name another issuer
(a Cognito user pool's URL) that cloudlet stands in for.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER_PATH = "/_cloudlet/issuer"
DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
JWKS_SUFFIX = "/.well-known/jwks.json"


def issuer_url(endpoint: str) -> str:
    """The local issuer's URL for a server reached at `endpoint` (`http://localhost:4566`)."""
    return endpoint.rstrip("/") + ISSUER_PATH


class LocalIssuer:
    """The signing key of one state directory, created on first use."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "issuer" / "signing-key.pem"
        self._key: rsa.RSAPrivateKey | None = None
        self._jwk: dict[str, str] | None = None

    @property
    def key(self) -> rsa.RSAPrivateKey:
        if self._key is None:
            self._key = self._load_or_create()
        return self._key

    def _load_or_create(self) -> rsa.RSAPrivateKey:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            # Written aside and linked in: a server and `cloudlet token` starting together
            # both end up with the one key that won.
            scratch = self.path.with_name(f".{uuid.uuid4().hex}.pem")
            fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
            try:
                os.link(scratch, self.path)
            except FileExistsError:
                pass
            finally:
                scratch.unlink()
        loaded = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError(f"{self.path} does not hold an RSA key")
        return loaded

    @property
    def jwk(self) -> dict[str, str]:
        """The public key as a JWK, with its `kid` (a thumbprint of the key)."""
        if self._jwk is None:
            numbers = self.key.public_key().public_numbers()
            n, e = _b64_uint(numbers.n), _b64_uint(numbers.e)
            thumbprint = hashlib.sha256(f'{{"e":"{e}","kty":"RSA","n":"{n}"}}'.encode()).digest()
            kid = base64.urlsafe_b64encode(thumbprint).rstrip(b"=").decode()[:16]
            self._jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e}
        return self._jwk

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk]}

    def discovery(self, issuer: str) -> dict[str, Any]:
        """The OpenID discovery document of the issuer at URL `issuer`."""
        return {
            "issuer": issuer,
            "jwks_uri": issuer + JWKS_SUFFIX,
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
        }

    def mint(
        self,
        issuer: str,
        *,
        subject: str = "user",
        audience: str | list[str] | None = None,
        scopes: list[str] | None = None,
        expires_in: int = 3600,
        claims: dict[str, Any] | None = None,
    ) -> str:
        """A signed RS256 token from `issuer` (negative `expires_in`: already expired)."""
        now = int(time.time())
        payload: dict[str, Any] = {"iss": issuer, "sub": subject, "iat": now}
        payload["exp"] = now + expires_in
        if audience:
            payload["aud"] = audience
        if scopes:
            payload["scope"] = " ".join(scopes)
        payload.update(claims or {})
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": self.jwk["kid"]})


def _b64_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
