"""`./run example` as a new user runs it: examples/run.py starts cloudlet, runs the example
app against it and stops it; each example says on its output that it worked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def run_example(name: str, port: int | None = None) -> subprocess.CompletedProcess[str]:
    # A port of its own, so that another run (or a `cloudlet up` on 4566) cannot take it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDLET_")}
    env["CLOUDLET_PORT"] = str(port or free_port())
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / "run.py"), name],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_the_orders_example_runs_end_to_end():
    port = free_port()
    done = run_example("orders", port)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert f"export AWS_ENDPOINT_URL=http://localhost:{port} " in out  # the launcher's banner
    assert out.count("-> 201 {") == 5  # every order accepted by the HTTP API
    assert "POST /orders without a quantity -> 400" in out
    assert "packed by the worker: 4 of 4 good orders" in out
    assert "dead-lettered after 2 tries: {" in out and "'item': 'gizmo'" in out
    assert "'status': 'packed'" in out
    assert "done in " in out


def test_the_queue_worker_example_runs_end_to_end():
    done = run_example("queue_worker")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "producer: sent 20 orders and one poison message" in out
    assert "dead-letter queue: caught" in out
    assert "all 20 orders packed in" in out
    assert "the poison one dead-lettered; messages left in the queue: 0" in out


def test_an_unknown_example_names_the_ones_there_are():
    done = run_example("nope")
    assert done.returncode == 2
    assert done.stderr.strip() == "no example 'nope'; the examples are: orders, queue_worker"
