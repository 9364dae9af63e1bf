"""A publisher whose idle connection the broker dropped reconnects with one warning of ours.

The broker closes a connection that missed its heartbeats, as it does with a Lambda
environment frozen between invocations. pika then logs ERROR records with tracebacks, which
``ConnectionLossFilter`` demotes, since the publisher reconnects and nothing is lost.
"""

import logging
import time
import uuid
from collections.abc import Iterator

import pika
import pytest

from livequiz import events
from livequiz.config import Settings
from livequiz.events import Event, Publisher
from tests.conftest import delete_topology, scaled

# Seconds between heartbeats: the broker drops the connection after two missed ones.
HEARTBEAT_S = 1


@pytest.fixture
def idle_settings(settings: Settings) -> Iterator[Settings]:
    """Settings of a topology of this test alone, on connections with a 1 s heartbeat."""
    name = f"livequiz.test.idle.{uuid.uuid4().hex[:8]}"
    separator = "&" if "?" in settings.rabbitmq_url else "?"
    own = settings.model_copy(
        update={
            "rabbitmq_url": f"{settings.rabbitmq_url}{separator}heartbeat={HEARTBEAT_S}",
            "exchange": name,
            "persist_queue": f"{name}.persist",
            "broadcast_queue": f"{name}.broadcast",
            "deadline_queue": f"{name}.deadline",
        }
    )
    yield own
    delete_topology(own)


def test_idle_publisher_reconnects_quietly(
    idle_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    events.demote_connection_loss_logs()
    caplog.set_level(logging.INFO)
    publisher = Publisher(idle_settings)
    publisher.declare()
    # Long past two missed heartbeats, so the broker has dropped the connection.
    time.sleep(scaled(5 * HEARTBEAT_S))
    event_id = f"idle-{uuid.uuid4().hex}"
    publisher.publish("game.started", Event("game.started", "g-idle", event_id, 1000, {}))
    publisher.close()

    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == []
    warnings = [
        record.getMessage() for record in caplog.records if record.levelno == logging.WARNING
    ]
    assert len(warnings) == 1
    assert event_id in warnings[0]

    connection = pika.BlockingConnection(pika.URLParameters(idle_settings.rabbitmq_url))
    channel = connection.channel()
    method, properties, _ = channel.basic_get(idle_settings.persist_queue, auto_ack=True)
    connection.close()
    assert method is not None, "the event did not reach the persist queue"
    assert properties.message_id == event_id
