"""Servers to benchmark: cloudlet and its peers, each started fresh on loopback, then stopped.

The peers (MiniStack, moto's server) and the ASGI server candidates are installed from PyPI
into their own virtual environments under bench/.peers/, never into the project's venv, so
they cannot change cloudlet's dependencies.

    ./run bench bench/peers.py install            create the venvs (once; later runs reuse them)
    ./run bench bench/peers.py start ministack    start one, print its endpoint, stop on Ctrl-C
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENVS = BENCH / ".peers"
CLOUDLET = ROOT / ".venv" / "bin" / "cloudlet"

# What each bench venv holds; a venv is rebuilt when this list changes.
VENV_PACKAGES: dict[str, list[str]] = {
    "ministack": ["ministack"],
    "moto": ["moto[server]"],
    "asgi": ["uvicorn", "httptools", "uvloop", "granian", "hypercorn"],
    "profile": ["py-spy"],
}

# A SigV4 Authorization header any server routes to SQS in us-east-1; no server checks it
# on loopback, but all read the credential scope.
AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sqs/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
    "Signature=0000000000000000000000000000000000000000000000000000000000000000"
)


def sqs_headers(operation: str) -> dict[str, str]:
    """Headers of an SQS json-protocol request, as boto3 sends them (signature aside)."""
    return {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"AmazonSQS.{operation}",
        "X-Amz-Date": "20250101T000000Z",
        "Authorization": AUTHORIZATION,
    }


def sqs_call(endpoint: str, operation: str, body: bytes = b"{}", timeout: float = 5.0) -> bytes:
    """POST one SQS json-protocol request; the response body (HTTPError on a non-2xx)."""
    request = urllib.request.Request(
        endpoint + "/", data=body, headers=sqs_headers(operation), method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return bytes(answer.read())


def venv_python(name: str) -> Path:
    return VENVS / name / "bin" / "python"


def ensure_venv(name: str) -> Path:
    """Create bench/.peers/<name> with its packages unless it already has them; its bin dir."""
    packages = VENV_PACKAGES[name]
    home = VENVS / name
    marker = home / ".installed"
    wanted = "\n".join(packages)
    if marker.exists() and marker.read_text() == wanted:
        return home / "bin"
    print(f"installing {' '.join(packages)} into {home.relative_to(ROOT)} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(home)], check=True)
    pip = [str(home / "bin" / "python"), "-m", "pip", "install", "-q"]
    for step in (["--upgrade", "pip"], packages):
        done = subprocess.run([*pip, *step], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pip install {' '.join(step)} failed:\n{done.stderr}")
    marker.write_text(wanted)
    return home / "bin"


def installed_version(name: str, package: str) -> str:
    """The version of `package` in bench venv `name` (or the project's venv for cloudlet)."""
    python = ROOT / ".venv" / "bin" / "python" if name == "cloudlet" else venv_python(name)
    return subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        pending.extend(int(child) for child in children)
    return total


@dataclass
class ServerProcess:
    """One server as a child process: started fresh, timed to its first answer, stopped."""

    name: str
    command: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)
    ready: Callable[[str], None] | None = None  # raises until the server answers
    process: subprocess.Popen[bytes] | None = None
    startup_seconds: float = 0.0
    log_path: Path | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        """Start the server and wait for its first answered SQS request (ListQueues)."""
        log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (lives as long as the server)
            prefix=f"bench-{self.name}-", suffix=".log", delete=False
        )
        self.log_path = Path(log.name)
        started = time.perf_counter()
        self.process = subprocess.Popen(
            self.command,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches its children
        )
        log.close()
        probe = self.ready or _answers_list_queues
        deadline = started + timeout
        while True:
            if self.process.poll() is not None:
                output = self.log_path.read_text()
                self.stop()
                raise RuntimeError(f"{self.name} exited early:\n{output}")
            try:
                probe(self.endpoint)
                break
            except (OSError, urllib.error.URLError):
                if time.perf_counter() > deadline:
                    output = self.log_path.read_text()
                    self.stop()
                    raise RuntimeError(
                        f"{self.name} did not answer within {timeout}s:\n{output}"
                    ) from None
                time.sleep(0.005)
        self.startup_seconds = time.perf_counter() - started
        return self

    def rss(self) -> int:
        assert self.process is not None
        return rss_bytes(self.process.pid)

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass
        self.process = None
        if self.log_path is not None:  # its content was shown if the start failed
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _answers_list_queues(endpoint: str) -> None:
    sqs_call(endpoint, "ListQueues", timeout=1.0)


def cloudlet(port: int, state_dir: Path, sync: str = "full") -> ServerProcess:
    return ServerProcess(
        "cloudlet" if sync == "full" else f"cloudlet (sync={sync})",
        [str(CLOUDLET), "up", "--port", str(port), "--state-dir", str(state_dir)],
        port,
        env={"CLOUDLET_SYNC": sync, "CLOUDLET_LOG_LEVEL": "warning"},
    )


def ministack(port: int) -> ServerProcess:
    bin_dir = ensure_venv("ministack")
    return ServerProcess(
        "ministack",
        [str(bin_dir / "ministack")],
        port,
        env={"GATEWAY_PORT": str(port), "BIND_HOST": "127.0.0.1", "LOG_LEVEL": "WARNING"},
    )


def moto(port: int) -> ServerProcess:
    bin_dir = ensure_venv("moto")
    return ServerProcess("moto", [str(bin_dir / "moto_server"), "-p", str(port)], port)


PEERS = {"ministack": (ministack, 4599), "moto": (moto, 5000)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install", help="create the peers' venvs under bench/.peers/")
    start = commands.add_parser("start", help="start one peer until Ctrl-C")
    start.add_argument("peer", choices=sorted(PEERS))
    args = parser.parse_args()
    if args.command == "install":
        for name in VENV_PACKAGES:
            ensure_venv(name)
        return
    factory, port = PEERS[args.peer]
    with factory(port).start() as server:
        print(f"{server.name} answers on {server.endpoint} after {server.startup_seconds:.2f}s")
        with contextlib.suppress(KeyboardInterrupt):
            server.process.wait()  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
