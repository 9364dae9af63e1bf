"""A whole game through the local stack: 20 players over real WebSocket connections, then MySQL."""

import os
import re
import subprocess
import sys

import sqlalchemy as sa

from livequiz.config import Settings
from tests.conftest import scaled

PLAYERS = 20
QUESTIONS = 3


def test_demo_game_lands_in_mysql(settings: Settings, tmp_path) -> None:
    environment = dict(os.environ, COLUMNS="120")
    command = [
        sys.executable, "-m", "livequiz.demo",
        "--players", str(PLAYERS), "--questions", str(QUESTIONS),
        "--seconds-per-question", "5", "--accuracy", "0.6", "--seed", "7",
        "--log", str(tmp_path / "stack.log"),
    ]  # fmt: skip
    finished = subprocess.run(
        command, capture_output=True, text=True, env=environment, timeout=scaled(180)
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, output + (tmp_path / "stack.log").read_text()[-4000:]
    assert f"players: {PLAYERS}" in output
    assert f"answers accepted: {PLAYERS * QUESTIONS} (rejected: none)" in output
    assert "check passed" in output
    # JWTs start with "eyJ"; the query string that carries them is redacted in every log line.
    assert "eyJ" not in (tmp_path / "stack.log").read_text()
    assert "eyJ" not in output

    game_id = re.search(r"Game ([0-9a-f]{32}), PIN \d{6}", output)
    assert game_id is not None, output
    engine = sa.create_engine(settings.mysql_url)
    with engine.connect() as connection:
        answers = connection.execute(
            sa.text(
                "SELECT COUNT(*), COUNT(DISTINCT question_index, player_id) FROM answers "
                "WHERE game_id = :game"
            ),
            {"game": game_id.group(1)},
        ).one()
        status = connection.execute(
            sa.text("SELECT status FROM games WHERE id = :game"), {"game": game_id.group(1)}
        ).scalar_one()
        ranks = (
            connection.execute(
                sa.text(
                    "SELECT final_rank FROM game_players WHERE game_id = :game "
                    "ORDER BY total_score DESC, reached_seq ASC"
                ),
                {"game": game_id.group(1)},
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert tuple(answers) == (PLAYERS * QUESTIONS, PLAYERS * QUESTIONS)
    assert status == "ended"
    assert list(ranks) == list(range(1, PLAYERS + 1))
