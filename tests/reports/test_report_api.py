"""The report routes over a finished game: exact numbers, CSV text, the workbook, and access."""

import io
from typing import Any

import openpyxl
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from livequiz import db
from livequiz.config import Settings
from tests.reports.conftest import FORMULA_NICKNAME, ReportGame, headers


def entry(label: str, count: int, correct: bool | None, value: Any = None) -> dict[str, Any]:
    return {"label": label, "value": value, "count": count, "correct": correct}


def question(
    index: int,
    kind: str,
    text: str,
    counts: tuple[int, int, float | None, int],
    distribution: list[dict[str, Any]],
) -> dict[str, Any]:
    answered, correct, rate, average = counts
    return {
        "index": index,
        "type": kind,
        "text": text,
        "answered_count": answered,
        "correct_count": correct,
        "correct_rate": rate,
        "average_time_ms": average,
        "distribution": distribution,
    }


def expected_report(game: ReportGame) -> dict[str, Any]:
    ids = game.players
    return {
        "game_id": game.game_id,
        "quiz_title": "Mixed bag",
        "status": "ended",
        "created_at": "2026-12-01T09:55:00Z",
        "started_at": "2026-12-01T10:00:00Z",
        "ended_at": "2026-12-01T10:09:30.250000Z",
        "player_count": 3,
        "question_count": 7,
        "players": [
            {
                "player_id": ids[nickname],
                "nickname": nickname,
                "rank": rank,
                "score": score,
                "correct_count": correct,
                "answered_count": answered,
                "average_time_ms": average,
                "kicked": rank is None,
            }
            for nickname, rank, score, correct, answered, average in [
                ("Ada", 1, 5850, 6, 7, 2100),
                (FORMULA_NICKNAME, 2, 2500, 1, 6, 3750),
                ("Bob", 3, 2500, 2, 7, 3571),
                ("Kim", None, 0, 0, 1, 497),
            ]
        ],
        "questions": [
            question(
                0,
                "single",
                "Capital of France?",
                (4, 2, 0.5, 1625),
                [entry("Paris", 2, True), entry("Lyon", 1, False), entry("Nice", 1, False)],
            ),
            question(
                1,
                "true_false",
                "The Earth is flat.",
                (2, 1, 0.5, 1750),
                [entry("True", 1, False), entry("False", 1, True)],
            ),
            question(
                2,
                "multiple",
                "Which are prime?",
                (3, 1, 0.3333, 2567),
                [
                    entry("2", 2, True),
                    entry("3", 2, True),
                    entry("4", 1, False),
                    entry("5", 1, True),
                ],
            ),
            question(
                3,
                "type_answer",
                "Highest mountain?",
                (3, 2, 0.6667, 4000),
                [
                    entry("Mount Everest", 1, True),
                    entry("Everest", 1, True),
                    entry("other", 1, False),
                ],
            ),
            question(
                4,
                "slider",
                "The answer to everything?",
                (3, 2, 0.6667, 2000),
                [entry("10", 1, False, 10), entry("42", 1, True, 42), entry("44", 1, True, 44)],
            ),
            question(
                5,
                "ordering",
                "Count up.",
                (3, 1, 0.3333, 7000),
                [entry("One", 1, None), entry("Two", 2, None), entry("Three", 2, None)],
            ),
            question(
                6,
                "poll",
                "Cats or dogs?",
                (3, 0, None, 2000),
                [entry("Cats", 1, None), entry("Dogs", 2, None)],
            ),
        ],
    }


EXPECTED_CSV = """\
players
rank,nickname,score,correct_count,answered_count,average_time_ms,kicked
1,Ada,5850,6,7,2100,false
2,"'=HYPERLINK(""x"",""y"")",2500,1,6,3750,false
3,Bob,2500,2,7,3571,false
,Kim,0,0,1,497,true

questions
index,type,text,answered_count,correct_count,correct_rate,average_time_ms
0,single,Capital of France?,4,2,0.5,1625
1,true_false,The Earth is flat.,2,1,0.5,1750
2,multiple,Which are prime?,3,1,0.3333,2567
3,type_answer,Highest mountain?,3,2,0.6667,4000
4,slider,The answer to everything?,3,2,0.6667,2000
5,ordering,Count up.,3,1,0.3333,7000
6,poll,Cats or dogs?,3,0,,2000

distribution
question,option,count,correct
0,Paris,2,true
0,Lyon,1,false
0,Nice,1,false
1,True,1,false
1,False,1,true
2,2,2,true
2,3,2,true
2,4,1,false
2,5,1,true
3,Mount Everest,1,true
3,Everest,1,true
3,other,1,false
4,10,1,false
4,42,1,true
4,44,1,true
5,One,1,
5,Two,2,
5,Three,2,
6,Cats,1,
6,Dogs,2,
""".replace("\n", "\r\n")


def test_json_report_exact(
    client: TestClient, report_settings: Settings, report_game: ReportGame
) -> None:
    host = headers(report_settings, report_game.users.host)
    response = client.get(f"/games/{report_game.game_id}/report", headers=host)
    assert response.status_code == 200, response.text
    assert response.json() == expected_report(report_game)


def test_report_without_played_questions(
    client: TestClient, report_settings: Settings, report_game: ReportGame, engine: Engine
) -> None:
    # A game created before games.questions existed reads its quiz's questions instead.
    with engine.begin() as connection:
        connection.execute(
            sa.update(db.games)
            .where(db.games.c.id == report_game.game_id)
            .values(questions=sa.null())
        )
    host = headers(report_settings, report_game.users.host)
    response = client.get(f"/games/{report_game.game_id}/report", headers=host)
    assert response.status_code == 200, response.text
    assert response.json() == expected_report(report_game)


def test_csv_report_exact(
    client: TestClient, report_settings: Settings, report_game: ReportGame
) -> None:
    host = headers(report_settings, report_game.users.host)
    response = client.get(f"/games/{report_game.game_id}/report.csv", headers=host)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="livequiz-report-{report_game.game_id}.csv"'
    )
    assert response.text == EXPECTED_CSV


def test_xlsx_report_read_back(
    client: TestClient, report_settings: Settings, report_game: ReportGame
) -> None:
    host = headers(report_settings, report_game.users.host)
    response = client.get(f"/games/{report_game.game_id}/report.xlsx", headers=host)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["content-disposition"] == (
        f'attachment; filename="livequiz-report-{report_game.game_id}.xlsx"'
    )
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Players", "Questions", "Distribution"]

    players = workbook["Players"]
    assert [cell.value for cell in players[1]] == [
        "rank",
        "nickname",
        "score",
        "correct_count",
        "answered_count",
        "average_time_ms",
        "kicked",
    ]
    assert all(cell.font.bold for cell in players[1])
    assert [[cell.value for cell in row] for row in players.iter_rows(min_row=2)] == [
        [1, "Ada", 5850, 6, 7, 2100, False],
        [2, FORMULA_NICKNAME, 2500, 1, 6, 3750, False],
        [3, "Bob", 2500, 2, 7, 3571, False],
        [None, "Kim", 0, 0, 1, 497, True],
    ]
    formula_cell = players["B3"]
    assert formula_cell.data_type == "s"
    assert formula_cell.quotePrefix
    assert not players["B2"].quotePrefix
    assert players["C2"].data_type == "n"

    questions = workbook["Questions"]
    assert all(cell.font.bold for cell in questions[1])
    assert [cell.value for cell in questions[2]] == [
        0,
        "single",
        "Capital of France?",
        4,
        2,
        0.5,
        1625,
    ]
    assert questions["F8"].value is None
    assert questions["F5"].value == 0.6667

    distribution = workbook["Distribution"]
    assert distribution.max_row == 21
    assert [cell.value for cell in distribution[14]] == [4, 10, 1, False]
    assert distribution["B14"].data_type == "n"
    assert [cell.value for cell in distribution[18]] == [5, "Two", 2, None]


def test_report_for_host_only(
    client: TestClient, report_settings: Settings, report_game: ReportGame
) -> None:
    stranger = headers(report_settings, report_game.users.stranger)
    for suffix in ("", ".csv", ".xlsx"):
        response = client.get(f"/games/{report_game.game_id}/report{suffix}", headers=stranger)
        assert response.status_code == 403, suffix
        assert response.json() == {
            "error": {
                "code": "not_game_host",
                "message": f"game {report_game.game_id} was hosted by another user: "
                "only its host can read its report",
            }
        }


def test_report_needs_token(client: TestClient, report_game: ReportGame) -> None:
    response = client.get(f"/games/{report_game.game_id}/report.csv")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"


def test_report_of_unknown_game(
    client: TestClient, report_settings: Settings, report_game: ReportGame
) -> None:
    host = headers(report_settings, report_game.users.host)
    for suffix in ("", ".csv", ".xlsx"):
        response = client.get(f"/games/{'0' * 32}/report{suffix}", headers=host)
        assert response.status_code == 404, suffix
        assert response.json() == {
            "error": {"code": "unknown_game", "message": f"game {'0' * 32} does not exist"}
        }
