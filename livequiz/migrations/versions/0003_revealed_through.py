"""Keep the last revealed question of each game.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

While a game runs, its public results count only the questions revealed so far, so that no
one learns from them whether an answer to the open question was right.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("games", sa.Column("revealed_through", sa.Integer, nullable=True))


def downgrade() -> None:
    op.drop_column("games", "revealed_through")
