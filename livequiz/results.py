"""Game results as MySQL records them: the ranking, per-question answer counts, and the games
each user hosted or played in."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

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
    # True when the game's leaderboard option keeps the ranking from being shown.
    players_hidden: bool
    players: list[PlayerResult]
    questions: list[QuestionResult]


def ranking_order(players: Any) -> list[sa.UnaryExpression[Any]]:
    """Return the ORDER BY of a ranking over ``game_players`` columns, best first."""
    return [
        players.total_score.desc(),
        players.reached_seq.asc(),
        players.joined_at.asc(),
        players.player_id.asc(),
    ]


def players_hidden(options: dict[str, Any] | None, ended: bool) -> bool:
    """Tell whether a game's leaderboard option hides ranks and scores from its players.

    Survey mode ("never") hides them always, and "end" until the game has ended. The host's
    report has them either way.
    """
    shown = (options or {}).get("leaderboard", "every_question")
    return shown == "never" or (shown == "end" and not ended)


def game_results(engine: Engine, game_id: str) -> GameResults:
    """Read a game's results, or raise ``NotFoundError`` if MySQL has no such game.

    Once the game has ended, players rank by total score, then by who reached it first (the
    lower ``reached_seq``). Players who never scored all have ``reached_seq`` 0 in MySQL, so
    they fall back to join order, and the player id decides the rest so that the order never
    changes between reads. Players the host kicked are left out.

    Under the game's ``leaderboard`` option ``never``, or ``end`` before the end, the players
    are left out and ``players_hidden`` is set.

    While the game runs, the results count only the questions revealed so far, so that they
    never tell whether an answer to the open question was right; equal scores then rank by
    join order, since the order in which scores were reached includes unrevealed answers.
    """
    answers = db.answers.c
    game_query = sa.select(
        db.games.c.status,
        db.games.c.question_count,
        db.games.c.revealed_through,
        db.games.c.options,
    ).where(db.games.c.id == game_id)
    with engine.connect() as connection:
        game = connection.execute(game_query).first()
        if game is None:
            raise NotFoundError("unknown_game", f"game {game_id} does not exist")
        ended = game.status == db.GameStatus.ENDED.value
        counted = (
            answers.game_id == game_id
            if ended
            else sa.and_(
                answers.game_id == game_id,
                answers.question_index
                <= (-1 if game.revealed_through is None else game.revealed_through),
            )
        )
        hidden = players_hidden(game.options, ended)
        player_rows = (
            [] if hidden else connection.execute(_player_query(game_id, ended, counted)).all()
        )
        count_query = (
            sa.select(
                answers.question_index,
                sa.func.count().label("answers"),
                sa.func.coalesce(sa.func.sum(sa.cast(answers.correct, sa.Integer)), 0).label(
                    "correct_answers"
                ),
            )
            .where(counted)
            .group_by(answers.question_index)
        )
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
        players_hidden=hidden,
        players=[
            PlayerResult(
                rank=rank,
                player_id=row.player_id,
                nickname=row.nickname,
                score=int(row.score),
                correct_count=int(row.correct_count),
            )
            for rank, row in enumerate(player_rows, start=1)
        ],
        questions=question_results,
    )


def _player_query(game_id: str, ended: bool, counted: sa.ColumnElement[bool]) -> sa.Select[Any]:
    players = db.game_players.c
    playing = sa.and_(players.game_id == game_id, players.kicked.is_(False))
    if ended:
        return (
            sa.select(
                players.player_id,
                players.nickname,
                players.total_score.label("score"),
                players.correct_count,
            )
            .where(playing)
            .order_by(*ranking_order(players))
        )
    answers = db.answers.c
    revealed = (
        sa.select(
            answers.player_id,
            sa.func.sum(answers.points).label("score"),
            sa.func.sum(sa.cast(answers.correct, sa.Integer)).label("correct_count"),
        )
        .where(counted)
        .group_by(answers.player_id)
        .subquery()
    )
    score = sa.func.coalesce(revealed.c.score, 0)
    return (
        sa.select(
            players.player_id,
            players.nickname,
            score.label("score"),
            sa.func.coalesce(revealed.c.correct_count, 0).label("correct_count"),
        )
        .outerjoin(revealed, revealed.c.player_id == players.player_id)
        .where(playing)
        .order_by(score.desc(), players.joined_at.asc(), players.player_id.asc())
    )


# A user's history


@dataclass(frozen=True)
class HostedGame:
    game_id: str
    quiz_title: str
    # When the game started, or was created if it never started.
    date: datetime
    status: str
    # Players who joined and were not kicked.
    player_count: int
    # The nickname ranked first once the game has ended: None before, or without players.
    winner: str | None


@dataclass(frozen=True)
class PlayedGame:
    game_id: str
    quiz_title: str
    date: datetime
    status: str
    nickname: str
    # The rank so far while the game runs; None for a kicked player, and with the score
    # where the game's leaderboard option hides them (players_hidden).
    rank: int | None
    score: int | None
    player_count: int


@dataclass(frozen=True)
class UserHistory:
    # Newest first: a game the user both hosted and played in appears once in each role.
    games: list[HostedGame | PlayedGame]
    # Entries of both roles together, across all pages.
    total: int


def user_history(engine: Engine, user_id: int, limit: int, offset: int) -> UserHistory:
    """Read the games a user hosted or played in, newest first, ``limit`` from ``offset``.

    Ranks are counted as in ``game_results`` among the players who were not kicked.
    """
    games = db.games.c
    players = db.game_players.c
    date = sa.func.coalesce(games.started_at, games.created_at)
    hosted = sa.select(
        games.id.label("game_id"),
        sa.literal(None).label("player_id"),
        date.label("date"),
    ).where(games.host_user_id == user_id)
    played = (
        sa.select(players.game_id, players.player_id, date.label("date"))
        .join(db.games, games.id == players.game_id)
        .where(players.user_id == user_id)
    )
    entries = sa.union_all(hosted, played).subquery()
    page_query = (
        sa.select(entries.c.game_id, entries.c.player_id)
        .order_by(
            entries.c.date.desc(),
            entries.c.game_id.desc(),
            # The host entry of a game comes before its player entries.
            entries.c.player_id.is_not(None),
            entries.c.player_id,
        )
        .limit(limit)
        .offset(offset)
    )
    total_query = sa.select(sa.func.count()).select_from(entries)
    with engine.connect() as connection:
        page = connection.execute(page_query).all()
        total = int(connection.execute(total_query).scalar_one())
        game_ids = sorted({row.game_id for row in page})
        details = _game_details(connection, game_ids)
        standings = _standings(connection, game_ids, user_id)
    result: list[HostedGame | PlayedGame] = []
    for row in page:
        game = details[row.game_id]
        count = game.player_count
        if row.player_id is None:
            leader = standings.get((row.game_id, None))
            winner = leader.nickname if leader is not None and game.status == "ended" else None
            result.append(
                HostedGame(row.game_id, game.title, game.date, game.status, count, winner)
            )
            continue
        own = standings[(row.game_id, row.player_id)]
        ended = game.status == db.GameStatus.ENDED.value
        rank: int | None = None if own.kicked else own.position
        score: int | None = own.total_score
        if players_hidden(game.options, ended):
            rank = score = None
        elif not ended:
            # As in the public results: only revealed questions count while a game runs.
            rank, score = _running_standing(engine, row.game_id, row.player_id)
        result.append(
            PlayedGame(
                row.game_id, game.title, game.date, game.status, own.nickname, rank, score, count
            )
        )
    return UserHistory(games=result, total=total)


def _running_standing(engine: Engine, game_id: str, player_id: str) -> tuple[int | None, int]:
    """Return a player's rank and score in a running game, as ``game_results`` counts them."""
    for player in game_results(engine, game_id).players:
        if player.player_id == player_id:
            return player.rank, player.score
    return None, 0


def _game_details(connection: Connection, game_ids: list[str]) -> dict[str, Any]:
    games = db.games.c
    players = db.game_players.c
    player_count = (
        sa.select(sa.func.count())
        .where(players.game_id == games.id, players.kicked.is_(False))
        .scalar_subquery()
    )
    query = (
        sa.select(
            games.id,
            db.quizzes.c.title,
            games.status,
            games.options,
            sa.func.coalesce(games.started_at, games.created_at).label("date"),
            player_count.label("player_count"),
        )
        .join(db.quizzes, db.quizzes.c.id == games.quiz_id)
        .where(games.id.in_(game_ids))
    )
    return {row.id: row for row in connection.execute(query)}


def _standings(
    connection: Connection, game_ids: list[str], user_id: int
) -> dict[tuple[str, str | None], Any]:
    """Read the leader of each game, keyed (game, None), and the user's own players."""
    players = db.game_players.c
    position = (
        sa.func.row_number()
        .over(
            partition_by=[players.game_id, players.kicked],
            order_by=ranking_order(players),
        )
        .label("position")
    )
    ranked = (
        sa.select(
            players.game_id,
            players.player_id,
            players.user_id,
            players.nickname,
            players.total_score,
            players.kicked,
            position,
        )
        .where(players.game_id.in_(game_ids))
        .subquery()
    )
    query = sa.select(ranked).where(
        sa.or_(
            sa.and_(ranked.c.position == 1, ranked.c.kicked.is_(False)),
            ranked.c.user_id == user_id,
        )
    )
    standings: dict[tuple[str, str | None], Any] = {}
    for row in connection.execute(query):
        if row.position == 1 and not row.kicked:
            standings[(row.game_id, None)] = row
        if row.user_id == user_id:
            standings[(row.game_id, row.player_id)] = row
    return standings
