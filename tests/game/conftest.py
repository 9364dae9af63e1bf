"""Games of every question type and option, played through the real handlers.

The answer, connect and deadline functions all read the same fake clock, so deadlines, pauses
and elapsed times are exact. Timers are taken off their delay queues and fed to the deadline
function at once, instead of waiting for the broker to expire them.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from functions.answer import deadline as deadline_function
from livequiz.config import Settings
from livequiz.events import Event
from livequiz.quizzes import parse_quiz, redis_questions
from livequiz.rules import GameOptions
from tests.handlers.conftest import Clock
from tests.support import GameFixture, context, drain, drain_timers, rmq_event

START_MS = 1_900_000_000_000
# The order in which ordering questions of 2 to 4 items show them in these tests.
SHOWN_ORDERS = {2: [1, 0], 3: [2, 0, 1], 4: [2, 1, 0, 3]}


def single(correct: int = 1, **fields: Any) -> dict[str, Any]:
    """A single choice question of four choices and 10 s, in our quiz format."""
    question = {
        "text": f"Which one is choice {correct}?",
        "choices": ["zero", "one", "two", "three"],
        "correct": correct,
        "time_limit": 10,
    }
    question.update(fields)
    return question


@dataclass
class Table:
    """One game with its host and players connected, and helpers to play it."""

    game: GameFixture
    clock: Clock
    host: str
    connections: dict[str, str] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.game.settings

    @property
    def game_id(self) -> str:
        return self.game.game_id

    def join(self, nickname: str) -> str:
        """Add a player and connect them; return their connection id."""
        self.game.add_player(nickname)
        connection_id, response = self.game.connect(self.game.player_token(nickname))
        assert response == {"statusCode": 200}
        self.connections[nickname] = connection_id
        return connection_id

    def answer(self, nickname: str, question: int, **response: Any) -> dict[str, Any]:
        message = {"action": "answer", "question": question, **response}
        return self.game.send(self.connections[nickname], message)

    def command(self, action: str, **fields: Any) -> dict[str, Any]:
        return self.game.send(self.host, {"action": action, **fields})

    def phase(self) -> str:
        return self.game.store.state(self.game.game_id).phase.value

    def events(self, queue: str | None = None) -> list[dict[str, Any]]:
        """Take this game's events off the broadcast queue (or ``queue``), in order."""
        return drain(self.settings, queue or self.settings.broadcast_queue, self.game_id)

    def timers(self, delay_ms: int) -> list[Event]:
        """Take this game's timers off the delay queue of ``delay_ms``, and off the deadline
        queue in case the broker already expired them there."""
        return drain_timers(self.settings, self.game_id, delay_ms)

    def fire(self, timers: list[Event]) -> dict[str, Any]:
        """Run the deadline function on ``timers`` and return its result."""
        event = rmq_event(self.settings.deadline_queue, timers)
        result: dict[str, Any] = deadline_function.handler(event, context("deadline"))
        return result


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fake = Clock(START_MS)
    for module in ("functions.answer.handler", "functions.answer.deadline"):
        monkeypatch.setattr(f"{module}.now_ms", fake)
    monkeypatch.setattr("functions.connect.handler.now_ms", fake)
    yield fake


@pytest.fixture
def make_table(settings: Settings, clock: Clock) -> Callable[..., Table]:
    """Build a game of ``questions`` (our quiz format) in the lobby, with its host and
    ``players`` connected."""

    def build(
        questions: list[dict[str, Any]],
        players: tuple[str, ...] = ("Ada", "Bob"),
        **options: Any,
    ) -> Table:
        quiz = parse_quiz({"title": "Game test", "questions": questions})
        stored = redis_questions(quiz.questions)
        for item in stored:
            if "shown" in item:
                # Games shuffle ordering items at random; tests fix the order to answer exactly.
                item["shown"] = SHOWN_ORDERS[len(item["items"])]
        game = GameFixture(settings, stored, options=GameOptions(**options))
        host, response = game.connect(game.host_token())
        assert response == {"statusCode": 200}
        table = Table(game, clock, host)
        for nickname in players:
            table.join(nickname)
        return table

    return build


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [event for event in events if event["type"] == kind]
