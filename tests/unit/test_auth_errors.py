"""Refusals worded as each family of services words them: code, status, message, details."""

from __future__ import annotations

import pytest

from cloudlet.gateway.auth_errors import JSON, MISMATCH_MESSAGE, QUERY, REST_JSON, S3Dialect
from cloudlet.gateway.sigv4 import Reason, Refusal

SKEWED = Refusal(
    Reason.SKEWED,
    "Signature expired: 20240101T000000Z is now earlier than 20240101T004500Z"
    " (20240101T010000Z - 15 min.)",
    request_time="20240101T000000Z",
    server_time="2024-01-01T01:00:00Z",
)


@pytest.mark.parametrize(
    ("dialect", "reason", "code", "status"),
    [
        (QUERY, Reason.MISSING, "MissingAuthenticationToken", 403),
        (QUERY, Reason.INCOMPLETE, "IncompleteSignature", 400),
        (QUERY, Reason.UNKNOWN_KEY, "InvalidClientTokenId", 403),
        (QUERY, Reason.EXPIRED_TOKEN, "ExpiredToken", 403),
        (QUERY, Reason.SKEWED, "SignatureDoesNotMatch", 403),
        (JSON, Reason.MISSING, "MissingAuthenticationTokenException", 400),
        (JSON, Reason.UNKNOWN_KEY, "UnrecognizedClientException", 400),
        (JSON, Reason.MISMATCH, "InvalidSignatureException", 400),
        (JSON, Reason.SKEWED, "InvalidSignatureException", 400),
        (REST_JSON, Reason.UNKNOWN_KEY, "UnrecognizedClientException", 403),
        (REST_JSON, Reason.EXPIRED, "InvalidSignatureException", 403),
    ],
)
def test_each_family_has_its_own_codes_and_statuses(dialect, reason, code, status):
    error = dialect.error(Refusal(reason, "why"))
    assert (error.code, error.status) == (code, status)


def test_a_skewed_signature_keeps_aws_wording_outside_s3():
    assert JSON.error(SKEWED).message == SKEWED.message
    assert QUERY.error(SKEWED).message == SKEWED.message


def test_query_services_echo_the_expected_canonical_request():
    refusal = Refusal(Reason.MISMATCH, canonical_request="GET\n/", string_to_sign="AWS4\nx")
    assert QUERY.error(refusal).message == (
        f"{MISMATCH_MESSAGE}\n\nThe Canonical String for this request should have been\n"
        "'GET\n/'\n\nThe String-to-Sign should have been\n'AWS4\nx'\n"
    )
    assert JSON.error(refusal).message == MISMATCH_MESSAGE


def test_s3_reports_skew_with_its_own_code_and_details():
    error = S3Dialect().error(SKEWED)
    assert (error.code, error.status) == ("RequestTimeTooSkewed", 403)
    assert error.message == (
        "The difference between the request time and the current time is too large."
    )
    assert error.fields == {
        "RequestTime": "20240101T000000Z",
        "ServerTime": "2024-01-01T01:00:00Z",
        "MaxAllowedSkewMilliseconds": "900000",
    }


def test_s3_says_an_expired_presigned_url_is_access_denied():
    refusal = Refusal(
        Reason.EXPIRED,
        "Request has expired",
        expires="2024-01-01T00:01:00Z",
        x_amz_expires="60",
        request_time="20240101T000000Z",
        server_time="2024-01-01T00:05:00Z",
    )
    error = S3Dialect().error(refusal)
    assert (error.code, error.status, error.message) == ("AccessDenied", 403, "Request has expired")
    assert error.fields == {
        "X-Amz-Expires": "60",
        "Expires": "2024-01-01T00:01:00Z",
        "ServerTime": "2024-01-01T00:05:00Z",
    }


def test_s3_echoes_what_it_signed_on_a_mismatch():
    refusal = Refusal(
        Reason.MISMATCH,
        access_key_id="AKID",
        canonical_request="GET",
        string_to_sign="AB",
        signature_provided="f00",
    )
    error = S3Dialect().error(refusal)
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert error.fields["AWSAccessKeyId"] == "AKID"
    assert error.fields["StringToSignBytes"] == "41 42"
    assert error.fields["CanonicalRequestBytes"] == "47 45 54"


def test_s3_malformed_signatures_name_the_header_or_the_query():
    header = S3Dialect().error(Refusal(Reason.INCOMPLETE, "x", presigned=""))
    query = S3Dialect().error(Refusal(Reason.INCOMPLETE, "x", presigned="true"))
    assert (header.code, header.status) == ("AuthorizationHeaderMalformed", 400)
    assert (query.code, query.status) == ("AuthorizationQueryParametersError", 400)
