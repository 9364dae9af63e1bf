"""Fixtures of the robustness tests, reused from the handler and REST API suites.

Every game these tests create in Redis is deleted after the test, so nothing is left behind
for the game TTL.
"""

from collections.abc import Callable, Iterator

import pytest

from livequiz.config import Settings
from livequiz.ids import GameId
from livequiz.services import game_store
from livequiz.store import GameStore
from tests.auth.conftest import (  # noqa: F401
    api_settings,
    client,
    close_import_loop,
    make_quiz,
    register,
)
from tests.handlers.conftest import Clock
from tests.support import GameFixture, question


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fake = Clock(1_900_000_000_000)
    monkeypatch.setattr("functions.answer.handler.now_ms", fake)
    yield fake


@pytest.fixture
def make_game(settings: Settings) -> Iterator[Callable[..., GameFixture]]:
    created: list[GameFixture] = []

    def build(question_count: int = 3, limit_s: int = 10) -> GameFixture:
        game = GameFixture(
            settings, [question(correct=1, limit_s=limit_s) for _ in range(question_count)]
        )
        created.append(game)
        return game

    yield build
    for game in created:
        delete_game(game_store(), game.game_id, game.pin)


def delete_game(store: GameStore, game_id: str, pin: str) -> None:
    """Delete every Redis key of a game: its own keys, its PIN and its connection records."""
    keys = list(store.redis.scan_iter(match=f"lq:{{{game_id}}}:*", count=1000))
    keys += [f"lq:conn:{connection}" for connection in store.connections(GameId(game_id))]
    keys.append(f"lq:pin:{pin}")
    store.redis.delete(*keys)
