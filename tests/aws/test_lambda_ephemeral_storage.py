"""EphemeralStorage as Lambda's /tmp, through boto3: as root, each environment's temporary
directory is a tmpfs of that size, full at it (ENOSPC, the function keeps running), and
unmounted when the environment goes, even after a killed server."""

from __future__ import annotations

import json
import signal
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from lambda_support import create_function, unique

from cloudlet.engine.storage import tmpfs_mounts_under
from conftest import client
from server import Server

MB = 1024 * 1024
WRITER = """
import errno, os, tempfile

def handler(event, context):
    tmp = tempfile.gettempdir()
    for name in os.listdir(tmp) if event.get("clean") else ():
        os.remove(os.path.join(tmp, name))
    written = []
    for index in range(event.get("files", 0)):
        try:
            with open(os.path.join(tmp, f"file{index}"), "wb") as out:
                for _ in range(10):  # 100 MB in chunks, to keep within the memory size
                    out.write(b"x" * (10 * 1024 * 1024))
        except OSError as error:
            return {"written": written, "error": errno.errorcode[error.errno], "tmp": tmp}
        written.append(os.path.getsize(os.path.join(tmp, f"file{index}")))
    size = os.statvfs(tmp)
    return {"written": written, "tmp": tmp, "size": size.f_blocks * size.f_frsize}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own whose idle environments are reaped after a second."""
    instance = Server(tmp_path_factory.mktemp("tmpfs"), env={"CLOUDLET_KEEP_ALIVE": "1"})
    yield instance.start()
    instance.stop()


def invoke(lam, name: str, event: dict, **kwargs) -> dict:
    answer = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode(), **kwargs)
    assert "FunctionError" not in answer, answer["Payload"].read()
    return json.loads(answer["Payload"].read())


def mounts(server: Server) -> list[str]:
    return tmpfs_mounts_under(server.state_dir)


def wait_unmounted(server: Server, path: str) -> None:
    deadline = time.monotonic() + 10
    while path in mounts(server) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert path not in mounts(server)


def engine_status(server: Server) -> dict:
    with urllib.request.urlopen(f"{server.endpoint}/_cloudlet/status", timeout=5) as answer:
        return json.load(answer)["engine"]


def test_writes_past_the_ephemeral_storage_fail_with_enospc_and_the_function_runs_on(server, lam):
    name = unique("tmpfs")
    create_function(lam, name, WRITER, Timeout=30, EphemeralStorage={"Size": 512})
    full = invoke(lam, name, {"files": 6})
    # Five files of 100 MB fit in 512 MB; the sixth's write past it fails, the handler returns.
    assert (full["written"], full["error"]) == ([100 * MB] * 5, "ENOSPC")
    assert engine_status(server)["ephemeral_storage"] == "tmpfs per environment"
    again = invoke(lam, name, {"clean": True, "files": 1})
    assert again["written"] == [100 * MB] and again["size"] == 512 * MB


def test_the_mount_goes_with_a_deleted_function_and_a_reaped_environment(server, lam):
    deleted, reaped = unique("deleted"), unique("reaped")
    create_function(lam, deleted, WRITER, EphemeralStorage={"Size": 600})
    create_function(lam, reaped, WRITER)
    deleted_tmp = invoke(lam, deleted, {})["tmp"]
    reaped_tmp = invoke(lam, reaped, {})["tmp"]
    assert {deleted_tmp, reaped_tmp} <= set(mounts(server))
    lam.delete_function(FunctionName=deleted)
    wait_unmounted(server, deleted_tmp)
    wait_unmounted(server, reaped_tmp)  # idle past the keep-alive (a second here)
    assert not Path(deleted_tmp).exists() and not Path(reaped_tmp).exists()


def test_snapstart_and_provisioned_environments_have_their_own_tmpfs(server, lam):
    snap, provisioned = unique("snap"), unique("provisioned")
    settings = {"EphemeralStorage": {"Size": 700}}
    create_function(lam, snap, WRITER, SnapStart={"ApplyOn": "PublishedVersions"}, **settings)
    create_function(lam, provisioned, WRITER, **settings)
    lam.publish_version(FunctionName=snap)
    lam.get_waiter("published_version_active").wait(FunctionName=snap, Qualifier="1")
    lam.publish_version(FunctionName=provisioned)
    lam.put_provisioned_concurrency_config(
        FunctionName=provisioned, Qualifier="1", ProvisionedConcurrentExecutions=1
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        config = lam.get_provisioned_concurrency_config(FunctionName=provisioned, Qualifier="1")
        if config["Status"] != "IN_PROGRESS":
            break
        time.sleep(0.1)
    assert config["Status"] == "READY"
    for name in (snap, provisioned):
        seen = invoke(lam, name, {}, Qualifier="1")
        assert seen["size"] == 700 * MB and seen["tmp"] in mounts(server)


def test_a_killed_servers_mounts_are_detached_at_the_next_start(tmp_path):
    own = Server(tmp_path / "state").start()
    try:
        lam = client(own, "lambda")
        name = unique("stale")
        create_function(lam, name, WRITER)
        tmp = invoke(lam, name, {})["tmp"]
        own.stop(signal.SIGKILL)
        assert tmp in mounts(own)  # nobody detached it
        own.start()
        assert mounts(own) == []
    finally:
        own.stop()


def test_without_tmpfs_each_file_is_limited_and_status_says_so(tmp_path):
    own = Server(tmp_path / "state", env={"CLOUDLET_TMPFS": "0"}).start()
    try:
        lam = client(own, "lambda")
        name = unique("per-file")
        create_function(lam, name, WRITER)
        assert invoke(lam, name, {})["tmp"] not in mounts(own)
        assert engine_status(own)["ephemeral_storage"] == "per-file size limit"
    finally:
        own.stop()
    assert "ephemeral storage: per-file size limit" in own.log.read_text()
