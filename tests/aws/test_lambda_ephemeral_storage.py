"""EphemeralStorage as Lambda's /tmp, through boto3: as root, each environment's /tmp is a
tmpfs of that size of its own (in its own mount namespace), full at it (ENOSPC, the function
keeps running), gone with the environment; the host's /tmp never sees its files."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lambda_support import create_function, make_zip, unique

from cloudlet.engine.storage import tmpfs_mounts_under
from conftest import client
from server import Server

MB = 1024 * 1024
needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="an environment's own /tmp needs root (mount namespaces, tmpfs)"
)
WRITER = """
import errno, os, time

def handler(event, context):
    for name in os.listdir("/tmp") if event.get("clean") else ():
        if name.startswith("file"):  # a state directory under the host's /tmp shows here
            os.remove(os.path.join("/tmp", name))
    written = []
    for index in range(event.get("files", 0)):
        path = f"/tmp/file{index}"  # by absolute path, not through TMPDIR
        try:
            with open(path, "wb") as out:
                for _ in range(10):  # 100 MB in chunks, to keep within the memory size
                    out.write(b"x" * (10 * 1024 * 1024))
        except OSError as error:
            return {"written": written, "error": errno.errorcode[error.errno]}
        written.append(os.path.getsize(path))
    same = event.get("same")
    if same:  # what /tmp/<same> held, then ours, read back after the others had time
        before = open(same).read() if os.path.exists(same) else None
        with open(same, "w") as out:
            out.write(event["value"])
        time.sleep(event.get("sleep", 0))
        return {"before": before, "after": open(same).read(), "pid": os.getpid()}
    size = os.statvfs("/tmp")
    return {"written": written, "tmp": os.environ["TMPDIR"], "pid": os.getpid(),
            "size": size.f_blocks * size.f_frsize}
"""


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """A server of its own whose idle environments are reaped after a second, its state
    directory (and so the functions' code) under the host's /tmp, which each environment
    then finds bound into its own /tmp."""
    state = Path(tempfile.mkdtemp(prefix="cloudlet-tmpfs-", dir="/tmp"))
    instance = Server(state, env={"CLOUDLET_KEEP_ALIVE": "1"})
    yield instance.start()
    instance.stop()
    shutil.rmtree(state, ignore_errors=True)


def invoke(lam, name: str, event: dict, **kwargs) -> dict:
    answer = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode(), **kwargs)
    assert "FunctionError" not in answer, answer["Payload"].read()
    return json.loads(answer["Payload"].read())


def mounts(server: Server) -> list[str]:
    return tmpfs_mounts_under(server.state_dir)


def engine_status(server: Server) -> dict:
    with urllib.request.urlopen(f"{server.endpoint}/_cloudlet/status", timeout=5) as answer:
        return json.load(answer)["engine"]


def tmp_mount(pid: int) -> str | None:
    """How process `pid` sees /tmp mounted (its top mount): filesystem and options, or None."""
    found = None
    with open(f"/proc/{pid}/mountinfo") as mountinfo:
        for line in mountinfo:
            fields, _, filesystem = line.partition(" - ")
            if fields.split(" ")[4] == "/tmp":
                found = filesystem.strip()
    return found


@needs_root
def test_writes_past_the_ephemeral_storage_fail_with_enospc_and_the_function_runs_on(server, lam):
    name = unique("tmpfs")
    create_function(lam, name, WRITER, Timeout=30, EphemeralStorage={"Size": 512})
    full = invoke(lam, name, {"files": 6})
    # Five files of 100 MB fit in 512 MB; the sixth's write past it fails, the handler returns.
    assert (full["written"], full["error"]) == ([100 * MB] * 5, "ENOSPC")
    assert not Path("/tmp/file0").exists()  # the host's /tmp got none of them
    assert engine_status(server)["ephemeral_storage"] == "tmpfs per environment"
    again = invoke(lam, name, {"clean": True, "files": 1})
    assert again["written"] == [100 * MB] and again["size"] == 512 * MB
    assert again["tmp"] == "/tmp"  # TMPDIR, as on Lambda
    assert "size=524288k" in (tmp_mount(again["pid"]) or "")
    assert mounts(server) == []  # nothing mounted on the host's side


@needs_root
def test_functions_and_environments_do_not_see_each_others_tmp(server, lam):
    first, second = unique("tmp-a"), unique("tmp-b")
    create_function(lam, first, WRITER, Timeout=30)
    create_function(lam, second, WRITER, Timeout=30)
    same = f"/tmp/{unique('same-name')}"
    assert invoke(lam, first, {"same": same, "value": "a"})["before"] is None
    assert invoke(lam, second, {"same": same, "value": "b"})["before"] is None
    # Two environments of one function at once: each reads back what it wrote.
    with ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(
                lambda value: invoke(lam, first, {"same": same, "value": value, "sleep": 1.5}),
                ["x", "y"],
            )
        )
    assert [answer["after"] for answer in answers] == ["x", "y"]
    assert answers[0]["pid"] != answers[1]["pid"]
    # The warm environment still had "a"; the new one started with an empty /tmp.
    assert sorted(answer["before"] or "" for answer in answers) == ["", "a"]
    assert not Path(same).exists()


@needs_root
def test_a_runtime_api_client_has_its_own_tmp_too(server, lam):
    pytest.importorskip("awslambdaric")
    name = unique("tmp-provided")
    bootstrap = f"#!/bin/sh\nexec {sys.executable} -m awslambdaric $_HANDLER\n"
    package = make_zip({"bootstrap": bootstrap, "app.py": WRITER}, {"bootstrap": 0o755})
    create_function(
        lam, name, package, runtime="provided.al2023", EphemeralStorage={"Size": 600}, Timeout=30
    )
    same = f"/tmp/{unique('same-name')}"
    assert invoke(lam, name, {"same": same, "value": "p"})["after"] == "p"
    seen = invoke(lam, name, {})
    assert (seen["tmp"], seen["size"]) == ("/tmp", 600 * MB)
    assert not Path(same).exists()


@needs_root
def test_the_tmpfs_goes_with_a_deleted_function_and_a_reaped_environment(server, lam):
    deleted, reaped = unique("deleted"), unique("reaped")
    create_function(lam, deleted, WRITER, EphemeralStorage={"Size": 600})
    create_function(lam, reaped, WRITER)
    pids = [invoke(lam, name, {})["pid"] for name in (deleted, reaped)]
    assert all(tmp_mount(pid) for pid in pids)
    lam.delete_function(FunctionName=deleted)
    deadline = time.monotonic() + 10  # the reaped one: idle past the keep-alive (a second)
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)  # and their tmpfs with them
    assert mounts(server) == []


@needs_root
def test_snapstart_and_provisioned_environments_have_their_own_tmpfs(server, lam):
    snap, provisioned = unique("snap"), unique("provisioned")
    settings = {"EphemeralStorage": {"Size": 700}, "Timeout": 30}
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
        assert (seen["tmp"], seen["size"]) == ("/tmp", 700 * MB)
    # Two environments forked from the snapshot at once: a /tmp each, not the snapshot's.
    same = f"/tmp/{unique('same-name')}"
    with ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(
                lambda value: invoke(
                    lam, snap, {"same": same, "value": value, "sleep": 1.5}, Qualifier="1"
                ),
                ["x", "y"],
            )
        )
    assert [answer["after"] for answer in answers] == ["x", "y"]
    assert not Path(same).exists()


@needs_root
def test_a_killed_server_leaves_no_mounts_behind(tmp_path):
    own = Server(tmp_path / "state").start()
    try:
        lam = client(own, "lambda")
        name = unique("stale")
        create_function(lam, name, WRITER)
        pid = invoke(lam, name, {})["pid"]
    finally:
        own.stop(signal.SIGKILL)
    assert mounts(own) == []  # the environment's /tmp was never the host's to detach
    deadline = time.monotonic() + 10  # it dies with its zygote, and its tmpfs with it
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists()


READER = """
def handler(event, context):
    with open(event["path"]) as file:
        return file.read()
"""


@needs_root
def test_cloudlet_installed_under_the_hosts_tmp_stays_reachable_from_functions(tmp_path):
    """A clone of cloudlet under /tmp (a CI checkout, say): its import roots are bound back
    into every environment's /tmp, so what runtimes load lazily from there (boto3's data
    files, awslambdaric) is still found; here a file in an import root given by PYTHONPATH."""
    root = Path(tempfile.mkdtemp(prefix="cloudlet-install-", dir="/tmp"))
    (root / "marker.txt").write_text("installed here")
    own = Server(tmp_path / "state", env={"PYTHONPATH": str(root)}).start()
    try:
        lam = client(own, "lambda")
        name = unique("install")
        create_function(lam, name, READER)
        assert invoke(lam, name, {"path": str(root / "marker.txt")}) == "installed here"
    finally:
        own.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_without_tmpfs_each_file_is_limited_and_status_says_so(tmp_path):
    own = Server(tmp_path / "state", env={"CLOUDLET_TMPFS": "0"}).start()
    try:
        lam = client(own, "lambda")
        name = unique("per-file")
        create_function(lam, name, WRITER)
        tmp = invoke(lam, name, {})["tmp"]
        assert tmp != "/tmp" and Path(tmp).is_dir()  # a directory of its own, as TMPDIR
        assert engine_status(own)["ephemeral_storage"] == "per-file size limit"
    finally:
        own.stop()
    assert "ephemeral storage: per-file size limit" in own.log.read_text()
