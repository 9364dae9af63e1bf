"""Writing game events to MySQL: the history log, answers, running totals and final ranks.

Delivery is at least once and batches may arrive out of order, so every write is idempotent:

- ``game_events`` and ``answers`` rows are keyed by event id and by (game, question, player),
  and a repeated insert changes nothing.
- A player's (total, reached_seq) only moves forward. Both only grow during a game, so an older
  or repeated ``answer.accepted`` can never lower them, and ``correct_count`` is recounted from
  the ``answers`` rows instead of incremented. A poll answer has ``correct`` NULL, so it never
  counts as correct.
- ``player.kicked`` sets ``game_players.kicked``, which a repeated event sets again.
- ``game.ended`` carries the final totals from Redis and overwrites the running ones.

A batch is written in one transaction. If a data error in one message (a foreign key, a value
out of range) fails it, each message is retried in a transaction of its own and a message that
still fails goes to the dead-letter queue. Any other database error propagates, so the batch
is not acknowledged and RabbitMQ delivers it again.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.engine import Connection, Engine

from livequiz import db
from livequiz.events import ReceivedMessage
from livequiz.payloads import (
    AnswerAccepted,
    DeadLetter,
    GameEnded,
    GameStarted,
    PlayerKicked,
    QuestionRevealed,
    validated,
)

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1)

# MySQL and MariaDB error numbers of statements that fail because of the values they carry, so
# running them again can never succeed. PyMySQL reports some of them, such as 1292 and 4025,
# as OperationalError, the class it also uses for a lost connection.
DATA_ERROR_CODES = frozenset(
    {
        1048,  # column cannot be null
        1062,  # duplicate entry for a unique key
        1264,  # value out of range for the column
        1292,  # incorrect date or time value
        1366,  # incorrect value for the column, such as an invalid string
        1406,  # data too long for the column
        1451,  # a foreign key prevents deleting or updating a parent row
        1452,  # a foreign key has no parent row
        3140,  # invalid JSON text (MySQL)
        3819,  # CHECK constraint violated (MySQL)
        4025,  # CHECK constraint violated, such as JSON's json_valid (MariaDB)
    }
)

PAYLOADS: dict[str, type[BaseModel]] = {
    "game.started": GameStarted,
    "answer.accepted": AnswerAccepted,
    "game.ended": GameEnded,
    "player.kicked": PlayerKicked,
    "question.revealed": QuestionRevealed,
}


@dataclass(frozen=True)
class Work:
    """A message whose payload is valid for its event type."""

    message: ReceivedMessage
    payload: BaseModel


def timestamp(ms: int) -> datetime:
    """Convert epoch milliseconds to the naive UTC datetime that DATETIME(3) columns hold."""
    return EPOCH + timedelta(milliseconds=ms)


def json_or_null(value: Any) -> Any:
    """Return ``value`` for a JSON column, with None as SQL NULL rather than the JSON ``null``."""
    return sa.null() if value is None else value


def is_data_error(error: sa.exc.DBAPIError) -> bool:
    if isinstance(error, sa.exc.IntegrityError | sa.exc.DataError):
        return True
    args: tuple[object, ...] = getattr(error.orig, "args", ())
    return len(args) > 0 and args[0] in DATA_ERROR_CODES


def _record_event(connection: Connection, message: ReceivedMessage) -> None:
    event = message.event
    statement = insert(db.game_events).values(
        event_id=event.id,
        game_id=event.game_id,
        type=event.type,
        at=timestamp(event.at_ms),
        data=event.data,
    )
    connection.execute(statement.on_duplicate_key_update(event_id=db.game_events.c.event_id))


def _game_started(connection: Connection, game_id: str, started: GameStarted) -> None:
    games = db.games.c
    # An ended game stays ended when its game.started arrives late.
    status = sa.case(
        (games.status == db.GameStatus.LOBBY.value, db.GameStatus.RUNNING.value),
        else_=games.status,
    )
    connection.execute(
        sa.update(db.games)
        .where(games.id == game_id)
        .values(
            status=status,
            started_at=sa.func.coalesce(games.started_at, timestamp(started.started_at_ms)),
        )
    )


def _answer_accepted(connection: Connection, game_id: str, answer: AnswerAccepted) -> None:
    players = db.game_players.c
    answers = db.answers.c
    row = insert(db.answers).values(
        game_id=game_id,
        question_index=answer.question,
        player_id=answer.player_id,
        choice=answer.choice,
        response=json_or_null(answer.response),
        correct=answer.correct,
        points=answer.points,
        bonus=answer.bonus,
        streak=answer.streak,
        elapsed_ms=answer.elapsed_ms,
        answered_at=timestamp(answer.answered_at_ms),
    )
    connection.execute(row.on_duplicate_key_update(game_id=answers.game_id))

    this_player = sa.and_(players.game_id == game_id, players.player_id == answer.player_id)
    # Compared in the WHERE clause, not in CASE expressions in SET, because MySQL evaluates
    # SET assignments left to right and a second CASE would see the first one's new value.
    moves_forward = sa.or_(
        players.total_score < answer.total,
        sa.and_(players.total_score == answer.total, players.reached_seq < answer.reached_seq),
    )
    connection.execute(
        sa.update(db.game_players)
        .where(this_player, moves_forward)
        .values(total_score=answer.total, reached_seq=answer.reached_seq)
    )
    _recount_correct(connection, this_player)


def _recount_correct(connection: Connection, which_players: sa.ColumnElement[bool]) -> None:
    """Set ``correct_count`` of the chosen players from their rows in ``answers``.

    Only ``correct`` TRUE counts: a wrong answer is FALSE and a poll answer NULL.
    """
    players = db.game_players.c
    answers = db.answers.c
    correct_answers = (
        sa.select(sa.func.count())
        .where(
            answers.game_id == players.game_id,
            answers.player_id == players.player_id,
            answers.correct.is_(True),
        )
        .scalar_subquery()
    )
    connection.execute(
        sa.update(db.game_players).where(which_players).values(correct_count=correct_answers)
    )


def _player_kicked(connection: Connection, game_id: str, kicked: PlayerKicked) -> None:
    players = db.game_players.c
    matched = connection.execute(
        sa.update(db.game_players)
        .where(players.game_id == game_id, players.player_id == kicked.player_id)
        .values(kicked=True)
    ).rowcount
    if matched == 0:
        logger.warning(
            "player %s was kicked from game %s but MySQL has no row for that player",
            kicked.player_id,
            game_id,
        )


def _question_revealed(connection: Connection, game_id: str, revealed: QuestionRevealed) -> None:
    # GREATEST keeps the highest index whatever order reveals arrive in, and a redelivery
    # changes nothing. COALESCE stands in for NULL, which GREATEST would return.
    games = db.games.c
    connection.execute(
        sa.update(db.games)
        .where(games.id == game_id)
        .values(
            revealed_through=sa.func.greatest(
                sa.func.coalesce(games.revealed_through, -1), revealed.question
            )
        )
    )


def _game_ended(connection: Connection, game_id: str, ended: GameEnded) -> None:
    games = db.games.c
    players = db.game_players.c
    connection.execute(
        sa.update(db.games)
        .where(games.id == game_id)
        .values(status=db.GameStatus.ENDED.value, ended_at=timestamp(ended.ended_at_ms))
    )
    if not ended.players:
        return
    statement = (
        sa.update(db.game_players)
        .where(players.game_id == game_id, players.player_id == sa.bindparam("b_player"))
        .values(
            total_score=sa.bindparam("b_total"),
            reached_seq=sa.bindparam("b_reached"),
            final_rank=sa.bindparam("b_rank"),
        )
    )
    rows = [
        {
            "b_player": standing.player_id,
            "b_total": standing.total,
            "b_reached": standing.reached_seq,
            "b_rank": standing.rank,
        }
        for standing in ended.players
    ]
    matched = connection.execute(statement, rows).rowcount
    if matched < len(rows):
        logger.warning(
            "game %s ended with %d players but MySQL has rows for only %d of them",
            game_id,
            len(rows),
            matched,
        )


# Returns every answer Redis holds for a game: (question, player id, stored answer).
StoredAnswers = Callable[[str], list[tuple[int, str, dict[str, Any]]]]


def _reconcile_answers(connection: Connection, game_id: str, stored: StoredAnswers) -> None:
    """Insert the answers of the game that MySQL lacks, and recount each player's correct ones.

    An answer whose event never arrived, because its publish failed and the player did not
    send it again, is still in Redis at the end of the game.
    """
    rows = [
        {
            "game_id": game_id,
            "question_index": question,
            "player_id": player_id,
            # Answers stored before question types have a choice and none of the later fields.
            "choice": answer.get("choice"),
            "response": json_or_null(answer.get("response")),
            "correct": answer.get("correct"),
            "points": answer["points"],
            "bonus": answer.get("bonus", 0),
            "streak": answer.get("streak", 0),
            "elapsed_ms": answer["elapsed_ms"],
            "answered_at": timestamp(answer["at_ms"]),
        }
        for question, player_id, answer in stored(game_id)
    ]
    if not rows:
        return
    answers = db.answers.c
    statement = insert(db.answers).on_duplicate_key_update(game_id=answers.game_id)
    before = connection.execute(
        sa.select(sa.func.count()).select_from(db.answers).where(answers.game_id == game_id)
    ).scalar_one()
    connection.execute(statement, rows)
    if len(rows) > before:
        logger.warning(
            "game %s ended with %d answers in Redis and %d in MySQL: the missing ones are added",
            game_id,
            len(rows),
            before,
        )
    _recount_correct(connection, db.game_players.c.game_id == game_id)


def apply(connection: Connection, work: Work, stored: StoredAnswers | None = None) -> None:
    """Write one event and its effects inside the caller's transaction.

    With ``stored``, the end of a game also adds any answer that MySQL lacks.
    """
    game_id = work.message.event.game_id
    _record_event(connection, work.message)
    payload = work.payload
    if isinstance(payload, GameStarted):
        _game_started(connection, game_id, payload)
    elif isinstance(payload, AnswerAccepted):
        _answer_accepted(connection, game_id, payload)
    elif isinstance(payload, PlayerKicked):
        _player_kicked(connection, game_id, payload)
    elif isinstance(payload, QuestionRevealed):
        _question_revealed(connection, game_id, payload)
    elif isinstance(payload, GameEnded):
        if stored is not None:
            _reconcile_answers(connection, game_id, stored)
        _game_ended(connection, game_id, payload)


def prepare(messages: Iterable[ReceivedMessage], dead_letter: DeadLetter) -> list[Work]:
    """Validate each payload, dead-lettering invalid ones and leaving out unknown types."""
    return [
        Work(message, payload) for message, payload in validated(messages, PAYLOADS, dead_letter)
    ]


def recorded_event_ids(engine: Engine, event_ids: Iterable[str]) -> set[str]:
    """Return those of ``event_ids`` that have a game_events row."""
    wanted = sorted(set(event_ids))
    if not wanted:
        return set()
    query = sa.select(db.game_events.c.event_id).where(db.game_events.c.event_id.in_(wanted))
    with engine.connect() as connection:
        return set(connection.scalars(query))


def persist_batch(
    engine: Engine,
    messages: list[ReceivedMessage],
    dead_letter: DeadLetter,
    stored: StoredAnswers | None = None,
) -> int:
    """Write a batch of events to MySQL and return how many were written or ignored as unknown.

    Raises ``sqlalchemy.exc.DBAPIError`` for a database failure that is not a data error.
    """
    work = prepare(messages, dead_letter)
    ignored = sum(1 for message in messages if message.event.type not in PAYLOADS)
    try:
        with engine.begin() as connection:
            for item in work:
                apply(connection, item, stored)
        return len(work) + ignored
    except sa.exc.DBAPIError as error:
        if not is_data_error(error):
            raise
        logger.warning(
            "a batch of %d events failed on a data error, writing each event on its own: %s",
            len(work),
            error.orig,
        )
    return _persist_one_by_one(engine, work, dead_letter, stored) + ignored


def _persist_one_by_one(
    engine: Engine, work: list[Work], dead_letter: DeadLetter, stored: StoredAnswers | None
) -> int:
    written = 0
    for item in work:
        event = item.message.event
        try:
            with engine.begin() as connection:
                apply(connection, item, stored)
            written += 1
        except sa.exc.DBAPIError as error:
            if not is_data_error(error):
                raise
            reason = f"MySQL rejected {event.type}: {error.orig}"
            logger.error(
                "moving event %s of game %s to the dead-letter queue: %s",
                event.id,
                event.game_id,
                reason,
            )
            dead_letter(item.message.queue, item.message.raw, reason)
    return written
