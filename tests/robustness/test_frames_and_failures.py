"""Odd WebSocket frames, scoring edge cases, and publishes that fail after Redis changed."""

import json
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

from functions.answer import deadline as deadline_function
from livequiz.config import Settings
from livequiz.errors import ServiceError
from livequiz.events import Event, Publisher
from livequiz.rules import points_for
from tests.handlers.conftest import Clock
from tests.robustness.test_answer_races import messages_of, started
from tests.support import GameFixture, context, rmq_event


def exact_points(elapsed_ms: int, limit_ms: int) -> int:
    """Compute the README's rule in exact arithmetic: 1000 * (1 - (e / l) / 2), halves up."""
    exact = Fraction(1000) * (1 - Fraction(elapsed_ms, limit_ms) / 2)
    return int((exact + Fraction(1, 2)).__floor__())


@pytest.mark.parametrize(
    "body",
    [
        '{"action": "answer", "question": 1.0, "choice": 1}',
        '{"action": "answer", "question": 0, "choice": 1.0}',
        '{"action": "answer", "question": 0, "choice": NaN}',
        '{"action": "answer", "question": 0, "choice": Infinity}',
        '{"action": "answer", "question": 0, "choice": -Infinity}',
        '{"action": "answer", "question": 0, "choice": ' + "9" * 4000 + "}",
        '{"action": "answer", "question": 0, "choice": -1}',
        '{"action": "answer", "question": 0, "choice": 18446744073709551617}',
        '{"action": "answer", "question": -1, "choice": 1}',
        '{"action": "answer", "question": {"$gt": 0}, "choice": 1}',
        '{"action": "answer", "question": [0], "choice": 1}',
        '{"action": "answer", "question": null, "choice": 1}',
        '{"action": "answer", "question": 0, "choice": "1"}',
        '{"action": "answer", "question": 0, "choice": false}',
        '{"action": "answer", "question": 0, "choice": 1, "choice": 2, "choice": 9}',
        '"answer"',
        "null",
        "",
        "\x00",
        '{"action": "answer", "question": 0, "choice": 1',
        "[" * 3000 + "]" * 3000,
        '{"a":' * 1000 + "1" + "}" * 1000,
    ],
)
def test_malformed_answer_frames_rejected(
    make_game: Callable[..., GameFixture], clock: Clock, settings: Settings, body: str
) -> None:
    game, _, connections = started(make_game)
    clock.advance(1000)
    reply = game.send(connections["Ada"], body)
    assert reply["type"] == "error", reply
    assert game.store.answers(game.game_id, 0) == {}
    assert game.send(connections["Ada"], {"action": "answer", "question": 0, "choice": 1})[
        "accepted"
    ]
    assert game.points("Ada", 0) == 950
    messages_of(settings, game)


@pytest.mark.parametrize("padding", [4096 - 48, 4096 - 47, 4096 - 46])
def test_message_size_limit_boundary(
    make_game: Callable[..., GameFixture], clock: Clock, settings: Settings, padding: int
) -> None:
    game, _, connections = started(make_game)
    clock.advance(1000)
    body = json.dumps({"action": "answer", "question": 0, "choice": 1, "p": "x" * padding})
    size = len(body.encode())
    reply = game.send(connections["Ada"], body)
    if size <= 4096:
        assert reply.get("accepted") is True, (size, reply)
    else:
        assert reply["code"] == "message_too_large", (size, reply)
    messages_of(settings, game)


def test_multibyte_message_measured_in_bytes(
    make_game: Callable[..., GameFixture], clock: Clock
) -> None:
    game, _, connections = started(make_game)
    clock.advance(1000)
    # 1500 characters but 4500 bytes of UTF-8.
    body = json.dumps(
        {"action": "answer", "question": 0, "choice": 1, "p": "€" * 1500}, ensure_ascii=False
    )
    assert len(body) < 4096 < len(body.encode())
    assert game.send(connections["Ada"], body)["code"] == "message_too_large"


@pytest.mark.parametrize("action", [["start"], {"x": 1}])
def test_unhashable_action_gets_error_frame(
    make_game: Callable[..., GameFixture], clock: Clock, action: Any
) -> None:
    game, _, connections = started(make_game)
    reply = game.send(connections["Ada"], {"action": action, "question": 0, "choice": 1})
    assert reply["code"] == "unknown_action"


def test_scoring_matches_rule_on_common_values() -> None:
    assert points_for(True, 0, 10_000) == 1000
    assert points_for(True, 499, 10_000) == 1000
    assert points_for(True, 10_000, 10_000) == 500
    assert points_for(False, 700, 10_000) == 0
    assert points_for(True, 2500, 5000) == 750


@pytest.mark.parametrize(("elapsed_ms", "limit_ms"), [(1285, 5000), (2535, 5000), (1305, 5000)])
def test_scoring_rounds_exact_halves_up(elapsed_ms: int, limit_ms: int) -> None:
    assert points_for(True, elapsed_ms, limit_ms) == exact_points(elapsed_ms, limit_ms)


class FailOnce:
    """Replace a Publisher method so that its first call for one event type fails."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, method: str, event_type: str) -> None:
        self.original = getattr(Publisher, method)
        self.event_type = event_type
        self.failed = False
        self.published: list[str] = []
        spy = self

        def replacement(publisher: Publisher, first: Any, event: Event) -> None:
            if event.type == spy.event_type and not spy.failed:
                spy.failed = True
                raise ServiceError(f"publishing {event.type} {event.id} failed: injected")
            spy.original(publisher, first, event)
            spy.published.append(event.id)

        monkeypatch.setattr(Publisher, method, replacement)


def test_retried_start_heals_failed_deadline_publish(
    make_game: Callable[..., GameFixture],
    clock: Clock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    game = make_game()
    game.add_player("Ada")
    game.connect(game.player_token("Ada"))
    host, _ = game.connect(game.host_token())
    spy = FailOnce(monkeypatch, "publish_after", "question.deadline")
    try:
        with pytest.raises(ServiceError):
            game.send(host, {"action": "start"})
        retry = game.send(host, {"action": "start"})
        assert game.store.state(game.game_id).phase == "question_open"
        assert f"deadline:{game.game_id}:1" in spy.published, retry
    finally:
        messages_of(settings, game)


def test_retried_answer_heals_failed_close_publish(
    make_game: Callable[..., GameFixture],
    clock: Clock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    game, _, connections = started(make_game, ("Ada",))
    clock.advance(700)
    spy = FailOnce(monkeypatch, "publish", "question.closed")
    answer = {"action": "answer", "question": 0, "choice": 1}
    try:
        with pytest.raises(ServiceError):
            game.send(connections["Ada"], answer)
        game.send(connections["Ada"], answer)
        assert game.store.state(game.game_id).phase == "question_closed"
        assert f"closed:{game.game_id}:1" in spy.published
    finally:
        messages_of(settings, game)


def test_retried_next_heals_failed_end_publish(
    make_game: Callable[..., GameFixture],
    clock: Clock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    game = make_game(question_count=1)
    game.add_player("Ada")
    ada, _ = game.connect(game.player_token("Ada"))
    host, _ = game.connect(game.host_token())
    game.send(host, {"action": "start"})
    clock.advance(700)
    game.send(ada, {"action": "answer", "question": 0, "choice": 1})
    spy = FailOnce(monkeypatch, "publish", "game.ended")
    try:
        with pytest.raises(ServiceError):
            game.send(host, {"action": "next"})
        game.send(host, {"action": "next"})
        assert game.store.state(game.game_id).phase == "ended"
        assert f"ended:{game.game_id}" in spy.published
    finally:
        messages_of(settings, game)


def test_deadline_poison_keeps_good_deadlines(
    make_game: Callable[..., GameFixture], clock: Clock, settings: Settings
) -> None:
    game, _, _ = started(make_game)
    state = game.store.state(game.game_id)
    poison = Event("question.deadline", game.game_id, "deadline:poison", clock.ms, {})
    due = Event(
        "question.deadline",
        game.game_id,
        f"deadline:{game.game_id}:{state.round}",
        clock.ms,
        {"question": 0, "round": state.round, "deadline_ms": 0},
    )
    try:
        deadline_function.handler(
            rmq_event(settings.deadline_queue, [poison, due]), context("deadline")
        )
    finally:
        messages_of(settings, game)
    assert game.store.state(game.game_id).phase == "question_closed"
