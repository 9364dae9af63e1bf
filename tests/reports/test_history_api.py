"""GET /users/me/history: the games a user hosted and played in, newest first."""

from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from livequiz import db
from livequiz.config import Settings
from tests.reports.conftest import ReportGame, headers, insert_game, insert_player


@pytest.fixture
def history(engine: Engine, report_game: ReportGame) -> dict[str, str]:
    """Add a lobby that the host never started and a running game that the host plays in.

    The player's user hosts the running game. Returns the game ids by name.
    """
    users = report_game.users
    lobby = insert_game(
        engine,
        report_game.quiz_id,
        users.host,
        question_count=7,
        created_at=datetime(2026, 12, 2, 9, 0),
    )
    running = insert_game(
        engine,
        report_game.quiz_id,
        users.player,
        status="running",
        question_count=7,
        created_at=datetime(2026, 12, 1, 11, 0),
        started_at=datetime(2026, 12, 1, 12, 0),
    )
    host_plays = insert_player(
        engine, running, "HostPlays", users.host, total_score=700, reached_seq=4
    )
    zed = insert_player(engine, running, "Zed", None, total_score=500, reached_seq=3)
    # Question 0 is revealed, question 1 still open: only question 0 counts in the history.
    with engine.begin() as connection:
        connection.execute(
            sa.update(db.games).where(db.games.c.id == running).values(revealed_through=0)
        )
        for question, player, points in ((0, host_plays, 300), (0, zed, 500), (1, host_plays, 400)):
            connection.execute(
                sa.insert(db.answers).values(
                    game_id=running,
                    question_index=question,
                    player_id=player,
                    choice=1,
                    correct=True,
                    points=points,
                    elapsed_ms=1000,
                    answered_at=datetime(2026, 12, 1, 12, question + 1),
                )
            )
    return {"ended": report_game.game_id, "lobby": lobby, "running": running}


def hosted(game_id: str, date: str, status: str, players: int, winner: str | None) -> Any:
    return {
        "role": "host",
        "game_id": game_id,
        "quiz_title": "Mixed bag",
        "date": date,
        "status": status,
        "player_count": players,
        "winner": winner,
        # The fixture's games are in MySQL only, so none is live in Redis.
        "live": False,
    }


def played(
    game_id: str, date: str, status: str, nickname: str, rank: int | None, score: int, players: int
) -> Any:
    return {
        "role": "player",
        "game_id": game_id,
        "quiz_title": "Mixed bag",
        "date": date,
        "status": status,
        "nickname": nickname,
        "rank": rank,
        "score": score,
        "player_count": players,
    }


def read_history(
    client: TestClient, settings: Settings, user_id: int, **params: int
) -> dict[str, Any]:
    response = client.get("/users/me/history", headers=headers(settings, user_id), params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_host_history_newest_first(
    client: TestClient,
    report_settings: Settings,
    report_game: ReportGame,
    history: dict[str, str],
) -> None:
    body = read_history(client, report_settings, report_game.users.host)
    assert body == {
        "games": [
            hosted(history["lobby"], "2026-12-02T09:00:00Z", "lobby", 0, None),
            played(history["running"], "2026-12-01T12:00:00Z", "running", "HostPlays", 2, 300, 2),
            hosted(history["ended"], "2026-12-01T10:00:00Z", "ended", 3, "Ada"),
        ],
        "total": 3,
        "limit": 20,
        "offset": 0,
    }


def test_history_pages(
    client: TestClient,
    report_settings: Settings,
    report_game: ReportGame,
    history: dict[str, str],
) -> None:
    body = read_history(client, report_settings, report_game.users.host, limit=1, offset=1)
    assert [game["game_id"] for game in body["games"]] == [history["running"]]
    assert (body["total"], body["limit"], body["offset"]) == (3, 1, 1)
    past_end = read_history(client, report_settings, report_game.users.host, offset=3)
    assert past_end["games"] == []
    assert past_end["total"] == 3


def test_player_history_with_rank(
    client: TestClient,
    report_settings: Settings,
    report_game: ReportGame,
    history: dict[str, str],
) -> None:
    body = read_history(client, report_settings, report_game.users.player)
    # The running game has a leader but no winner yet.
    assert body["games"] == [
        hosted(history["running"], "2026-12-01T12:00:00Z", "running", 2, None),
        played(history["ended"], "2026-12-01T10:00:00Z", "ended", "Bob", 3, 2500, 3),
    ]


def test_kicked_player_has_no_rank(
    client: TestClient, report_settings: Settings, report_game: ReportGame
) -> None:
    body = read_history(client, report_settings, report_game.users.kicked)
    assert body["games"] == [
        played(report_game.game_id, "2026-12-01T10:00:00Z", "ended", "Kim", None, 0, 3)
    ]


@pytest.mark.parametrize(
    ("leaderboard", "status", "shown"),
    [("never", "ended", False), ("end", "running", False), ("end", "ended", True)],
)
def test_history_follows_leaderboard_option(
    client: TestClient,
    engine: Engine,
    report_settings: Settings,
    report_game: ReportGame,
    leaderboard: str,
    status: str,
    shown: bool,
) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.update(db.games)
            .where(db.games.c.id == report_game.game_id)
            .values(options={"leaderboard": leaderboard}, status=status)
        )
    (game,) = read_history(client, report_settings, report_game.users.player)["games"]
    assert game["nickname"] == "Bob"
    if shown:
        assert (game["rank"], game["score"]) == (3, 2500)
    else:
        assert game["rank"] is None
        assert game["score"] is None


def test_stranger_history_empty(
    client: TestClient, report_settings: Settings, report_game: ReportGame
) -> None:
    body = read_history(client, report_settings, report_game.users.stranger)
    assert body == {"games": [], "total": 0, "limit": 20, "offset": 0}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": 0}, "query.limit: Input should be greater than or equal to 1"),
        ({"limit": 101}, "query.limit: Input should be less than or equal to 100"),
        ({"offset": -1}, "query.offset: Input should be greater than or equal to 0"),
    ],
)
def test_history_rejects_bad_page(
    client: TestClient,
    report_settings: Settings,
    report_game: ReportGame,
    params: dict[str, int],
    message: str,
) -> None:
    response = client.get(
        "/users/me/history",
        headers=headers(report_settings, report_game.users.host),
        params=params,
    )
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "invalid_input", "message": message}}


def test_history_needs_token(client: TestClient) -> None:
    response = client.get("/users/me/history")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"
