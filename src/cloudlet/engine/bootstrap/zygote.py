"""The zygote: an interpreter that has imported the runtime and common libraries, and forks.

A cold start then costs a fork and the function's own imports instead of an interpreter
start and `import boto3` (~300 ms). The server talks to the zygote over a SOCK_SEQPACKET
socket (fd given by --control-fd), one JSON message per packet:

  server -> zygote  {"op": "spawn", "id": N, "spec": {...}}  + 2 fds: channel, log
  zygote -> server  {"op": "spawned", "id": N, "pid": P}
                    {"op": "exited", "pid": P, "status": S}  (S: exit code, or -signal)

Fork safety: the zygote stays single-threaded and holds no sockets but its control socket,
which children close; each child reseeds `random`, leaves the zygote's process group, and
dies with the zygote (PR_SET_PDEATHSIG), which itself exits when the server goes away.
"""

import argparse
import array
import collections
import ctypes
import gc
import importlib
import json
import os
import random
import select
import signal
import socket
import sys

# The bootstrap modules live beside this file (-I keeps the script's directory off sys.path).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import python_runtime  # imported once here, so that no child pays for it

MAX_PACKET = 1 << 20
PR_SET_PDEATHSIG = 1
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
    message, ancillary, _, _ = sock.recvmsg(MAX_PACKET, socket.CMSG_SPACE(2 * fds.itemsize))
    if not message:
        return None, []
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    return json.loads(message), list(fds)


def send(sock, message):
    sock.send(json.dumps(message).encode())


def fork_blank(inherited):
    """Fork a child that waits, detached and isolated, to be told which function to become.

    Forking ahead of need keeps the fork off a cold start's path: a spawn only hands an
    already waiting child its function. `inherited` are the zygote's own descriptors,
    which the child closes.
    """
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
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
        message, fds = receive(theirs)
        theirs.close()
        if message is not None and len(fds) == 2:
            become_environment(message["spec"], *fds)
    finally:
        os._exit(0)


def become_environment(spec, channel_fd, log_fd):
    """In a blank child: take the function's identity and run its runtime."""
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    os.environ.clear()
    os.environ.update(spec["env"])
    os.chdir(spec["task_root"])
    sys.path[:0] = spec["sys_path"]
    tmp = spec["env"].get("TMPDIR")
    if tmp:
        import tempfile

        os.makedirs(tmp, exist_ok=True)
        tempfile.tempdir = tmp
    random.seed()
    # Write-through, so a log line is in the pipe before the result that follows it.
    sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace")
    sys.stderr = os.fdopen(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace")
    python_runtime.main(channel_fd, spec["handler"])


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
        send(control, {"op": "exited", "pid": pid, "status": code})


def serve(control, spares):
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    # Keep the preloaded heap out of the collector's way, so forks share its pages longer.
    if hasattr(gc, "freeze"):
        gc.freeze()
    inherited = (control, wake_read, wake_write)
    blanks = collections.deque(fork_blank(inherited) for _ in range(spares))
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
        if message["op"] != "spawn" or len(fds) != 2:
            for fd in fds:
                os.close(fd)
            continue
        pid, link = blanks.popleft() if blanks else fork_blank(inherited)
        spec = json.dumps({"spec": message["spec"]}).encode()
        link.sendmsg([spec], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
        link.close()
        for fd in fds:
            os.close(fd)
        send(control, {"op": "spawned", "id": message["id"], "pid": pid})
        while len(blanks) < spares:
            blanks.append(fork_blank(inherited))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--preload", default="")
    parser.add_argument("--path", action="append", default=[])
    parser.add_argument("--spares", type=int, default=2, help="children forked ahead of need")
    args = parser.parse_args()
    sys.path[:0] = args.path
    preload(args.preload.split(","))
    control = socket.socket(fileno=args.control_fd)
    send(control, {"op": "ready", "python": list(sys.version_info[:3])})
    serve(control, args.spares)


if __name__ == "__main__":
    main()
