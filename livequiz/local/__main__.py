"""Run the local stack until SIGINT or SIGTERM: ``python -m livequiz.local --help``."""

import argparse
import asyncio
import logging
import signal
import sys

import uvloop

from livequiz.errors import ConfigError
from livequiz.local.gateway import GatewayLimits
from livequiz.local.runtime import LocalRuntime, RuntimeConfig

logger = logging.getLogger("livequiz.local")

DEFAULTS = RuntimeConfig()


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m livequiz.local",
        description="Run the livequiz Lambda handlers behind a local API Gateway WebSocket API, "
        "its @connections API, the REST app and the RabbitMQ event-source mappings.",
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
    parser.add_argument("--stage", default=DEFAULTS.stage, help="API Gateway stage name")
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULTS.workers,
        help="threads that run WebSocket route handlers",
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
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level; DEBUG also logs frames, with tokens redacted",
    )
    return parser.parse_args(argv)


def config_from(arguments: argparse.Namespace) -> RuntimeConfig:
    return RuntimeConfig(
        host=arguments.host,
        ws_port=arguments.ws_port,
        management_port=arguments.management_port,
        rest_port=arguments.rest_port,
        stage=arguments.stage,
        workers=arguments.workers,
        limits=GatewayLimits(idle_timeout_s=arguments.idle_timeout),
        batch_size=arguments.batch_size,
        batching_window_s=arguments.batching_window,
    )


async def serve(config: RuntimeConfig) -> None:
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop_requested.set)

    async with LocalRuntime(config) as runtime:
        print(f"WebSocket API:    {runtime.ws_url}")
        if runtime.rest_url is not None:
            print(f"REST API:         {runtime.rest_url}")
            print(f"API docs:         {runtime.docs_url}")
        print(f"@connections API: {runtime.management_url}", flush=True)
        await stop_requested.wait()
        logger.info("stop requested, shutting down")


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(
        level=arguments.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # pika logs every socket it opens and closes at INFO. Its warnings and errors still show.
    logging.getLogger("pika").setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        # uvloop halves the event loop's cost per post and frame, which the gateway, the
        # @connections API and the REST app share.
        uvloop.run(serve(config_from(arguments)))
    except ConfigError as error:
        logger.error("%s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
