"""A real cloudlet server in a child process, on a free loopback port, for tests to drive."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`cloudlet up` on a state directory; restartable, killable, as a user would run it."""

    def __init__(
        self, state_dir: Path, env: dict[str, str] | None = None, args: list[str] | None = None
    ) -> None:
        self.state_dir = state_dir
        self.port = free_port()
        self.env = {**os.environ, **(env or {})}
        self.args = args or []  # more flags for `cloudlet up`: `--host 0.0.0.0`
        self.process: subprocess.Popen[bytes] | None = None
        self.log = state_dir / "server.log"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "cloudlet",
            "up",
            "--port",
            str(self.port),
            "--state-dir",
            str(self.state_dir),
            *self.args,
        ]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"cloudlet exited early:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/_cloudlet/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"cloudlet did not start in {timeout}s:\n{self.log.read_text()}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stop the server (SIGTERM by default, SIGKILL for a crash); return its exit code."""
        assert self.process is not None
        self.process.send_signal(sig)
        code = self.process.wait(timeout=30)
        self.process = None
        return code

    def restart(self, sig: int = signal.SIGTERM) -> Server:
        self.stop(sig)
        return self.start()
