"""Quizzes in MySQL: saving a validated quiz with its questions, listing and loading them."""

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from livequiz import db
from livequiz.errors import NotFoundError
from livequiz.ids import QuizId, UserId
from livequiz.questions import AnyQuestion, SingleChoice
from livequiz.quizzes import Quiz, stored_question

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuizSummary:
    id: QuizId
    title: str
    question_count: int
    owner_id: UserId
    owner_name: str
    source: str


@dataclass(frozen=True)
class StoredQuiz:
    summary: QuizSummary
    description: str | None
    questions: list[AnyQuestion]


def save_quiz(engine: Engine, owner_id: UserId, quiz: Quiz, source: str) -> QuizId:
    """Insert a quiz and all its questions in one transaction, and return the quiz id."""
    rows = [
        {
            "position": position,
            "kind": question.type,
            "body": question.model_dump(mode="json", exclude_none=True),
            "text": question.text,
            "time_limit_s": question.time_limit,
            "category": question.category,
        }
        for position, question in enumerate(quiz.questions)
    ]
    with engine.begin() as connection:
        result = connection.execute(
            sa.insert(db.quizzes).values(
                owner_id=owner_id, title=quiz.title, description=quiz.description, source=source
            )
        )
        quiz_id = QuizId(result.lastrowid)
        for row in rows:
            row["quiz_id"] = quiz_id
        connection.execute(sa.insert(db.questions), rows)
    logger.info(
        "user %s saved quiz %s from %s with %d questions", owner_id, quiz_id, source, len(rows)
    )
    return quiz_id


def _summary_query() -> sa.Select[tuple[int, str, str, int, str, int]]:
    counts = (
        sa.select(db.questions.c.quiz_id, sa.func.count().label("question_count"))
        .group_by(db.questions.c.quiz_id)
        .subquery()
    )
    return (
        sa.select(
            db.quizzes.c.id,
            db.quizzes.c.title,
            db.quizzes.c.source,
            db.quizzes.c.owner_id,
            db.users.c.display_name,
            sa.func.coalesce(counts.c.question_count, 0).label("question_count"),
        )
        .join(db.users, db.users.c.id == db.quizzes.c.owner_id)
        .outerjoin(counts, counts.c.quiz_id == db.quizzes.c.id)
    )


def _summary(row: sa.Row[tuple[int, str, str, int, str, int]]) -> QuizSummary:
    return QuizSummary(
        id=QuizId(int(row.id)),
        title=row.title,
        question_count=int(row.question_count),
        owner_id=UserId(int(row.owner_id)),
        owner_name=row.display_name,
        source=row.source,
    )


def list_quizzes(engine: Engine, limit: int, offset: int = 0) -> list[QuizSummary]:
    """Return quizzes newest first."""
    query = _summary_query().order_by(db.quizzes.c.id.desc()).limit(limit).offset(offset)
    with engine.connect() as connection:
        return [_summary(row) for row in connection.execute(query)]


def load_quiz(engine: Engine, quiz_id: int) -> StoredQuiz:
    """Read a quiz with its questions in play order, or raise ``NotFoundError``."""
    summary_query = _summary_query().add_columns(db.quizzes.c.description)
    summary_query = summary_query.where(db.quizzes.c.id == quiz_id)
    question_query = (
        sa.select(db.questions)
        .where(db.questions.c.quiz_id == quiz_id)
        .order_by(db.questions.c.position)
    )
    with engine.connect() as connection:
        row = connection.execute(summary_query).first()
        if row is None:
            raise NotFoundError("unknown_quiz", f"quiz {quiz_id} does not exist")
        question_rows = connection.execute(question_query).all()
    questions = [_question(row) for row in question_rows]
    return StoredQuiz(summary=_summary(row), description=row.description, questions=questions)


def _question(row: sa.Row[Any]) -> AnyQuestion:
    """Read a stored question. Rows were validated when saved, so they are not checked again:
    a later, stricter rule must not make an existing quiz unreadable."""
    if row.body is not None:
        return stored_question(row.body)
    return SingleChoice.model_construct(
        text=row.text,
        choices=row.choices,
        correct=row.correct,
        time_limit=row.time_limit_s,
        category=row.category,
    )
