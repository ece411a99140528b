"""CloudWatch Logs through boto3 and the aws CLI against a real server."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, client

AWS = str(Path(sys.executable).parent / "aws")
HOUR = 3_600_000
DAY = 24 * HOUR


@pytest.fixture
def logs(server):
    return client(server, "logs")


@pytest.fixture
def group(logs) -> str:
    name = f"/test/{uuid.uuid4().hex[:10]}"
    logs.create_log_group(logGroupName=name)
    return name


def now_ms() -> int:
    return int(time.time() * 1000)


def put(logs, group: str, stream: str, messages: list[str], start: int | None = None) -> int:
    """Put messages 1 ms apart into a new stream; return the first one's timestamp."""
    start = now_ms() - len(messages) if start is None else start
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    events = [{"timestamp": start + i, "message": m} for i, m in enumerate(messages)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
    return start


def error_of(call, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return (
        error["Code"],
        error["Message"],
        caught.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def aws_cli(server, *args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": server.endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(config) if config else os.devnull,
    }
    return subprocess.run(
        [AWS, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


# -- groups and streams ------------------------------------------------------------------------


def test_groups_are_created_described_and_deleted(logs, group):
    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert [g["logGroupName"] for g in described] == [group]
    account = "000000000000"
    assert described[0]["arn"] == f"arn:aws:logs:{REGION}:{account}:log-group:{group}:*"
    assert described[0]["logGroupArn"] == f"arn:aws:logs:{REGION}:{account}:log-group:{group}"
    assert described[0]["storedBytes"] == 0 and "retentionInDays" not in described[0]
    assert error_of(logs.create_log_group, logGroupName=group) == (
        "ResourceAlreadyExistsException",
        "The specified log group already exists",
        400,
    )
    logs.delete_log_group(logGroupName=group)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
    assert error_of(logs.delete_log_group, logGroupName=group) == (
        "ResourceNotFoundException",
        "The specified log group does not exist.",
        400,
    )


def test_describe_log_groups_pages_and_matches_a_pattern(logs):
    base = f"/paging/{uuid.uuid4().hex[:8]}"
    names = [f"{base}/{letter}" for letter in "dbca"]
    for name in names:
        logs.create_log_group(logGroupName=name)
    pages = logs.get_paginator("describe_log_groups").paginate(
        logGroupNamePrefix=base, PaginationConfig={"PageSize": 3}
    )
    seen = [[g["logGroupName"] for g in page["logGroups"]] for page in pages]
    assert seen == [sorted(names)[:3], sorted(names)[3:]]
    by_pattern = logs.describe_log_groups(logGroupNamePattern=base[-8:] + "/c")["logGroups"]
    # A pattern search answers with three members only, as AWS does.
    assert by_pattern == [
        {"logGroupName": f"{base}/c", "creationTime": by_pattern[0]["creationTime"],
         "arn": f"arn:aws:logs:{REGION}:000000000000:log-group:{base}/c:*"}
    ]  # fmt: skip
    code, message, _ = error_of(
        logs.describe_log_groups, logGroupNamePrefix=base, logGroupNamePattern="x"
    )
    assert code == "InvalidParameterException"
    code, message, _ = error_of(logs.describe_log_groups, limit=51)
    assert (code, message) == (
        "InvalidParameterException",
        "1 validation error detected: Value 51 at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 50",
    )


def test_log_groups_are_kept_per_region(server, group):
    elsewhere = boto3.client(
        "logs",
        endpoint_url=server.endpoint,
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )
    assert elsewhere.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []


def test_streams_are_listed_by_name_or_by_last_event_time(logs, group):
    put(logs, group, "b", ["x"], start=now_ms() - 3000)
    put(logs, group, "a", ["x"], start=now_ms() - 1000)
    put(logs, group, "c", ["x"], start=now_ms() - 2000)
    logs.create_log_stream(logGroupName=group, logStreamName="ab")
    by_name = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [s["logStreamName"] for s in by_name] == ["a", "ab", "b", "c"]
    assert "lastEventTimestamp" not in by_name[1] and "lastEventTimestamp" in by_name[0]
    assert by_name[0]["arn"].endswith(f":log-group:{group}:log-stream:a")
    prefixed = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="a")
    assert [s["logStreamName"] for s in prefixed["logStreams"]] == ["a", "ab"]
    latest = logs.describe_log_streams(
        logGroupName=group, orderBy="LastEventTime", descending=True, limit=2
    )
    assert [s["logStreamName"] for s in latest["logStreams"]] == ["a", "c"]
    rest = logs.describe_log_streams(
        logGroupName=group, orderBy="LastEventTime", descending=True, nextToken=latest["nextToken"]
    )
    assert [s["logStreamName"] for s in rest["logStreams"]] == ["b", "ab"]
    assert error_of(
        logs.describe_log_streams,
        logGroupName=group,
        orderBy="LastEventTime",
        logStreamNamePrefix="a",
    )[:2] == (
        "InvalidParameterException",
        "Cannot order by LastEventTime with a logStreamNamePrefix.",
    )
    assert error_of(logs.create_log_stream, logGroupName=group, logStreamName="a")[:2] == (
        "ResourceAlreadyExistsException",
        "The specified log stream already exists",
    )
    logs.delete_log_stream(logGroupName=group, logStreamName="a")
    assert error_of(logs.delete_log_stream, logGroupName=group, logStreamName="a")[:2] == (
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
    )


def test_a_group_is_found_by_its_arn_as_identifier(logs, group):
    put(logs, group, "s", ["by arn"])
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    got = logs.get_log_events(logGroupIdentifier=arn, logStreamName="s")
    assert [e["message"] for e in got["events"]] == ["by arn"]
    # The ARN with ":*" (DescribeLogGroups' `arn`) is not an identifier.
    code, message, _ = error_of(
        logs.get_log_events, logGroupIdentifier=arn + ":*", logStreamName="s"
    )
    assert code == "InvalidParameterException" and "logGroupIdentifier" in message


# -- putting and getting events ------------------------------------------------------------------


def test_get_log_events_pages_with_forward_and_backward_tokens(logs, group):
    put(logs, group, "s", [f"m{n}" for n in range(10)])
    latest = logs.get_log_events(logGroupName=group, logStreamName="s", limit=4)
    assert [e["message"] for e in latest["events"]] == ["m6", "m7", "m8", "m9"]
    assert latest["events"][0]["ingestionTime"] >= latest["events"][0]["timestamp"]
    earlier = logs.get_log_events(
        logGroupName=group, logStreamName="s", limit=4, nextToken=latest["nextBackwardToken"]
    )
    assert [e["message"] for e in earlier["events"]] == ["m2", "m3", "m4", "m5"]
    later = logs.get_log_events(
        logGroupName=group, logStreamName="s", nextToken=earlier["nextForwardToken"]
    )
    assert [e["message"] for e in later["events"]] == ["m6", "m7", "m8", "m9"]
    # At the end of the stream the token passed in comes back, in either direction.
    end = logs.get_log_events(
        logGroupName=group, logStreamName="s", nextToken=later["nextForwardToken"]
    )
    assert end["events"] == [] and end["nextForwardToken"] == later["nextForwardToken"]
    start = logs.get_log_events(
        logGroupName=group, logStreamName="s", nextToken=earlier["nextBackwardToken"]
    )
    assert [e["message"] for e in start["events"]] == ["m0", "m1"]
    first = logs.get_log_events(
        logGroupName=group, logStreamName="s", nextToken=start["nextBackwardToken"]
    )
    assert first["events"] == [] and first["nextBackwardToken"] == start["nextBackwardToken"]


def test_a_forward_token_picks_up_events_put_later(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    empty = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)
    assert empty["events"] == []
    assert empty["nextForwardToken"] == "f/" + "0" * 56 + "/s"
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now_ms(), "message": "arrived"}],
    )
    got = logs.get_log_events(
        logGroupName=group, logStreamName="s", nextToken=empty["nextForwardToken"]
    )
    assert [e["message"] for e in got["events"]] == ["arrived"]


def test_get_log_events_reads_from_the_head_and_within_a_time_range(logs, group):
    start = put(logs, group, "s", [f"m{n}" for n in range(6)])
    head = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True, limit=2)
    assert [e["message"] for e in head["events"]] == ["m0", "m1"]
    ranged = logs.get_log_events(
        logGroupName=group, logStreamName="s", startTime=start + 2, endTime=start + 4
    )
    assert [e["message"] for e in ranged["events"]] == ["m2", "m3"]  # endTime is excluded


def test_get_log_events_refuses_unknown_tokens_streams_and_groups(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    assert error_of(
        logs.get_log_events, logGroupName=group, logStreamName="s", nextToken="not-a-token"
    ) == ("InvalidParameterException", "The specified nextToken is invalid.", 400)
    assert error_of(logs.get_log_events, logGroupName=group, logStreamName="nope")[:2] == (
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
    )
    assert error_of(logs.get_log_events, logGroupName="/no/such", logStreamName="s")[:2] == (
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    )


def test_put_log_events_ignores_sequence_tokens_and_rejects_old_and_new_events(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = now_ms()
    answer = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        sequenceToken="whatever",
        logEvents=[
            {"timestamp": now - 15 * DAY, "message": "too old"},
            {"timestamp": now, "message": "kept"},
            {"timestamp": now + 3 * HOUR, "message": "too new"},
        ],
    )
    assert answer["rejectedLogEventsInfo"] == {
        "tooOldLogEventEndIndex": 0,
        "tooNewLogEventStartIndex": 2,
    }
    assert len(answer["nextSequenceToken"]) == 56
    got = logs.get_log_events(logGroupName=group, logStreamName="s")
    assert [e["message"] for e in got["events"]] == ["kept"]


def test_put_log_events_refuses_batches_aws_refuses(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = now_ms()

    def refused(events: list[dict]) -> tuple[str, str]:
        return error_of(
            logs.put_log_events, logGroupName=group, logStreamName="s", logEvents=events
        )[:2]

    assert refused(
        [{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}]
    ) == (
        "InvalidParameterException",
        "Log events in a single PutLogEvents request must be in chronological order.",
    )
    assert refused(
        [{"timestamp": now - 2 * DAY, "message": "a"}, {"timestamp": now, "message": "b"}]
    )[1] == (
        "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
    )
    big = [{"timestamp": now, "message": "x" * 600_000}] * 2
    assert refused(big) == (
        "InvalidParameterException",
        "Upload too large: 1200052 bytes exceeds limit of 1048576",
    )
    code, message = refused([{"timestamp": now, "message": "x"}] * 10_001)
    assert code == "InvalidParameterException" and "at 'logEvents'" in message
    assert error_of(
        logs.put_log_events,
        logGroupName=group,
        logStreamName="nope",
        logEvents=[{"timestamp": now, "message": "x"}],
    )[:2] == ("ResourceNotFoundException", "The specified log stream does not exist.")


# -- filtering -------------------------------------------------------------------------------------


def test_filter_log_events_interleaves_streams_and_applies_a_pattern(logs, group):
    start = now_ms() - 100
    put(logs, group, "app/1", ["ERROR one", "fine", '{"level": "ERROR", "n": 3}'], start)
    put(logs, group, "app/2", ["ERROR two", "WARN x"], start)
    put(logs, group, "other", ["ERROR three"], start + 10)
    everything = logs.filter_log_events(logGroupName=group)
    assert [e["message"] for e in everything["events"]] == [
        "ERROR one", "ERROR two", "fine", "WARN x", '{"level": "ERROR", "n": 3}', "ERROR three",
    ]  # fmt: skip
    assert everything["searchedLogStreams"] == []
    assert "nextToken" not in everything
    first = everything["events"][0]
    assert first["logStreamName"] == "app/1" and len(first["eventId"]) == 56

    def messages(**kwargs) -> list[str]:
        return [
            e["message"] for e in logs.filter_log_events(logGroupName=group, **kwargs)["events"]
        ]

    assert messages(filterPattern="ERROR") == [
        "ERROR one", "ERROR two", '{"level": "ERROR", "n": 3}', "ERROR three",
    ]  # fmt: skip
    assert messages(filterPattern='{ $.level = "ERROR" }') == ['{"level": "ERROR", "n": 3}']
    assert messages(filterPattern="?WARN ?fine") == ["fine", "WARN x"]
    assert messages(filterPattern='"ERROR t"') == ["ERROR two", "ERROR three"]
    assert messages(logStreamNames=["app/2", "other"]) == ["ERROR two", "WARN x", "ERROR three"]
    assert messages(logStreamNamePrefix="app/", filterPattern="-ERROR") == ["fine", "WARN x"]
    assert messages(startTime=start + 1, endTime=start + 2) == [
        "fine", "WARN x", '{"level": "ERROR", "n": 3}',
    ]  # fmt: skip


def test_filter_log_events_pages_with_next_token(logs, group):
    put(logs, group, "s", [f"m{n}" for n in range(7)])
    pages = logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, PaginationConfig={"PageSize": 3}
    )
    seen = [[e["message"] for e in page["events"]] for page in pages]
    assert [m for page in seen for m in page] == [f"m{n}" for n in range(7)]
    assert len(seen) >= 3


def test_filter_log_events_refuses_bad_patterns_and_tokens(logs, group):
    assert error_of(logs.filter_log_events, logGroupName=group, filterPattern="{ $.a = ")[:2] == (
        "InvalidParameterException",
        "If a filter pattern starts with '{' it must end with '}'",
    )
    assert error_of(logs.filter_log_events, logGroupName=group, filterPattern='"open')[:2] == (
        "InvalidParameterException",
        "Invalid filter pattern",
    )
    assert error_of(logs.filter_log_events, logGroupName=group, nextToken="bogus")[:2] == (
        "InvalidParameterException",
        "The specified nextToken is invalid.",
    )
    code, _, _ = error_of(
        logs.filter_log_events, logGroupName=group, logStreamNames=["a"], logStreamNamePrefix="a"
    )
    assert code == "InvalidParameterException"
    assert (
        error_of(logs.filter_log_events, logGroupName="/no/such")[0] == "ResourceNotFoundException"
    )


# -- retention and tags ------------------------------------------------------------------------


def test_retention_expires_old_events_and_rejects_new_expired_ones(logs, group):
    now = now_ms()
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now - 10 * DAY, "message": "old"}],
    )
    logs.put_log_events(
        logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now, "message": "new"}]
    )
    logs.put_retention_policy(logGroupName=group, retentionInDays=7)
    assert (
        logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 7
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        got = logs.get_log_events(logGroupName=group, logStreamName="s")
        if [e["message"] for e in got["events"]] == ["new"]:
            break
        time.sleep(0.1)
    assert [e["message"] for e in got["events"]] == ["new"]
    answer = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now - 8 * DAY, "message": "expired"}],
    )
    assert answer["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 0}
    logs.delete_retention_policy(logGroupName=group)
    assert (
        "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    )
    code, message, _ = error_of(logs.put_retention_policy, logGroupName=group, retentionInDays=2)
    assert code == "InvalidParameterException"
    assert message.startswith(
        "1 validation error detected: Value '2' at 'retentionInDays' failed to satisfy constraint:"
        " Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60"
    )


def test_tags_by_arn_and_by_group_name(logs):
    name = f"/tags/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name, tags={"team": "a"})
    arn = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["logGroupArn"]
    logs.tag_resource(resourceArn=arn, tags={"env": "dev"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "a", "env": "dev"}
    logs.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert logs.list_tags_log_group(logGroupName=name)["tags"] == {"env": "dev"}
    # DescribeLogGroups' `arn` ends in ":*", which the tagging API refuses.
    assert error_of(logs.list_tags_for_resource, resourceArn=arn + ":*") == (
        "ValidationException",
        "Invalid resourceArn",
        400,
    )
    assert error_of(logs.list_tags_for_resource, resourceArn=arn + "-gone")[0] == (
        "ResourceNotFoundException"
    )


def test_events_survive_a_restart(tmp_path):
    from server import Server

    server = Server(tmp_path / "state").start()
    try:
        logs = client(server, "logs")
        logs.create_log_group(logGroupName="durable")
        put(logs, "durable", "s", ["kept"])
        server.restart()
        logs = client(server, "logs")
        got = logs.get_log_events(logGroupName="durable", logStreamName="s")
        assert [e["message"] for e in got["events"]] == ["kept"]
    finally:
        server.stop()


# -- the aws CLI ---------------------------------------------------------------------------------


def test_the_aws_cli_puts_gets_filters_and_describes(server, group):
    now = now_ms()
    assert aws_cli(server, "logs", "create-log-stream", "--log-group-name", group,
                   "--log-stream-name", "cli").returncode == 0  # fmt: skip
    events = json.dumps([{"timestamp": now, "message": "from the cli"}])
    put_ = aws_cli(server, "logs", "put-log-events", "--log-group-name", group,
                   "--log-stream-name", "cli", "--log-events", events)  # fmt: skip
    assert put_.returncode == 0, put_.stderr
    got = aws_cli(server, "logs", "get-log-events", "--log-group-name", group,
                  "--log-stream-name", "cli")  # fmt: skip
    assert [e["message"] for e in json.loads(got.stdout)["events"]] == ["from the cli"]
    filtered = aws_cli(server, "logs", "filter-log-events", "--log-group-name", group,
                       "--filter-pattern", "cli")  # fmt: skip
    assert [e["message"] for e in json.loads(filtered.stdout)["events"]] == ["from the cli"]
    streams = aws_cli(server, "logs", "describe-log-streams", "--log-group-name", group)
    assert [s["logStreamName"] for s in json.loads(streams.stdout)["logStreams"]] == ["cli"]
    missing = aws_cli(server, "logs", "describe-log-streams", "--log-group-name", "/no/such")
    assert missing.returncode != 0
    assert "ResourceNotFoundException" in missing.stderr
    assert "The specified log group does not exist." in missing.stderr


@pytest.fixture
def tail_config(tmp_path) -> Path:
    """An aws CLI config enabling the `logs tail` plugin (awscli v1 lacks the command)."""
    config = tmp_path / "aws-config"
    config.write_text("[plugins]\nlogs_tail = awscli_plugin_logs_tail\n")
    return config


def test_aws_logs_tail_prints_a_groups_events(server, logs, group, tail_config):
    put(logs, group, "s1", ["first"])
    put(logs, group, "s2", ["second"])
    tailed = aws_cli(server, "logs", "tail", group, "--since", "1h", config=tail_config)
    assert tailed.returncode == 0, tailed.stderr
    lines = tailed.stdout.splitlines()
    assert [line.split(" ", 2)[1:] for line in lines] == [["s1", "first"], ["s2", "second"]]


def test_aws_logs_tail_follow_prints_new_events_as_they_arrive(server, logs, group, tail_config):
    put(logs, group, "s", ["before"])
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": server.endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tail_config),
    }
    follower = subprocess.Popen(
        [AWS, "logs", "tail", group, "--follow", "--format", "short"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in follower.stdout], daemon=True
    ).start()
    try:
        assert lines.get(timeout=20).rstrip().endswith(" before")
        logs.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[{"timestamp": now_ms(), "message": "after"}],
        )
        # The tail polls every 5 seconds; the next line is the new event, printed once.
        assert lines.get(timeout=20).rstrip().endswith(" after")
        with pytest.raises(queue.Empty):
            lines.get(timeout=6)
    finally:
        follower.kill()
        follower.wait()
