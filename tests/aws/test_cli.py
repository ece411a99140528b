"""The `cloudlet` command as a user runs it: help, `up` (banner, settings from CLOUDLET_*,
a clean stop on Ctrl-C) and `status` against a running server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import client
from server import Server, free_port

CLOUDLET = [sys.executable, "-m", "cloudlet"]


def cloudlet(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDLET_")}
    return subprocess.run(
        [*CLOUDLET, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean | (env or {}),
        check=False,
    )


@pytest.fixture(scope="module")
def holding(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own, so that `status` has known counts to show."""
    instance = Server(tmp_path_factory.mktemp("status")).start()
    sqs = client(instance, "sqs")
    for name in ("first", "second"):
        sqs.create_queue(QueueName=name)
    client(instance, "iam").create_role(RoleName="a-role", AssumeRolePolicyDocument="{}")
    client(instance, "dynamodb").create_table(
        TableName="things",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    yield instance
    instance.stop()


# -- help -------------------------------------------------------------------------------------


def test_help_teaches_how_to_start_and_point_clients_at_cloudlet():
    done = cloudlet("--help")
    assert done.returncode == 0, done.stderr
    for taught in ("cloudlet up", "AWS_ENDPOINT_URL=http://localhost:4566", "cloudlet status"):
        assert taught in done.stdout
    for command in ("up", "status", "invoke", "logs", "token"):
        assert f"    {command} " in done.stdout  # each sub-command listed with its summary


def test_no_command_prints_the_help():
    done = cloudlet()
    assert done.returncode == 0
    assert done.stdout == cloudlet("--help").stdout


@pytest.mark.parametrize(
    ("command", "taught"),
    [
        ("up", ["CLOUDLET_HOST", "CLOUDLET_PORT", "CLOUDLET_STATE_DIR", "--state-dir", "Ctrl-C"]),
        ("status", ["CLOUDLET_HOST/CLOUDLET_PORT", "--json", "services"]),
        ("invoke", ["cloudlet invoke hello --payload", "--qualifier", "exit status is 1"]),
        ("logs", ["cloudlet logs hello --follow", "--since"]),
        ("token", ["cloudlet token --audience my-api", "JWKS"]),
    ],
)
def test_each_command_s_help_teaches_its_use(command, taught):
    done = cloudlet(command, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: cloudlet {command}")
    for text in taught:
        assert text in done.stdout


# -- status ------------------------------------------------------------------------------------


def test_status_shows_what_the_running_server_holds(holding):
    done = cloudlet("status", "--port", str(holding.port))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("cloudlet ") and f"http://localhost:{holding.port}" in lines[0]
    assert f"store: {holding.state_dir / 'cloudlet.db'}" in lines[1]
    assert "  sqs: queues 2" in lines
    assert "  iam: roles 1, policies 0" in lines
    assert "  dynamodb: tables 1" in lines


def test_status_follows_cloudlet_port_and_prints_json_on_request(holding):
    done = cloudlet("status", "--json", env={"CLOUDLET_PORT": str(holding.port)})
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["services"]["sqs"] == {"queues": 2}
    assert status["store"]["path"] == str(holding.state_dir / "cloudlet.db")
    assert status["store"]["writes"] >= 4


def test_status_without_a_server_says_how_to_start_one():
    port = free_port()
    done = cloudlet("status", "--port", str(port))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip() == (
        f"cloudlet: no server answers on 127.0.0.1:{port}; start one with `cloudlet up`"
    )


# -- up ----------------------------------------------------------------------------------------


def test_the_banner_says_how_to_point_boto3_and_the_aws_cli_at_the_server(server):
    banner = server.log.read_text()
    endpoint = f"http://localhost:{server.port}"
    assert f"is running on {endpoint} (state in {server.state_dir})" in banner
    assert f"export AWS_ENDPOINT_URL={endpoint} AWS_DEFAULT_REGION=us-east-1" in banner
    assert "export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test" in banner


def wait_for_health(url: str, process: subprocess.Popen[str], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with urllib.request.urlopen(f"{url}/_cloudlet/health", timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"no answer on {url}")


def test_up_without_flags_takes_host_port_and_state_dir_from_the_environment(tmp_path: Path):
    port = free_port()
    state = tmp_path / "from-env"
    # 127.0.0.2 is loopback too, but not 127.0.0.1: only CLOUDLET_HOST can have chosen it.
    settings = {"CLOUDLET_HOST": "127.0.0.2", "CLOUDLET_PORT": str(port)}
    settings["CLOUDLET_STATE_DIR"] = str(state)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDLET_")} | settings
    process = subprocess.Popen(
        [*CLOUDLET, "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for_health(f"http://127.0.0.2:{port}", process)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_cloudlet/health", timeout=1)
        assert (state / "cloudlet.db").is_file()
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert f"is running on http://127.0.0.2:{port} (state in {state})" in out
    assert f"export AWS_ENDPOINT_URL=http://127.0.0.2:{port}" in out


def test_ctrl_c_stops_cleanly_and_keeps_every_accepted_write(tmp_path: Path):
    instance = Server(tmp_path / "state").start()
    try:
        sqs = client(instance, "sqs")
        url = sqs.create_queue(QueueName="kept")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="sent just before Ctrl-C")
        assert instance.stop(signal.SIGINT) == 0
        assert "stopped; every accepted write is committed" in instance.log.read_text()
        instance.start()
        received = client(instance, "sqs").receive_message(QueueUrl=url, WaitTimeSeconds=1)
        assert [m["Body"] for m in received["Messages"]] == ["sent just before Ctrl-C"]
    finally:
        if instance.process is not None:
            instance.stop()
