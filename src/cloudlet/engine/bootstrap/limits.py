"""Limits applied inside an environment's process, before the runtime starts."""

import resource
import signal


def limit_file_size(limit):
    """Ephemeral storage, approximated: no file may outgrow it (writes fail with EFBIG)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
