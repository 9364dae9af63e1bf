"""The RabbitMQ event-source mappings in a process of their own.

    python -m livequiz.local.workers [--batch-size N] [--batching-window S]
                                     [--metrics-host HOST] [--metrics-port PORT]

``python -m livequiz.local`` starts this process by default, so that the broadcast, persist and
deadline handlers run on another core than the gateway and the @connections API, as they run in
other Lambda execution environments on AWS. It reads its settings, the Management API's URL
included, from the environment that the runtime passes on, and stops on SIGINT or SIGTERM
after the running batches have finished. Its Prometheus metrics (the broadcast, persist and
deadline functions' and the queues' depth) are served at ``http://HOST:PORT/metrics``; port
0 serves none.
"""

import argparse
import logging
import os
import signal
import sys
import threading
from types import FrameType

from prometheus_client import start_http_server

from livequiz import metrics
from livequiz.config import get_settings
from livequiz.errors import ConfigError
from livequiz.events import close_publishers
from livequiz.local.gauges import stop_watching_queues, watch_queues
from livequiz.local.logs import configure_logging
from livequiz.local.mapping import DEFAULT_BATCH_SIZE, DEFAULT_BATCHING_WINDOW_S, start_mappings
from livequiz.local.routes import DEFAULT_FUNCTION_TIMEOUT_S, default_mappings

logger = logging.getLogger("livequiz.local.workers")


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m livequiz.local.workers",
        description="Run the RabbitMQ event-source mappings of the local runtime.",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help="maximum messages per batch",
    )
    parser.add_argument(
        "--batching-window",
        type=float,
        default=DEFAULT_BATCHING_WINDOW_S,
        help="maximum seconds a batch waits for more messages after its first one",
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    parser.add_argument("--metrics-host", default="127.0.0.1", help="address of /metrics")
    parser.add_argument(
        "--metrics-port", type=int, default=0, help="port of /metrics, 0 to serve none"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    configure_logging(arguments.log_level)
    stop_requested = threading.Event()

    def request_stop(signal_number: int, frame: FrameType | None) -> None:
        stop_requested.set()

    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, request_stop)
    try:
        settings = get_settings()
        settings.require_management_url()
        mappings = start_mappings(
            default_mappings(settings),
            settings,
            batch_size=arguments.batch_size,
            batching_window_s=arguments.batching_window,
            function_timeout_s=DEFAULT_FUNCTION_TIMEOUT_S,
        )
    except ConfigError as error:
        logger.error("%s", error)
        return 1
    logger.info("started %d mappings in process %d", len(mappings), os.getpid())
    depths = watch_queues(settings)
    server = None
    if arguments.metrics_port:
        try:
            server, thread = start_http_server(
                arguments.metrics_port, arguments.metrics_host, registry=metrics.REGISTRY
            )
        except OSError as error:
            logger.error(
                "cannot serve metrics on %s:%d: %s",
                arguments.metrics_host,
                arguments.metrics_port,
                error,
            )
            stop_requested.set()
        else:
            logger.info(
                "serving metrics at http://%s:%d/metrics",
                arguments.metrics_host,
                server.server_port,
            )
    stop_requested.wait()
    logger.info("stop requested, stopping the mappings")
    for mapping in mappings:
        mapping.stop()
    if server is not None:
        server.shutdown()
        server.server_close()
        thread.join()
    stop_watching_queues(depths)
    close_publishers()
    logger.info("stopped the mappings")
    return 1 if arguments.metrics_port and server is None else 0


if __name__ == "__main__":
    sys.exit(main())
