"""Messages that RabbitMQ dead-letters at the delivery limit count in dead_lettered_total.

The persist handler runs behind the local event-source mapping with MySQL unreachable, so
every delivery of the one event fails until the quorum queue's delivery limit moves it to the
dead-letter queue.
"""

import time
import uuid
from collections.abc import Iterator

import pika
import pytest

from functions.persist import handler as persist_function
from livequiz import events, metrics
from livequiz.config import Settings
from livequiz.events import Event
from livequiz.local.mapping import start_mappings
from tests.metrics.samples import sample

# A port on which nothing listens, so every connection is refused at once.
MYSQL_DOWN = "mysql+pymysql://root:@127.0.0.1:1/livequiz"
DELIVERY_LIMIT = 2
WAIT_S = 30.0


@pytest.fixture
def poison_settings(settings: Settings) -> Iterator[Settings]:
    """Own queue names with a low delivery limit, and a MySQL that refuses connections."""
    run = f"livequiz.test.dlq.{uuid.uuid4().hex[:8]}"
    names = {
        "exchange": run,
        "persist_queue": f"{run}.persist",
        "broadcast_queue": f"{run}.broadcast",
        "deadline_queue": f"{run}.deadline",
    }
    yield settings.model_copy(
        update={"mysql_url": MYSQL_DOWN, "delivery_limit": DELIVERY_LIMIT, **names}
    )
    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    channel = connection.channel()
    for queue in (names["persist_queue"], names["broadcast_queue"], names["deadline_queue"]):
        channel.queue_delete(queue)
        channel.queue_delete(queue + events.DEAD_LETTER_EXCHANGE_SUFFIX)
    channel.exchange_delete(run)
    channel.exchange_delete(run + events.DEAD_LETTER_EXCHANGE_SUFFIX)
    connection.close()


def dead_queue_depth(settings: Settings) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    try:
        queue = settings.persist_queue + events.DEAD_LETTER_EXCHANGE_SUFFIX
        declared = connection.channel().queue_declare(queue, passive=True)
        return int(declared.method.message_count)
    finally:
        connection.close()


@pytest.mark.usefixtures("off_lambda", "own_publisher")
def test_delivery_limit_dead_letter_counted(
    poison_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(persist_function, "get_settings", lambda: poison_settings)
    monkeypatch.setattr(metrics, "get_settings", lambda: poison_settings, raising=False)
    dead_before = sample("dead_lettered_total", {"queue": "persist"})
    errors_before = sample("function_errors_total", {"function": "persist"})
    mappings = start_mappings(
        {poison_settings.persist_queue: "functions.persist.handler.handler"},
        poison_settings,
        batch_size=10,
        batching_window_s=0.1,
        function_timeout_s=30,
    )
    try:
        assert mappings[0].consuming.wait(WAIT_S)
        game_id = uuid.uuid4().hex
        at_ms = events.now_ms()
        started = Event(
            "game.started",
            game_id,
            f"started:{game_id}",
            at_ms,
            {"question_count": 2, "started_at_ms": at_ms},
        )
        events.publisher(poison_settings).publish("game.started", started)
        deadline = time.monotonic() + WAIT_S
        while dead_queue_depth(poison_settings) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        for mapping in mappings:
            mapping.stop()
    assert dead_queue_depth(poison_settings) == 1
    # The first delivery and one per allowed redelivery all failed.
    failures = sample("function_errors_total", {"function": "persist"}) - errors_before
    assert failures == DELIVERY_LIMIT + 1
    assert sample("dead_lettered_total", {"queue": "persist"}) == dead_before + 1
