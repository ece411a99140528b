"""AWS Signature Version 4: read a request's signature, and check it as AWS does.

`parse_signature` reads the `Authorization` header or a presigned URL's `X-Amz-*` query
parameters; it never raises: a malformed signature carries its `problem`, refused once the
gateway knows which service (and so which error dialect) the request is for. `verify`
recomputes the signature exactly as AWS clients compute it (botocore's rules: the path
normalized and encoded a second time for every service but S3, the query sorted and
RFC 3986-encoded, the signed headers trimmed) and checks the signing time. A `Refusal`
says why a signature is refused; `cloudlet.gateway.auth_errors` words it as the service does.
"""

from __future__ import annotations

import calendar
import hmac
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import StrEnum
from functools import lru_cache
from hashlib import sha256
from urllib.parse import quote, unquote_to_bytes

from cloudlet.gateway.http import Request

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
TIMESTAMP = "%Y%m%dT%H%M%SZ"
# How far a signing time may be from the server's clock, either way.
MAX_SKEW_SECONDS = 15 * 60
# A signing key is valid for seven days, and so, at most, is a presigned URL.
MAX_EXPIRES_SECONDS = 7 * 24 * 3600
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# The payload hashes S3 accepts besides a SHA-256: unsigned, or signed chunk by chunk.
S3_PAYLOAD_MODES = frozenset(
    {
        UNSIGNED_PAYLOAD,
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
    }
)
_PRESIGN_PARAMETERS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
)
_HEX = frozenset("0123456789abcdef")


class Reason(StrEnum):
    """Why a request's signature is refused."""

    MISSING = "missing"  # no signature at all
    INCOMPLETE = "incomplete"  # malformed Authorization header or presign parameters
    UNKNOWN_KEY = "unknown-key"
    BAD_TOKEN = "bad-token"  # X-Amz-Security-Token absent, unknown or not the key's
    EXPIRED_TOKEN = "expired-token"
    MISMATCH = "mismatch"  # the signature is not the one the secret makes
    SKEWED = "skewed"  # signed more than 15 minutes from the server's clock
    EXPIRED = "expired"  # a presigned URL past its X-Amz-Expires
    NOT_YET_VALID = "not-yet-valid"  # a presigned URL signed in the future
    PAYLOAD_MISMATCH = "payload-mismatch"  # S3: x-amz-content-sha256 is not the body's
    PAYLOAD_HASH_MISSING = "payload-hash-missing"  # S3: no x-amz-content-sha256
    PAYLOAD_HASH_INVALID = "payload-hash-invalid"  # S3: x-amz-content-sha256 not a hash


class Refusal(Exception):
    """A refused signature: the reason, AWS's message for most services, and the details
    some services (S3) add to the error."""

    def __init__(self, reason: Reason, message: str = "", **details: str) -> None:
        super().__init__(message or reason.value)
        self.reason = reason
        self.message = message
        self.details = details


@dataclass(slots=True)
class Signature:
    """What a request's SigV4 signature claims: key, credential scope, signed headers."""

    access_key_id: str
    date: str  # YYYYMMDD, from the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    presigned: bool
    timestamp: str = ""  # the signing time as YYYYMMDDTHHMMSSZ (X-Amz-Date or Date)
    expires: int | None = None  # a presigned URL's X-Amz-Expires, in seconds
    security_token: str | None = None
    problem: Refusal | None = None  # set when the signature is malformed

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{TERMINATOR}"


def parse_signature(request: Request) -> Signature | None:
    """The request's SigV4 signature, None when it is unsigned."""
    header = request.headers.get("authorization")
    if header is not None:
        return _parse_header(header, request)
    if "X-Amz-Credential" in request.query_string:
        return _parse_presigned(request)
    return None


def _malformed(message: str, *, presigned: bool) -> Signature:
    problem = Refusal(Reason.INCOMPLETE, message, presigned="true" if presigned else "")
    return Signature("", "", "", "", (), "", presigned, problem=problem)


def _parse_header(header: str, request: Request) -> Signature:
    algorithm, _, rest = header.strip().partition(" ")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key] = value
    credential = fields.get("Credential")
    signed_headers = fields.get("SignedHeaders")
    signature = fields.get("Signature")
    timestamp = _header_timestamp(request)
    complete = credential is not None and signed_headers is not None and signature is not None
    if algorithm != ALGORITHM or not complete or timestamp is None:
        return _malformed(_header_problem(header, algorithm, fields, timestamp), presigned=False)
    if not _is_timestamp(timestamp):
        return _malformed(
            f"Date must be in ISO-8601 'basic format'. Got '{timestamp}'."
            " See http://en.wikipedia.org/wiki/ISO_8601",
            presigned=False,
        )
    return _signature(
        credential,
        signed_headers,
        signature,
        timestamp,
        None,
        request.headers.get("x-amz-security-token"),
    )


def _header_problem(
    header: str, algorithm: str, fields: dict[str, str], timestamp: str | None
) -> str:
    required = ("Credential", "Signature", "SignedHeaders")
    if algorithm != ALGORITHM and all(name in fields for name in required):
        return f"Unsupported AWS 'algorithm': '{algorithm}'"
    # AWS names every missing piece at once, then echoes the header.
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in required
        if algorithm != ALGORITHM or name not in fields
    ]
    if timestamp is None:
        missing.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    return " ".join([*missing, f"Authorization={header}"])


def _header_timestamp(request: Request) -> str | None:
    """The signing time from X-Amz-Date, else from Date, as YYYYMMDDTHHMMSSZ."""
    amz_date = request.headers.get("x-amz-date")
    if amz_date is not None:
        return amz_date.strip()
    date = request.headers.get("date")
    if date is None:
        return None
    try:
        return parsedate_to_datetime(date).strftime(TIMESTAMP)
    except (TypeError, ValueError):
        return date


def _parse_presigned(request: Request) -> Signature:
    query = request.query
    credential = query.get("X-Amz-Credential", "")
    # S3 alone insists on X-Amz-Expires; other services fall back to the 15-minute window.
    needs_expires = credential.split("/")[3:4] == ["s3"]
    if any(name not in query for name in _PRESIGN_PARAMETERS) or (
        needs_expires and "X-Amz-Expires" not in query
    ):
        return _malformed(
            "Query-string authentication version 4 requires the X-Amz-Algorithm,"
            " X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders,"
            " and X-Amz-Expires parameters.",
            presigned=True,
        )
    if query["X-Amz-Algorithm"] != ALGORITHM:
        return _malformed(f'X-Amz-Algorithm only supports "{ALGORITHM}"', presigned=True)
    timestamp = query["X-Amz-Date"]
    if not _is_timestamp(timestamp):
        return _malformed(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
            presigned=True,
        )
    expires = None
    if "X-Amz-Expires" in query:
        try:
            expires = int(query["X-Amz-Expires"])
        except ValueError:
            return _malformed("X-Amz-Expires should be a number", presigned=True)
        if expires < 0:
            return _malformed("X-Amz-Expires must be non-negative", presigned=True)
        if expires > MAX_EXPIRES_SECONDS:
            return _malformed(
                "X-Amz-Expires must be less than a week (in seconds) that is 604800",
                presigned=True,
            )
    return _signature(
        credential,
        query["X-Amz-SignedHeaders"],
        query["X-Amz-Signature"],
        timestamp,
        expires,
        query.get("X-Amz-Security-Token"),
        presigned=True,
    )


def _signature(
    credential: str,
    signed_headers: str,
    signature: str,
    timestamp: str,
    expires: int | None,
    security_token: str | None,
    *,
    presigned: bool = False,
) -> Signature:
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts[:4]):
        return _malformed(
            f"Credential should be scoped to a valid region. Credential={credential}",
            presigned=presigned,
        )
    access_key, date, region, service, terminator = parts
    if terminator != TERMINATOR:
        return _malformed(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}',"
            f" not '{terminator}'.",
            presigned=presigned,
        )
    return Signature(
        access_key,
        date,
        region,
        service,
        tuple(signed_headers.split(";")),
        signature,
        presigned,
        timestamp,
        expires,
        security_token,
    )


def _is_timestamp(text: str) -> bool:
    """YYYYMMDDTHHMMSSZ in form (cheap: every request is parsed; `verify` reads the values)."""
    return (
        len(text) == 16
        and text[8] == "T"
        and text[15] == "Z"
        and text[:8].isdigit()
        and text[9:15].isdigit()
    )


def verify(request: Request, signature: Signature, secret: str, now: float | None = None) -> None:
    """Raise `Refusal` unless `signature` is the one `secret` makes for `request`, in time."""
    if "host" not in signature.signed_headers:
        raise Refusal(
            Reason.MISMATCH,
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        )
    if signature.date != signature.timestamp[:8]:
        raise Refusal(
            Reason.MISMATCH,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date"
            f" from HTTP: '{signature.date}' != '{signature.timestamp[:8]}',"
            f" from '{signature.timestamp}'.",
        )
    _check_time(signature, time.time() if now is None else now)
    canonical = canonical_request(request, signature, payload_hash(request, signature))
    to_sign = string_to_sign(signature, canonical)
    key = signing_key(secret, signature.date, signature.region, signature.service)
    expected = hmac.new(key, to_sign.encode(), sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.signature):
        raise Refusal(
            Reason.MISMATCH,
            access_key_id=signature.access_key_id,
            canonical_request=canonical,
            string_to_sign=to_sign,
            signature_provided=signature.signature,
        )


def _check_time(signature: Signature, now: float) -> None:
    try:
        signed_at = calendar.timegm(time.strptime(signature.timestamp, TIMESTAMP))
    except ValueError:
        raise Refusal(
            Reason.INCOMPLETE,
            f"Date must be in ISO-8601 'basic format'. Got '{signature.timestamp}'."
            " See http://en.wikipedia.org/wiki/ISO_8601",
            presigned="true" if signature.presigned else "",
        ) from None
    details = {"request_time": signature.timestamp, "server_time": _iso(now)}
    if signature.presigned and signature.service == "s3":
        # S3 honours X-Amz-Expires (up to 7 days) in place of the 15-minute window.
        expires = signature.expires or 0
        expires_at = _iso(signed_at + expires)
        if signed_at - now > MAX_SKEW_SECONDS:
            raise Refusal(Reason.NOT_YET_VALID, "Request is not yet valid", **details)
        if now > signed_at + expires:
            raise Refusal(
                Reason.EXPIRED,
                "Request has expired",
                expires=expires_at,
                x_amz_expires=str(expires),
                **details,
            )
        return
    if now - signed_at > MAX_SKEW_SECONDS:
        raise Refusal(
            Reason.SKEWED,
            f"Signature expired: {signature.timestamp} is now earlier than"
            f" {_basic(now - MAX_SKEW_SECONDS)} ({_basic(now)} - 15 min.)",
            **details,
        )
    if signed_at - now > MAX_SKEW_SECONDS:
        raise Refusal(
            Reason.SKEWED,
            f"Signature not yet current: {signature.timestamp} is still later than"
            f" {_basic(now + MAX_SKEW_SECONDS)} ({_basic(now)} + 15 min.)",
            **details,
        )
    # Other services keep the 15-minute window for presigned URLs too; a shorter
    # X-Amz-Expires shortens it.
    expires = signature.expires
    if signature.presigned and expires is not None and now > signed_at + expires:
        raise Refusal(
            Reason.EXPIRED,
            f"Signature expired: {signature.timestamp} is now earlier than"
            f" {_basic(now - expires)} ({_basic(now)} - {expires} sec.)",
            **details,
        )


def _basic(epoch: float) -> str:
    return time.strftime(TIMESTAMP, time.gmtime(epoch))


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def payload_hash(request: Request, signature: Signature) -> str:
    """The payload line of the canonical request: what the client declared, if allowed."""
    declared = request.headers.get("x-amz-content-sha256")
    if signature.service != "s3":
        # Others accept an unsigned payload where the client asked for one, and otherwise
        # sign the body itself, whatever hash the client declared.
        if declared == UNSIGNED_PAYLOAD:
            return declared
        return sha256(request.body).hexdigest()
    if declared is None and signature.presigned:
        declared = request.query.get("X-Amz-Content-Sha256", UNSIGNED_PAYLOAD)
    if declared is None:
        raise Refusal(
            Reason.PAYLOAD_HASH_MISSING,
            "Missing required header for this request: x-amz-content-sha256",
        )
    if declared in S3_PAYLOAD_MODES:
        return declared
    if len(declared) == 64 and _HEX.issuperset(declared.lower()):
        computed = sha256(request.body).hexdigest()
        if declared.lower() != computed:
            raise Refusal(
                Reason.PAYLOAD_MISMATCH,
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                client_sha256=declared,
                computed_sha256=computed,
            )
        return declared
    raise Refusal(
        Reason.PAYLOAD_HASH_INVALID,
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER,"
        " STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER,"
        " STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD,"
        " STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
    )


def canonical_request(request: Request, signature: Signature, payload: str) -> str:
    """The canonical request the client signed (AWS's step 1), given its payload hash."""
    return "\n".join(
        (
            request.method,
            canonical_uri(request.raw_path, signature.service),
            canonical_query(request.query_string, signature.presigned),
            canonical_headers(request.headers, signature.signed_headers),
            ";".join(signature.signed_headers),
            payload,
        )
    )


def canonical_uri(raw_path: str, service: str) -> str:
    """S3 signs the path as sent; every other service its normalized form, encoded again."""
    if service == "s3":
        return raw_path or "/"
    return quote(_remove_dot_segments(raw_path), safe="/~")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986's dot-segment removal, with empty segments dropped as AWS does."""
    if not path:
        return "/"
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    lead = "/" if path.startswith("/") else ""
    trail = "/" if path.endswith("/") and kept else ""
    return lead + "/".join(kept) + trail


def canonical_query(query_string: str, presigned: bool) -> str:
    """Parameters decoded, re-encoded per RFC 3986 and sorted; never X-Amz-Signature."""
    pairs = []
    for item in query_string.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        pairs.append((_rfc3986(name), _rfc3986(value)))
    if presigned:
        pairs = [pair for pair in pairs if pair[0] != "X-Amz-Signature"]
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _rfc3986(text: str) -> str:
    return quote(unquote_to_bytes(text), safe="-_.~")


def canonical_headers(headers: dict[str, str], signed: tuple[str, ...]) -> str:
    """One `name:value` line per signed header, values trimmed and inner spaces collapsed."""
    lines = []
    for name in signed:
        value = " ".join(headers.get(name, "").split())
        if not value.isascii():
            # The gateway decodes header bytes as latin-1; the client signed them as UTF-8.
            value = value.encode("latin-1").decode("utf-8", "surrogateescape")
        lines.append(f"{name}:{value}\n")
    return "".join(lines)


def string_to_sign(signature: Signature, canonical: str) -> str:
    digest = sha256(canonical.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{ALGORITHM}\n{signature.timestamp}\n{signature.scope}\n{digest}"


@lru_cache(maxsize=1024)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The key derived from `secret` for one day, region and service (cached: it is reused)."""
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), sha256).digest()
    for part in (region, service, TERMINATOR):
        key = hmac.new(key, part.encode(), sha256).digest()
    return key
