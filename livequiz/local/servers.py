"""Listening sockets and uvicorn servers embedded in the local runtime's event loop."""

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Iterator
from typing import Literal

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from livequiz.errors import ConfigError
from livequiz.local.redaction import redact

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 30.0


def bind(host: str, port: int, purpose: str) -> socket.socket:
    """Return a TCP socket listening on ``host:port``. Port 0 picks a free port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as error:
        raise ConfigError(
            f"cannot listen on {host}:{port} for the {purpose}: {error.strerror}. "
            "Stop what uses the port or pick another one (port 0 picks a free port)"
        ) from error


def http_url(scheme: str, sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


class AccessLog:
    """ASGI middleware that logs one INFO line per HTTP request, with tokens redacted.

    It replaces uvicorn's access log, which prints query strings as they are.
    """

    def __init__(self, app: ASGIApp, name: str) -> None:
        self.app = app
        self.name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.monotonic()

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            target = scope["path"]
            if scope.get("query_string"):
                target += "?" + scope["query_string"].decode("latin-1")
            elapsed_ms = (time.monotonic() - started) * 1000
            logger.info(
                "%s %s %s %d in %.0f ms",
                self.name,
                scope["method"],
                redact(target),
                status,
                elapsed_ms,
            )


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server on a socket of ours, which leaves signal handling to the runtime.

    ``uvicorn.Server.serve`` installs its own SIGINT and SIGTERM handlers in the main thread
    and raises the signal again after shutdown, which would bypass the runtime's clean stop.
    """

    def __init__(
        self, app: ASGIApp, sock: socket.socket, name: str, lifespan: Literal["auto", "off"]
    ) -> None:
        host, port = sock.getsockname()[:2]
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan=lifespan,
            log_config=None,
            access_log=False,
            ws="none",
        )
        super().__init__(config)
        self.name = name
        self._sock = sock
        self._task: asyncio.Task[None] | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def start(self) -> None:
        """Start serving and return once the server accepts requests."""
        self._task = asyncio.create_task(self._serve_on_socket(), name=self.name)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self.started:
            if self._task.done():
                await self._task
                raise ConfigError(f"the {self.name} stopped during startup: see the log above")
            if time.monotonic() > deadline:
                raise ConfigError(f"the {self.name} did not start within {STARTUP_TIMEOUT_S} s")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._task is None:
            return
        self.should_exit = True
        await self._task
        self._task = None

    async def _serve_on_socket(self) -> None:
        try:
            await self.serve(sockets=[self._sock])
        except SystemExit as exit_:
            # uvicorn exits the process when the app's lifespan startup fails. Here that would
            # end the event loop of every other server, so it becomes an error of this one.
            raise ConfigError(
                f"the {self.name} failed to start (uvicorn exit status {exit_.code}): "
                "see the log above"
            ) from None
        finally:
            self._sock.close()
