"""Run the local stack until SIGINT or SIGTERM: ``python -m livequiz.local --help``."""

import argparse
import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys

import uvloop

from livequiz.errors import ConfigError
from livequiz.local.gateway import GatewayLimits
from livequiz.local.logs import configure_logging
from livequiz.local.runtime import LocalRuntime, RuntimeConfig

logger = logging.getLogger("livequiz.local")

DEFAULTS = RuntimeConfig()
# A running batch finishes before the mappings process exits; persist batches take well
# under a second, so this only guards against a hung handler.
WORKERS_STOP_TIMEOUT_S = 30.0
DEFAULT_WORKERS_METRICS_PORT = 8767


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m livequiz.local",
        description="Run the livequiz Lambda handlers behind a local API Gateway WebSocket API, "
        "its @connections API, the REST app and the RabbitMQ event-source mappings.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--host", default=DEFAULTS.host, help="address every server listens on")
    parser.add_argument(
        "--ws-port", type=int, default=DEFAULTS.ws_port, help="WebSocket API port, 0 for any free"
    )
    parser.add_argument(
        "--management-port",
        type=int,
        default=DEFAULTS.management_port,
        help="@connections API port, 0 for any free port",
    )
    parser.add_argument(
        "--rest-port", type=int, default=DEFAULTS.rest_port, help="REST API port, 0 for any free"
    )
    parser.add_argument(
        "--web-port",
        type=int,
        default=DEFAULTS.web_port,
        help="port of the web app (player and host pages, /config.json), 0 for any free port",
    )
    parser.add_argument(
        "--workers-metrics-port",
        type=int,
        default=DEFAULT_WORKERS_METRICS_PORT,
        help="port of the mappings process's Prometheus metrics, 0 for any free port",
    )
    parser.add_argument(
        "--no-workers-metrics",
        action="store_true",
        help="serve no Prometheus metrics from the mappings process",
    )
    parser.add_argument("--stage", default=DEFAULTS.stage, help="API Gateway stage name")
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULTS.workers,
        help="threads that run the WebSocket route handlers",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=DEFAULTS.limits.idle_timeout_s,
        help="seconds without a client message before a connection is closed (API Gateway: 600)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULTS.batch_size,
        help="maximum messages per event-source mapping batch",
    )
    parser.add_argument(
        "--batching-window",
        type=float,
        default=DEFAULTS.batching_window_s,
        help="maximum seconds a batch waits for more messages after its first one",
    )
    parser.add_argument(
        "--mappings",
        choices=["process", "inline"],
        default="process",
        help="run the queue mappings in a child process, on another core (the default), "
        "or inline in this process",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level; DEBUG also logs frames, with tokens redacted",
    )
    return parser.parse_args(argv)


def config_from(arguments: argparse.Namespace) -> RuntimeConfig:
    return RuntimeConfig(
        mappings={} if arguments.mappings == "process" else None,
        host=arguments.host,
        ws_port=arguments.ws_port,
        management_port=arguments.management_port,
        rest_port=arguments.rest_port,
        web_port=arguments.web_port,
        stage=arguments.stage,
        workers=arguments.workers,
        limits=GatewayLimits(idle_timeout_s=arguments.idle_timeout),
        batch_size=arguments.batch_size,
        batching_window_s=arguments.batching_window,
    )


async def serve(config: RuntimeConfig, arguments: argparse.Namespace) -> int:
    """Run until a signal, or until the mappings process dies; return the exit status."""
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop_requested.set)

    async with LocalRuntime(config) as runtime:
        workers = start_workers(arguments) if arguments.mappings == "process" else None
        print(f"WebSocket API:    {runtime.ws_url}")
        if runtime.rest_url is not None:
            print(f"REST API:         {runtime.rest_url}")
            print(f"API docs:         {runtime.docs_url}")
        if runtime.web_url is not None:
            print(f"Web app:          {runtime.web_url}")
        print(f"@connections API: {runtime.management_url}")
        print(f"Metrics:          {runtime.metrics_url}")
        if workers is not None and not arguments.no_workers_metrics:
            port = arguments.workers_metrics_port
            print(f"Mappings metrics: http://{arguments.host}:{port}/metrics", flush=True)
        watcher = None
        if workers is not None:
            watcher = asyncio.create_task(watch_workers(workers, stop_requested))
        await stop_requested.wait()
        crashed = workers is not None and workers.poll() is not None
        if crashed:
            logger.error("shutting down, because the queue mappings process is gone")
        else:
            logger.info("stop requested, shutting down")
        if watcher is not None:
            watcher.cancel()
        if workers is not None:
            stop_workers(workers)
    return 1 if crashed else 0


def start_workers(arguments: argparse.Namespace) -> subprocess.Popen[bytes]:
    """Start the mappings process; it inherits the environment the runtime has just set.

    A metrics port of 0 is replaced in ``arguments`` by a free port, which the caller prints.
    """
    if arguments.no_workers_metrics:
        # The mappings process serves no metrics on port 0.
        arguments.workers_metrics_port = 0
    elif arguments.workers_metrics_port == 0:
        arguments.workers_metrics_port = free_port(arguments.host)
    command = [
        sys.executable, "-m", "livequiz.local.workers",
        "--batch-size", str(arguments.batch_size),
        "--batching-window", str(arguments.batching_window),
        "--log-level", arguments.log_level,
        "--metrics-host", arguments.host,
        "--metrics-port", str(arguments.workers_metrics_port),
    ]  # fmt: skip
    workers = subprocess.Popen(command, env=dict(os.environ))
    logger.info("started the queue mappings in process %d", workers.pid)
    return workers


def free_port(host: str) -> int:
    """Return a port that is free on ``host`` now.

    NOTE: another process may take the port before the mappings process binds it. The
    mappings process then logs the error and exits, which stops the runtime.
    """
    with socket.create_server((host, 0)) as probe:
        port: int = probe.getsockname()[1]
    return port


async def watch_workers(workers: subprocess.Popen[bytes], stop_requested: asyncio.Event) -> None:
    """Stop the runtime if the mappings process dies, since nothing would consume the queues."""
    while workers.poll() is None:
        await asyncio.sleep(1)
    logger.error("the queue mappings process %d exited with %d", workers.pid, workers.returncode)
    stop_requested.set()


def stop_workers(workers: subprocess.Popen[bytes]) -> None:
    if workers.poll() is None:
        workers.terminate()
        try:
            workers.wait(timeout=WORKERS_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            logger.warning("the queue mappings process %d did not stop, killing it", workers.pid)
            workers.kill()
            workers.wait()
    logger.info("stopped the queue mappings process %d", workers.pid)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    configure_logging(arguments.log_level)
    try:
        # uvloop halves the event loop's cost per post and frame, which the gateway, the
        # @connections API and the REST app share.
        return uvloop.run(serve(config_from(arguments), arguments))
    except ConfigError as error:
        logger.error("%s", error)
        return 1


if __name__ == "__main__":
    sys.exit(main())
