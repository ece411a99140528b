"""`cloudlet logs` and `cloudlet invoke` against a real server, as a user runs them."""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import threading
import time
import uuid

import pytest

from conftest import client
from server import free_port

CLOUDLET = [sys.executable, "-m", "cloudlet"]


def cloudlet(server_port: int, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLOUDLET, *args, "--port", str(server_port)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "CLOUDLET_PORT": str(server_port)},
    )


def put_function_log(logs, function: str, stream: str, messages: list[str]) -> None:
    group = f"/aws/lambda/{function}"
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    start = int(time.time() * 1000) - len(messages)
    events = [{"timestamp": start + i, "message": m} for i, m in enumerate(messages)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def test_cloudlet_logs_prints_a_functions_events_in_order(server):
    logs = client(server, "logs")
    function = f"fn-{uuid.uuid4().hex[:8]}"
    put_function_log(logs, function, "2026/01/01/[$LATEST]aaa", ["START RequestId: 1", "hi"])
    put_function_log(logs, function, "2026/01/01/[$LATEST]bbb", ["second env"])
    shown = cloudlet(server.port, "logs", function)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == ["START RequestId: 1", "hi", "second env"]
    assert [line.split(" ", 2)[1] for line in lines] == ["[$LATEST]aaa"] * 2 + ["[$LATEST]bbb"]
    assert lines[0].split(" ")[0].endswith("Z")


def test_cloudlet_logs_since_leaves_out_older_events(server):
    logs = client(server, "logs")
    function = f"fn-{uuid.uuid4().hex[:8]}"
    group = f"/aws/lambda/{function}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": now - 3_600_000, "message": "an hour ago"},
            {"timestamp": now, "message": "now"},
        ],
    )
    recent = cloudlet(server.port, "logs", function, "--since", "5m")
    assert [line.split(" ", 2)[2] for line in recent.stdout.splitlines()] == ["now"]
    both = cloudlet(server.port, "logs", function, "--since", "2h")
    assert len(both.stdout.splitlines()) == 2


def test_cloudlet_logs_follow_prints_new_events_once(server):
    logs = client(server, "logs")
    function = f"fn-{uuid.uuid4().hex[:8]}"
    put_function_log(logs, function, "s", ["before"])
    follower = subprocess.Popen(
        [*CLOUDLET, "logs", function, "--follow", "--port", str(server.port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert follower.stdout is not None
    threading.Thread(
        target=lambda: [lines.put(line) for line in follower.stdout], daemon=True
    ).start()
    try:
        assert lines.get(timeout=20).rstrip().endswith(" before")
        logs.put_log_events(
            logGroupName=f"/aws/lambda/{function}",
            logStreamName="s",
            logEvents=[{"timestamp": int(time.time() * 1000), "message": "after"}],
        )
        assert lines.get(timeout=10).rstrip().endswith(" after")
        with pytest.raises(queue.Empty):
            lines.get(timeout=2.5)
    finally:
        follower.kill()
        follower.wait()


def test_cloudlet_logs_says_so_when_a_function_has_no_logs(server):
    shown = cloudlet(server.port, "logs", "never-ran")
    assert shown.returncode == 1
    assert shown.stderr.strip() == (
        "cloudlet: function never-ran has no logs yet (no log group /aws/lambda/never-ran)"
    )


def test_cloudlet_logs_refuses_a_bad_since(server):
    shown = cloudlet(server.port, "logs", "fn", "--since", "yesterday")
    assert shown.returncode == 2
    assert "--since 'yesterday' is neither a duration" in shown.stderr


@pytest.mark.parametrize("command", [["logs", "fn"], ["invoke", "fn"]])
def test_the_commands_say_so_when_no_server_runs(command):
    port = free_port()
    shown = cloudlet(port, *command)
    assert shown.returncode == 1
    assert shown.stderr.strip() == (
        f"cloudlet: no server answers on http://127.0.0.1:{port}; start one with `cloudlet up`"
    )
    assert "Traceback" not in shown.stderr


def test_cloudlet_invoke_refuses_a_payload_that_is_not_json(tmp_path):
    shown = cloudlet(free_port(), "invoke", "fn", "--payload", "{not json")
    assert shown.returncode == 2
    assert shown.stderr.startswith("cloudlet: the payload is not JSON:")
    missing = cloudlet(free_port(), "invoke", "fn", "--payload", f"@{tmp_path}/none.json")
    assert missing.returncode == 2
    assert "cannot read the payload file" in missing.stderr
