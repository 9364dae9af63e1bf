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
) -> int:
    """Wait until persist has stored ``accepted`` answers and the end, then return the count."""
    deadline = time.monotonic() + timeout_s
    count = 0
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            count = connection.execute(
                sa.text("SELECT COUNT(*) FROM answers WHERE game_id = :game"), {"game": game_id}
            ).scalar_one()
            status = connection.execute(
                sa.text("SELECT status FROM games WHERE id = :game"), {"game": game_id}
            ).scalar_one_or_none()
        if count >= accepted and status == "ended":
            return int(count)
        time.sleep(0.25)
    return int(count)


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
        stored_totals: dict[str, int] = dict(
            connection.execute(
                sa.text("SELECT player_id, total_score FROM game_players WHERE game_id = :game"),
                {"game": game_id},
            ).all()
        )
    result.answers_in_mysql = sum(int(row[2]) for row in rows)
    duplicates = [row for row in rows if row[2] != 1]
    if duplicates:
        result.problems.append(f"{len(duplicates)} answers are stored more than once")
    if result.answers_in_mysql != accepted:
        result.problems.append(
            f"MySQL holds {result.answers_in_mysql} answers but {accepted} were accepted"
        )
    for entry in store.ranking(game_id):
        answered_sum = int(sums.get(entry.player_id, 0))
        stored = stored_totals.get(entry.player_id)
        if answered_sum != entry.score:
            result.problems.append(
                f"player {entry.player_id}: answers in MySQL add up to {answered_sum}, "
                f"Redis has {entry.score}"
            )
        if stored is None or int(stored) != entry.score:
            result.problems.append(
                f"player {entry.player_id}: total in MySQL is {stored}, Redis has {entry.score}"
            )
    return result
