"""Store every question type, game options, kicked players and answers of any shape.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04

``questions.body`` holds the whole question in our JSON format; ``choices`` and ``correct``
stay for the single choice questions written before it and are NULL for other kinds.
``games.questions`` keeps the questions as the game played them, so that editing the quiz
later does not change the game's report. ``answers.response`` holds the graded answer
(``questions.Grade.response``); ``choice`` stays for single choice answers, and ``correct`` is
NULL for a poll.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "questions",
        sa.Column("kind", sa.String(16), nullable=False, server_default="single"),
    )
    op.add_column("questions", sa.Column("body", sa.JSON, nullable=True))
    op.alter_column("questions", "choices", existing_type=sa.JSON, nullable=True)
    op.alter_column("questions", "correct", existing_type=sa.Integer, nullable=True)
    op.add_column("games", sa.Column("options", sa.JSON, nullable=True))
    op.add_column("games", sa.Column("questions", sa.JSON, nullable=True))
    op.add_column(
        "game_players",
        sa.Column("kicked", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("answers", sa.Column("response", sa.JSON, nullable=True))
    op.add_column("answers", sa.Column("bonus", sa.Integer, nullable=False, server_default="0"))
    op.add_column("answers", sa.Column("streak", sa.Integer, nullable=False, server_default="0"))
    op.alter_column("answers", "choice", existing_type=sa.Integer, nullable=True)
    op.alter_column("answers", "correct", existing_type=sa.Boolean, nullable=True)


def downgrade() -> None:
    op.alter_column("answers", "correct", existing_type=sa.Boolean, nullable=False)
    op.alter_column("answers", "choice", existing_type=sa.Integer, nullable=False)
    op.drop_column("answers", "streak")
    op.drop_column("answers", "bonus")
    op.drop_column("answers", "response")
    op.drop_column("game_players", "kicked")
    op.drop_column("games", "questions")
    op.drop_column("games", "options")
    op.alter_column("questions", "correct", existing_type=sa.Integer, nullable=False)
    op.alter_column("questions", "choices", existing_type=sa.JSON, nullable=False)
    op.drop_column("questions", "body")
    op.drop_column("questions", "kind")
