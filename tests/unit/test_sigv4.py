"""SigV4 verification against AWS's published examples and against botocore's own signers."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from hashlib import sha256
from unittest import mock
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from cloudlet.gateway.http import Request
from cloudlet.gateway.sigv4 import (
    Reason,
    Refusal,
    Signature,
    canonical_query,
    canonical_request,
    canonical_uri,
    parse_signature,
    payload_hash,
    signing_key,
    string_to_sign,
    verify,
)

# The example credentials and time of AWS's SigV4 documentation and test suite.
EXAMPLE_KEY = "AKIDEXAMPLE"
EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
EXAMPLE_TIME = "20150830T123600Z"
EXAMPLE_NOW = calendar.timegm(time.strptime(EXAMPLE_TIME, "%Y%m%dT%H%M%SZ"))


def example_request(query: str, signature: str, host: str = "example.amazonaws.com", **headers):
    scope = "service" if host.startswith("example") else "iam"
    signed = ";".join(sorted(["host", "x-amz-date", *headers]))
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={EXAMPLE_KEY}/20150830/us-east-1/{scope}/aws4_request,"
        f" SignedHeaders={signed}, Signature={signature}"
    )
    return Request(
        "GET",
        "/",
        query,
        {"host": host, "x-amz-date": EXAMPLE_TIME, "authorization": authorization, **headers},
        b"",
    )


def parsed(request: Request) -> Signature:
    signature = parse_signature(request)
    assert signature is not None
    assert signature.problem is None, signature.problem
    return signature


def test_get_vanilla_example_verifies():
    request = example_request(
        "", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )
    signature = parsed(request)
    canonical = canonical_request(request, signature, payload_hash(request, signature))
    assert canonical == (
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
        "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert sha256(canonical.encode()).hexdigest() == (
        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    )
    verify(request, signature, EXAMPLE_SECRET, now=EXAMPLE_NOW)


def test_query_parameters_are_sorted_before_signing():
    request = example_request(
        "Param2=value2&Param1=value1",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    )
    verify(request, parsed(request), EXAMPLE_SECRET, now=EXAMPLE_NOW)


def test_iam_list_users_example_matches_every_published_step():
    request = example_request(
        "Action=ListUsers&Version=2010-05-08",
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
        host="iam.amazonaws.com",
        **{"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    signature = parsed(request)
    canonical = canonical_request(request, signature, payload_hash(request, signature))
    assert sha256(canonical.encode()).hexdigest() == (
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
    )
    assert string_to_sign(signature, canonical).splitlines()[:3] == [
        "AWS4-HMAC-SHA256",
        EXAMPLE_TIME,
        "20150830/us-east-1/iam/aws4_request",
    ]
    assert signing_key(EXAMPLE_SECRET, "20150830", "us-east-1", "iam").hex() == (
        "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
    )
    verify(request, signature, EXAMPLE_SECRET, now=EXAMPLE_NOW)


def test_another_secret_does_not_verify():
    request = example_request(
        "", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )
    with pytest.raises(Refusal) as refused:
        verify(request, parsed(request), "another secret", now=EXAMPLE_NOW)
    assert refused.value.reason is Reason.MISMATCH
    assert refused.value.details["canonical_request"].startswith("GET\n/\n")


# What botocore signs, the server side must verify: header and query (presigned) forms.


def signed_by_botocore(signer, method: str, url: str, body: bytes = b"", **headers) -> Request:
    aws = AWSRequest(method=method, url=url, data=body, headers=headers)
    signer.add_auth(aws)
    prepared = aws.prepare()
    parts = urlsplit(prepared.url)
    sent = {name.lower(): str(value) for name, value in prepared.headers.items()}
    sent.setdefault("host", parts.netloc)
    return Request(method, parts.path or "/", parts.query, sent, prepared.body or b"")


CREDENTIALS = Credentials("AKIDTEST", "secret/with+chars")


def test_a_json_request_signed_by_botocore_verifies_and_a_tampered_one_does_not():
    request = signed_by_botocore(
        SigV4Auth(CREDENTIALS, "sqs", "eu-west-1"),
        "POST",
        "http://localhost:4566/",
        b'{"QueueName": "q"}',
        **{"X-Amz-Target": "AmazonSQS.CreateQueue"},
    )
    verify(request, parsed(request), CREDENTIALS.secret_key)
    request.body = b'{"QueueName": "other"}'
    with pytest.raises(Refusal) as refused:
        verify(request, parsed(request), CREDENTIALS.secret_key)
    assert refused.value.reason is Reason.MISMATCH


def test_paths_are_encoded_twice_for_services_but_once_for_s3():
    url = "http://localhost:4566/2015-03-31/functions/my%20fn%3Av1/invocations"
    request = signed_by_botocore(SigV4Auth(CREDENTIALS, "lambda", "us-east-1"), "POST", url)
    verify(request, parsed(request), CREDENTIALS.secret_key)
    assert canonical_uri(request.raw_path, "lambda") == (
        "/2015-03-31/functions/my%2520fn%253Av1/invocations"
    )
    s3 = signed_by_botocore(
        S3SigV4Auth(CREDENTIALS, "s3", "us-east-1"),
        "PUT",
        "http://localhost:4566/bucket/a%20key/with%2Bplus",
        b"data",
    )
    verify(s3, parsed(s3), CREDENTIALS.secret_key)
    assert canonical_uri(s3.raw_path, "s3") == "/bucket/a%20key/with%2Bplus"


def test_dot_segments_and_empty_segments_are_removed_except_for_s3():
    assert canonical_uri("/a/./b/../c//d/", "sqs") == "/a/c/d/"
    assert canonical_uri("", "sqs") == "/"
    assert canonical_uri("/a/./b", "s3") == "/a/./b"


def test_canonical_query_is_rfc3986_encoded_and_sorted_by_name_then_value():
    assert canonical_query("b=2&a=2&a=1&c", False) == "a=1&a=2&b=2&c="
    assert canonical_query("k=a%20b%2Bc&sp=%7e", False) == "k=a%20b%2Bc&sp=~"
    assert canonical_query("X-Amz-Signature=abc&X-Amz-Date=1", True) == "X-Amz-Date=1"


def test_header_values_are_trimmed_and_inner_whitespace_collapsed():
    request = signed_by_botocore(
        SigV4Auth(CREDENTIALS, "sqs", "us-east-1"),
        "POST",
        "http://localhost:4566/",
        b"{}",
        **{"X-Amz-Target": "AmazonSQS.ListQueues", "X-Custom": "  a   b  c "},
    )
    request.headers["x-custom"] = "a b\t c"
    verify(request, parsed(request), CREDENTIALS.secret_key)


def test_presigned_query_protocol_url_verifies_until_it_expires():
    signer = SigV4QueryAuth(CREDENTIALS, "sqs", "us-east-1", expires=60)
    url = "http://localhost:4566/?Action=ListQueues&Version=2012-11-05"
    request = signed_by_botocore(signer, "GET", url)
    signature = parsed(request)
    assert signature.presigned and signature.expires == 60
    signed_at = calendar.timegm(time.strptime(signature.timestamp, "%Y%m%dT%H%M%SZ"))
    verify(request, signature, CREDENTIALS.secret_key, now=signed_at + 59)
    with pytest.raises(Refusal) as refused:
        verify(request, signature, CREDENTIALS.secret_key, now=signed_at + 61)
    assert refused.value.reason is Reason.EXPIRED
    assert refused.value.message.endswith("- 60 sec.)")


def test_presigned_s3_url_uses_unsigned_payload_and_lives_up_to_its_expiry():
    signer = S3SigV4QueryAuth(CREDENTIALS, "s3", "us-east-1", expires=7 * 24 * 3600)
    request = signed_by_botocore(signer, "GET", "http://localhost:4566/bucket/key.txt")
    signature = parsed(request)
    signed_at = calendar.timegm(time.strptime(signature.timestamp, "%Y%m%dT%H%M%SZ"))
    verify(request, signature, CREDENTIALS.secret_key, now=signed_at + 6 * 24 * 3600)
    with pytest.raises(Refusal) as refused:
        verify(request, signature, CREDENTIALS.secret_key, now=signed_at + 8 * 24 * 3600)
    assert refused.value.reason is Reason.EXPIRED
    assert refused.value.details["x_amz_expires"] == str(7 * 24 * 3600)


def test_a_signing_time_more_than_15_minutes_away_is_refused_either_way():
    request = signed_by_botocore(
        SigV4Auth(CREDENTIALS, "sqs", "us-east-1"), "POST", "http://localhost:4566/", b"{}"
    )
    signature = parsed(request)
    signed_at = calendar.timegm(time.strptime(signature.timestamp, "%Y%m%dT%H%M%SZ"))
    verify(request, signature, CREDENTIALS.secret_key, now=signed_at + 14 * 60)
    with pytest.raises(Refusal) as late:
        verify(request, signature, CREDENTIALS.secret_key, now=signed_at + 16 * 60)
    assert late.value.reason is Reason.SKEWED
    assert late.value.message.startswith(f"Signature expired: {signature.timestamp} is now")
    assert late.value.message.endswith(" - 15 min.)")
    with pytest.raises(Refusal) as early:
        verify(request, signature, CREDENTIALS.secret_key, now=signed_at - 16 * 60)
    assert early.value.message.startswith(f"Signature not yet current: {signature.timestamp}")


def test_the_date_header_may_carry_the_signing_time():
    request = signed_by_botocore(
        SigV4Auth(CREDENTIALS, "sqs", "us-east-1"),
        "POST",
        "http://localhost:4566/",
        b"{}",
        Date="Mon, 01 Jan 2024 00:00:00 GMT",
    )
    assert "x-amz-date" not in request.headers
    signature = parsed(request)
    verify(request, signature, CREDENTIALS.secret_key, now=time.time())


def test_s3_checks_the_declared_payload_hash_against_the_body():
    request = signed_by_botocore(
        S3SigV4Auth(CREDENTIALS, "s3", "us-east-1"),
        "PUT",
        "http://localhost:4566/bucket/key",
        b"original",
    )
    request.body = b"tampered"
    with pytest.raises(Refusal) as refused:
        verify(request, parsed(request), CREDENTIALS.secret_key)
    assert refused.value.reason is Reason.PAYLOAD_MISMATCH


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sqs/aws4_request", 2),
        ("Bearer some-token", 3),
    ],
)
def test_a_malformed_authorization_header_names_every_missing_part(header, missing):
    request = Request("POST", "/", "", {"authorization": header}, b"")
    signature = parse_signature(request)
    assert signature is not None and signature.problem is not None
    assert signature.problem.reason is Reason.INCOMPLETE
    message = signature.problem.message
    assert message.count("Authorization header requires '") == missing
    assert "requires existence of either a 'X-Amz-Date' or a 'Date' header" in message
    assert message.endswith(f"Authorization={header}")


def test_the_credential_scope_date_must_be_the_signing_date():
    at = datetime(2024, 1, 2, 0, 0, 5, tzinfo=UTC).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=at):
        request = signed_by_botocore(
            SigV4Auth(CREDENTIALS, "sqs", "us-east-1"), "POST", "http://localhost:4566/", b"{}"
        )
    request.headers["authorization"] = request.headers["authorization"].replace(
        "/20240102/", "/20240101/"
    )
    with pytest.raises(Refusal) as refused:
        verify(
            request, parsed(request), CREDENTIALS.secret_key, now=calendar.timegm(at.timetuple())
        )
    assert refused.value.message.startswith("Date in Credential scope does not match")
