"""The demo's closing check: MySQL has each accepted answer once, with the totals of Redis."""

import time
from dataclasses import dataclass, field

import sqlalchemy as sa

from livequiz.ids import GameId
from livequiz.store import GameStore


@dataclass
class CheckResult:
    answers_in_mysql: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def wait_until_persisted(
    engine: sa.Engine, game_id: GameId, accepted: int, timeout_s: float
) -> bool:
    """Wait until persist has stored ``accepted`` answers and the end; return whether it did."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            count = connection.execute(
                sa.text("SELECT COUNT(*) FROM answers WHERE game_id = :game"), {"game": game_id}
            ).scalar_one()
            status = connection.execute(
                sa.text("SELECT status FROM games WHERE id = :game"), {"game": game_id}
            ).scalar_one_or_none()
        if count >= accepted and status == "ended":
            return True
        time.sleep(0.25)
    return False


def compare(engine: sa.Engine, store: GameStore, game_id: GameId, accepted: int) -> CheckResult:
    result = CheckResult()
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT question_index, player_id, COUNT(*) FROM answers WHERE game_id = :game "
                "GROUP BY question_index, player_id"
            ),
            {"game": game_id},
        ).all()
        sums: dict[str, int] = dict(
            connection.execute(
                sa.text(
                    "SELECT player_id, SUM(points) FROM answers WHERE game_id = :game "
                    "GROUP BY player_id"
                ),
                {"game": game_id},
            ).all()
        )
        players = {
            row.player_id: row
            for row in connection.execute(
                sa.text(
                    "SELECT player_id, total_score, reached_seq, final_rank FROM game_players "
                    "WHERE game_id = :game"
                ),
                {"game": game_id},
            )
        }
        status = connection.execute(
            sa.text("SELECT status FROM games WHERE id = :game"), {"game": game_id}
        ).scalar_one_or_none()
    result.answers_in_mysql = sum(int(row[2]) for row in rows)
    if status != "ended":
        result.problems.append(f"the game is {status!r} in MySQL, not 'ended'")
    duplicates = [row for row in rows if row[2] != 1]
    if duplicates:
        result.problems.append(f"{len(duplicates)} answers are stored more than once")
    if result.answers_in_mysql != accepted:
        result.problems.append(
            f"MySQL has {result.answers_in_mysql} answers but {accepted} were accepted"
        )
    for entry in store.ranking(game_id):
        answered_sum = int(sums.get(entry.player_id, 0))
        if answered_sum != entry.score:
            result.problems.append(
                f"player {entry.player_id}: answers in MySQL add up to {answered_sum}, "
                f"Redis has {entry.score}"
            )
        row = players.get(entry.player_id)
        if row is None:
            result.problems.append(f"player {entry.player_id} is missing from MySQL")
            continue
        stored = (row.total_score, row.reached_seq, row.final_rank)
        expected = (entry.score, entry.reached_seq, entry.rank)
        if stored != expected:
            result.problems.append(
                f"player {entry.player_id}: (total, reached_seq, rank) is {stored} in MySQL, "
                f"{expected} in Redis"
            )
    return result
