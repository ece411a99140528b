"""Each environment's private temporary directory, sized by EphemeralStorage as Lambda's /tmp.

As root on Linux, the directory is a tmpfs of EphemeralStorage MB, mounted by the server
before the environment starts and detached when it ends: as on Lambda, a write that would
fill it fails with ENOSPC and the function keeps running. The mount is a direct mount(2)
call (about 20 µs here), not a `mount` process, which would add milliseconds to every cold
start. Elsewhere (not root, or the kernel refuses the probe mount at start), EphemeralStorage
only caps the size of each file (RLIMIT_FSIZE: a write beyond it fails with EFBIG), and many
files may add up past it.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import re
import shutil
import sys
from pathlib import Path

log = logging.getLogger("cloudlet.engine")

MS_NOSUID, MS_NODEV = 2, 4
MNT_DETACH = 2
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


class EphemeralStorage:
    """Makes and removes environments' temporary directories under `root` (the state
    directory), as tmpfs mounts when `tmpfs` is allowed and the kernel lets us mount."""

    def __init__(self, root: Path, *, tmpfs: bool = True) -> None:
        self.root = root.resolve()
        self.tmpfs = tmpfs and _can_mount(self.root)
        if self.tmpfs:
            _unmount_under(self.root)  # left by a server that was killed
        log.info("ephemeral storage: %s", self.enforcement)

    @property
    def enforcement(self) -> str:
        """How EphemeralStorage is enforced, for the log and `cloudlet status`."""
        return "tmpfs per environment" if self.tmpfs else "per-file size limit"

    def prepare(self, path: str, megabytes: int) -> int | None:
        """Make the directory `path` of `megabytes`; return the size limit each file written
        must keep (bytes), or None when the directory's own size is the limit."""
        os.makedirs(path, exist_ok=True)
        if self.tmpfs:
            try:
                _mount_tmpfs(path, megabytes)
                return None
            except OSError as error:
                log.warning(
                    "cannot mount a tmpfs on %s (%s): files limited one by one", path, error
                )
        return megabytes * 1024 * 1024

    def release(self, path: str) -> None:
        """Remove the directory `path`; its tmpfs, if any, goes once no process uses it."""
        if self.tmpfs:
            with contextlib.suppress(OSError):  # EINVAL: not a mount point (the mount failed)
                _unmount(path)
        shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        """Detach every mount of ours (the server is stopping)."""
        if self.tmpfs:
            _unmount_under(self.root)


def _can_mount(root: Path) -> bool:
    """Whether we may mount a tmpfs here: root on Linux, and the kernel agrees (a container
    without CAP_SYS_ADMIN refuses)."""
    if _libc is None or os.geteuid() != 0:
        return False
    probe = root / ".tmpfs-probe"
    try:
        probe.mkdir(parents=True, exist_ok=True)
        _mount_tmpfs(str(probe), 1)
        _unmount(str(probe))
        return True
    except OSError as error:
        log.info("cannot mount a tmpfs (%s)", error)
        return False
    finally:
        with contextlib.suppress(OSError):
            probe.rmdir()


def _mount_tmpfs(path: str, megabytes: int) -> None:
    assert _libc is not None
    options = f"size={megabytes}m,mode=0700".encode()
    if _libc.mount(b"tmpfs", os.fsencode(path), b"tmpfs", MS_NOSUID | MS_NODEV, options) != 0:
        number = ctypes.get_errno()
        raise OSError(number, os.strerror(number), path)


def _unmount(path: str) -> None:
    assert _libc is not None
    if _libc.umount2(os.fsencode(path), MNT_DETACH) != 0:
        number = ctypes.get_errno()
        raise OSError(number, os.strerror(number), path)


def _unmount_under(root: Path) -> None:
    """Detach the tmpfs mounts below `root`, deepest first."""
    for mount_point in sorted(tmpfs_mounts_under(root), reverse=True):
        with contextlib.suppress(OSError):
            _unmount(mount_point)


def tmpfs_mounts_under(root: Path) -> list[str]:
    """The tmpfs mount points below `root`, as /proc/self/mountinfo lists them."""
    prefix = str(root.resolve()) + "/"
    found = []
    with contextlib.suppress(OSError), open("/proc/self/mountinfo") as mountinfo:
        for line in mountinfo:
            fields, _, filesystem = line.partition(" - ")
            mount_point = _unescape(fields.split(" ")[4])
            if filesystem.startswith("tmpfs ") and mount_point.startswith(prefix):
                found.append(mount_point)
    return found


def _unescape(field: str) -> str:
    """mountinfo writes spaces, tabs, newlines and backslashes in octal (\\040)."""
    return re.sub(r"\\([0-7]{3})", lambda match: chr(int(match[1], 8)), field)
