import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from livequiz import db, migrate
from livequiz.config import Settings
from tests.scratch_db import scratch_database

REPOSITORY = Path(__file__).resolve().parents[2]
TABLES = {"users", "quizzes", "questions", "games", "game_players", "answers", "game_events"}


@pytest.fixture(scope="module")
def url(settings: Settings) -> Iterator[str]:
    with scratch_database(settings.mysql_url, "migrations") as scratch_url:
        yield scratch_url


def table_names(url: str) -> set[str]:
    engine = db.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_creates_every_table(url: str) -> None:
    assert table_names(url) == TABLES


def test_schema_matches_table_definitions(url: str) -> None:
    engine = db.create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_text_columns_use_utf8mb4(url: str) -> None:
    query = sa.text(
        "SELECT table_name, column_name, character_set_name, collation_name"
        " FROM information_schema.columns"
        " WHERE table_schema = DATABASE() AND character_set_name IS NOT NULL"
    )
    engine = db.create_engine(url)
    try:
        with engine.connect() as connection:
            columns = {(row[0], row[1]): (row[2], row[3]) for row in connection.execute(query)}
    finally:
        engine.dispose()
    assert columns
    assert {charset for charset, _ in columns.values()} == {"utf8mb4"}
    assert columns[("game_players", "nickname_key")][1] == "utf8mb4_bin"
    assert columns[("users", "email")][1] == "utf8mb4_bin"
    assert columns[("game_players", "nickname")][1] == "utf8mb4_unicode_ci"


def test_emoji_text_round_trips(url: str) -> None:
    name = "🦊 Füchsin 👩🏽‍🚀"
    users = db.users.c
    engine = db.create_engine(url)
    try:
        with engine.begin() as connection:
            user_id = connection.execute(
                sa.insert(db.users).values(
                    email="emoji@example.com", display_name=name, password_hash="x"
                )
            ).lastrowid
            stored = connection.execute(
                sa.select(users.display_name).where(users.id == user_id)
            ).scalar_one()
            connection.execute(sa.delete(db.users).where(users.id == user_id))
    finally:
        engine.dispose()
    assert stored == name


def test_errors_leave_out_values(url: str) -> None:
    engine = db.create_engine(url)
    row = {"email": "hidden@example.com", "display_name": "Hidden", "password_hash": "$argon2id$x"}
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(db.users).values(**row))
        with pytest.raises(sa.exc.IntegrityError) as duplicate, engine.begin() as connection:
            connection.execute(sa.insert(db.users).values(**row))
        with engine.begin() as connection:
            connection.execute(sa.delete(db.users).where(db.users.c.email == row["email"]))
    finally:
        engine.dispose()
    message = str(duplicate.value)
    assert "SQL parameters hidden" in message
    assert "$argon2id$x" not in message


def test_downgrade_then_upgrade(url: str) -> None:
    migrate.downgrade(url, "base")
    assert table_names(url) == set()
    migrate.upgrade(url)
    assert table_names(url) == TABLES


def test_command_line_reports_head(url: str) -> None:
    command = [sys.executable, "-m", "livequiz.migrate"]
    upgrade = subprocess.run(
        [*command, "--url", url], cwd=REPOSITORY, capture_output=True, text=True, timeout=60
    )
    assert upgrade.returncode == 0, upgrade.stderr
    current = subprocess.run(
        [*command, "current", "--url", url],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert current.returncode == 0, current.stderr
    head = ScriptDirectory.from_config(migrate.alembic_config(url)).get_current_head()
    assert head == "0003"
    assert f"{head} (head)" in current.stdout
