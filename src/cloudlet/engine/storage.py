"""Each environment's /tmp, sized by EphemeralStorage as Lambda's.

As root on Linux, each environment's /tmp is its own: a tmpfs of EphemeralStorage MB that
the environment's process mounts on /tmp in a mount namespace of its own right after its
fork, before the function's code runs (bootstrap/private_tmp.py), with TMPDIR=/tmp as on
Lambda. A file opened as /tmp/x is the environment's alone, a write that would fill the tmpfs
fails with ENOSPC and the function keeps running, and the tmpfs goes with the environment's
last process: the server mounts nothing per environment and has nothing to unmount. The
mounts are direct mount(2) and unshare(2) calls (tens of microseconds), not a `mount`
process, which would add milliseconds to every cold start. Elsewhere (not root,
CLOUDLET_TMPFS=0, or the kernel refuses the probe mount at start), each environment has a
directory of its own under the state directory as TMPDIR, /tmp is the host's, and
EphemeralStorage only caps the size of each file (RLIMIT_FSIZE: a write beyond it fails with
EFBIG), and many files may add up past it.
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
    """Decides how environments get their temporary storage: a tmpfs on their own /tmp when
    `tmpfs` is allowed and the kernel lets us mount, else directories under `root` (the
    state directory), made and removed here."""

    def __init__(self, root: Path, *, tmpfs: bool = True) -> None:
        self.root = root.resolve()
        self.tmpfs = tmpfs and _can_mount(self.root)
        log.info("ephemeral storage: %s", self.enforcement)

    @property
    def enforcement(self) -> str:
        """How EphemeralStorage is enforced, for the log and `cloudlet status`."""
        return "tmpfs per environment" if self.tmpfs else "per-file size limit"

    def prepare(self, path: str, megabytes: int) -> int | None:
        """None when the environment mounts its own /tmp of `megabytes`; else make the
        directory `path` and return the size limit each file written must keep (bytes)."""
        if self.tmpfs:
            return None
        os.makedirs(path, exist_ok=True)
        return megabytes * 1024 * 1024

    def release(self, path: str) -> None:
        """Remove the directory `path`, if one was made (a private /tmp goes by itself)."""
        if not self.tmpfs:
            shutil.rmtree(path, ignore_errors=True)


def _can_mount(root: Path) -> bool:
    """Whether environments may mount their /tmp: root on Linux, and the kernel agrees (a
    container without CAP_SYS_ADMIN refuses; the same capability allows unshare(2))."""
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
