"""Keeping each environment within its memory size, as Lambda's OOM kill does.

Where cloudlet may create memory cgroups (v2, or v1's memory hierarchy), each environment
gets one limited to its MemorySize and the kernel kills it on excess. Moving a process into
a cgroup can take over 10 ms, so it happens on a background thread, off the cold start's
path: the limit applies a few milliseconds after the process starts. Elsewhere a poller
reads the resident size of busy environments every 50 ms and kills those over their limit
(also, beside the cgroup, where an environment's temporary directory is a tmpfs: see attach).
Either way the invocation ends as on Lambda: `Runtime.OutOfMemory`, "Runtime exited with
error: signal: killed"; `out_of_memory` tells such a kill from any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger("cloudlet.engine")

POLL_SECONDS = 0.05
_PAGE = os.sysconf("SC_PAGE_SIZE")


class MemoryLimits:
    def __init__(self, root: Path | None = None) -> None:
        self.cgroups = _cgroup_parent(root)
        self.limits: dict[int, int] = {}  # pid -> bytes, for the poller
        self.killed: set[int] = set()  # pids the poller killed, until their exit is reported
        self._poller: asyncio.Task[None] | None = None
        self._cgroup_work = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cgroups")
        self._loop: asyncio.AbstractEventLoop | None = None
        if self.cgroups is None:
            log.info("memory limits: no writable cgroup, polling resident memory instead")

    def attach(self, pid: int, name: str, megabytes: int, tmpfs_megabytes: int = 0) -> None:
        """Limit process `pid` (and what it starts) to `megabytes`.

        A cgroup charges what the process writes to its tmpfs (`tmpfs_megabytes`, its
        ephemeral storage) as its memory, and cannot reclaim it without swap, whereas Lambda
        counts /tmp apart: the group is then allowed that much more, and the poller holds the
        process's resident memory, which leaves such files out, to `megabytes`.
        """
        self._loop = asyncio.get_running_loop()
        limit = megabytes * 1024 * 1024
        if self.cgroups is not None:
            group_limit = limit + tmpfs_megabytes * 1024 * 1024
            self._cgroup_work.submit(self._join_cgroup, pid, name, group_limit)
        if self.cgroups is None or tmpfs_megabytes:
            self._poll_for(pid, limit)

    def _join_cgroup(self, pid: int, name: str, limit: int) -> None:
        if self.cgroups is not None:
            parent, version = self.cgroups
            group = parent / name
            try:
                group.mkdir(exist_ok=True)
                if version == 2:
                    (group / "memory.max").write_text(str(limit))
                    (group / "memory.swap.max").write_text("0")
                else:
                    (group / "memory.limit_in_bytes").write_text(str(limit))
                    swap = group / "memory.memsw.limit_in_bytes"
                    if swap.exists():
                        swap.write_text(str(limit))
                (group / "cgroup.procs").write_text(str(pid))
                return
            except ProcessLookupError:
                return  # it already exited
            except OSError as error:
                log.warning("cannot limit memory with a cgroup (%s); polling instead", error)
                self.cgroups = None
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._poll_for, pid, limit)

    def _poll_for(self, pid: int, limit: int) -> None:
        self.limits[pid] = min(limit, self.limits.get(pid, limit))  # the process's own first
        if self._poller is None:
            self._poller = asyncio.get_running_loop().create_task(self._poll())

    def out_of_memory(self, pid: int, name: str) -> bool:
        """Whether process `pid`, which has just exited, was killed for exceeding its limit.

        Asked before `detach`, which removes its cgroup and the count of its OOM kills.
        """
        if pid in self.killed:
            return True
        if self.cgroups is None:
            return False
        parent, version = self.cgroups
        counts = parent / name / ("memory.events" if version == 2 else "memory.oom_control")
        try:
            lines = counts.read_text().splitlines()
        except OSError:
            return False
        for line in lines:
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return value.strip() != "0"
        return False

    def detach(self, pid: int, name: str) -> None:
        self.limits.pop(pid, None)
        self.killed.discard(pid)
        if self.cgroups is not None:
            self._cgroup_work.submit(_remove_group, self.cgroups[0] / name)

    def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
        self._cgroup_work.shutdown(wait=True)
        if self.cgroups is not None:
            parent = self.cgroups[0]
            for group in parent.glob("*"):
                with contextlib.suppress(OSError):
                    group.rmdir()
            with contextlib.suppress(OSError):
                parent.rmdir()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            for pid, limit in list(self.limits.items()):
                try:
                    with open(f"/proc/{pid}/statm", "rb") as statm:
                        resident = int(statm.read().split()[1]) * _PAGE
                except (OSError, ValueError, IndexError):
                    self.limits.pop(pid, None)
                    continue
                if resident > limit:
                    self.limits.pop(pid, None)
                    self.killed.add(pid)
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(pid, signal.SIGKILL)


def _cgroup_parent(root: Path | None) -> tuple[Path, int] | None:
    """A cgroup directory of ours where environments' groups can go, and its version."""
    base = root or Path("/sys/fs/cgroup")
    candidates: list[tuple[Path, int]] = []
    controllers = base / "cgroup.controllers"
    if controllers.exists() and "memory" in controllers.read_text().split():
        candidates.append((base, 2))
    if (base / "memory" / "memory.limit_in_bytes").exists():
        candidates.append((base / "memory", 1))
    for hierarchy, version in candidates:
        _remove_stale(hierarchy)
        parent = hierarchy / f"cloudlet-{os.getpid()}"
        try:
            parent.mkdir(exist_ok=True)
            if version == 2:
                (parent / "cgroup.subtree_control").write_text("+memory")
            return parent, version
        except OSError:
            with contextlib.suppress(OSError):
                parent.rmdir()
    return None


def _remove_group(group: Path) -> None:
    with contextlib.suppress(OSError):
        group.rmdir()


def _remove_stale(hierarchy: Path) -> None:
    """Groups left by cloudlet servers that were killed before they could clean up."""
    for parent in hierarchy.glob("cloudlet-*"):
        pid = parent.name.removeprefix("cloudlet-")
        if not pid.isdigit() or Path(f"/proc/{pid}").exists():
            continue
        for group in parent.iterdir():
            if group.is_dir():
                with contextlib.suppress(OSError):
                    group.rmdir()
        with contextlib.suppress(OSError):
            parent.rmdir()
