"""How each family of AWS services words a refused signature: code, HTTP status, message.

The same refusal reads differently by protocol: query services (IAM, STS, SQS's legacy
protocol) answer `SignatureDoesNotMatch` and `InvalidClientTokenId` with 403; json services
(DynamoDB, Kinesis...) `InvalidSignatureException` and `UnrecognizedClientException` with
400; rest-json services (Lambda) the json names with 403; S3 its own codes, with details as
further elements of the error. SQS's json protocol keeps its query past: json names, query
statuses, and the query code in `x-amzn-query-error` (see `QUERY_CODES`).

Entry point: `dialect_for(service, protocol)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.sigv4 import MAX_SKEW_SECONDS, Reason, Refusal

if TYPE_CHECKING:
    from cloudlet.gateway.catalog import ServiceEntry

MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided."
    " Check your AWS Secret Access Key and signing method. Consult the service documentation"
    " for details."
)
INVALID_TOKEN_MESSAGE = "The security token included in the request is invalid."
EXPIRED_TOKEN_MESSAGE = "The security token included in the request is expired"

# The query code a json service that was once a query service sends for each json name.
QUERY_CODES = {
    "MissingAuthenticationTokenException": "MissingAuthenticationToken",
    "IncompleteSignatureException": "IncompleteSignature",
    "UnrecognizedClientException": "InvalidClientTokenId",
    "ExpiredTokenException": "ExpiredToken",
    "InvalidSignatureException": "SignatureDoesNotMatch",
}
_QUERY_NAMES = {
    Reason.MISSING: "MissingAuthenticationToken",
    Reason.INCOMPLETE: "IncompleteSignature",
    Reason.UNKNOWN_KEY: "InvalidClientTokenId",
    Reason.BAD_TOKEN: "InvalidClientTokenId",
    Reason.EXPIRED_TOKEN: "ExpiredToken",
}
_JSON_NAMES = {
    Reason.MISSING: "MissingAuthenticationTokenException",
    Reason.INCOMPLETE: "IncompleteSignatureException",
    Reason.UNKNOWN_KEY: "UnrecognizedClientException",
    Reason.BAD_TOKEN: "UnrecognizedClientException",
    Reason.EXPIRED_TOKEN: "ExpiredTokenException",
}
_QUERY_STATUS = {Reason.INCOMPLETE: 400}


def _codes(
    names: Mapping[Reason, str], mismatch: str, status: Mapping[Reason, int], default: int
) -> dict[Reason, tuple[str, int]]:
    return {reason: (names.get(reason, mismatch), status.get(reason, default)) for reason in Reason}


@dataclass(frozen=True)
class Dialect:
    """The errors of one family of services, by refusal reason."""

    codes: Mapping[Reason, tuple[str, int]]
    missing_message: str = "Request is missing Authentication Token"
    # Query services echo what they expected in a SignatureDoesNotMatch message.
    echo_canonical: bool = False

    def error(self, refusal: Refusal) -> ServiceError:
        code, status = self.codes[refusal.reason]
        return ServiceError(code, self.message(refusal), status=status)

    def message(self, refusal: Refusal) -> str:
        if refusal.reason is Reason.MISSING:
            return self.missing_message
        if refusal.reason in (Reason.UNKNOWN_KEY, Reason.BAD_TOKEN):
            return INVALID_TOKEN_MESSAGE
        if refusal.reason is Reason.EXPIRED_TOKEN:
            return EXPIRED_TOKEN_MESSAGE
        if refusal.message:
            return refusal.message
        if self.echo_canonical and "canonical_request" in refusal.details:
            return (
                f"{MISMATCH_MESSAGE}\n\nThe Canonical String for this request should have been"
                f"\n'{refusal.details['canonical_request']}'\n\n"
                f"The String-to-Sign should have been\n'{refusal.details['string_to_sign']}'\n"
            )
        return MISMATCH_MESSAGE


QUERY = Dialect(
    _codes(_QUERY_NAMES, "SignatureDoesNotMatch", _QUERY_STATUS, 403), echo_canonical=True
)
JSON = Dialect(_codes(_JSON_NAMES, "InvalidSignatureException", {}, 400))
QUERY_COMPATIBLE_JSON = Dialect(
    _codes(_JSON_NAMES, "InvalidSignatureException", _QUERY_STATUS, 403)
)
REST_JSON = Dialect(
    _codes(_JSON_NAMES, "InvalidSignatureException", {}, 403),
    missing_message="Missing Authentication Token",
)


class S3Dialect:
    """S3's codes, with the details it adds to each error as further elements."""

    codes = {
        Reason.MISSING: ("AccessDenied", 403),
        Reason.UNKNOWN_KEY: ("InvalidAccessKeyId", 403),
        Reason.BAD_TOKEN: ("InvalidToken", 400),
        Reason.EXPIRED_TOKEN: ("ExpiredToken", 400),
        Reason.MISMATCH: ("SignatureDoesNotMatch", 403),
        Reason.SKEWED: ("RequestTimeTooSkewed", 403),
        Reason.EXPIRED: ("AccessDenied", 403),
        Reason.NOT_YET_VALID: ("AccessDenied", 403),
        Reason.PAYLOAD_MISMATCH: ("XAmzContentSHA256Mismatch", 400),
        Reason.PAYLOAD_HASH_MISSING: ("InvalidRequest", 400),
        Reason.PAYLOAD_HASH_INVALID: ("InvalidArgument", 400),
    }
    messages = {
        Reason.MISSING: "Access Denied",
        Reason.UNKNOWN_KEY: "The AWS Access Key Id you provided does not exist in our records.",
        Reason.BAD_TOKEN: "The provided token is malformed or otherwise invalid.",
        Reason.EXPIRED_TOKEN: "The provided token has expired.",
        Reason.SKEWED: "The difference between the request time and the current time is too large.",
    }

    def error(self, refusal: Refusal) -> ServiceError:
        details = refusal.details
        if refusal.reason is Reason.INCOMPLETE:
            if details.get("presigned"):
                return ServiceError("AuthorizationQueryParametersError", refusal.message)
            return ServiceError(
                "AuthorizationHeaderMalformed",
                f"The authorization header is malformed; {refusal.message}",
            )
        code, status = self.codes[refusal.reason]
        message = self.messages.get(refusal.reason) or refusal.message
        fields: dict[str, str] = {}
        if refusal.reason is Reason.UNKNOWN_KEY:
            fields["AWSAccessKeyId"] = details.get("access_key_id", "")
        elif refusal.reason is Reason.MISMATCH and "canonical_request" in details:
            message = (
                "The request signature we calculated does not match the signature you"
                " provided. Check your key and signing method."
            )
            fields = {
                "AWSAccessKeyId": details["access_key_id"],
                "StringToSign": details["string_to_sign"],
                "SignatureProvided": details["signature_provided"],
                "StringToSignBytes": _hex_bytes(details["string_to_sign"]),
                "CanonicalRequest": details["canonical_request"],
                "CanonicalRequestBytes": _hex_bytes(details["canonical_request"]),
            }
        elif refusal.reason is Reason.SKEWED:
            fields = {
                "RequestTime": details["request_time"],
                "ServerTime": details["server_time"],
                "MaxAllowedSkewMilliseconds": str(MAX_SKEW_SECONDS * 1000),
            }
        elif refusal.reason is Reason.EXPIRED:
            fields = {
                "X-Amz-Expires": details["x_amz_expires"],
                "Expires": details["expires"],
                "ServerTime": details["server_time"],
            }
        elif refusal.reason is Reason.NOT_YET_VALID:
            fields = {"X-Amz-Date": details["request_time"], "ServerTime": details["server_time"]}
        elif refusal.reason is Reason.PAYLOAD_MISMATCH:
            fields = {
                "ClientComputedContentSHA256": details["client_sha256"],
                "S3ComputedContentSHA256": details["computed_sha256"],
            }
        return ServiceError(code, message, status=status, fields=fields)


def _hex_bytes(text: str) -> str:
    return " ".join(f"{byte:02x}" for byte in text.encode("utf-8", "surrogateescape"))


def dialect_for(service: ServiceEntry, protocol: str) -> Dialect | S3Dialect:
    """The error dialect of `service` spoken in `protocol` (SQS speaks json and query)."""
    if service.signing_name == "s3":
        return S3Dialect()
    if protocol == "json":
        if "awsQueryCompatible" in service.model.metadata:
            return QUERY_COMPATIBLE_JSON
        return JSON
    if protocol == "rest-json":
        return REST_JSON
    return QUERY  # query, ec2, and the rest-xml services other than S3
