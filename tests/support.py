"""Helpers for tests that drive the Lambda handlers with AWS-shaped events."""

import base64
import copy
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from functions.answer import deadline as deadline_function
from functions.answer import handler as answer_function
from functions.connect import handler as connect_function
from livequiz import rules
from livequiz.config import Settings
from livequiz.events import Event, delay_queue_name, now_ms
from livequiz.ids import GameId, PlayerId, new_game_id, new_player_id
from livequiz.local.routes import LambdaContext
from livequiz.services import game_store
from livequiz.store import GameStore
from livequiz.tokens import Claims, TokenKind, issue

EVENTS = Path(__file__).parent / "events"


def load_event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def context(name: str = "test") -> LambdaContext:
    return LambdaContext(name, 30.0, "us-east-1")


def question(correct: int = 1, limit_s: int = 10, choices: int = 4) -> dict[str, Any]:
    return {
        "type": "single",
        "text": f"Which one is right? ({uuid.uuid4().hex[:6]})",
        "choices": [f"choice {index}" for index in range(choices)],
        "correct": correct,
        "limit_ms": limit_s * 1000,
    }


@dataclass
class GameFixture:
    """A game in Redis with players, driven through the connect and answer handlers."""

    settings: Settings
    questions: list[dict[str, Any]]
    host_user_id: int = 4242
    game_id: GameId = field(default_factory=new_game_id)
    players: dict[str, PlayerId] = field(default_factory=dict)
    options: rules.GameOptions | None = None

    def __post_init__(self) -> None:
        self.pin = self.store.create_game(
            self.game_id, 1, self.host_user_id, "Test quiz", self.questions, self.options
        )

    @property
    def store(self) -> GameStore:
        return game_store()

    def add_player(self, nickname: str) -> PlayerId:
        player_id = new_player_id()
        self.store.add_player(self.game_id, player_id, nickname, nickname.casefold(), None)
        self.players[nickname] = player_id
        return player_id

    def open_first_question(self) -> None:
        """Open question 0 directly in Redis, as the host's start would."""
        state = self.store.state(self.game_id)
        first = self.questions[0]
        decision = rules.open_question(
            state,
            rules.Action.START,
            now_ms(),
            first["limit_ms"],
            previous_scored=False,
        )
        assert self.store.transition(self.game_id, state, decision.fields())

    def points(self, nickname: str, question: int) -> int:
        """The points stored for a player's answer, which the reveal shows."""
        stored = self.store.answer(self.game_id, question, self.players[nickname])
        assert stored is not None, f"{nickname} has no answer to question {question}"
        return int(stored["points"])

    def total(self, nickname: str) -> int:
        return self.store.player_score(self.game_id, self.players[nickname])[0]

    def player_token(self, nickname: str) -> str:
        claims = Claims(TokenKind.PLAYER, self.players[nickname], game_id=self.game_id)
        return issue(self.settings, claims)

    def host_token(self) -> str:
        claims = Claims(TokenKind.HOST, str(self.host_user_id), game_id=self.game_id)
        return issue(self.settings, claims)

    def connect(
        self, token: str | None, connection_id: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        connection_id = connection_id or f"{uuid.uuid4().hex[:15]}="
        event = load_event("ws-connect.json")
        event["requestContext"]["connectionId"] = connection_id
        if token is None:
            del event["queryStringParameters"]
            del event["multiValueQueryStringParameters"]
        else:
            event["queryStringParameters"] = {"token": token}
            event["multiValueQueryStringParameters"] = {"token": [token]}
        return connection_id, connect_function.connect(event, context("connect"))

    def disconnect(self, connection_id: str) -> dict[str, Any]:
        event = load_event("ws-disconnect.json")
        event["requestContext"]["connectionId"] = connection_id
        return connect_function.disconnect(event, context("disconnect"))

    def send(self, connection_id: str, body: str | dict[str, Any]) -> dict[str, Any]:
        """Send one message and return the reply frame that the route response carries."""
        event = copy.deepcopy(load_event("ws-message.json"))
        event["requestContext"]["connectionId"] = connection_id
        event["body"] = body if isinstance(body, str) else json.dumps(body)
        response = answer_function.handler(event, context("answer"))
        assert response["statusCode"] == 200
        reply: dict[str, Any] = json.loads(response["body"])
        return reply


def drain(settings: Settings, queue: str, game_id: str) -> list[dict[str, Any]]:
    """Take the messages of ``game_id`` off ``queue``, requeueing the rest; return their bodies."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    channel = connection.channel()
    found: list[dict[str, Any]] = []
    others: list[int] = []
    while True:
        method, _properties, body = channel.basic_get(queue)
        if method is None:
            break
        message = json.loads(body)
        if message["game"] == game_id:
            found.append(message)
            channel.basic_ack(method.delivery_tag)
        else:
            others.append(method.delivery_tag)
    for tag in others:
        channel.basic_nack(tag, requeue=True)
    connection.close()
    return found


def rmq_event(queue: str, events: list[Event]) -> dict[str, Any]:
    """Build the ``aws:rmq`` event that Amazon MQ sends for ``events`` taken from ``queue``."""
    return {
        "eventSource": "aws:rmq",
        "eventSourceArn": "arn:aws:mq:us-east-1:000000000000:broker:test:b-test",
        "rmqMessagesByQueue": {
            f"{queue}::/": [
                {
                    "basicProperties": {"messageId": event.id},
                    "redelivered": False,
                    "data": base64.b64encode(event.to_json()).decode(),
                }
                for event in events
            ]
        },
    }


def drain_timers(settings: Settings, game_id: str, delay_ms: int) -> list[Event]:
    """Take a game's timers off the delay queue of ``delay_ms``, and off the deadline queue in
    case the broker already expired them there."""
    queue = delay_queue_name(settings.exchange, delay_ms)
    found = drain(settings, queue, game_id) + drain(settings, settings.deadline_queue, game_id)
    return [Event.from_json(json.dumps(message).encode()) for message in found]


def recheck_timers(settings: Settings, game_id: str) -> list[Event]:
    """Take a game's answered checks (``question.recheck``) off their queues."""
    return drain_timers(settings, game_id, settings.player_grace_s * 1000)


def fire_due(settings: Settings, timers: list[Event]) -> None:
    """Run the deadline function on ``timers`` as if they were due now.

    The deadline function reads the real clock, not a test's, so each is made due at once.
    """
    due = [
        Event(timer.type, timer.game_id, timer.id, timer.at_ms, {**timer.data, "deadline_ms": 0})
        for timer in timers
    ]
    deadline_function.handler(rmq_event(settings.deadline_queue, due), context("deadline"))
