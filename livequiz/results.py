"""Game results as MySQL records them: the ranking and per-question answer counts."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from livequiz import db
from livequiz.errors import NotFoundError


@dataclass(frozen=True)
class PlayerResult:
    rank: int
    player_id: str
    nickname: str
    score: int
    correct_count: int


@dataclass(frozen=True)
class QuestionResult:
    index: int
    answers: int
    correct_answers: int


@dataclass(frozen=True)
class GameResults:
    game_id: str
    status: str
    question_count: int
    players: list[PlayerResult]
    questions: list[QuestionResult]


def game_results(engine: Engine, game_id: str) -> GameResults:
    """Read a game's results, or raise ``NotFoundError`` if MySQL has no such game.

    Players rank by total score, then by who reached it first (the lower ``reached_seq``).
    Players who never scored all have ``reached_seq`` 0 in MySQL, so they fall back to join
    order, and the player id decides the rest so that the order never changes between reads.
    """
    players = db.game_players.c
    answers = db.answers.c
    game_query = sa.select(db.games.c.status, db.games.c.question_count).where(
        db.games.c.id == game_id
    )
    player_query = (
        sa.select(players.player_id, players.nickname, players.total_score, players.correct_count)
        .where(players.game_id == game_id)
        .order_by(
            players.total_score.desc(),
            players.reached_seq.asc(),
            players.joined_at.asc(),
            players.player_id.asc(),
        )
    )
    count_query = (
        sa.select(
            answers.question_index,
            sa.func.count().label("answers"),
            sa.func.coalesce(sa.func.sum(sa.cast(answers.correct, sa.Integer)), 0).label(
                "correct_answers"
            ),
        )
        .where(answers.game_id == game_id)
        .group_by(answers.question_index)
    )
    with engine.connect() as connection:
        game = connection.execute(game_query).first()
        if game is None:
            raise NotFoundError("unknown_game", f"game {game_id} does not exist")
        player_rows = connection.execute(player_query).all()
        count_rows = connection.execute(count_query).all()
    counts = {row.question_index: row for row in count_rows}
    question_results = []
    for index in range(game.question_count):
        row = counts.get(index)
        question_results.append(
            QuestionResult(
                index=index,
                answers=int(row.answers) if row is not None else 0,
                correct_answers=int(row.correct_answers) if row is not None else 0,
            )
        )
    return GameResults(
        game_id=game_id,
        status=game.status,
        question_count=game.question_count,
        players=[
            PlayerResult(
                rank=rank,
                player_id=row.player_id,
                nickname=row.nickname,
                score=row.total_score,
                correct_count=row.correct_count,
            )
            for rank, row in enumerate(player_rows, start=1)
        ],
        questions=question_results,
    )
