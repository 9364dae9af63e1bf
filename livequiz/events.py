"""Events on RabbitMQ: the topology, a publisher with confirms, and decoding of ``aws:rmq`` events.

Topology (declared by ``declare_topology``, idempotent):

    exchange livequiz (topic)
      ├── answer.accepted, game.*,
      │   player.kicked, question.revealed  -> queue livequiz.persist
      ├── scores.changed, question.*,
      │   game.*, player.*                  -> queue livequiz.broadcast
      └── question.deadline                 -> queue livequiz.deadline
    exchange livequiz.dead (direct)         -> queue <name>.dead for each queue above

The three work queues are quorum queues with a delivery limit: a message that keeps failing is
dead-lettered to ``<queue>.dead`` instead of blocking the queue. Question deadlines use one
classic queue per time limit (``<exchange>.delay.<ms>``) whose messages expire after exactly
that limit and are then dead-lettered to the exchange under ``question.deadline``. One limit per
queue keeps expiry in publish order, which per-message TTLs in a shared queue would not.

Delivery is at least once end to end: a publisher retry or a redelivered batch can repeat a
message, so every consumer is idempotent on the message's ``id``.
"""

import base64
import binascii
import json
import logging
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from livequiz import tracing
from livequiz.config import Settings
from livequiz.errors import InvalidInputError, ServiceError

logger = logging.getLogger(__name__)

DEAD_LETTER_EXCHANGE_SUFFIX = ".dead"
DEADLINE_ROUTING_KEY = "question.deadline"

ROUTES: dict[str, tuple[str, ...]] = {
    "persist": ("answer.accepted", "game.*", "player.kicked", "question.revealed"),
    "broadcast": ("scores.changed", "question.*", "game.*", "player.*"),
    "deadline": (DEADLINE_ROUTING_KEY,),
}


@dataclass(frozen=True)
class Event:
    """One message on the exchange, whose ``id`` stays the same across retries of one fact."""

    type: str
    game_id: str
    id: str
    at_ms: int
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        body = {
            "type": self.type,
            "game": self.game_id,
            "id": self.id,
            "at_ms": self.at_ms,
            "data": self.data,
        }
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> "Event":
        try:
            envelope = Envelope.model_validate_json(raw)
        except ValidationError as error:
            raise InvalidInputError("invalid_event", f"malformed event message: {error}") from error
        return cls(
            type=envelope.type,
            game_id=envelope.game,
            id=envelope.id,
            at_ms=envelope.at_ms,
            data=envelope.data,
        )


class Envelope(BaseModel):
    """The fields every event message has, checked strictly: a consumer hashes and sorts them."""

    model_config = ConfigDict(strict=True)

    type: str = Field(min_length=1, max_length=64)
    game: str = Field(min_length=1, max_length=64)
    id: str = Field(min_length=1, max_length=128)
    # Up to the last millisecond of 9999-12-31, the end of MySQL's DATETIME range.
    at_ms: int = Field(ge=0, le=253_402_300_799_999)
    data: dict[str, Any]


@dataclass(frozen=True)
class OutboxEntry:
    """An event waiting in a game's Redis outbox until the broker has confirmed it.

    ``deliver_at_ms`` marks a delayed event, such as a question's deadline, by the server time
    at which it is due.
    """

    routing_key: str
    event: Event
    deliver_at_ms: int | None = None

    def to_json(self) -> str:
        body = {
            "routing_key": self.routing_key,
            "deliver_at_ms": self.deliver_at_ms,
            "event": json.loads(self.event.to_json()),
        }
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> "OutboxEntry":
        body = json.loads(raw)
        event = Event.from_json(json.dumps(body["event"]).encode())
        return cls(body["routing_key"], event, body["deliver_at_ms"])


def queue_names(settings: Settings) -> dict[str, str]:
    return {
        "persist": settings.persist_queue,
        "broadcast": settings.broadcast_queue,
        "deadline": settings.deadline_queue,
    }


def declare_topology(channel: BlockingChannel, settings: Settings) -> None:
    """Declare the exchanges, the work queues with their dead-letter queues, and their bindings."""
    dead_exchange = settings.exchange + DEAD_LETTER_EXCHANGE_SUFFIX
    channel.exchange_declare(settings.exchange, exchange_type="topic", durable=True)
    channel.exchange_declare(dead_exchange, exchange_type="direct", durable=True)
    for role, queue in queue_names(settings).items():
        dead_queue = queue + DEAD_LETTER_EXCHANGE_SUFFIX
        channel.queue_declare(dead_queue, durable=True)
        channel.queue_bind(dead_queue, dead_exchange, routing_key=queue)
        arguments = {
            "x-queue-type": "quorum",
            "x-delivery-limit": settings.delivery_limit,
            "x-dead-letter-exchange": dead_exchange,
            "x-dead-letter-routing-key": queue,
        }
        channel.queue_declare(queue, durable=True, arguments=arguments)
        for routing_key in ROUTES[role]:
            channel.queue_bind(queue, settings.exchange, routing_key=routing_key)


def delay_queue_name(exchange: str, delay_ms: int) -> str:
    return f"{exchange}.delay.{delay_ms}"


# pika's loggers that report a connection the broker or the network dropped, at ERROR.
PIKA_CONNECTION_LOGGERS = (
    "pika.adapters.utils.io_services_utils",
    "pika.adapters.base_connection",
    "pika.adapters.blocking_connection",
)


class ConnectionLossFilter(logging.Filter):
    """Demote pika's ERROR records of a dropped connection to DEBUG.

    A publisher's connection sits idle between invocations, frozen on Lambda, so the broker
    drops it after missed heartbeats, and the next publish finds it gone. pika then logs up to
    three ERROR records with a traceback. ``Publisher`` reconnects and logs one WARNING with
    the event's ids, and a loss that its retry cannot mend raises ``ServiceError``. The local
    queue mappings likewise log a WARNING of their own and reconnect.
    """

    MARKERS = ("StreamLostError", "ConnectionResetError", "Connection reset by peer")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR:
            return True
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += f" {type(record.exc_info[1]).__name__}"
        if not any(marker in text for marker in self.MARKERS):
            return True
        record.levelno = logging.DEBUG
        record.levelname = "DEBUG"
        record.exc_info = None
        record.exc_text = None
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def demote_connection_loss_logs() -> None:
    """Put ``ConnectionLossFilter`` on pika's connection loggers, once per process."""
    for name in PIKA_CONNECTION_LOGGERS:
        pika_logger = logging.getLogger(name)
        if not any(isinstance(known, ConnectionLossFilter) for known in pika_logger.filters):
            pika_logger.addFilter(ConnectionLossFilter())


class Publisher:
    """Publishes persistent messages and waits for the broker's confirm of each one.

    A pika connection is not thread-safe, so use ``publisher(settings)`` to get one per thread.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._connection: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None

    def _open(self) -> BlockingChannel:
        if self._channel is not None and self._channel.is_open:
            return self._channel
        self.close()
        parameters = pika.URLParameters(self.settings.rabbitmq_url)
        self._connection = pika.BlockingConnection(parameters)
        channel = self._connection.channel()
        channel.confirm_delivery()
        declare_topology(channel, self.settings)
        self._channel = channel
        logger.info("publisher connected to RabbitMQ")
        return channel

    def declare(self) -> None:
        """Connect, which declares the exchanges and queues, so that they exist before the
        first event; on AWS the deploy does this, before the queue mappings start."""
        self._open()

    def __del__(self) -> None:
        # A thread's publisher goes when the thread ends, as in a test's worker thread. Its
        # connection is closed then, rather than left to the garbage collector.
        self.close()

    def close(self) -> None:
        if self._connection is not None and self._connection.is_open:
            try:
                self._connection.close()
            except pika.exceptions.StreamLostError as error:
                # The broker dropped an idle connection before we closed it: nothing was lost.
                logger.info("the RabbitMQ connection was already lost: %s", error)
            except pika.exceptions.AMQPError as error:
                logger.warning("closing the RabbitMQ connection failed: %s", error)
        self._connection = None
        self._channel = None

    def _send(
        self, exchange: str, routing_key: str, event: Event, expiration_ms: int | None = None
    ) -> None:
        labels = {"game_id": event.game_id, "event_type": event.type}
        # While tracing is on, one span covers the publish, its confirm and any reconnect.
        with tracing.publish_span(exchange, routing_key, labels) as trace_headers:
            properties = pika.BasicProperties(
                content_type="application/json",
                delivery_mode=pika.DeliveryMode.Persistent,
                message_id=event.id,
                timestamp=event.at_ms // 1000,
                type=event.type,
                headers=trace_headers,
            )
            self._send_with_retry(exchange, routing_key, event, properties, expiration_ms)

    def _send_with_retry(
        self,
        exchange: str,
        routing_key: str,
        event: Event,
        properties: pika.BasicProperties,
        expiration_ms: int | None,
    ) -> None:
        # Two tries: a broker restart drops the cached connection, and the retry reconnects. A
        # message whose confirm was lost may arrive twice, which consumers tolerate.
        for attempt in (1, 2):
            try:
                channel = self._open()
                if expiration_ms is not None:
                    self._declare_delay_queue(channel, expiration_ms)
                channel.basic_publish(
                    exchange, routing_key, event.to_json(), properties, mandatory=True
                )
                return
            except (pika.exceptions.AMQPConnectionError, pika.exceptions.AMQPChannelError) as error:
                self.close()
                if attempt == 2:
                    raise ServiceError(
                        f"publishing {event.type} {event.id} failed: {error}"
                    ) from error
                logger.warning(
                    "publishing %s %s failed, reconnecting: %s", event.type, event.id, error
                )
            except (pika.exceptions.UnroutableError, pika.exceptions.NackError) as error:
                raise ServiceError(
                    f"RabbitMQ did not accept {event.type} {event.id}: {error}"
                ) from error

    def _declare_delay_queue(self, channel: BlockingChannel, delay_ms: int) -> None:
        # Declared on every publish: x-expires counts from the last declaration, not from the
        # last publish, so a queue declared once would be deleted with deadlines still in it.
        arguments = {
            "x-message-ttl": delay_ms,
            # Longer than the delay, so the queue outlives every message in it.
            "x-expires": max(self.settings.delay_queue_expires_s * 1000, delay_ms + 60_000),
            "x-dead-letter-exchange": self.settings.exchange,
            "x-dead-letter-routing-key": DEADLINE_ROUTING_KEY,
        }
        channel.queue_declare(
            delay_queue_name(self.settings.exchange, delay_ms), durable=True, arguments=arguments
        )

    def publish(self, routing_key: str, event: Event) -> None:
        self._send(self.settings.exchange, routing_key, event)

    def dead_letter(self, queue: str, raw: bytes, reason: str) -> None:
        """Put a message that can never be processed on ``queue``'s dead-letter queue."""
        properties = pika.BasicProperties(
            delivery_mode=pika.DeliveryMode.Persistent, headers={"x-livequiz-reason": reason}
        )
        exchange = self.settings.exchange + DEAD_LETTER_EXCHANGE_SUFFIX
        try:
            # No handler consumes a dead-letter queue, so the message gets no trace context.
            with tracing.publish_span(exchange, queue, {"reason": reason}):
                self._open().basic_publish(exchange, queue, raw, properties, mandatory=True)
        except pika.exceptions.AMQPError as error:
            raise ServiceError(f"dead-lettering a message from {queue} failed: {error}") from error
        # Imported here because livequiz.metrics imports livequiz.play, which imports this module.
        from livequiz import metrics

        roles = {name: role for role, name in queue_names(self.settings).items()}
        role = roles.get(queue)
        if role is None:
            logger.warning(
                "dead_lettered_total does not count a message from %s: the queue is not the "
                "persist, broadcast or deadline queue of these settings",
                queue,
            )
            return
        metrics.count("dead_lettered_total", queue=role)

    def deliver(self, entry: OutboxEntry, now_ms: int) -> None:
        """Publish an outbox entry, after the time left until it is due if it is delayed."""
        if entry.deliver_at_ms is None:
            self.publish(entry.routing_key, entry.event)
            return
        # Whole seconds, rounded down, keep the delay queues to one per second of delay. The
        # event then arrives up to a second early, and its consumer waits for the rest.
        delay_ms = (entry.deliver_at_ms - now_ms) // 1000 * 1000
        if delay_ms > 0:
            self.publish_after(delay_ms, entry.event)
        else:
            self.publish(entry.routing_key, entry.event)

    def publish_after(self, delay_ms: int, event: Event) -> None:
        """Publish ``event`` under ``question.deadline`` once ``delay_ms`` has passed."""
        self._send(
            "", delay_queue_name(self.settings.exchange, delay_ms), event, expiration_ms=delay_ms
        )


_local = threading.local()
# Every publisher made by publisher(), so that a process that ends its threads can close them.
_publishers: "weakref.WeakSet[Publisher]" = weakref.WeakSet()


def publisher(settings: Settings) -> Publisher:
    """Return this thread's publisher. A Lambda environment has one thread, so one publisher."""
    current: Publisher | None = getattr(_local, "publisher", None)
    if current is None or current.settings is not settings:
        current = Publisher(settings)
        _local.publisher = current
        _publishers.add(current)
    return current


def close_publishers() -> None:
    """Close the connection of every thread's publisher, for a process about to stop its threads."""
    for each in list(_publishers):
        each.close()


@dataclass(frozen=True)
class ReceivedMessage:
    """One decoded message of an ``aws:rmq`` event, with its body as it arrived."""

    queue: str
    raw: bytes
    event: Event


def decode_rmq_messages(event: dict[str, Any], settings: Settings) -> list[ReceivedMessage]:
    """Decode the messages of an Amazon MQ for RabbitMQ (``aws:rmq``) Lambda event, in order.

    A message that is not a valid event is moved to its queue's dead-letter queue, untouched,
    and left out: redelivering it could never succeed, and it must not hold back the batch.
    The raw body of each message is kept so that a consumer can dead-letter it unchanged later.
    """
    decoded: list[ReceivedMessage] = []
    for source, messages in event.get("rmqMessagesByQueue", {}).items():
        queue = source.split("::", 1)[0]
        for message in messages:
            try:
                raw = base64.b64decode(message.get("data", ""), validate=True)
            except (binascii.Error, TypeError) as error:
                logger.error(
                    "moving a non-base64 message from %s to its dead-letter queue: %s",
                    queue,
                    error,
                )
                unreadable = str(message.get("data")).encode()
                publisher(settings).dead_letter(queue, unreadable, "data is not base64")
                continue
            try:
                decoded.append(ReceivedMessage(queue, raw, Event.from_json(raw)))
            except InvalidInputError as error:
                message_id = message.get("basicProperties", {}).get("messageId")
                logger.error(
                    "moving malformed message %s from %s to its dead-letter queue: %s",
                    message_id,
                    queue,
                    error,
                )
                publisher(settings).dead_letter(queue, raw, error.message)
    return decoded


def decode_rmq_event(event: dict[str, Any], settings: Settings) -> list[Event]:
    """Decode an ``aws:rmq`` event like ``decode_rmq_messages``, keeping only the events."""
    return [message.event for message in decode_rmq_messages(event, settings)]


def now_ms() -> int:
    return time.time_ns() // 1_000_000
