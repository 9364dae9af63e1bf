from collections.abc import Callable, Iterator

import pytest

from livequiz.config import Settings
from tests.support import GameFixture, question


class Clock:
    """Server time for the answer function, in milliseconds, moved by the test."""

    def __init__(self, start_ms: int) -> None:
        self.ms = start_ms

    def __call__(self) -> int:
        return self.ms

    def advance(self, ms: int) -> None:
        self.ms += ms


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fake = Clock(1_900_000_000_000)
    monkeypatch.setattr("functions.answer.handler.now_ms", fake)
    yield fake


@pytest.fixture
def make_game(settings: Settings) -> Callable[..., GameFixture]:
    def build(question_count: int = 3, limit_s: int = 10) -> GameFixture:
        return GameFixture(
            settings, [question(correct=1, limit_s=limit_s) for _ in range(question_count)]
        )

    return build
