"""Persisting answers of every question type, poll answers without a right answer, and kicks."""

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pika
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from livequiz import db, events
from livequiz.config import Settings
from livequiz.events import Event
from livequiz.ids import GameId, UserId
from livequiz.services import game_store
from tests.persist.conftest import SeededGame

Run = Callable[[list[Any]], dict[str, int]]
AT_MS = 1_796_396_401_200


def answer_body(game: SeededGame, player_id: str, question: int, **fields: Any) -> dict[str, Any]:
    """Build an ``answer.accepted`` message of the new shape, with ``fields`` overriding."""
    data: dict[str, Any] = {
        "player_id": player_id,
        "question": question,
        "response": None,
        "choice": None,
        "correct": True,
        "points": 0,
        "bonus": 0,
        "streak": 0,
        "elapsed_ms": 1500,
        "answered_at_ms": AT_MS,
        "total": 0,
        "reached_seq": 0,
    }
    data.update(fields)
    return {
        "type": "answer.accepted",
        "game": game.game_id,
        "id": f"answer:{game.game_id}:{question}:{player_id}",
        "at_ms": AT_MS,
        "data": data,
    }


def kicked_body(game: SeededGame, player_id: str) -> dict[str, Any]:
    return {
        "type": "player.kicked",
        "game": game.game_id,
        "id": f"kicked:{game.game_id}:{player_id}",
        "at_ms": AT_MS,
        "data": {"player_id": player_id, "kicked_at_ms": AT_MS},
    }


def answer_rows(engine: Engine, game_id: str) -> list[tuple[Any, ...]]:
    answers = db.answers.c
    query = (
        sa.select(
            answers.question_index,
            answers.player_id,
            answers.choice,
            answers.response,
            answers.correct,
            answers.points,
            answers.bonus,
            answers.streak,
        )
        .where(answers.game_id == game_id)
        .order_by(answers.question_index, answers.player_id)
    )
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def players(engine: Engine, game_id: str) -> dict[str, tuple[Any, ...]]:
    """Read (total_score, correct_count, kicked) of each player of the game."""
    columns = db.game_players.c
    query = sa.select(
        columns.player_id, columns.total_score, columns.correct_count, columns.kicked
    ).where(columns.game_id == game_id)
    with engine.connect() as connection:
        return {row.player_id: tuple(row)[1:] for row in connection.execute(query)}


def null_responses(engine: Engine, game_id: str) -> int:
    """Count the answers whose ``response`` is SQL NULL, not the JSON value ``null``."""
    answers = db.answers.c
    query = (
        sa.select(sa.func.count())
        .select_from(db.answers)
        .where(answers.game_id == game_id, answers.response.is_(None))
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def test_new_answer_fields_stored(run: Run, engine: Engine, seeded_game: SeededGame) -> None:
    game = seeded_game
    batch = [
        answer_body(
            game,
            game.alice,
            0,
            response=[0, 2],
            points=1100,
            bonus=100,
            streak=2,
            total=1100,
            reached_seq=5,
        ),
        answer_body(game, game.bob, 0, response="paris", correct=False, streak=0),
    ]
    assert run(batch) == {"processed": 2}
    assert answer_rows(engine, game.game_id) == sorted(
        [
            (0, game.alice, None, [0, 2], True, 1100, 100, 2),
            (0, game.bob, None, "paris", False, 0, 0, 0),
        ]
    )
    assert players(engine, game.game_id) == {
        game.alice: (1100, 1, False),
        game.bob: (0, 0, False),
    }


def test_missing_response_is_sql_null(run: Run, engine: Engine, seeded_game: SeededGame) -> None:
    run([answer_body(seeded_game, seeded_game.alice, 0, choice=1)])
    assert null_responses(engine, seeded_game.game_id) == 1


def test_poll_answer_never_counts_correct(
    run: Run, engine: Engine, seeded_game: SeededGame
) -> None:
    game = seeded_game
    poll = answer_body(game, game.alice, 1, response=2, choice=2, correct=None)
    right = answer_body(game, game.alice, 0, response=1, choice=1, points=900, total=900)
    assert run([right, poll]) == {"processed": 2}
    assert run([poll, right, poll]) == {"processed": 3}
    rows = answer_rows(engine, game.game_id)
    assert rows == [
        (0, game.alice, 1, 1, True, 900, 0, 0),
        (1, game.alice, 2, 2, None, 0, 0, 0),
    ]
    assert players(engine, game.game_id)[game.alice] == (900, 1, False)


def test_poll_correct_must_be_sent(
    run: Run,
    engine: Engine,
    seeded_game: SeededGame,
    dead_letters: Callable[[], list[tuple[bytes, Any]]],
) -> None:
    poll = answer_body(seeded_game, seeded_game.alice, 1, choice=2)
    del poll["data"]["correct"]
    assert run([poll]) == {"processed": 0}
    [(body, headers)] = dead_letters()
    assert json.loads(body) == poll
    assert "correct: Field required" in headers["x-livequiz-reason"]
    assert answer_rows(engine, seeded_game.game_id) == []


def test_kick_marks_player(run: Run, engine: Engine, seeded_game: SeededGame) -> None:
    kick = kicked_body(seeded_game, seeded_game.bob)
    assert run([kick]) == {"processed": 1}
    assert run([kick, kick]) == {"processed": 2}
    assert players(engine, seeded_game.game_id) == {
        seeded_game.alice: (0, 0, False),
        seeded_game.bob: (0, 0, True),
    }
    events_query = sa.select(sa.func.count()).where(db.game_events.c.event_id == kick["id"])
    with engine.connect() as connection:
        assert connection.execute(events_query).scalar_one() == 1


def test_kick_keeps_answers_and_score(run: Run, engine: Engine, seeded_game: SeededGame) -> None:
    game = seeded_game
    answer = answer_body(game, game.bob, 0, choice=0, response=0, points=800, total=800)
    run([answer, kicked_body(game, game.bob), answer])
    assert players(engine, game.game_id)[game.bob] == (800, 1, True)
    assert len(answer_rows(engine, game.game_id)) == 1


def test_kick_of_unknown_player_logged(
    run: Run, engine: Engine, seeded_game: SeededGame, caplog: pytest.LogCaptureFixture
) -> None:
    stranger = "e" * 32
    with caplog.at_level(logging.WARNING, logger="livequiz.history"):
        assert run([kicked_body(seeded_game, stranger)]) == {"processed": 1}
    assert f"player {stranger} was kicked from game {seeded_game.game_id}" in caplog.text
    assert not any(kicked for _, _, kicked in players(engine, seeded_game.game_id).values())


def test_kick_routed_to_persist_queue(persist_settings: Settings) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(persist_settings.rabbitmq_url))
    try:
        channel = connection.channel()
        events.declare_topology(channel, persist_settings)
        channel.queue_purge(persist_settings.persist_queue)
        event = Event("player.kicked", "a" * 32, "kicked:route", AT_MS, {"player_id": "b" * 32})
        channel.basic_publish(persist_settings.exchange, "player.kicked", event.to_json())
        method = None
        for _ in range(50):
            method, _, body = channel.basic_get(persist_settings.persist_queue, auto_ack=True)
            if method is not None:
                break
            connection.sleep(0.1)
        assert method is not None
        assert json.loads(body)["id"] == "kicked:route"
    finally:
        connection.close()


@pytest.fixture
def live_game(seeded_game: SeededGame) -> Iterator[SeededGame]:
    """The seeded game in Redis with answers of the new shape that no event carried to MySQL."""
    store = game_store()
    game_id = GameId(seeded_game.game_id)
    question = {"text": "q", "choices": ["a", "b"], "correct": 1, "limit_ms": 10_000}
    store.create_game(game_id, 1, UserId(1), "Quiz", [question, question])
    answers = {
        (0, seeded_game.alice): {
            "choice": None,
            "response": [0, 1],
            "correct": True,
            "points": 1050,
            "bonus": 50,
            "streak": 3,
        },
        (0, seeded_game.bob): {"choice": 1, "response": 1, "correct": None, "points": 0},
        # Stored before question types: only a choice.
        (1, seeded_game.bob): {"choice": 0, "correct": True, "points": 700},
    }
    for (index, player), answer in answers.items():
        stored = dict(answer, elapsed_ms=1000, at_ms=AT_MS)
        store.redis.hset(store.key(game_id, f"answers:{index}"), player, json.dumps(stored))
    yield seeded_game
    store.redis.delete(*store.redis.keys(store.key(game_id, "*")))


def test_reconcile_new_answer_shape(run: Run, engine: Engine, live_game: SeededGame) -> None:
    ended = [body for body in live_game.bodies() if body["type"] == "game.ended"]
    assert run(ended) == {"processed": 1}
    assert run(ended) == {"processed": 1}
    assert answer_rows(engine, live_game.game_id) == sorted(
        [
            (0, live_game.alice, None, [0, 1], True, 1050, 50, 3),
            (0, live_game.bob, 1, 1, None, 0, 0, 0),
            (1, live_game.bob, 0, None, True, 700, 0, 0),
        ]
    )
    assert null_responses(engine, live_game.game_id) == 1
    correct = {player: row[1] for player, row in players(engine, live_game.game_id).items()}
    assert correct == {live_game.alice: 1, live_game.bob: 1}
