"""MySQL access: the engine and the table definitions (SQLAlchemy Core).

MySQL 8 is the production database and MariaDB 10.11 runs locally, so every statement here
and in the migrations is one that both accept. Where they differ:

- ``JSON`` is a native binary type in MySQL; in MariaDB it is an alias of ``LONGTEXT`` with a
  ``CHECK (json_valid(...))``. Values read back the same through SQLAlchemy's ``JSON`` type.
- The default collation is ``utf8mb4_0900_ai_ci`` in MySQL and ``utf8mb4_general_ci`` in
  MariaDB, so every table names ``utf8mb4_unicode_ci`` (present in both) and every key
  compared for equality (ids, e-mail addresses, nickname keys, event ids) uses
  ``utf8mb4_bin``. Otherwise "José" and "Jose" would clash in one database and not the other.
- ``INSERT ... AS new ON DUPLICATE KEY UPDATE`` is MySQL-only, so idempotent inserts here use
  ``ON DUPLICATE KEY UPDATE <key column> = <key column>``. ``INSERT IGNORE`` is avoided because
  it also turns foreign key and range errors into warnings.

Timestamps are ``DATETIME(3)`` in UTC: each connection sets ``time_zone`` to ``+00:00``.
"""

import threading
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import AfterValidator
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine, make_url

# One sql_mode for both servers, so a value out of range or too long is an error everywhere.
# Every flag exists in MySQL 8 and MariaDB 10.11, but their default modes differ.
SQL_MODE = (
    "STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
    "NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY"
)
CHARSET = "utf8mb4"
TEXT_COLLATION = "utf8mb4_unicode_ci"
KEY_COLLATION = "utf8mb4_bin"
TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": CHARSET,
    "mysql_collate": TEXT_COLLATION,
}


class GameStatus(StrEnum):
    """The ``games.status`` column: coarser than ``rules.GamePhase``, enough for history."""

    LOBBY = "lobby"
    RUNNING = "running"
    ENDED = "ended"


def _key(length: int) -> mysql.VARCHAR:
    return mysql.VARCHAR(length, charset=CHARSET, collation=KEY_COLLATION)


def _id32() -> mysql.CHAR:
    # Ids are 32 hex characters (``uuid4().hex``), compared byte for byte.
    return mysql.CHAR(32, charset=CHARSET, collation=KEY_COLLATION)


def as_utc(value: datetime) -> datetime:
    """Mark a naive ``DATETIME`` read back from MySQL as the UTC time it is."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# A timestamp from MySQL in an API model: serialised with its +00:00 offset.
UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]


def _timestamp() -> mysql.DATETIME:
    return mysql.DATETIME(fsp=3)


def _now() -> sa.TextClause:
    return sa.text("CURRENT_TIMESTAMP(3)")


metadata = sa.MetaData()

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    sa.Column("email", _key(254), nullable=False),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", _timestamp(), nullable=False, server_default=_now()),
    sa.UniqueConstraint("email", name="uq_users_email"),
    **TABLE_OPTIONS,
)

quizzes = sa.Table(
    "quizzes",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    sa.Column(
        "owner_id",
        sa.BigInteger,
        sa.ForeignKey("users.id", name="fk_quizzes_owner"),
        nullable=False,
        index=True,
    ),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    # Where the questions came from: "json" (our format) or "opentdb".
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("created_at", _timestamp(), nullable=False, server_default=_now()),
    **TABLE_OPTIONS,
)

questions = sa.Table(
    "questions",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    sa.Column(
        "quiz_id",
        sa.BigInteger,
        sa.ForeignKey("quizzes.id", name="fk_questions_quiz", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("text", sa.String(500), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False, server_default="single"),
    # The whole question in our JSON format; NULL in rows written before question types.
    sa.Column("body", sa.JSON, nullable=True),
    # Single choice rows written before ``body``: the choices and the index of the right one.
    sa.Column("choices", sa.JSON, nullable=True),
    sa.Column("correct", sa.Integer, nullable=True),
    sa.Column("time_limit_s", sa.Integer, nullable=False),
    sa.Column("category", sa.String(200), nullable=True),
    sa.UniqueConstraint("quiz_id", "position", name="uq_questions_quiz_position"),
    **TABLE_OPTIONS,
)

games = sa.Table(
    "games",
    metadata,
    sa.Column("id", _id32(), primary_key=True),
    sa.Column(
        "quiz_id",
        sa.BigInteger,
        sa.ForeignKey("quizzes.id", name="fk_games_quiz"),
        nullable=False,
        index=True,
    ),
    sa.Column(
        "host_user_id",
        sa.BigInteger,
        sa.ForeignKey("users.id", name="fk_games_host"),
        nullable=False,
        index=True,
    ),
    # PINs are reused once a game's PIN expires in Redis, so this column is not unique.
    sa.Column("pin", mysql.CHAR(6, charset=CHARSET, collation=KEY_COLLATION), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default=GameStatus.LOBBY.value),
    sa.Column("question_count", sa.Integer, nullable=False),
    sa.Column("created_at", _timestamp(), nullable=False, server_default=_now()),
    sa.Column("started_at", _timestamp(), nullable=True),
    sa.Column("ended_at", _timestamp(), nullable=True),
    # The game's ``rules.GameOptions`` as JSON.
    sa.Column("options", sa.JSON, nullable=True),
    # The questions as played (``quizzes.redis_questions``), so editing the quiz later does
    # not change the game's report.
    sa.Column("questions", sa.JSON, nullable=True),
    # Index of the last question revealed to players, or NULL before the first reveal.
    sa.Column("revealed_through", sa.Integer, nullable=True),
    **TABLE_OPTIONS,
)

game_players = sa.Table(
    "game_players",
    metadata,
    sa.Column(
        "game_id",
        _id32(),
        sa.ForeignKey("games.id", name="fk_game_players_game", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("player_id", _id32(), primary_key=True),
    # The nickname exactly as ``nicknames.normalise`` returned it: plain text, never markup.
    sa.Column("nickname", sa.String(255), nullable=False),
    # ``nicknames.folded(nickname)``: the case-folded form that is unique within a game.
    sa.Column("nickname_key", _key(255), nullable=False),
    sa.Column(
        "user_id",
        sa.BigInteger,
        sa.ForeignKey("users.id", name="fk_game_players_user"),
        nullable=True,
        index=True,
    ),
    sa.Column("joined_at", _timestamp(), nullable=False, server_default=_now()),
    sa.Column("total_score", sa.Integer, nullable=False, server_default="0"),
    sa.Column("correct_count", sa.Integer, nullable=False, server_default="0"),
    # Redis rank sequence number of the last score change: equal totals rank by the lower one.
    sa.Column("reached_seq", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("final_rank", sa.Integer, nullable=True),
    sa.Column("kicked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("game_id", "nickname_key", name="uq_game_players_nickname"),
    **TABLE_OPTIONS,
)

answers = sa.Table(
    "answers",
    metadata,
    sa.Column("game_id", _id32(), primary_key=True),
    sa.Column("question_index", sa.Integer, primary_key=True),
    sa.Column("player_id", _id32(), primary_key=True),
    # The choice of a single choice, true/false or poll answer; NULL for other kinds.
    sa.Column("choice", sa.Integer, nullable=True),
    # ``questions.Grade.response``: the answer as graded, for every kind.
    sa.Column("response", sa.JSON, nullable=True),
    # NULL for a poll, which has no right answer.
    sa.Column("correct", sa.Boolean, nullable=True),
    # Points including the streak bonus, which is also kept apart.
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("bonus", sa.Integer, nullable=False, server_default="0"),
    # The player's run of right answers after this one.
    sa.Column("streak", sa.Integer, nullable=False, server_default="0"),
    sa.Column("elapsed_ms", sa.Integer, nullable=False),
    sa.Column("answered_at", _timestamp(), nullable=False),
    sa.ForeignKeyConstraint(
        ["game_id", "player_id"],
        ["game_players.game_id", "game_players.player_id"],
        name="fk_answers_player",
        ondelete="CASCADE",
    ),
    sa.Index("ix_answers_player", "game_id", "player_id"),
    **TABLE_OPTIONS,
)

# The history log: every event the persist function received, once per event id.
game_events = sa.Table(
    "game_events",
    metadata,
    sa.Column("event_id", _key(128), primary_key=True),
    sa.Column(
        "game_id",
        _id32(),
        sa.ForeignKey("games.id", name="fk_game_events_game", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("at", _timestamp(), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    **TABLE_OPTIONS,
)


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def create_engine(url: str) -> Engine:
    """Create an engine for ``url`` with utf8mb4, UTC and the shared ``sql_mode``."""
    parsed = make_url(url)
    if "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": CHARSET})
    init_command = f"SET SESSION sql_mode = '{SQL_MODE}', time_zone = '+00:00'"
    return sa.create_engine(
        parsed,
        # A warm Lambda environment can sit idle for longer than the server's wait_timeout.
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={"init_command": init_command},
        # Error messages leave out the statement's values, which include password hashes,
        # nicknames and answers, so that logs and traces do not carry them.
        hide_parameters=True,
    )


def engine(url: str) -> Engine:
    """Return this process's engine for ``url``, created on first use.

    A Lambda environment keeps module state between invocations, so its connection pool is
    reused by every warm invocation.
    """
    with _engines_lock:
        current = _engines.get(url)
        if current is None:
            current = create_engine(url)
            _engines[url] = current
        return current


def dispose(url: str) -> None:
    """Close the pooled connections of ``url``'s engine and forget it."""
    with _engines_lock:
        current = _engines.pop(url, None)
    if current is not None:
        current.dispose()
