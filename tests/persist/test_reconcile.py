"""The end of a game adds the answers whose events never reached persist, from Redis."""

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from livequiz import db
from livequiz.ids import GameId, UserId
from livequiz.services import game_store
from tests.persist.conftest import SeededGame


@pytest.fixture
def live_game(seeded_game: SeededGame) -> Iterator[SeededGame]:
    """The seeded game in Redis too, with answers that no event ever carried to MySQL."""
    store = game_store()
    game_id = GameId(seeded_game.game_id)
    question = {"text": "q", "choices": ["a", "b"], "correct": 1, "limit_ms": 10_000}
    store.create_game(game_id, 1, UserId(1), "Quiz", [question, question])
    answers = {
        (0, seeded_game.alice): {"choice": 1, "correct": True, "points": 950},
        (0, seeded_game.bob): {"choice": 0, "correct": False, "points": 0},
        (1, seeded_game.alice): {"choice": 1, "correct": True, "points": 1000},
    }
    for (index, player), answer in answers.items():
        stored = dict(answer, elapsed_ms=1000, at_ms=1_796_396_430_000)
        store.redis.hset(store.key(game_id, f"answers:{index}"), player, json.dumps(stored))
    yield seeded_game
    store.redis.delete(*store.redis.keys(store.key(game_id, "*")))


def test_game_end_adds_missing_answers(
    engine: Engine, live_game: SeededGame, run: Callable[[list[Any]], dict[str, int]]
) -> None:
    ended = [body for body in live_game.bodies() if body["type"] == "game.ended"]
    assert run(ended) == {"processed": 1}
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(db.answers.c.question_index, db.answers.c.player_id, db.answers.c.points)
            .where(db.answers.c.game_id == live_game.game_id)
            .order_by(db.answers.c.question_index, db.answers.c.points)
        ).all()
        correct = dict(
            connection.execute(
                sa.select(db.game_players.c.player_id, db.game_players.c.correct_count).where(
                    db.game_players.c.game_id == live_game.game_id
                )
            ).all()
        )
    assert [tuple(row) for row in rows] == [
        (0, live_game.bob, 0),
        (0, live_game.alice, 950),
        (1, live_game.alice, 1000),
    ]
    assert correct == {live_game.alice: 2, live_game.bob: 0}


def test_game_end_replay_adds_nothing(
    engine: Engine, live_game: SeededGame, run: Callable[[list[Any]], dict[str, int]]
) -> None:
    ended = [body for body in live_game.bodies() if body["type"] == "game.ended"]
    run(ended)
    run(ended)
    with engine.connect() as connection:
        count = connection.execute(
            sa.select(sa.func.count())
            .select_from(db.answers)
            .where(db.answers.c.game_id == live_game.game_id)
        ).scalar_one()
    assert count == 3
