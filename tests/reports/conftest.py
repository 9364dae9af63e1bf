"""Fixtures of the report tests: a scratch database holding one finished game, and a client.

The game has seven questions, one of each type, and four players: Ada, Bob, a player whose
nickname is a spreadsheet formula, and Kim, who was kicked after the first question. Every
number that the tests expect follows from the rows below.
"""

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from functions.auth import deps
from functions.auth.app import app
from livequiz import catalog, db, tokens
from livequiz.config import Settings
from livequiz.ids import UserId, new_game_id, new_player_id
from livequiz.quizzes import parse_quiz, redis_questions
from livequiz.tokens import Claims, TokenKind
from tests.auth.conftest import close_import_loop  # noqa: F401
from tests.scratch_db import scratch_database

FORMULA_NICKNAME = '=HYPERLINK("x","y")'

QUIZ = {
    "title": "Mixed bag",
    "questions": [
        {"text": "Capital of France?", "choices": ["Paris", "Lyon", "Nice"], "correct": 0},
        {"type": "true_false", "text": "The Earth is flat.", "correct": False},
        {
            "type": "multiple",
            "text": "Which are prime?",
            "choices": ["2", "3", "4", "5"],
            "correct": [0, 1, 3],
            "scoring": "partial",
        },
        {
            "type": "type_answer",
            "text": "Highest mountain?",
            "accepted": ["Mount Everest", "Everest"],
        },
        {
            "type": "slider",
            "text": "The answer to everything?",
            "min": 0,
            "max": 100,
            "correct": 42,
            "tolerance": 2,
        },
        {"type": "ordering", "text": "Count up.", "items": ["One", "Two", "Three"]},
        {"type": "poll", "text": "Cats or dogs?", "choices": ["Cats", "Dogs"]},
    ],
}

# (question, nickname): (response, correct, elapsed_ms). The choice column is also set for the
# single choice, true/false and poll questions (0, 1 and 6).
ANSWERS: dict[tuple[int, str], tuple[Any, bool | None, int]] = {
    (0, "Ada"): (0, True, 1000),
    (0, "Bob"): (1, False, 3000),
    (0, FORMULA_NICKNAME): (0, True, 2001),
    (0, "Kim"): (2, False, 497),
    (1, "Ada"): (1, True, 1500),
    (1, "Bob"): (0, False, 2000),
    (2, "Ada"): ([0, 1, 3], True, 1200),
    (2, "Bob"): ([0, 1], False, 4000),
    (2, FORMULA_NICKNAME): ([2], False, 2500),
    (3, "Ada"): ("everest", True, 3000),
    (3, "Bob"): ("mount everest", True, 5000),
    (3, FORMULA_NICKNAME): ("k2", False, 4000),
    (4, "Ada"): (42, True, 1000),
    (4, "Bob"): (44.0, True, 2000),
    (4, FORMULA_NICKNAME): (10, False, 3000),
    (5, "Ada"): ([0, 1, 2], True, 6000),
    (5, "Bob"): ([1, 0, 2], False, 7000),
    (5, FORMULA_NICKNAME): ([2, 1, 0], False, 8000),
    (6, "Ada"): (1, None, 1000),
    (6, "Bob"): (1, None, 2000),
    (6, FORMULA_NICKNAME): (0, None, 3001),
}
CHOICE_QUESTIONS = (0, 1, 6)

# nickname: (total_score, reached_seq, kicked). The formula player reached 2500 before Bob.
PLAYERS = {
    "Ada": (5850, 20, False),
    "Bob": (2500, 18, False),
    FORMULA_NICKNAME: (2500, 15, False),
    "Kim": (0, 0, True),
}

CREATED_AT = datetime(2026, 12, 1, 9, 55)
STARTED_AT = datetime(2026, 12, 1, 10, 0)
ENDED_AT = datetime(2026, 12, 1, 10, 9, 30, 250000)


@dataclass(frozen=True)
class Users:
    host: int
    player: int
    kicked: int
    stranger: int


@dataclass(frozen=True)
class ReportGame:
    game_id: str
    quiz_id: int
    users: Users
    # nickname: player id
    players: dict[str, str]


@pytest.fixture(scope="session")
def report_settings(settings: Settings) -> Iterator[Settings]:
    with scratch_database(settings.mysql_url, "reports") as url:
        yield settings.model_copy(update={"mysql_url": url})


@pytest.fixture
def engine(report_settings: Settings) -> Engine:
    return db.engine(report_settings.mysql_url)


@pytest.fixture
def client(report_settings: Settings) -> Iterator[TestClient]:
    app.dependency_overrides[deps.settings] = lambda: report_settings
    try:
        with TestClient(app) as test_client:
            yield test_client
    finally:
        app.dependency_overrides.pop(deps.settings, None)


def add_user(engine: Engine, name: str) -> int:
    with engine.begin() as connection:
        user_id: int = connection.execute(
            sa.insert(db.users).values(
                email=f"{name}-{uuid.uuid4().hex[:12]}@example.com",
                display_name=name,
                password_hash="not a hash",
            )
        ).lastrowid
    return user_id


def headers(settings: Settings, user_id: int) -> dict[str, str]:
    token = tokens.issue(settings, Claims(TokenKind.ACCESS, str(user_id)))
    return {"Authorization": f"Bearer {token}"}


def insert_game(engine: Engine, quiz_id: int, host: int, **columns: Any) -> str:
    game_id = new_game_id()
    with engine.begin() as connection:
        connection.execute(
            sa.insert(db.games).values(
                id=game_id, quiz_id=quiz_id, host_user_id=host, pin="654321", **columns
            )
        )
    return game_id


def insert_player(
    engine: Engine, game_id: str, nickname: str, user_id: int | None = None, **columns: Any
) -> str:
    player_id = new_player_id()
    with engine.begin() as connection:
        connection.execute(
            sa.insert(db.game_players).values(
                game_id=game_id,
                player_id=player_id,
                nickname=nickname,
                nickname_key=nickname.casefold(),
                user_id=user_id,
                **columns,
            )
        )
    return player_id


@pytest.fixture
def report_game(engine: Engine) -> ReportGame:
    users = Users(
        host=add_user(engine, "host"),
        player=add_user(engine, "player"),
        kicked=add_user(engine, "kicked"),
        stranger=add_user(engine, "stranger"),
    )
    quiz = parse_quiz(QUIZ)
    quiz_id = catalog.save_quiz(engine, UserId(users.host), quiz, "json")
    game_id = insert_game(
        engine,
        quiz_id,
        users.host,
        status="ended",
        question_count=len(quiz.questions),
        questions=redis_questions(quiz.questions, rng=random.Random(3)),
        created_at=CREATED_AT,
        started_at=STARTED_AT,
        ended_at=ENDED_AT,
    )
    linked = {"Bob": users.player, "Kim": users.kicked}
    players = {}
    for seconds, (nickname, (total, reached, kicked)) in enumerate(PLAYERS.items()):
        players[nickname] = insert_player(
            engine,
            game_id,
            nickname,
            linked.get(nickname),
            total_score=total,
            reached_seq=reached,
            kicked=kicked,
            joined_at=datetime(2026, 12, 1, 9, 56, seconds),
        )
    rows = [
        {
            "game_id": game_id,
            "question_index": question,
            "player_id": players[nickname],
            "choice": response if question in CHOICE_QUESTIONS else None,
            "response": response,
            "correct": correct,
            "points": 0,
            "elapsed_ms": elapsed_ms,
            "answered_at": STARTED_AT,
        }
        for (question, nickname), (response, correct, elapsed_ms) in ANSWERS.items()
    ]
    with engine.begin() as connection:
        connection.execute(sa.insert(db.answers), rows)
    return ReportGame(game_id, quiz_id, users, players)
