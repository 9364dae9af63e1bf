"""Races between answers, host actions, timers and reconnects, driven through the handlers.

Each racing call runs in its own thread, and a barrier releases them together. Each thread
closes the RabbitMQ publisher that it opened, so no connection outlives the test.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

from functions.answer import deadline as deadline_function
from livequiz import events
from livequiz.config import Settings
from livequiz.events import Event
from tests.handlers.conftest import Clock
from tests.support import GameFixture, context, drain, rmq_event


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call in its own thread, all released together, and return results in call order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            current = getattr(events._local, "publisher", None)
            if current is not None:
                current.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def started(
    make_game: Callable[..., GameFixture], players: tuple[str, ...] = ("Ada", "Bob")
) -> tuple[GameFixture, str, dict[str, str]]:
    game = make_game()
    connections = {}
    for nickname in players:
        game.add_player(nickname)
        connections[nickname], _ = game.connect(game.player_token(nickname))
    host, _ = game.connect(game.host_token())
    assert game.send(host, {"action": "start"})["type"] == "ok"
    return game, host, connections


def messages_of(settings: Settings, game: GameFixture) -> list[dict[str, Any]]:
    found = drain(settings, settings.persist_queue, game.game_id)
    found += drain(settings, settings.broadcast_queue, game.game_id)
    return found


def test_concurrent_duplicate_answers_score_once(
    make_game: Callable[..., GameFixture], clock: Clock, settings: Settings
) -> None:
    game, _, connections = started(make_game)
    clock.advance(1500)
    ada = connections["Ada"]
    calls = [
        (
            lambda choice=choice: game.send(
                ada, {"action": "answer", "question": 0, "choice": choice}
            )
        )
        for choice in (1, 2, 1, 3, 1, 0, 1, 2, 1, 1, 3, 0)
    ]
    replies = race(calls)
    accepted = [reply for reply in replies if isinstance(reply, dict) and reply.get("accepted")]
    rejected = [
        reply for reply in replies if isinstance(reply, dict) and reply.get("type") == "error"
    ]
    assert len(accepted) == 1, replies
    assert len(rejected) == len(calls) - 1, replies
    assert {reply["code"] for reply in rejected} == {"already_answered"}
    stored = game.store.answers(game.game_id, 0)
    assert list(stored) == [game.players["Ada"]]
    total, _ = game.store.player_score(game.game_id, game.players["Ada"])
    assert total == stored[game.players["Ada"]]["points"]
    answer_ids = {
        message["id"]
        for message in messages_of(settings, game)
        if message["type"] == "answer.accepted"
    }
    assert answer_ids == {f"answer:{game.game_id}:0:{game.players['Ada']}"}


def test_answers_from_reconnect_storm_score_once(
    make_game: Callable[..., GameFixture], clock: Clock, settings: Settings
) -> None:
    """A player reconnects on many connections while answering on each of them."""
    game, _, _ = started(make_game)
    clock.advance(800)
    token = game.player_token("Ada")
    ids = [f"storm{index:02d}abcdefgh=" for index in range(10)]

    def connect_and_answer(connection_id: str) -> Any:
        game.connect(token, connection_id)
        return game.send(connection_id, {"action": "answer", "question": 0, "choice": 1})

    replies = race([lambda c=c: connect_and_answer(c) for c in ids])
    accepted = [reply for reply in replies if isinstance(reply, dict) and reply.get("accepted")]
    assert len(accepted) == 1, replies
    codes = {reply["code"] for reply in replies if reply.get("type") == "error"}
    assert codes <= {"already_answered", "not_connected"}, replies
    total, _ = game.store.player_score(game.game_id, game.players["Ada"])
    assert total == game.points("Ada", 0)
    online = game.store.redis.hgetall(game.store.key(game.game_id, "online"))
    live = online[game.players["Ada"]]
    assert game.store.connection(live) is not None
    stale = [c for c in ids if c != live]
    assert all(game.store.connection(c) is None for c in stale)
    messages_of(settings, game)


def test_start_sent_concurrently_opens_once(
    make_game: Callable[..., GameFixture], clock: Clock, settings: Settings
) -> None:
    game = make_game()
    game.add_player("Ada")
    game.connect(game.player_token("Ada"))
    hosts = [game.connect(game.host_token())[0] for _ in range(3)]
    calls = [(lambda h=h: game.send(h, {"action": "start"})) for h in hosts for _ in range(3)]
    replies = race(calls)
    oks = [reply for reply in replies if isinstance(reply, dict) and reply.get("type") == "ok"]
    assert len(oks) == 1, replies
    errors = {reply["code"] for reply in replies if reply.get("type") == "error"}
    assert errors <= {"wrong_phase", "state_changed"}
    state = game.store.state(game.game_id)
    assert (state.question, state.round) == (0, 1)
    found = messages_of(settings, game)
    assert len([m for m in found if m["type"] == "game.started"]) == 2  # persist and broadcast
    assert len([m for m in found if m["type"] == "question.opened"]) == 1


def test_next_twice_at_last_question_ends_once(
    make_game: Callable[..., GameFixture], clock: Clock, settings: Settings
) -> None:
    game = make_game(question_count=1)
    game.add_player("Ada")
    ada, _ = game.connect(game.player_token("Ada"))
    host, _ = game.connect(game.host_token())
    game.send(host, {"action": "start"})
    clock.advance(700)
    game.send(ada, {"action": "answer", "question": 0, "choice": 1})
    replies = race([lambda: game.send(host, {"action": "next"}) for _ in range(6)])
    ended = [reply for reply in replies if reply.get("phase") == "ended"]
    assert len(ended) == 1, replies
    assert {reply["code"] for reply in replies if reply.get("type") == "error"} <= {
        "wrong_phase",
        "state_changed",
    }
    found = drain(settings, settings.persist_queue, game.game_id)
    assert len([m for m in found if m["type"] == "game.ended"]) == 1
    drain(settings, settings.broadcast_queue, game.game_id)


def test_answers_racing_deadline_close(
    make_game: Callable[..., GameFixture], clock: Clock, settings: Settings
) -> None:
    """Every answer is either in the answers hash or rejected, never both or neither."""
    players = tuple(f"P{index}" for index in range(8))
    game, _, connections = started(make_game, players)
    clock.advance(10_000)  # exactly at the deadline, which still accepts answers
    state = game.store.state(game.game_id)
    due = Event(
        "question.deadline",
        game.game_id,
        f"deadline:{game.game_id}:{state.round}",
        clock.ms,
        {"question": 0, "round": state.round, "deadline_ms": int(time.time() * 1000)},
    )
    calls: list[Callable[[], Any]] = [
        (lambda c=c: game.send(c, {"action": "answer", "question": 0, "choice": 1}))
        for c in connections.values()
    ]
    calls.append(
        lambda: deadline_function.handler(
            rmq_event(settings.deadline_queue, [due]), context("deadline")
        )
    )
    results = race(calls)
    replies, closed = results[:-1], results[-1]
    assert isinstance(closed, dict), closed
    stored = game.store.answers(game.game_id, 0)
    for nickname, reply in zip(players, replies, strict=True):
        player = game.players[nickname]
        if reply.get("accepted"):
            assert player in stored
            assert stored[player]["points"] == 500
        else:
            assert reply["code"] == "question_not_open", reply
            assert player not in stored
    assert game.store.state(game.game_id).phase == "question_closed"
    closes = [
        m
        for m in drain(settings, settings.broadcast_queue, game.game_id)
        if m["type"] == "question.closed"
    ]
    assert len(closes) == 1
    assert closes[0]["data"]["answered"] == len(stored)
    drain(settings, settings.persist_queue, game.game_id)


def test_answer_on_old_question_after_next_rejected(
    make_game: Callable[..., GameFixture], clock: Clock, settings: Settings
) -> None:
    game, host, connections = started(make_game)
    clock.advance(600)
    game.send(connections["Ada"], {"action": "answer", "question": 0, "choice": 1})
    game.send(connections["Bob"], {"action": "answer", "question": 0, "choice": 1})
    replies = race(
        [
            lambda: game.send(host, {"action": "next"}),
            lambda: game.send(connections["Ada"], {"action": "answer", "question": 0, "choice": 2}),
            lambda: game.send(connections["Bob"], {"action": "answer", "question": 1, "choice": 1}),
        ]
    )
    assert replies[0]["question"] == 1
    assert replies[1]["code"] in {"already_answered", "question_not_open"}
    # Bob's answer to question 1 either beat the opening or was scored on it.
    assert replies[2].get("accepted") or replies[2]["code"] == "question_not_open"
    assert game.store.answers(game.game_id, 0)[game.players["Ada"]]["choice"] == 1
    messages_of(settings, game)


def test_player_reconnecting_mid_question_answers_once(
    make_game: Callable[..., GameFixture], clock: Clock, settings: Settings
) -> None:
    game, _, connections = started(make_game, ("Ada", "Bob", "Cy"))
    clock.advance(900)
    game.send(connections["Ada"], {"action": "answer", "question": 0, "choice": 1})
    game.disconnect(connections["Ada"])
    assert game.store.state(game.game_id).phase == "question_open"
    again, _ = game.connect(game.player_token("Ada"))
    reply = game.send(again, {"action": "answer", "question": 0, "choice": 1})
    assert reply["code"] == "already_answered"
    game.send(connections["Bob"], {"action": "answer", "question": 0, "choice": 1})
    assert game.store.state(game.game_id).phase == "question_open"
    game.send(connections["Cy"], {"action": "answer", "question": 0, "choice": 0})
    assert game.store.state(game.game_id).phase == "question_closed"
    messages_of(settings, game)
