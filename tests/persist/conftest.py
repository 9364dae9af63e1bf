"""Fixtures of the persist tests: a scratch database, own RabbitMQ names and a seeded game."""

import base64
import copy
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pika
import pytest
import sqlalchemy as sa
from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsContext
from sqlalchemy.engine import Engine

from functions.persist import handler as persist_function
from livequiz import db, events
from livequiz.config import Settings
from livequiz.ids import new_game_id, new_player_id
from livequiz.local.routes import LambdaContext
from tests.scratch_db import scratch_database

EVENTS = Path(__file__).resolve().parents[1] / "events"


@pytest.fixture(scope="session")
def persist_settings(settings: Settings) -> Iterator[Settings]:
    run = f"livequiz.test.persist.{uuid.uuid4().hex[:8]}"
    names = {
        "exchange": run,
        "persist_queue": f"{run}.persist",
        "broadcast_queue": f"{run}.broadcast",
        "deadline_queue": f"{run}.deadline",
    }
    with scratch_database(settings.mysql_url, "persist") as url:
        yield settings.model_copy(update={"mysql_url": url, **names})
    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    channel = connection.channel()
    for queue in (names["persist_queue"], names["broadcast_queue"], names["deadline_queue"]):
        channel.queue_delete(queue)
        channel.queue_delete(queue + events.DEAD_LETTER_EXCHANGE_SUFFIX)
    channel.exchange_delete(run)
    channel.exchange_delete(run + events.DEAD_LETTER_EXCHANGE_SUFFIX)
    connection.close()


@pytest.fixture
def engine(persist_settings: Settings) -> Engine:
    return db.engine(persist_settings.mysql_url)


@pytest.fixture
def own_publisher() -> Iterator[None]:
    """Close the publisher that the code under test opens, and restore the thread's previous one.

    ``events.publisher`` keeps one publisher per thread. Leaving ours open, or dropping
    another suite's without closing it, would leak a RabbitMQ connection.
    """
    previous = getattr(events._local, "publisher", None)
    yield
    current = getattr(events._local, "publisher", None)
    if current is not None and current is not previous:
        current.close()
    events._local.publisher = previous


@dataclass(frozen=True)
class SeededGame:
    game_id: str
    alice: str
    bob: str

    def bodies(self) -> list[dict[str, Any]]:
        """Return the events of persist-game.json with this game's ids filled in."""
        text = (EVENTS / "persist-game.json").read_text()
        for name, value in (("game", self.game_id), ("alice", self.alice), ("bob", self.bob)):
            text = text.replace("{" + name + "}", value)
        loaded: list[dict[str, Any]] = json.loads(text)
        return loaded


@pytest.fixture
def seeded_game(engine: Engine) -> SeededGame:
    """Insert a user, a quiz, a game in the lobby and two players, as the REST API would."""
    game = SeededGame(new_game_id(), new_player_id(), new_player_id())
    with engine.begin() as connection:
        user_id = connection.execute(
            sa.insert(db.users).values(
                email=f"{uuid.uuid4().hex}@example.com", display_name="Host", password_hash="x"
            )
        ).lastrowid
        quiz_id = connection.execute(
            sa.insert(db.quizzes).values(owner_id=user_id, title="Quiz", source="json")
        ).lastrowid
        connection.execute(
            sa.insert(db.games).values(
                id=game.game_id,
                quiz_id=quiz_id,
                host_user_id=user_id,
                pin="123456",
                question_count=2,
            )
        )
        for player_id, nickname in ((game.alice, "Alice"), (game.bob, "Bob")):
            connection.execute(
                sa.insert(db.game_players).values(
                    game_id=game.game_id,
                    player_id=player_id,
                    nickname=nickname,
                    nickname_key=nickname.casefold(),
                )
            )
    return game


def rmq_event(settings: Settings, bodies: list[dict[str, Any] | bytes]) -> dict[str, Any]:
    """Build an ``aws:rmq`` event from rmq-persist.json with one message per body."""
    template = json.loads((EVENTS / "rmq-persist.json").read_text())
    sample = template["rmqMessagesByQueue"].pop("livequiz.persist::/")[0]
    messages = []
    for body in bodies:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        message = copy.deepcopy(sample)
        message["data"] = base64.b64encode(raw).decode()
        message["basicProperties"]["bodySize"] = len(raw)
        if isinstance(body, dict):
            message["basicProperties"]["messageId"] = body["id"]
            message["basicProperties"]["type"] = body["type"]
        messages.append(message)
    template["rmqMessagesByQueue"][f"{settings.persist_queue}::/"] = messages
    event: dict[str, Any] = template
    return event


def drain_dead_letters(settings: Settings) -> list[tuple[bytes, dict[str, Any]]]:
    """Take every message off this run's persist dead-letter queue: (body, headers) pairs."""
    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    channel = connection.channel()
    taken = []
    while True:
        method, properties, body = channel.basic_get(
            settings.persist_queue + events.DEAD_LETTER_EXCHANGE_SUFFIX, auto_ack=True
        )
        if method is None:
            break
        taken.append((body, dict(properties.headers or {})))
    connection.close()
    return taken


@pytest.fixture
def dead_letters(persist_settings: Settings) -> Iterator[Callable[[], list[tuple[bytes, Any]]]]:
    """Empty the dead-letter queue before the test and return a function that drains it."""
    connection = pika.BlockingConnection(pika.URLParameters(persist_settings.rabbitmq_url))
    events.declare_topology(connection.channel(), persist_settings)
    connection.close()
    drain_dead_letters(persist_settings)
    yield lambda: drain_dead_letters(persist_settings)


@pytest.fixture
def run(
    persist_settings: Settings, monkeypatch: pytest.MonkeyPatch, own_publisher: None
) -> Callable[[list[Any]], dict[str, int]]:
    """Invoke the Lambda handler with an aws:rmq event carrying ``bodies``."""
    monkeypatch.setattr(persist_function, "get_settings", lambda: persist_settings)

    def invoke(bodies: list[Any]) -> dict[str, int]:
        event = rmq_event(persist_settings, bodies)
        context = cast(PowertoolsContext, LambdaContext("persist", 30.0, "us-east-1"))
        return persist_function.handler(event, context)

    return invoke
