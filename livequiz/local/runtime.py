"""The whole local stack in one process: gateway, @connections API, REST app and mappings.

Use it from async code::

    async with LocalRuntime(RuntimeConfig.on_free_ports()) as runtime:
        print(runtime.ws_url, runtime.rest_url, runtime.management_url)

or from sync code, on an event loop in a background thread::

    with LocalRuntime(RuntimeConfig.on_free_ports()).start_in_thread() as runtime:
        ...

Before the handlers are imported, the runtime sets the environment they read. It sets each
variable only if it is unset:

- ``LIVEQUIZ_MANAGEMENT_URL`` to the local @connections API,
- ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` to ``local``, and ``AWS_DEFAULT_REGION``,
  because boto3 signs requests even to a local endpoint,
- ``LIVEQUIZ_TOKEN_SECRET`` to a random secret for this run, unless
  ``LIVEQUIZ_TOKEN_SECRET_ARN`` names one in Secrets Manager,
- ``LIVEQUIZ_CORS_ORIGINS`` to the origins of the web app it serves, so that its pages may
  call the REST API.

It removes what it set when it stops, so several runtimes can run one after another in one
test session.
"""

import asyncio
import logging
import os
import secrets
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import uvloop
from starlette.types import ASGIApp

from livequiz.config import Settings, get_settings
from livequiz.errors import ConfigError
from livequiz.events import close_publishers
from livequiz.local.connections import ConnectionRegistry
from livequiz.local.gateway import Gateway, GatewayLimits
from livequiz.local.gauges import (
    QueueDepths,
    stop_watching_connections,
    stop_watching_queues,
    watch_connections,
    watch_queues,
)
from livequiz.local.management import ManagementApi
from livequiz.local.mapping import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_BATCHING_WINDOW_S,
    EventSourceMapping,
    start_mappings,
)
from livequiz.local.routes import (
    DEFAULT_FUNCTION_TIMEOUT_S,
    REST_APP,
    ROUTES,
    HandlerRef,
    default_mappings,
    import_object,
    load_functions,
)
from livequiz.local.servers import AccessLog, EmbeddedServer, bind, http_url
from livequiz.local.web import WEB_ROOT, allowed_origins, web_app

logger = logging.getLogger(__name__)

THREAD_START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class RuntimeConfig:
    """Listening addresses, limits and handler tables of the local runtime.

    Port 0 picks a free port.
    """

    host: str = "127.0.0.1"
    ws_port: int = 8765
    management_port: int = 8766
    rest_port: int = 8000
    web_port: int = 8080
    stage: str = "local"
    api_id: str = "local"
    # Threads that run the WebSocket route handlers. The mappings have a thread each.
    workers: int = 8
    limits: GatewayLimits = field(default_factory=GatewayLimits)
    function_timeout_s: float = DEFAULT_FUNCTION_TIMEOUT_S
    batch_size: int = DEFAULT_BATCH_SIZE
    batching_window_s: float = DEFAULT_BATCHING_WINDOW_S
    # Route key to handler. None means ROUTES.
    routes: Mapping[str, HandlerRef] | None = None
    # Queue name to handler. None means default_mappings(settings), and {} runs none.
    mappings: Mapping[str, HandlerRef] | None = None
    # "module:attribute" of the REST app, an ASGI app, or None to serve no REST API.
    rest_app: str | ASGIApp | None = REST_APP
    # The web app's folder, served on web_port with /config.json, or None to serve none.
    web_root: Path | None = WEB_ROOT

    @classmethod
    def on_free_ports(cls, **changes: Any) -> "RuntimeConfig":
        ports = {"ws_port": 0, "management_port": 0, "rest_port": 0, "web_port": 0}
        return cls(**(ports | changes))


class LocalRuntime:
    """The local stack. Its URLs are set once ``start()`` returns.

    ``settings`` gives the queues, the RabbitMQ URL and the region that the runtime itself
    uses, and defaults to ``get_settings()``. Handlers always read their own settings from the
    environment.
    """

    def __init__(
        self, config: RuntimeConfig | None = None, settings: Settings | None = None
    ) -> None:
        self.config = config or RuntimeConfig()
        self.registry = ConnectionRegistry()
        self.ws_url = ""
        self.management_url = ""
        # The Prometheus metrics of this process, served by the @connections API's server.
        self.metrics_url = ""
        self.rest_url: str | None = None
        self.docs_url: str | None = None
        self.web_url: str | None = None
        self.settings = settings
        self._environment_set: list[str] = []
        self._executor: ThreadPoolExecutor | None = None
        self._gateway: Gateway | None = None
        self._servers: list[EmbeddedServer] = []
        self._mappings: list[EventSourceMapping] = []
        self._queue_depths: QueueDepths | None = None

    async def start(self) -> None:
        """Bind every port, import the handlers and start every server and mapping.

        Raises:
            ConfigError: a port is in use, or a handler or the REST app cannot be imported.
        """
        config = self.config
        logger.info("starting the local runtime")
        ws_socket = bind(config.host, config.ws_port, "WebSocket gateway")
        management_socket = bind(config.host, config.management_port, "@connections API")
        rest_socket = None
        if config.rest_app is not None:
            rest_socket = bind(config.host, config.rest_port, "REST API")
        web_socket = None
        if config.web_root is not None:
            web_socket = bind(config.host, config.web_port, "web app")
            self.web_url = http_url("http", web_socket)
        self.ws_url = f"{http_url('ws', ws_socket)}/{config.stage}"
        self.management_url = f"{http_url('http', management_socket)}/{config.stage}"
        self.metrics_url = f"{http_url('http', management_socket)}/metrics"
        try:
            self._set_environment()
            settings = self.settings = self.settings or get_settings()
            await self._start_gateway(ws_socket, management_socket, settings)
            if rest_socket is not None and config.rest_app is not None:
                await self._start_rest(rest_socket, config.rest_app)
            if web_socket is not None and config.web_root is not None:
                await self._start_web(web_socket, config.web_root)
            self._start_mappings(settings)
        except BaseException:
            await self.stop()
            # Servers close their sockets when they stop. These are the ones never served.
            for sock in (ws_socket, management_socket, rest_socket, web_socket):
                if sock is not None:
                    sock.close()
            raise
        logger.info("the local runtime is ready: %s", ", ".join(self.urls()))

    async def stop(self) -> None:
        """Stop the mappings, close every connection, stop the servers, restore the environment."""
        stop_watching_connections()
        if self._queue_depths is not None:
            stop_watching_queues(self._queue_depths)
            self._queue_depths = None
        for mapping in self._mappings:
            await asyncio.to_thread(mapping.stop)
        self._mappings = []
        if self._gateway is not None:
            await self._gateway.stop()
            logger.info("stopped the WebSocket gateway")
            self._gateway = None
        for server in reversed(self._servers):
            await server.stop()
            logger.info("stopped the %s", server.name)
        self._servers = []
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        # The handler threads have ended, but their RabbitMQ connections are still open.
        close_publishers()
        self._restore_environment()
        logger.info("stopped the local runtime")

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def start_in_thread(self) -> "RuntimeThread":
        """Start the runtime on an event loop in a background thread and return its handle."""
        thread = RuntimeThread(self)
        thread.start()
        return thread

    def urls(self) -> list[str]:
        urls = [f"WebSocket API {self.ws_url}"]
        if self.rest_url is not None:
            urls += [f"REST API {self.rest_url}", f"API docs {self.docs_url}"]
        if self.web_url is not None:
            urls.append(f"web app {self.web_url}")
        urls.append(f"@connections API {self.management_url}")
        urls.append(f"Prometheus metrics {self.metrics_url}")
        return urls

    async def _start_gateway(
        self, ws_socket: Any, management_socket: Any, settings: Settings
    ) -> None:
        config = self.config
        routes = load_functions(
            ROUTES if config.routes is None else config.routes,
            settings.aws_region,
            config.function_timeout_s,
        )
        self._executor = ThreadPoolExecutor(config.workers, thread_name_prefix="lambda")
        management = ManagementApi(self.registry, config.stage)
        server = EmbeddedServer(management.app, management_socket, "@connections API", "off")
        await server.start()
        self._servers.append(server)
        logger.info("started the @connections API at %s", self.management_url)

        gateway = Gateway(
            routes,
            self.registry,
            self._executor,
            stage=config.stage,
            api_id=config.api_id,
            limits=config.limits,
        )
        await gateway.start(ws_socket)
        self._gateway = gateway
        watch_connections(self.registry)
        logger.info(
            "started the WebSocket gateway at %s with routes %s", self.ws_url, ", ".join(routes)
        )

    async def _start_rest(self, rest_socket: Any, rest_app: str | ASGIApp) -> None:
        # Imported only now, after _set_environment(), so settings read on import see it.
        app: ASGIApp = import_object(rest_app) if isinstance(rest_app, str) else rest_app
        server = EmbeddedServer(AccessLog(app, "REST"), rest_socket, "REST API", "auto")
        await server.start()
        self._servers.append(server)
        self.rest_url = http_url("http", rest_socket)
        self.docs_url = f"{self.rest_url}/docs"
        logger.info("started the REST API at %s", self.rest_url)

    async def _start_web(self, web_socket: Any, root: Path) -> None:
        try:
            app = web_app(self.rest_url, self.ws_url, root)
        except FileNotFoundError as error:
            raise ConfigError(f"{error}: serve another folder or none") from error
        server = EmbeddedServer(AccessLog(app, "web"), web_socket, "web app", "off")
        await server.start()
        self._servers.append(server)
        logger.info("started the web app at %s, serving %s", self.web_url, root)

    def _start_mappings(self, settings: Settings) -> None:
        config = self.config
        table = default_mappings(settings) if config.mappings is None else config.mappings
        self._mappings = start_mappings(
            table,
            settings,
            batch_size=config.batch_size,
            batching_window_s=config.batching_window_s,
            function_timeout_s=config.function_timeout_s,
        )
        if self._mappings:
            # The queues' depth is served by the process that consumes them.
            self._queue_depths = watch_queues(settings)

    def _set_environment(self) -> None:
        region = get_settings().aws_region
        defaults = {
            "LIVEQUIZ_MANAGEMENT_URL": self.management_url,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": region,
        }
        if self.web_url is not None:
            port = urlsplit(self.web_url).port or 80
            defaults["LIVEQUIZ_CORS_ORIGINS"] = ",".join(allowed_origins(self.config.host, port))
        # A token secret read from Secrets Manager (LIVEQUIZ_TOKEN_SECRET_ARN) needs no default.
        if not os.environ.get("LIVEQUIZ_TOKEN_SECRET") and not os.environ.get(
            "LIVEQUIZ_TOKEN_SECRET_ARN"
        ):
            defaults["LIVEQUIZ_TOKEN_SECRET"] = secrets.token_urlsafe(48)
            logger.warning(
                "LIVEQUIZ_TOKEN_SECRET is not set, so this run signs tokens with a random "
                "secret: tokens issued now stop working when the runtime stops"
            )
        for name, value in defaults.items():
            if not os.environ.get(name):
                os.environ[name] = value
                self._environment_set.append(name)
        # Settings are cached per process. Handlers must see the variables set above.
        get_settings.cache_clear()

    def _restore_environment(self) -> None:
        for name in self._environment_set:
            os.environ.pop(name, None)
        self._environment_set = []
        get_settings.cache_clear()


class RuntimeThread:
    """A LocalRuntime running on its own event loop in a daemon thread."""

    def __init__(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Event | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="local-runtime", daemon=True)

    @property
    def ws_url(self) -> str:
        return self.runtime.ws_url

    @property
    def management_url(self) -> str:
        return self.runtime.management_url

    @property
    def metrics_url(self) -> str:
        return self.runtime.metrics_url

    @property
    def rest_url(self) -> str | None:
        return self.runtime.rest_url

    @property
    def docs_url(self) -> str | None:
        return self.runtime.docs_url

    @property
    def web_url(self) -> str | None:
        return self.runtime.web_url

    def start(self) -> None:
        self._thread.start()
        if not self._started.wait(THREAD_START_TIMEOUT_S):
            raise ConfigError(f"the local runtime did not start within {THREAD_START_TIMEOUT_S} s")
        if self._error is not None:
            self._thread.join()
            raise self._error

    def stop(self) -> None:
        """Stop the runtime and wait for its thread to end. Calling it again does nothing."""
        if not self._thread.is_alive():
            return
        if self._loop is not None and self._stop_requested is not None:
            self._loop.call_soon_threadsafe(self._stop_requested.set)
        self._thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        uvloop.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        try:
            await self.runtime.start()
        except BaseException as error:
            self._error = error
            self._started.set()
            return
        self._started.set()
        try:
            await self._stop_requested.wait()
        finally:
            await self.runtime.stop()
