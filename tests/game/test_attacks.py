"""Attacks on the game features through the real handlers and services: races, odd input and
leaks of results before the reveal."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from livequiz import broadcast
from livequiz.events import Event
from livequiz.ids import ConnectionId, GameId
from livequiz.store import HOST, ConnectionRecord, GameStore, Role
from tests.game.conftest import Table, single


def _events(table: Table, queue: str | None = None) -> list[Event]:
    return [Event.from_json(json.dumps(body).encode()) for body in table.events(queue)]


def test_nested_message_gets_error_frame(make_table: Callable[..., Table]) -> None:
    # 4,000 bytes, under the 4,096-byte message limit, nested deeper than json's recursion limit.
    table = make_table([single()])
    reply = table.game.send(table.connections["Ada"], "[" * 2000 + "]" * 2000)
    assert reply["type"] == "error"
    assert reply["code"] == "invalid_json"


def test_poll_streak_after_missed_question(make_table: Callable[..., Table]) -> None:
    # Ada is right on question 0, gives no answer to question 1, then answers the poll.
    poll = {"type": "poll", "text": "Cats or dogs?", "choices": ["Cats", "Dogs"], "time_limit": 10}
    table = make_table([single(1), single(2), poll], streak_bonus=True)
    table.command("start")
    assert table.answer("Ada", 0, choice=1)["accepted"] is True
    assert table.answer("Bob", 0, choice=1)["accepted"] is True
    table.command("next")
    assert table.answer("Bob", 1, choice=2)["accepted"] is True
    table.command("skip")
    table.command("next")
    assert table.answer("Ada", 2, choice=0)["accepted"] is True
    ada = table.game.store.answer(table.game_id, 2, table.game.players["Ada"])
    bob = table.game.store.answer(table.game_id, 2, table.game.players["Bob"])
    assert ada is not None
    # The missing answer to question 1 broke Ada's run, so the poll answer carries streak 0.
    assert ada["streak"] == 0
    assert bob is None


def test_end_keeps_every_accepted_answer(
    make_table: Callable[..., Table], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ada answers while the host's end is running, after the question's close and before the
    # ranking is read: the close refuses her answer, so the final totals hold every accepted one.
    table = make_table([single(1), single(1)])
    table.command("start")
    original = GameStore.ranking
    replies: list[dict[str, Any]] = []

    def answer_then_ranking(self: GameStore, game_id: GameId) -> Any:
        if not replies:
            replies.append(table.answer("Ada", 0, choice=1))
        return original(self, game_id)

    monkeypatch.setattr(GameStore, "ranking", answer_then_ranking)
    assert table.command("end")["type"] == "ok"
    monkeypatch.setattr(GameStore, "ranking", original)
    assert replies[0]["code"] == "question_not_open"
    events = _events(table)
    ended = [event for event in events if event.type == "game.ended"]
    assert len(ended) == 1
    final = {player["player_id"]: player["total"] for player in ended[0].data["players"]}
    assert final[table.game.players["Ada"]] == table.game.total("Ada") == 0
    closed = [event.data["reason"] for event in events if event.type == "question.closed"]
    assert closed == ["ended"]


def test_reveal_frame_survives_pause_and_resume(make_table: Callable[..., Table]) -> None:
    # The question closes and is revealed; the host pauses and resumes before broadcast runs.
    table = make_table([single(1), single(1)])
    table.command("start")
    table.answer("Ada", 0, choice=1)
    table.answer("Bob", 0, choice=0)
    assert table.game.store.state(table.game.game_id).revealed is True
    assert table.command("pause")["type"] == "ok"
    assert table.command("resume")["type"] == "ok"
    state = table.game.store.state(table.game.game_id)
    planned = broadcast.plan(_events(table), state)
    kinds = [frame.type for frame in planned]
    assert "question_closed" in kinds
    assert "reveal" in kinds


@pytest.mark.parametrize("leaderboard", ["end", "never"])
def test_reveal_hides_rank_without_leaderboard(
    make_table: Callable[..., Table], leaderboard: str
) -> None:
    table = make_table([single(1), single(1)], leaderboard=leaderboard)
    table.command("start")
    table.answer("Ada", 0, choice=1)
    table.answer("Bob", 0, choice=0)
    store = table.game.store
    state = store.state(table.game.game_id)
    planned = broadcast.plan(_events(table), state)
    rendered = broadcast.render(store, table.game.game_id, planned, state)
    frames = [json.loads(raw) for raw in rendered[table.connections["Ada"]]]
    reveal = next(frame for frame in frames if frame["type"] == "reveal")
    assert "top" not in reveal
    assert reveal["you"]["correct"] is True
    # Only the final frame (or no frame at all) may show where the player stands.
    assert "rank" not in reveal["you"]
    # Survey mode shows no points either, since they would add up to the hidden score.
    hidden = {"points", "bonus", "streak", "score"} if leaderboard == "never" else set()
    assert hidden.isdisjoint(reveal["you"])


def test_host_reconnecting_before_old_disconnect_keeps_game(
    make_table: Callable[..., Table],
) -> None:
    # The host's phone reconnects before API Gateway runs $disconnect for the dropped
    # connection: the game must not count the host as gone.
    table = make_table([single(time_limit=60), single()])
    table.command("start")
    _, response = table.game.connect(table.game.host_token())
    assert response == {"statusCode": 200}
    table.game.disconnect(table.host)
    # Not marked gone, so no host timer was set either.
    assert table.game.store.state(table.game_id).host_gone_at_ms == 0


def test_host_check_ignored_while_host_connected(make_table: Callable[..., Table]) -> None:
    table = make_table([single(time_limit=60), single()])
    table.command("start")
    table.clock.advance(1000)
    table.game.disconnect(table.host)
    grace_ms = table.settings.host_grace_s * 1000
    checks = table.timers(grace_ms)
    # The host is back on a connection whose $connect did not clear the mark.
    store = table.game.store
    store.connect(
        ConnectionRecord(ConnectionId("BackHost0001="), GameId(table.game_id), Role.HOST, HOST)
    )
    table.clock.advance(grace_ms)
    table.fire(checks)
    assert table.phase() == "question_open"
    assert store.state(table.game_id).host_gone_at_ms == 0


def test_sync_hides_score_in_survey_mode(make_table: Callable[..., Table]) -> None:
    table = make_table([single(1), single(1)], leaderboard="never")
    table.command("start")
    table.answer("Ada", 0, choice=1)
    table.answer("Bob", 0, choice=0)
    assert table.phase() == "question_closed"
    sync = table.game.send(table.connections["Ada"], {"action": "sync"})
    assert "score" not in sync["you"]
    assert "streak" not in sync["you"]
    assert "points" not in sync["you"]["answer"]
    assert sync["you"]["answer"]["correct"] is True
    assert "points" not in sync["reveal"]["you"]


def test_games_shuffle_ordering_items_at_random(make_table: Callable[..., Table]) -> None:
    from livequiz.quizzes import parse_quiz, redis_questions

    items = ["Rome", "Paris", "London", "Berlin", "Ottawa"]
    quiz = parse_quiz(
        {"title": "T", "questions": [{"type": "ordering", "text": "Oldest first", "items": items}]}
    )
    shown = {tuple(redis_questions(quiz.questions)[0]["shown"]) for _ in range(20)}
    # Drawn from the system's random source: 20 games of 5 items all alike is a 1 in 119**19
    # chance, and none shows the right order.
    assert len(shown) > 1
    assert tuple(range(len(items))) not in shown
