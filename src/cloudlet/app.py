"""Builds the server: store, service providers, gateway; and runs it on its HTTP server."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from typing import Any

import orjson

try:
    import uvloop
except ImportError:  # Windows: plain asyncio
    uvloop = None  # type: ignore[assignment]

from cloudlet import __version__
from cloudlet.config import Config
from cloudlet.engine.engine import Engine
from cloudlet.gateway.catalog import load_service
from cloudlet.gateway.http import Request, Response
from cloudlet.gateway.http_server import HttpServer
from cloudlet.gateway.server import Gateway
from cloudlet.issuer import DISCOVERY_SUFFIX, ISSUER_PATH, JWKS_SUFFIX, LocalIssuer
from cloudlet.logstore import LogStore
from cloudlet.services import provider_classes
from cloudlet.services.base import Platform
from cloudlet.services.lambda_.code import CODE_URL_PATH, archive_file
from cloudlet.store import open_store

log = logging.getLogger("cloudlet")


class Cloudlet:
    """The whole server in one object: what `cloudlet up` runs and what tests embed."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.started_at = time.time()
        self.store = open_store(str(config.database_path), sync=config.sync)
        self.logs = LogStore(self.store)
        self.issuer = LocalIssuer(config.state_dir)
        self.engine = Engine(
            config.state_dir,
            self.logs.sink,
            preload=config.preload,
            keep_alive=config.keep_alive,
            strict_runtimes=config.strict_runtimes,
            concurrency_limit=config.concurrency_limit,
            tmpfs=config.tmpfs_storage,
        )
        self.platform = Platform(config, self.store, self.engine, self.logs)
        self.providers = [cls(self.platform) for cls in provider_classes()]
        self.services = [load_service(provider) for provider in self.providers]
        doors = [door for p in self.providers if (door := p.front_door()) is not None]
        self.gateway = Gateway(config, self.services, self._internal, front_doors=doors)

    async def _start(self) -> None:
        await self.engine.start()
        for provider in self.providers:
            await provider.start()

    def drain(self) -> None:
        """Let waiting requests answer at once, so that stopping does not wait for them."""
        for provider in self.providers:
            provider.drain()

    async def _stop(self) -> None:
        for provider in self.providers:
            await provider.stop()
        await self.engine.stop()
        await self.logs.close()  # the last lines the stopped environments printed
        self.store.close()
        log.info("stopped; every accepted write is committed to %s", self.config.database_path)

    async def run(self) -> int:
        """Serve until SIGINT or SIGTERM, then stop without losing an accepted write."""
        await self._start()
        server = HttpServer(
            self.gateway.respond,
            max_body=self.config.max_request_bytes,
            too_large=self.gateway.too_large,
        )
        try:
            await server.start(self.config.host, self.config.port)
        except OSError as error:
            log.error(
                "cannot listen on %s:%s: %s", self.config.host, self.config.port, error.strerror
            )
            await self._stop()
            return 1
        print(banner(self.config), flush=True)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        await stopping.wait()
        log.info("stopping: answering what is in progress")
        # Long polls (SQS waits up to 20 s) answer now rather than hold the stop.
        self.drain()
        await server.stop()
        await self._stop()
        return 0

    def status(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "pid": os.getpid(),
            "endpoint": self.config.endpoint(),
            "state_dir": str(self.config.state_dir),
            "uptime_seconds": round(time.time() - self.started_at, 1),
            "auth": "strict" if self.config.strict_auth else "any credentials (loopback)",
            "store": {"path": str(self.config.database_path), **self.store.stats()},
            "engine": self.engine.status(),
            "services": {p.name: p.status() for p in self.providers},
        }

    async def _internal(self, request: Request) -> Response:
        if request.raw_path in ("/_cloudlet/health", "/_cloudlet/health/"):
            body = orjson.dumps({"status": "running", "version": __version__})
        elif request.raw_path in ("/_cloudlet/status", "/_cloudlet/status/"):
            body = orjson.dumps(self.status())
        elif request.raw_path.startswith(ISSUER_PATH + "/"):
            return await self._issuer(request)
        elif request.raw_path.startswith(CODE_URL_PATH):
            return await self._code_archive(request.raw_path.removeprefix(CODE_URL_PATH))
        else:
            return Response(404, [("content-type", "application/json")], b'{"message":"Not Found"}')
        return Response(200, [("content-type", "application/json")], body)

    async def _issuer(self, request: Request) -> Response:
        """The local token issuer's OpenID discovery document and JWKS (see issuer.py)."""
        issuer = f"http://{request.host or self.config.endpoint()[7:]}{ISSUER_PATH}"
        suffix = request.raw_path.removeprefix(ISSUER_PATH)
        if suffix == DISCOVERY_SUFFIX:
            body = orjson.dumps(self.issuer.discovery(issuer))
        elif suffix == JWKS_SUFFIX:
            body = orjson.dumps(await asyncio.to_thread(self.issuer.jwks))
        else:
            return Response(404, [("content-type", "application/json")], b'{"message":"Not Found"}')
        return Response(200, [("content-type", "application/json")], body)

    async def _code_archive(self, name: str) -> Response:
        """A Lambda deployment package or layer zip: where GetFunction's Code.Location points."""
        path = archive_file(self.config.state_dir, name)
        if path is None:
            return Response(404, [("content-type", "application/json")], b'{"message":"Not Found"}')
        body = await asyncio.to_thread(path.read_bytes)
        return Response(200, [("content-type", "application/zip")], body)


def banner(config: Config) -> str:
    endpoint = config.endpoint()
    # In strict auth only the configured keys sign requests; elsewhere any key will do.
    keys = (
        "AWS_ACCESS_KEY_ID=<key> AWS_SECRET_ACCESS_KEY=<secret>  # a pair of CLOUDLET_CREDENTIALS"
        if config.strict_auth
        else "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test"
    )
    return (
        f"cloudlet {__version__} is running on {endpoint} (state in {config.state_dir})\n"
        f"  point boto3 and the aws CLI at it:\n"
        f"    export AWS_ENDPOINT_URL={endpoint} AWS_DEFAULT_REGION={config.default_region}\n"
        f"    export {keys}\n"
        f"    aws sqs create-queue --queue-name hello\n"
        f"  stop with Ctrl-C; everything accepted stays committed."
    )


def serve(config: Config) -> int:
    """Run cloudlet in the foreground until SIGINT or SIGTERM; the process's exit code."""
    logging.basicConfig(
        level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = Cloudlet(config)
    return uvloop.run(app.run()) if uvloop is not None else asyncio.run(app.run())
