"""Limits applied inside an environment's process, before the runtime starts."""

import resource
import signal


def limit_file_size(limit):
    """Ephemeral storage, approximated where its directory is not a tmpfs of its size: no
    file may outgrow `limit` bytes (writes fail with EFBIG). None: the tmpfs is the limit,
    and no file limit a snapshot template set is inherited."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    if limit is None:
        limit = resource.RLIM_INFINITY
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
