"""Trace header lineage and the records of asynchronous invocations, without a server."""

from __future__ import annotations

import json
from urllib.parse import quote

from cloudlet.delivery import lineage
from cloudlet.delivery.invocation_records import Outcome, dead_letter_attributes, record

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:f"
OTHER = "arn:aws:lambda:us-east-1:000000000000:function:g"


def test_a_header_without_a_root_gets_one_and_a_first_round():
    header, round_number = lineage.next_round("", FUNCTION)
    assert round_number == 1
    fields = dict(part.split("=", 1) for part in header.split(";"))
    assert fields["Root"].startswith("1-") and len(fields["Root"]) == 35
    assert fields["Lineage"] == f"{lineage.function_hash(FUNCTION)}:1"


def test_each_function_counts_its_own_rounds_and_the_root_is_kept():
    header, _ = lineage.next_round("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1", FUNCTION)
    header, _ = lineage.next_round(header, OTHER)
    header, round_number = lineage.next_round(header, FUNCTION)
    assert round_number == 2
    assert header.startswith("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1;Lineage=")
    assert lineage.rounds(header, FUNCTION) == 2
    assert lineage.rounds(header, OTHER) == 1


def test_a_header_botocore_percent_encoded_is_read():
    header, _ = lineage.next_round("", FUNCTION)
    header, _ = lineage.next_round(header, OTHER)
    # botocore quotes _X_AMZN_TRACE_ID into X-Amzn-Trace-Id: `|` becomes %7C.
    sent = quote(header, safe="-=;:+&[]{}\"',")
    assert "%7C" in sent
    assert lineage.rounds(sent, FUNCTION) == 1 and lineage.rounds(sent, OTHER) == 1


def test_failure_record_embeds_the_payloads_as_they_came():
    body = record(
        request_id="r-1",
        function_arn=f"{FUNCTION}:$LATEST",
        condition="RetriesExhausted",
        invoke_count=3,
        request_payload=b'{ "Success": true }',
        outcome=Outcome(200, "$LATEST", "Unhandled", b'{"errorMessage":"no"}'),
    )
    assert b'"requestPayload":{ "Success": true },' in body
    parsed = json.loads(body)
    assert parsed["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert parsed["responsePayload"] == {"errorMessage": "no"}


def test_a_response_that_is_not_json_is_embedded_as_a_string():
    body = record(
        request_id="r-2",
        function_arn=f"{FUNCTION}:1",
        condition="Success",
        invoke_count=1,
        request_payload=b"{}",
        outcome=Outcome(200, "1", None, b"plain text"),
    )
    assert json.loads(body)["responsePayload"] == "plain text"


def test_dead_letter_attributes_carry_the_error_clipped_to_1_kb():
    outcome = Outcome(200, "$LATEST", "Unhandled", json.dumps({"errorMessage": "é" * 600}).encode())
    attributes = dead_letter_attributes("r-3", outcome)
    assert attributes["RequestID"] == {"DataType": "String", "StringValue": "r-3"}
    assert attributes["ErrorCode"] == {"DataType": "Number", "StringValue": "200"}
    message = attributes["ErrorMessage"]["StringValue"]
    assert len(message.encode()) <= 1024 and message == "é" * 512
