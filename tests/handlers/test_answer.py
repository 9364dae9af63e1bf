import json
import time
import uuid
from typing import Any

import pytest

from functions.answer import deadline as deadline_function
from livequiz.config import Settings
from livequiz.events import Event
from tests.handlers.conftest import Clock
from tests.support import GameFixture, context, drain, fire_due, recheck_timers, rmq_event


def started_game(
    make_game, clock: Clock, players: tuple[str, ...] = ("Ada", "Bob"), **options: Any
):
    game: GameFixture = make_game(**options)
    connections = {}
    for nickname in players:
        game.add_player(nickname)
        connections[nickname], _ = game.connect(game.player_token(nickname))
    host, _ = game.connect(game.host_token())
    reply = game.send(host, {"action": "start"})
    assert reply == {
        "type": "ok",
        "action": "start",
        "question": 0,
        "deadline_ms": clock.ms + 10_000,
    }
    return game, host, connections


def test_duplicate_frames_score_once(make_game, clock: Clock, settings: Settings) -> None:
    game, _, connections = started_game(make_game, clock)
    clock.advance(2000)
    first = game.send(connections["Ada"], {"action": "answer", "question": 0, "choice": 1})
    clock.advance(5)
    second = game.send(connections["Ada"], {"action": "answer", "question": 0, "choice": 2})
    assert first == {"type": "answer_received", "question": 0, "accepted": True}
    assert game.points("Ada", 0) == 900
    assert second == {
        "type": "error",
        "code": "already_answered",
        "message": "you have already answered question 0",
        "action": "answer",
    }
    assert game.store.ranking(game.game_id)[0].score == 900
    assert game.store.answers(game.game_id, 0)[game.players["Ada"]]["choice"] == 1
    accepted = [
        m
        for m in drain(settings, settings.persist_queue, game.game_id)
        if m["type"] == "answer.accepted"
    ]
    # The duplicate re-publishes the stored answer under the same id, which persist stores once.
    assert {message["id"] for message in accepted} == {
        f"answer:{game.game_id}:0:{game.players['Ada']}"
    }
    assert all(message["data"]["choice"] == 1 for message in accepted)


def test_client_time_fields_are_ignored(make_game, clock: Clock) -> None:
    game, _, connections = started_game(make_game, clock)
    clock.advance(4000)
    future = int(time.time() * 1000) + 3_600_000
    reply = game.send(
        connections["Ada"],
        {"action": "answer", "question": 0, "choice": 1, "elapsed_ms": 0, "timestamp": future},
    )
    assert reply["accepted"]
    assert game.points("Ada", 0) == 800


def test_answer_after_deadline_is_too_late(make_game, clock: Clock) -> None:
    game, _, connections = started_game(make_game, clock)
    clock.advance(10_200)
    reply = game.send(connections["Ada"], {"action": "answer", "question": 0, "choice": 1})
    assert reply["code"] == "too_late"
    assert game.store.answers(game.game_id, 0) == {}
    assert game.store.ranking(game.game_id)[0].score == 0


def test_old_timer_never_closes_next_question(make_game, clock: Clock, settings: Settings) -> None:
    game, host, connections = started_game(make_game, clock)
    clock.advance(1000)
    for connection_id in connections.values():
        game.send(connection_id, {"action": "answer", "question": 0, "choice": 1})
    assert game.store.state(game.game_id).phase == "question_closed"
    opened = game.send(host, {"action": "next"})
    assert opened["question"] == 1
    # The timer of question 0 (round 1) fires now, while question 1 (round 2) is open.
    stale = Event(
        "question.deadline",
        game.game_id,
        f"deadline:{game.game_id}:1",
        clock.ms,
        {"question": 0, "round": 1, "deadline_ms": clock.ms - 1},
    )
    result = deadline_function.handler(
        rmq_event(settings.deadline_queue, [stale]), context("deadline")
    )
    assert result == {"processed": 1, "closed": 0}
    state = game.store.state(game.game_id)
    assert state.phase == "question_open"
    assert state.question == 1


def test_deadline_closes_question_without_host(make_game, clock: Clock, settings: Settings) -> None:
    game, host, _ = started_game(make_game, clock)
    game.disconnect(host)
    state = game.store.state(game.game_id)
    due = Event(
        "question.deadline",
        game.game_id,
        f"deadline:{game.game_id}:{state.round}",
        clock.ms,
        {"question": 0, "round": state.round, "deadline_ms": int(time.time() * 1000)},
    )
    result = deadline_function.handler(
        rmq_event(settings.deadline_queue, [due]), context("deadline")
    )
    assert result == {"processed": 1, "closed": 1}
    assert game.store.state(game.game_id).phase == "question_closed"
    messages = drain(settings, settings.broadcast_queue, game.game_id)
    closed = [m for m in messages if m["type"] == "question.closed"]
    assert len(closed) == 1
    assert closed[0]["data"]["reason"] == "deadline"
    # The game reveals by itself when the question closes.
    revealed = [m for m in messages if m["type"] == "question.revealed"]
    assert [m["data"]["correct"] for m in revealed] == [1]


def test_all_answered_closes_early(make_game, clock: Clock) -> None:
    game, _, connections = started_game(make_game, clock)
    clock.advance(700)
    game.send(connections["Ada"], {"action": "answer", "question": 0, "choice": 1})
    assert game.store.state(game.game_id).phase == "question_open"
    game.send(connections["Bob"], {"action": "answer", "question": 0, "choice": 3})
    assert game.store.state(game.game_id).phase == "question_closed"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("this is not json", "invalid_json"),
        ("[1, 2]", "invalid_message"),
        ({"action": "dance"}, "unknown_action"),
        ({"action": "answer", "choice": 1}, "missing_field"),
        ({"action": "answer", "question": 0}, "missing_field"),
        ({"action": "answer", "question": "0", "choice": 1}, "invalid_field"),
        ({"action": "answer", "question": 0, "choice": True}, "invalid_answer"),
        ({"action": "answer", "question": 0, "choice": 9}, "invalid_choice"),
        ({"action": "answer", "question": 1, "choice": 1}, "question_not_open"),
        ({"action": "answer", "question": 42, "choice": 1}, "unknown_question"),
        ({"action": "answer", "question": 0, "choice": 1, "pad": "x" * 5000}, "message_too_large"),
        ({"action": "start"}, "not_host"),
    ],
)
def test_bad_input_gets_error_frame(make_game, clock: Clock, body: Any, code: str) -> None:
    game, _, connections = started_game(make_game, clock)
    clock.advance(1000)
    reply = game.send(connections["Ada"], body)
    assert reply["type"] == "error"
    assert reply["code"] == code
    assert reply["message"]
    assert game.store.answers(game.game_id, 0) == {}
    assert game.store.connection(connections["Ada"]) is not None
    # The connection still works after the error.
    assert game.send(connections["Ada"], {"action": "answer", "question": 0, "choice": 1})[
        "accepted"
    ]
    assert game.points("Ada", 0) == 950


def test_closed_question_rejects_answers(make_game, clock: Clock) -> None:
    game, _, connections = started_game(make_game, clock, players=("Ada", "Bob", "Cy"))
    clock.advance(1000)
    game.send(connections["Ada"], {"action": "answer", "question": 0, "choice": 1})
    game.send(connections["Bob"], {"action": "answer", "question": 0, "choice": 1})
    game.disconnect(connections["Cy"])
    state = game.store.state(game.game_id)
    deadline = Event(
        "question.deadline",
        game.game_id,
        "x",
        clock.ms,
        {"question": 0, "round": state.round, "deadline_ms": 0},
    )
    deadline_function.handler(
        rmq_event(game.settings.deadline_queue, [deadline]), context("deadline")
    )
    reconnected, _ = game.connect(game.player_token("Cy"))
    reply = game.send(reconnected, {"action": "answer", "question": 0, "choice": 1})
    assert reply["code"] == "question_not_open"


def test_unregistered_connection_is_rejected(make_game, clock: Clock) -> None:
    game, _, _ = started_game(make_game, clock)
    reply = game.send(f"{uuid.uuid4().hex[:15]}=", {"action": "answer", "question": 0, "choice": 1})
    assert reply["code"] == "not_connected"


def test_host_next_ends_after_last_question(make_game, clock: Clock, settings: Settings) -> None:
    game, host, connections = started_game(make_game, clock, question_count=1)
    clock.advance(600)
    game.send(connections["Ada"], {"action": "answer", "question": 0, "choice": 1})
    clock.advance(600)
    game.send(connections["Bob"], {"action": "answer", "question": 0, "choice": 1})
    reply = game.send(host, {"action": "next"})
    assert reply == {"type": "ok", "action": "next", "phase": "ended"}
    ended = [
        m
        for m in drain(settings, settings.persist_queue, game.game_id)
        if m["type"] == "game.ended"
    ]
    assert len(ended) == 1
    players = ended[0]["data"]["players"]
    assert [p["player_id"] for p in players] == [game.players["Ada"], game.players["Bob"]]
    assert [p["total"] for p in players] == [970, 940]
    assert json.dumps(ended[0]).count("token") == 0


def test_leaving_last_unanswered_player_closes(make_game, clock: Clock) -> None:
    game, _, connections = started_game(make_game, clock, players=("Ada", "Bob", "Cy"))
    clock.advance(800)
    game.send(connections["Ada"], {"action": "answer", "question": 0, "choice": 1})
    game.send(connections["Bob"], {"action": "answer", "question": 0, "choice": 2})
    assert game.store.state(game.game_id).phase == "question_open"
    game.disconnect(connections["Cy"])
    # Cy may be reloading the page: the question waits for the player grace period.
    assert game.store.state(game.game_id).phase == "question_open"
    timers = recheck_timers(game.settings, game.game_id)
    assert [timer.type for timer in timers] == ["question.recheck"]
    clock.advance(game.settings.player_grace_s * 1000)
    fire_due(game.settings, timers)
    assert game.store.state(game.game_id).phase == "question_closed"


def test_player_back_within_grace_keeps_question(make_game, clock: Clock) -> None:
    game, _, connections = started_game(make_game, clock, players=("Ada", "Bob"))
    clock.advance(800)
    game.send(connections["Ada"], {"action": "answer", "question": 0, "choice": 1})
    game.disconnect(connections["Bob"])
    timers = recheck_timers(game.settings, game.game_id)
    # Bob reloads and is back before the check, without an answer yet.
    back, _ = game.connect(game.player_token("Bob"))
    clock.advance(game.settings.player_grace_s * 1000)
    fire_due(game.settings, timers)
    assert game.store.state(game.game_id).phase == "question_open"
    reply = game.send(back, {"action": "answer", "question": 0, "choice": 1})
    assert reply["accepted"] is True
    assert game.store.state(game.game_id).phase == "question_closed"


def test_recheck_of_earlier_question_ignored(make_game, clock: Clock) -> None:
    game, host, connections = started_game(make_game, clock, players=("Ada", "Bob"))
    clock.advance(800)
    game.send(connections["Ada"], {"action": "answer", "question": 0, "choice": 1})
    game.disconnect(connections["Bob"])
    first = recheck_timers(game.settings, game.game_id)
    assert game.send(host, {"action": "skip"})["type"] == "ok"
    assert game.send(host, {"action": "next"})["type"] == "ok"
    # Bob is back for question 1, which Ada answers, and then leaves again.
    back, _ = game.connect(game.player_token("Bob"))
    game.send(connections["Ada"], {"action": "answer", "question": 1, "choice": 1})
    game.disconnect(back)
    second = recheck_timers(game.settings, game.game_id)
    # The check set during question 0 must not close question 1.
    fire_due(game.settings, first)
    assert game.store.state(game.game_id).phase == "question_open"
    fire_due(game.settings, second)
    assert game.store.state(game.game_id).phase == "question_closed"


def test_leaving_answered_player_keeps_question_open(make_game, clock: Clock) -> None:
    game, _, connections = started_game(make_game, clock, players=("Ada", "Bob", "Cy"))
    clock.advance(800)
    game.send(connections["Ada"], {"action": "answer", "question": 0, "choice": 1})
    game.disconnect(connections["Ada"])
    assert game.store.state(game.game_id).phase == "question_open"


def test_everyone_leaving_keeps_question_open(make_game, clock: Clock) -> None:
    game, _, connections = started_game(make_game, clock)
    for connection_id in connections.values():
        game.disconnect(connection_id)
    assert game.store.state(game.game_id).phase == "question_open"
