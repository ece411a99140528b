"""Functions that print what a log was not made for: binary bytes, a line with no end, a
flood. Each invocation answers as usual, its log stays readable, the next one works."""

from __future__ import annotations

import base64
import json

import pytest
from lambda_support import create_function, unique

from conftest import client

CODE = """
import sys
def garbage(event, context):
    sys.stdout.buffer.write(bytes(b for b in range(256) if b != 10) * 64 + b"\\n")
    sys.stdout.flush()
    return "garbage done"
def unended(event, context):
    sys.stdout.write("z" * 10_000_000)
    sys.stdout.flush()
    return "unended done"
def flood(event, context):
    for n in range(100_000):
        print("flood line", n)
    return "flood done"
"""
MAX_EVENT_BYTES = 256 * 1024  # Lambda cuts longer lines into several events


@pytest.fixture(scope="module")
def functions(server):
    lam = client(server, "lambda")
    names = {}
    for handler in ("garbage", "unended", "flood"):
        names[handler] = unique(handler)
        create_function(lam, names[handler], CODE, handler=f"app.{handler}", Timeout=30)
    return names


def invoke_twice(server, name: str) -> tuple[list[str], list[str]]:
    """Invoke `name` twice with LogType=Tail: the answers and the first invocation's tail."""
    lam = client(server, "lambda")
    answers, tails = [], []
    for _ in range(2):
        response = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
        assert "FunctionError" not in response
        answers.append(json.loads(response["Payload"].read()))
        tail = base64.b64decode(response["LogResult"])
        assert len(tail) <= 4096  # Lambda's last 4 KB, whatever was printed
        tails.append(tail.decode())  # cut between characters: it decodes
    return answers, tails[0].split("\n")


def log_messages(server, name: str, **filters) -> list[str]:
    pages = client(server, "logs").get_paginator("filter_log_events")
    return [
        event["message"]
        for page in pages.paginate(logGroupName=f"/aws/lambda/{name}", **filters)
        for event in page["events"]
    ]


def test_binary_output_is_logged_as_text(server, functions):
    answers, tail = invoke_twice(server, functions["garbage"])
    assert answers == ["garbage done", "garbage done"]
    assert tail[-1].startswith("REPORT RequestId: ")
    printed = [m for m in log_messages(server, functions["garbage"]) if "\ufffd" in m]
    assert len(printed) == 2
    # ASCII survives; bytes that are not UTF-8 become U+FFFD, as a text log must show them.
    assert printed[0].startswith("".join(chr(b) for b in range(128) if b != 10))


def test_ten_megabytes_without_a_newline_are_cut_into_events(server, functions):
    answers, tail = invoke_twice(server, functions["unended"])
    assert answers == ["unended done", "unended done"]
    assert tail[-1].startswith("REPORT RequestId: ")
    pieces = [m for m in log_messages(server, functions["unended"]) if m.startswith("z")]
    assert "".join(pieces) == "z" * 20_000_000
    assert max(len(piece) for piece in pieces) == MAX_EVENT_BYTES


def test_a_flood_of_lines_is_logged_in_full(server, functions):
    answers, tail = invoke_twice(server, functions["flood"])
    assert answers == ["flood done", "flood done"]
    assert tail[-4:-2] == ["flood line 99998", "flood line 99999"]
    assert tail[-1].startswith("REPORT RequestId: ")
    name = functions["flood"]
    assert log_messages(server, name, filterPattern='"flood line 0"') == ["flood line 0"] * 2
    assert (
        log_messages(server, name, filterPattern='"flood line 99999"') == ["flood line 99999"] * 2
    )
    assert not log_messages(server, name, filterPattern="dropped")
