"""Start cloudlet and run an example against it: `./run example [orders|queue_worker]`.

The server keeps its state in a fresh temporary directory and stops when the example ends.
It listens on port 4566, or CLOUDLET_PORT when set, or any free port when that one is taken.
To explore by hand instead, run `./run up` in one terminal and, in another, the example's
`app.py` with AWS_ENDPOINT_URL=http://localhost:4566 (and any AWS_* keys).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).parent


def free_port(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(example: str) -> int:
    app = HERE / example / "app.py"
    if not app.is_file():
        names = sorted(p.parent.name for p in HERE.glob("*/app.py"))
        print(f"no example {example!r}; the examples are: {', '.join(names)}", file=sys.stderr)
        return 2
    # Tests running examples side by side give each its own port.
    port = free_port(int(os.environ.get("CLOUDLET_PORT", "4566")))
    endpoint = f"http://localhost:{port}"
    with tempfile.TemporaryDirectory(prefix="cloudlet-example-") as state:
        server = subprocess.Popen(
            [sys.executable, "-m", "cloudlet", "up", "--port", str(port), "--state-dir", state]
        )
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    urllib.request.urlopen(f"{endpoint}/_cloudlet/health", timeout=1)
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        print("cloudlet did not start", file=sys.stderr)
                        return 1
                    time.sleep(0.05)
            env = {
                **os.environ,
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_DEFAULT_REGION": "us-east-1",
            }
            return subprocess.call([sys.executable, str(app)], env=env)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "orders"))
