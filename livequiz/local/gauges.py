"""Sources of the collected gauges of ``livequiz.metrics``, read when Prometheus scrapes.

- ``connections_open`` and ``game_connections_open`` come from the gateway's open connections,
  each matched to its game through its connection record in Redis; the second exports the
  ``MAX_GAME_SERIES`` games with the most connections.
- ``queue_messages`` comes from RabbitMQ: a passive declare of each work queue and its
  dead-letter queue returns the count of messages ready in it.
"""

import logging
import os
import threading
from collections import Counter
from collections.abc import Iterable, Mapping

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel
from pika.adapters.utils.connection_workflow import AMQPConnectorException

from livequiz import metrics
from livequiz.config import Settings
from livequiz.events import DEAD_LETTER_EXCHANGE_SUFFIX
from livequiz.local.connections import Connection, ConnectionRegistry
from livequiz.services import game_store

logger = logging.getLogger(__name__)

# The per-game gauge exports the games with the most open connections only, so that games
# created in bulk cannot add series without bound.
MAX_GAME_SERIES = 200
# A scrape that waits longer than this for RabbitMQ gets no queue sample.
BROKER_TIMEOUT_S = 2.0
# The start of the queue-depth connection's name in RabbitMQ's connection list.
CONNECTION_NAME = "livequiz queue depths"


def connection_name() -> str:
    """Return the name of this process's queue-depth connection. The pid distinguishes the
    stacks that share one broker, such as two developers' local runtimes."""
    return f"{CONNECTION_NAME} (pid {os.getpid()})"


def watch_connections(registry: ConnectionRegistry) -> None:
    """Serve the connection gauges of the gateway that owns ``registry``."""

    def total() -> Mapping[tuple[str, ...], float]:
        return {(): len(registry)}

    metrics.collect_from("connections_open", total)
    metrics.collect_from("game_connections_open", lambda: game_connection_counts(registry))


def game_connection_counts(
    registry: Iterable[Connection], limit: int = MAX_GAME_SERIES
) -> Mapping[tuple[str, ...], float]:
    """Count the open connections of each game, for the ``limit`` games with the most."""
    ids = [connection.connection_id for connection in registry]
    games = Counter(game_store().games_of(ids).values())
    return {(game,): count for game, count in games.most_common(limit)}


def stop_watching_connections() -> None:
    metrics.collect_from("connections_open", None)
    metrics.collect_from("game_connections_open", None)


class QueueDepths:
    """Reads the ready messages of the work queues and their dead-letter queues.

    One connection, opened on the first scrape and opened again after a failure; a lock keeps
    concurrent scrapes off the channel, which is not thread-safe.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.queues = {
            role: getattr(settings, f"{role}_queue") for role in sorted(metrics.QUEUE_ROLES)
        }
        self._lock = threading.Lock()
        self._connection: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None

    def __call__(self) -> Mapping[tuple[str, ...], float]:
        with self._lock:
            # A second attempt on a new connection, because the broker may have closed the
            # one kept since the last scrape.
            for attempt in (1, 2):
                try:
                    return self._read()
                except (pika.exceptions.AMQPError, AMQPConnectorException) as error:
                    self._close()
                    if attempt == 2:
                        logger.warning("reading queue depths from RabbitMQ failed: %r", error)
                    else:
                        logger.info("reading queue depths failed, reconnecting: %r", error)
            return {}

    def _read(self) -> dict[tuple[str, ...], float]:
        depths: dict[tuple[str, ...], float] = {}
        for role, queue in self.queues.items():
            for label, name in (
                (role, queue),
                (f"{role}_dead", queue + DEAD_LETTER_EXCHANGE_SUFFIX),
            ):
                channel = self._open()
                try:
                    declared = channel.queue_declare(name, passive=True)
                except pika.exceptions.ChannelClosedByBroker as error:
                    # 404: the queue is not declared yet. The broker closed the channel.
                    logger.debug("queue %s has no depth: %s", name, error)
                    self._channel = None
                    continue
                depths[(label,)] = declared.method.message_count
        return depths

    def _open(self) -> BlockingChannel:
        if self._connection is None or self._connection.is_closed:
            parameters = pika.URLParameters(self.settings.rabbitmq_url)
            parameters.blocked_connection_timeout = BROKER_TIMEOUT_S
            parameters.socket_timeout = BROKER_TIMEOUT_S
            parameters.connection_attempts = 1
            parameters.stack_timeout = BROKER_TIMEOUT_S
            # No heartbeats: the connection does no I/O between scrapes, which may be minutes
            # apart, and a blocking connection sends heartbeats only while it does I/O.
            parameters.heartbeat = 0
            parameters.client_properties = {"connection_name": connection_name()}
            self._connection = pika.BlockingConnection(parameters)
            self._channel = None
            logger.info("opened a RabbitMQ connection to read queue depths")
        if self._channel is None or self._channel.is_closed:
            self._channel = self._connection.channel()
        return self._channel

    def _close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except pika.exceptions.AMQPError as error:
                logger.debug("closing the queue-depth connection failed: %r", error)

    def close(self) -> None:
        with self._lock:
            self._close()


def watch_queues(settings: Settings) -> QueueDepths:
    """Serve ``queue_messages`` from RabbitMQ; close the result to stop."""
    depths = QueueDepths(settings)
    metrics.collect_from("queue_messages", depths)
    return depths


def stop_watching_queues(depths: QueueDepths) -> None:
    metrics.collect_from("queue_messages", None)
    depths.close()
