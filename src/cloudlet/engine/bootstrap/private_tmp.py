"""The environment's own /tmp, as on Lambda: a tmpfs of EphemeralStorage MB that only it sees.

Called in the environment's process right after its fork, before any user code, when the
server may mount (root on Linux; see engine/storage.py). The process enters a mount
namespace of its own whose mounts are all private (nothing it mounts reaches the host, and
no later mount of the host's is copied in), then mounts a fresh tmpfs on /tmp. A file opened
by absolute path stays the environment's, the size bounds it (ENOSPC), and the tmpfs goes
with the environment's last process: the server has nothing to unmount. Directories the
environment needs that lie under the host's /tmp (a state directory or local code there) are
bound back in at the same paths, so they appear, as directories, in its /tmp.

Direct unshare(2) and mount(2) calls (os.unshare is Python 3.12+), no `mount` process. The
new namespace is the costly part (about 0.15 ms here, more with many mounts to copy): the
zygote's children enter theirs while they wait to be handed a function (`enter_namespace`),
so that a cold start only mounts (tens of microseconds).
"""

import ctypes
import os

CLONE_NEWNS = 0x00020000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18
MNT_DETACH = 2
_libc = ctypes.CDLL(None, use_errno=True)
_namespace_of = 0  # the pid that entered its own mount namespace (children need their own)
_own_tmp = False  # /tmp is this process's tmpfs already: a snapshot's children inherit it


def enter_namespace():
    """Enter a new mount namespace whose mounts are all private, the host's /tmp on /tmp.
    Raises OSError."""
    global _namespace_of, _own_tmp
    _call(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _call(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "/")
    _namespace_of = os.getpid()
    if _own_tmp:  # a snapshot's child: the snapshot's /tmp goes, the host's is under it
        _call(_libc.umount2(b"/tmp", MNT_DETACH), "/tmp")  # milliseconds: best done ahead
        _own_tmp = False


def make_private_tmp(megabytes, keep=()):
    """Mount a tmpfs of `megabytes` on /tmp in a mount namespace of this process's own (new
    unless `enter_namespace` made it); the directories of `keep` under the host's /tmp stay
    where they were. Raises OSError."""
    global _own_tmp
    if _namespace_of != os.getpid():
        enter_namespace()
    held = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in _under_tmp(keep)]
    try:
        options = f"size={megabytes}m,mode=1777".encode()
        flags = MS_NOSUID | MS_NODEV
        _call(_libc.mount(b"tmpfs", b"/tmp", b"tmpfs", flags, options), "/tmp")
        _own_tmp = True
        for path, fd in held:
            os.makedirs(path, exist_ok=True)
            source = f"/proc/self/fd/{fd}".encode()
            _call(_libc.mount(source, os.fsencode(path), None, MS_BIND | MS_REC, None), path)
    finally:
        for _, fd in held:
            os.close(fd)


def _under_tmp(paths):
    """The existing directories among `paths` below /tmp, none inside another."""
    found = []
    for path in sorted({os.path.normpath(p) for p in paths if p and os.path.isabs(p)}):
        if not path.startswith("/tmp/") or not os.path.isdir(path):
            continue
        if not any(path.startswith(kept + "/") for kept in found):
            found.append(path)
    return found


def _call(result, what):
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"cannot make the private /tmp ({what}): {os.strerror(number)}")
