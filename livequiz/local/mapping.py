"""Lambda event-source mappings for Amazon MQ for RabbitMQ, run locally with pika.

Each mapping is a thread with its own ``BlockingConnection`` that consumes one queue with a
prefetch of ``batch_size``. It collects a batch until it contains ``batch_size`` messages or
``batching_window_s`` has passed since the batch's first message, then invokes the handler
with an ``aws:rmq`` event. The batch is acked (``multiple=True`` on its last delivery tag) only
after the handler returns. When the handler raises, the whole batch is nacked with
``requeue=True`` and the mapping pauses for a growing, capped backoff before the next batch.

Delivery is at least once: if the connection is lost after the handler returned but before
the ack, RabbitMQ redelivers the batch. While a handler runs, the thread keeps serving pika's
I/O, so heartbeats go on during long batches. A lost connection is retried with a growing,
capped delay until ``stop()``.
"""

import base64
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pika
import pika.exceptions

from livequiz.config import Settings
from livequiz.events import declare_topology
from livequiz.local.redaction import redact_url
from livequiz.local.routes import ACCOUNT_ID, Event, HandlerRef, LambdaFunction, load_functions

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 100
DEFAULT_BATCHING_WINDOW_S = 0.2
# Maximum time of one wait on pika's I/O, so stop() takes effect within this time.
POLL_INTERVAL_S = 0.1
CONNECTION_ERRORS = (pika.exceptions.AMQPError, OSError)

TopologyFunction = Callable[[Any, Settings], None]
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Backoff:
    """A delay that doubles from ``initial_s`` on each consecutive failure, up to ``max_s``."""

    initial_s: float
    max_s: float

    def delay(self, failures: int) -> float:
        return float(min(self.max_s, self.initial_s * 2 ** max(0, failures - 1)))


@dataclass(frozen=True)
class Delivery:
    delivery_tag: int
    redelivered: bool
    properties: Any  # pika.BasicProperties
    body: bytes


def java_medium_datetime(epoch_s: int) -> str:
    """Format a time the way the aws:rmq event formats ``timestamp``: ``Jan 1, 1970, 12:33:41 AM``.

    That is Java's medium date-time format for the US locale, in UTC.
    """
    moment = datetime.fromtimestamp(epoch_s, UTC)
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    month = _MONTHS[moment.month - 1]
    return f"{month} {moment.day}, {moment.year}, {hour}:{moment:%M:%S} {half}"


def header_value(value: Any) -> Any:
    """Convert an AMQP header value to its form in the aws:rmq event.

    Strings arrive as ``{"bytes": [...]}``, as in AWS's sample event.
    """
    if isinstance(value, str):
        value = value.encode("utf-8")
    if isinstance(value, bytes):
        # NOTE: signed bytes (-128..127) are inferred from the Java byte[] that AWS serializes.
        # The AWS sample shows ASCII only, where signed and unsigned agree.
        return {"bytes": [byte - 256 if byte > 127 else byte for byte in value]}
    if isinstance(value, dict):
        return {key: header_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [header_value(item) for item in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return java_medium_datetime(int(value.timestamp()))
    return value


def rmq_message(delivery: Delivery) -> dict[str, Any]:
    properties = delivery.properties
    timestamp = properties.timestamp
    headers = properties.headers
    return {
        "basicProperties": {
            "contentType": properties.content_type,
            "contentEncoding": properties.content_encoding,
            "headers": header_value(headers) if headers is not None else None,
            "deliveryMode": properties.delivery_mode,
            "priority": properties.priority,
            "correlationId": properties.correlation_id,
            "replyTo": properties.reply_to,
            "expiration": properties.expiration,
            "messageId": properties.message_id,
            "timestamp": java_medium_datetime(timestamp) if timestamp is not None else None,
            "type": properties.type,
            "userId": properties.user_id,
            "appId": properties.app_id,
            "clusterId": properties.cluster_id,
            "bodySize": len(delivery.body),
        },
        "redelivered": delivery.redelivered,
        "data": base64.b64encode(delivery.body).decode("ascii"),
    }


class EventSourceMapping:
    """Consumer of one RabbitMQ queue, in a thread, that invokes one handler with batches."""

    def __init__(
        self,
        function: LambdaFunction,
        queue: str,
        settings: Settings,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        batching_window_s: float = DEFAULT_BATCHING_WINDOW_S,
        declare_topology: TopologyFunction | None = None,
        reconnect_backoff: Backoff = Backoff(0.5, 30.0),
        failure_backoff: Backoff = Backoff(0.1, 5.0),
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"expected a batch size of at least 1, got {batch_size}")
        self.function = function
        self.queue = queue
        self.settings = settings
        self.batch_size = batch_size
        self.batching_window_s = batching_window_s
        self.reconnect_backoff = reconnect_backoff
        self.failure_backoff = failure_backoff
        self._declare_topology = declare_topology
        self._parameters = pika.URLParameters(settings.rabbitmq_url)
        self.source_key = f"{queue}::{self._parameters.virtual_host}"
        self.event_source_arn = (
            f"arn:aws:mq:{settings.aws_region}:{ACCOUNT_ID}:broker:local:b-local"
        )
        # Set while a consumer is registered on the queue, cleared while reconnecting.
        self.consuming = threading.Event()
        # Batches acked after the handler returned, and batches nacked after it raised.
        self.acked_batches = 0
        self.failed_batches = 0
        self._stop = threading.Event()
        self._pending: list[Delivery] = []
        self._batch_deadline = 0.0
        self._failures = 0
        self._attempts = 0
        self._thread = threading.Thread(target=self._run, name=f"mapping-{queue}", daemon=True)
        self._invoker = concurrent.futures.ThreadPoolExecutor(1, f"lambda-{queue}")

    def start(self) -> None:
        logger.info("starting the mapping from queue %s to %s", self.queue, self.function.name)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """End the consume loop, wait for a running batch to finish and close the connection."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        if self._thread.is_alive():
            logger.warning(
                "the mapping of queue %s did not stop within %.0f s", self.queue, timeout_s
            )
        self._invoker.shutdown(wait=False)
        logger.info("stopped the mapping of queue %s", self.queue)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._consume()
            except CONNECTION_ERRORS as error:
                self._attempts += 1
                logger.warning(
                    "RabbitMQ connection for queue %s at %s failed (attempt %d): %r. "
                    "Retrying in %.1f s",
                    self.queue,
                    redact_url(self.settings.rabbitmq_url),
                    self._attempts,
                    error,
                    self.reconnect_backoff.delay(self._attempts),
                )
            except Exception:
                self._attempts += 1
                logger.exception(
                    "the mapping of queue %s failed (attempt %d), restarting in %.1f s",
                    self.queue,
                    self._attempts,
                    self.reconnect_backoff.delay(self._attempts),
                )
            finally:
                self.consuming.clear()
                self._pending = []
            self._stop.wait(self.reconnect_backoff.delay(self._attempts))

    def _consume(self) -> None:
        connection = pika.BlockingConnection(self._parameters)
        try:
            channel = connection.channel()
            if self._declare_topology is not None:
                self._declare_topology(channel, self.settings)
            channel.basic_qos(prefetch_count=self.batch_size)
            channel.basic_consume(self.queue, self._on_delivery)
            self.consuming.set()
            self._attempts = 0
            logger.info("consuming queue %s for %s", self.queue, self.function.name)
            self._consume_until_stopped(connection, channel)
        finally:
            if connection.is_open:
                try:
                    connection.close()
                except CONNECTION_ERRORS as error:
                    logger.debug(
                        "closing the connection for queue %s failed: %r", self.queue, error
                    )

    def _on_delivery(self, channel: Any, method: Any, properties: Any, body: bytes) -> None:
        if not self._pending:
            self._batch_deadline = time.monotonic() + self.batching_window_s
        self._pending.append(Delivery(method.delivery_tag, method.redelivered, properties, body))

    def _consume_until_stopped(self, connection: Any, channel: Any) -> None:
        while not self._stop.is_set():
            wait_s = POLL_INTERVAL_S
            if self._pending:
                remaining_s = self._batch_deadline - time.monotonic()
                if len(self._pending) >= self.batch_size or remaining_s <= 0:
                    self._process_batch(connection, channel)
                    continue
                wait_s = min(wait_s, remaining_s)
            connection.process_data_events(time_limit=wait_s)
        # Unacked deliveries still pending go back to the queue when the connection closes.

    def _process_batch(self, connection: Any, channel: Any) -> None:
        batch, self._pending = self._pending, []
        event: Event = {
            "eventSource": "aws:rmq",
            "eventSourceArn": self.event_source_arn,
            "rmqMessagesByQueue": {self.source_key: [rmq_message(item) for item in batch]},
        }
        last_tag = batch[-1].delivery_tag
        future = self._invoker.submit(self.function.invoke, event)
        try:
            while not future.done():
                connection.process_data_events(time_limit=POLL_INTERVAL_S)
        except CONNECTION_ERRORS:
            # Let the handler finish before RabbitMQ redelivers its batch to the next consumer.
            concurrent.futures.wait([future])
            raise
        try:
            future.result()
        except Exception:
            self._failures += 1
            backoff_s = self.failure_backoff.delay(self._failures)
            logger.warning(
                "%s failed on %d messages from queue %s (message ids %s): "
                "requeueing them and pausing %.1f s",
                self.function.name,
                len(batch),
                self.queue,
                ", ".join(_message_id(item) for item in batch),
                backoff_s,
                exc_info=True,
            )
            channel.basic_nack(delivery_tag=last_tag, multiple=True, requeue=True)
            self.failed_batches += 1
            self._pause(connection, backoff_s)
            return
        self._failures = 0
        channel.basic_ack(delivery_tag=last_tag, multiple=True)
        self.acked_batches += 1
        logger.debug(
            "%s processed %d messages from queue %s", self.function.name, len(batch), self.queue
        )

    def _pause(self, connection: Any, seconds: float) -> None:
        """Wait ``seconds`` while serving pika's I/O, so heartbeats go on. stop() ends it early."""
        deadline = time.monotonic() + seconds
        while not self._stop.is_set():
            remaining_s = deadline - time.monotonic()
            if remaining_s <= 0:
                return
            connection.process_data_events(time_limit=min(POLL_INTERVAL_S, remaining_s))


def _message_id(delivery: Delivery) -> str:
    message_id = delivery.properties.message_id
    return str(message_id) if message_id else f"delivery tag {delivery.delivery_tag}"


def start_mappings(
    table: Mapping[str, HandlerRef],
    settings: Settings,
    *,
    batch_size: int,
    batching_window_s: float,
    function_timeout_s: float,
) -> list[EventSourceMapping]:
    """Load the handlers of a mapping table and start one consumer per queue."""
    functions = load_functions(table, settings.aws_region, function_timeout_s)
    mappings = []
    for queue, function in functions.items():
        mapping = EventSourceMapping(
            function,
            queue,
            settings,
            batch_size=batch_size,
            batching_window_s=batching_window_s,
            declare_topology=declare_topology,
        )
        mapping.start()
        mappings.append(mapping)
    return mappings
