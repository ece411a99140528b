"""The zygote: an interpreter that has imported the runtime and common libraries, and forks.

A cold start then costs handing a pre-forked child its function and the function's own
imports, instead of an interpreter start and `import boto3` (~300 ms). The server talks to
the zygote over a SOCK_SEQPACKET socket (fd given by --control-fd), one JSON message per
packet:

  server -> zygote  {"op": "spawn", "id": N, "spec": {...}}     + fds: channel, log
                    {"op": "template", "id": N, "spec": {...}}  + fds: control, log
  zygote -> server  {"op": "ready", "python": [3, 11, 7]}
                    {"op": "spawned", "id": N, "pid": P}
                    {"op": "exited", "pid": P, "status": S}  (S: exit code, or -signal)

A template is a snapshot of one function after its init: a child that imported the handler
and then serves the same protocol on its own control socket, so its children start already
initialized ("restored"). It first says {"op": "ready", "init_ms": T}, or
{"op": "init_error", "error": {...}}, or {"op": "unsafe", "reason": "..."} when the init
left threads or sockets behind that a fork would not carry over.

Fork safety: a zygote stays single-threaded and holds no sockets but its control socket,
which children close; each child reseeds `random`, leaves the zygote's process group, and
dies with its zygote (PR_SET_PDEATHSIG), which itself exits when the server goes away.
As root, each environment (a template too) mounts its own /tmp (private_tmp.py) before
the function's code runs; a template's children replace its /tmp with theirs.
"""

import argparse
import array
import collections
import contextlib
import ctypes
import gc
import importlib
import json
import os
import random
import select
import signal
import socket
import stat
import sys
import threading
import time

# The bootstrap modules live beside this file (-I keeps the script's directory off sys.path).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import python_runtime  # imported once here, so that no child pays for it
from limits import limit_file_size
from private_tmp import enter_namespace, make_private_tmp

MAX_PACKET = 1 << 20
PR_SET_PDEATHSIG = 1
PRIVATE_TMP = False  # --private-tmp: environments mount their own /tmp (the server is root)
try:
    _prctl = ctypes.CDLL(None).prctl
except (OSError, AttributeError):  # not Linux: children outlive a killed zygote
    _prctl = None


def preload(modules):
    for name in modules:
        if not name:
            continue
        try:
            importlib.import_module(name)
        except Exception as error:  # a missing library only costs speed, never correctness
            print(f"zygote: cannot preload {name}: {error}", file=sys.stderr)


def receive(sock):
    fds = array.array("i")
    try:
        message, ancillary, _, _ = sock.recvmsg(MAX_PACKET, socket.CMSG_SPACE(2 * fds.itemsize))
    except ConnectionResetError:
        return None, []
    if not message:
        return None, []
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    return json.loads(message), list(fds)


def send(sock, message):
    sock.send(json.dumps(message).encode())


def fork_blank(inherited, become):
    """Fork a child that waits, detached and isolated, to be told which function to become.

    Forking ahead of need keeps the fork off a cold start's path: a spawn only hands an
    already waiting child its function. `inherited` are this zygote's own descriptors,
    which the child closes; `become(message, fds)` is what the child then turns into.
    """
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        theirs.close()
        return pid, ours
    try:
        ours.close()
        for item in inherited:
            item.close() if hasattr(item, "close") else os.close(item)
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_DFL)
        os.setsid()
        if _prctl is not None:
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if PRIVATE_TMP:  # now, off the cold start's path; only the mount is left for it
            with contextlib.suppress(OSError):  # else tried again, and logged, at its start
                enter_namespace()
        message, fds = receive(theirs)
        theirs.close()
        if message is not None and len(fds) == 2:
            become(message, fds)
    finally:
        os._exit(0)


def take_identity(spec, log_fd):
    """Become the function's process: its environment, directory, paths, limits and log."""
    limit_file_size(spec["max_file_bytes"])
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    if spec.get("tmpfs_megabytes"):  # after the log's dup, so that a failure is logged
        keep = [spec["task_root"], *spec["keep"], *spec["sys_path"], *sys.path]
        make_private_tmp(spec["tmpfs_megabytes"], keep)
    os.environ.clear()
    os.environ.update(spec["env"])
    os.chdir(spec["task_root"])
    for path in reversed(spec["sys_path"]):
        if path not in sys.path:
            sys.path.insert(0, path)
    tmp = spec["env"].get("TMPDIR")
    if tmp:  # /tmp, or a directory the server made (where it may not mount)
        import tempfile

        tempfile.tempdir = tmp
    random.seed()
    # Write-through, so a log line is in the pipe before the result that follows it.
    if not getattr(sys.stdout, "_cloudlet", False):
        sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace")
        sys.stderr = os.fdopen(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace")
        sys.stdout._cloudlet = sys.stderr._cloudlet = True


def become_environment(message, fds):
    """A blank child of the zygote: a fresh environment, init included."""
    channel_fd, log_fd = fds
    if message["op"] == "template":
        become_template(message["spec"], channel_fd, log_fd)
        return
    take_identity(message["spec"], log_fd)
    python_runtime.main(channel_fd, message["spec"]["handler"])


def become_template(spec, control_fd, log_fd):
    """Run the function's init once, then serve forks of the initialized process."""
    control = socket.socket(fileno=control_fd)
    take_identity(spec, log_fd)
    handler, init_ms, error = python_runtime.initialize(spec["handler"])
    if handler is None:
        send(control, {"op": "init_error", "error": error})
        return
    reason = unsafe_to_fork()
    if reason:
        send(control, {"op": "unsafe", "reason": reason})
        return
    send(control, {"op": "ready", "python": list(sys.version_info[:3]), "init_ms": init_ms})

    def become_restored(message, fds):
        started = time.perf_counter()
        channel_fd, log_fd = fds
        take_identity(message["spec"], log_fd)
        sock = socket.socket(fileno=channel_fd)
        restore_ms = (time.perf_counter() - started) * 1000
        python_runtime.serve(sock, handler, {"restore_ms": restore_ms})

    serve(control, spares=1, become=become_restored)


def unsafe_to_fork():
    """Why a snapshot of this process would not behave like the process, or None."""
    if threading.active_count() > 1:
        return f"the init started {threading.active_count() - 1} thread(s)"
    for name in os.listdir("/proc/self/fd"):
        try:
            mode = os.fstat(int(name)).st_mode
        except OSError:
            continue
        if stat.S_ISSOCK(mode) and int(name) > 2:
            try:
                kind = socket.socket(fileno=os.dup(int(name)))
            except OSError:
                continue
            family, kind_type = kind.family, kind.type
            kind.close()
            if family != socket.AF_UNIX or kind_type != socket.SOCK_SEQPACKET:
                return "the init opened network connections"
    return None


def reap(control):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = (
            os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status
        )
        try:
            send(control, {"op": "exited", "pid": pid, "status": code})
        except OSError:
            return  # the server has gone: nobody to tell, and we are about to exit too


def serve(control, spares, become):
    """Hand pre-forked children to spawn requests until the server closes the control socket."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    # Keep the preloaded heap out of the collector's way, so forks share its pages longer.
    if hasattr(gc, "freeze"):
        gc.freeze()
    inherited = (control, wake_read, wake_write)
    blanks = collections.deque(fork_blank(inherited, become) for _ in range(spares))
    while True:
        ready, _, _ = select.select([control, wake_read], [], [])
        if wake_read in ready:
            os.read(wake_read, 4096)
            reap(control)
        if control not in ready:
            continue
        message, fds = receive(control)
        if message is None:
            return  # the server went away: our children die with us
        if message.get("op") not in ("spawn", "template") or len(fds) != 2:
            for fd in fds:
                os.close(fd)
            continue
        pid, link = blanks.popleft() if blanks else fork_blank(inherited, become)
        assignment = json.dumps({"op": message["op"], "spec": message["spec"]}).encode()
        link.sendmsg([assignment], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
        link.close()
        for fd in fds:
            os.close(fd)
        send(control, {"op": "spawned", "id": message["id"], "pid": pid})
        while len(blanks) < spares:
            blanks.append(fork_blank(inherited, become))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--preload", default="")
    parser.add_argument("--path", action="append", default=[])
    parser.add_argument("--spares", type=int, default=2, help="children forked ahead of need")
    parser.add_argument("--private-tmp", action="store_true", help="environments own /tmp")
    args = parser.parse_args()
    global PRIVATE_TMP
    PRIVATE_TMP = args.private_tmp
    sys.path[:0] = args.path
    preload(args.preload.split(","))
    control = socket.socket(fileno=args.control_fd)
    send(control, {"op": "ready", "python": list(sys.version_info[:3])})
    serve(control, args.spares, become_environment)


if __name__ == "__main__":
    main()
