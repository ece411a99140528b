"""SigV4: who signed a request, for which service and region, and (in strict mode) proof of it.

Every request's signature is parsed (the `Authorization` header, or the `X-Amz-*` query
parameters of a presigned URL): the credential scope names the service and region, the
access key the account. On a loopback bind any key is accepted and maps to the configured
account; in strict mode the signature is verified against the configured credentials.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudlet.config import Config
from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.http import Request

ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass(frozen=True, slots=True)
class Signature:
    access_key_id: str
    date: str  # YYYYMMDD, from the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    presigned: bool


@dataclass(frozen=True, slots=True)
class Identity:
    account_id: str
    access_key_id: str
    region: str


def parse_signature(request: Request) -> Signature | None:
    """The request's SigV4 signature, None when unsigned; malformed ones are refused."""
    header = request.headers.get("authorization")
    if header is not None:
        return _parse_header(header)
    if "X-Amz-Credential" in request.query_string:
        return _parse_presigned(request.query)
    return None


def _parse_header(header: str) -> Signature:
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise ServiceError(
            "IncompleteSignature",
            f"Unsupported AWS 'algorithm': '{algorithm}'",
            status=400,
        )
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key] = value
    for required in ("Credential", "SignedHeaders", "Signature"):
        if required not in fields:
            raise ServiceError(
                "IncompleteSignature",
                f"Authorization header requires '{required}' parameter. "
                f"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                f"header. Authorization={header}",
            )
    return _signature(fields["Credential"], fields["SignedHeaders"], fields["Signature"], False)


def _parse_presigned(query: dict[str, str]) -> Signature:
    missing = [
        name
        for name in (
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-SignedHeaders",
            "X-Amz-Signature",
            "X-Amz-Date",
        )
        if name not in query
    ]
    if missing:
        raise ServiceError(
            "AuthorizationQueryParametersError",
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
            "and X-Amz-Expires parameters.",
        )
    return _signature(
        query["X-Amz-Credential"], query["X-Amz-SignedHeaders"], query["X-Amz-Signature"], True
    )


def _signature(credential: str, signed_headers: str, signature: str, presigned: bool) -> Signature:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
        raise ServiceError(
            "IncompleteSignature",
            f"Credential should be scoped to a valid region. Credential={credential}",
        )
    access_key, date, region, service, _ = parts
    return Signature(
        access_key, date, region, service, tuple(signed_headers.split(";")), signature, presigned
    )


class Authenticator:
    """Maps a request's signature to the calling identity."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.strict = config.strict_auth
        self.secrets = {c.access_key_id: c for c in config.credentials}

    def identify(self, request: Request, signature: Signature | None) -> Identity:
        if signature is None:
            if self.strict:
                raise ServiceError(
                    "MissingAuthenticationToken",
                    "Request is missing Authentication Token",
                    status=403,
                )
            return Identity(self.config.account_id, "", self.config.default_region)
        if not self.strict:
            return Identity(self.config.account_id, signature.access_key_id, signature.region)
        credential = self.secrets.get(signature.access_key_id)
        if credential is None:
            raise ServiceError(
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
                status=403,
            )
        from cloudlet.gateway.sigv4 import verify

        verify(request, signature, credential.secret_access_key)
        return Identity(credential.account_id, signature.access_key_id, signature.region)
