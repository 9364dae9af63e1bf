"""Create the users, quizzes, games and history tables.

Revision ID: 0001
Revises:
Create Date: 2026-12-04

The tables are written out here instead of taken from ``livequiz.db`` so that this revision
keeps creating the same schema when ``db.py`` changes later.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}


def key(length: int) -> mysql.VARCHAR:
    return mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin")


def id32() -> mysql.CHAR:
    return mysql.CHAR(32, charset="utf8mb4", collation="utf8mb4_bin")


def timestamp() -> mysql.DATETIME:
    return mysql.DATETIME(fsp=3)


NOW = sa.text("CURRENT_TIMESTAMP(3)")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("email", key(254), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", timestamp(), nullable=False, server_default=NOW),
        sa.UniqueConstraint("email", name="uq_users_email"),
        **OPTIONS,
    )
    op.create_table(
        "quizzes",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("owner_id", sa.BigInteger, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("created_at", timestamp(), nullable=False, server_default=NOW),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_quizzes_owner"),
        sa.Index("ix_quizzes_owner_id", "owner_id"),
        **OPTIONS,
    )
    op.create_table(
        "questions",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("quiz_id", sa.BigInteger, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("choices", sa.JSON, nullable=False),
        sa.Column("correct", sa.Integer, nullable=False),
        sa.Column("time_limit_s", sa.Integer, nullable=False),
        sa.Column("category", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(
            ["quiz_id"], ["quizzes.id"], name="fk_questions_quiz", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("quiz_id", "position", name="uq_questions_quiz_position"),
        **OPTIONS,
    )
    op.create_table(
        "games",
        sa.Column("id", id32(), primary_key=True),
        sa.Column("quiz_id", sa.BigInteger, nullable=False),
        sa.Column("host_user_id", sa.BigInteger, nullable=False),
        sa.Column("pin", mysql.CHAR(6, charset="utf8mb4", collation="utf8mb4_bin"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="lobby"),
        sa.Column("question_count", sa.Integer, nullable=False),
        sa.Column("created_at", timestamp(), nullable=False, server_default=NOW),
        sa.Column("started_at", timestamp(), nullable=True),
        sa.Column("ended_at", timestamp(), nullable=True),
        sa.ForeignKeyConstraint(["quiz_id"], ["quizzes.id"], name="fk_games_quiz"),
        sa.ForeignKeyConstraint(["host_user_id"], ["users.id"], name="fk_games_host"),
        sa.Index("ix_games_quiz_id", "quiz_id"),
        sa.Index("ix_games_host_user_id", "host_user_id"),
        **OPTIONS,
    )
    op.create_table(
        "game_players",
        sa.Column("game_id", id32(), primary_key=True),
        sa.Column("player_id", id32(), primary_key=True),
        sa.Column("nickname", sa.String(255), nullable=False),
        sa.Column("nickname_key", key(255), nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=True),
        sa.Column("joined_at", timestamp(), nullable=False, server_default=NOW),
        sa.Column("total_score", sa.Integer, nullable=False, server_default="0"),
        sa.Column("correct_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reached_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("final_rank", sa.Integer, nullable=True),
        sa.ForeignKeyConstraint(
            ["game_id"], ["games.id"], name="fk_game_players_game", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_game_players_user"),
        sa.UniqueConstraint("game_id", "nickname_key", name="uq_game_players_nickname"),
        sa.Index("ix_game_players_user_id", "user_id"),
        **OPTIONS,
    )
    op.create_table(
        "answers",
        sa.Column("game_id", id32(), primary_key=True),
        sa.Column("question_index", sa.Integer, primary_key=True),
        sa.Column("player_id", id32(), primary_key=True),
        sa.Column("choice", sa.Integer, nullable=False),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("elapsed_ms", sa.Integer, nullable=False),
        sa.Column("answered_at", timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["game_id", "player_id"],
            ["game_players.game_id", "game_players.player_id"],
            name="fk_answers_player",
            ondelete="CASCADE",
        ),
        sa.Index("ix_answers_player", "game_id", "player_id"),
        **OPTIONS,
    )
    op.create_table(
        "game_events",
        sa.Column("event_id", key(128), primary_key=True),
        sa.Column("game_id", id32(), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("at", timestamp(), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["game_id"], ["games.id"], name="fk_game_events_game", ondelete="CASCADE"
        ),
        sa.Index("ix_game_events_game_id", "game_id"),
        **OPTIONS,
    )


def downgrade() -> None:
    for table in (
        "game_events",
        "answers",
        "game_players",
        "games",
        "questions",
        "quizzes",
        "users",
    ):
        op.drop_table(table)
