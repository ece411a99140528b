"""The server's side of a zygote process (see bootstrap/zygote.py): start it, ask for forks.

One zygote runs per Python interpreter that functions need. `spawn` hands it the two ends
an environment will own (its channel socket and its log pipe) and returns the child's pid;
the zygote reports children's exits, which `on_exit` receives.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import itertools
import json
import logging
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("cloudlet.engine")

BOOTSTRAP = Path(__file__).parent / "bootstrap"
MAX_PACKET = 1 << 20


class ZygoteError(RuntimeError):
    """The zygote could not start or died."""


class TemplateRefused(ZygoteError):
    """A function's snapshot could not be made: its init failed or left state a fork loses."""


class Zygote:
    def __init__(
        self,
        interpreter: str,
        *,
        preload: list[str],
        site_dirs: list[str],
        on_exit: Callable[[int, int], None],
        private_tmp: bool = False,
    ) -> None:
        self.interpreter = interpreter
        self.preload = preload
        self.site_dirs = site_dirs
        # Children enter their own mount namespace ahead of need (bootstrap/private_tmp.py).
        self.private_tmp = private_tmp
        self.on_exit = on_exit
        self.process: subprocess.Popen[bytes] | None = None
        self.control: socket.socket | None = None
        self.python: tuple[int, ...] = ()
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[int]] = {}
        self._ready: asyncio.Future[None] | None = None
        self.pid = 0  # of a template; a zygote process is in self.process
        self.init_ms = 0.0
        self.on_close: Callable[[], None] | None = None

    async def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = [
            self.interpreter,
            "-I",
            "-S",
            str(BOOTSTRAP / "zygote.py"),
            "--control-fd",
            str(theirs.fileno()),
            "--preload",
            ",".join(self.preload),
            "--path",
            str(BOOTSTRAP),
        ]
        for site in self.site_dirs:
            command += ["--path", site]
        if self.private_tmp:
            command.append("--private-tmp")
        self.process = subprocess.Popen(
            command, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, close_fds=True
        )
        theirs.close()
        await self._attach(ours, timeout=60)

    async def _attach(self, control: socket.socket, timeout: float) -> None:
        control.setblocking(False)
        self.control = control
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        loop.add_reader(control.fileno(), self._on_message)
        try:
            await asyncio.wait_for(self._ready, timeout)
        except TimeoutError:
            self.close()
            raise ZygoteError(f"the zygote for {self.interpreter} did not start in time") from None
        except ZygoteError:
            self.close()
            raise

    async def template(self, spec: dict[str, Any], log_fd: int, timeout: float) -> Zygote:
        """Snapshot a function after its init: a zygote whose children start initialized.

        Raises `TemplateRefused` when the init fails or leaves threads or sockets behind.
        """
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            pid = await self._request("template", spec, theirs.fileno(), log_fd)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        template = Zygote(self.interpreter, preload=[], site_dirs=[], on_exit=self.on_exit)
        template.pid = pid
        await template._attach(ours, timeout)
        return template

    async def spawn(self, spec: dict[str, Any], channel_fd: int, log_fd: int) -> int:
        """Fork an environment running `spec`; return its pid."""
        return await self._request("spawn", spec, channel_fd, log_fd)

    async def _request(self, op: str, spec: dict[str, Any], fd: int, log_fd: int) -> int:
        if self.control is None:
            raise ZygoteError("the zygote is not running")
        request_id = next(self._ids)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        message = json.dumps({"op": op, "id": request_id, "spec": spec}).encode()
        fds = array.array("i", [fd, log_fd])
        try:
            self.control.sendmsg([message], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
        except OSError as error:
            self._pending.pop(request_id, None)
            raise ZygoteError(f"cannot reach the zygote: {error}") from None
        return await future

    def _on_message(self) -> None:
        assert self.control is not None
        while True:
            try:
                data = self.control.recv(MAX_PACKET)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._lost()
                return
            message = json.loads(data)
            op = message["op"]
            if op == "spawned":
                future = self._pending.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message["pid"])
            elif op == "exited":
                self.on_exit(message["pid"], message["status"])
            elif op == "ready":
                self.python = tuple(message["python"])
                self.init_ms = float(message.get("init_ms") or 0.0)
                if self._ready is not None and not self._ready.done():
                    self._ready.set_result(None)
            elif op in ("init_error", "unsafe") and self._ready is not None:
                reason = message.get("reason") or json.dumps(message.get("error"))
                if not self._ready.done():
                    self._ready.set_exception(TemplateRefused(reason))

    def _lost(self) -> None:
        if not self.pid:
            log.error("the zygote for %s exited", self.interpreter)
        error = ZygoteError(f"the zygote for {self.interpreter} exited")
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        self._pending.clear()
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(error)
        self.close()

    def close(self) -> None:
        if self.on_close is not None:
            self.on_close()
            self.on_close = None
        if self.control is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self.control.fileno())
            self.control.close()
            self.control = None
        if self.process is not None:
            # Closing the control socket makes the zygote exit; its children follow it.
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
