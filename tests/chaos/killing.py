"""Clients that keep sending while the server is killed: the half the kill -9 tests share.

Sender threads send ids 0, 1, 2... each retried until the server acknowledges it, while the
server is killed with SIGKILL and restarted on the same port. The senders go on until every
kill has happened and at least a minimum of ids is acknowledged, so a faster server still
meets every kill with writes in flight.
"""

from __future__ import annotations

import collections
import itertools
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from botocore.config import Config as BotoConfig
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import EndpointConnectionError, HTTPClientError

from server import Server

# No retries inside botocore: the test retries itself, so it knows every try that failed.
NO_RETRIES = BotoConfig(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=15)
DOWN = (BotoConnectionError, HTTPClientError)  # refused, reset, closed before the answer


@dataclass
class Sent:
    """What the senders know: ids acknowledged, per id the tries that failed after the
    request may have reached the server, and how often the server was killed."""

    acknowledged: set[int] = field(default_factory=set)
    in_doubt: collections.Counter[int] = field(default_factory=collections.Counter)
    kills: int = 0


def send_while_killing(
    server: Server,
    make_sender: Callable[[], Callable[[int], object]],
    *,
    minimum: int,
    kills: int,
    pause: tuple[float, float],
    seed: int,
    senders: int = 4,
) -> Sent:
    """Send ids from `senders` threads (each calls `make_sender()` once for its own client,
    then the result once per try) while the server is killed `kills` times, a random pause
    in `pause` seconds apart; stop once the kills are done and `minimum` ids are acknowledged."""
    sent = Sent()
    ids = itertools.count()
    killing = threading.Event()
    killing.set()
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        send = make_sender()
        try:
            while True:
                with lock:
                    n = next(ids)
                if n >= minimum and not killing.is_set():
                    return
                while True:
                    try:
                        send(n)
                    except EndpointConnectionError:  # not connected: nothing was sent
                        time.sleep(0.02)
                        continue
                    except DOWN:
                        with lock:
                            sent.in_doubt[n] += 1
                        time.sleep(0.02)
                        continue
                    with lock:
                        sent.acknowledged.add(n)
                    break
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(senders)]
    for thread in threads:
        thread.start()
    chance = random.Random(seed)
    while sent.kills < kills and not failures:
        time.sleep(chance.uniform(*pause))
        server.restart(signal.SIGKILL)
        sent.kills += 1
    killing.clear()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, f"a sender failed: {failures[0]!r}"
    return sent


def wait_for_runs(done: Path, acknowledged: set[int], timeout: float) -> collections.Counter[int]:
    """How often each id ran, read from `done` (a function appends one id a line) until
    every acknowledged id has run or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        runs = collections.Counter(_ids(done))
        if acknowledged <= runs.keys() or time.monotonic() >= deadline:
            return runs
        time.sleep(0.2)


def _ids(path: Path) -> list[int]:
    if not path.exists():
        return []
    # A run cut off mid-write leaves a partial last line; its event runs again.
    return [int(line) for line in path.read_text().splitlines() if line.strip().isdigit()]
