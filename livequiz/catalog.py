"""Quizzes in MySQL: saving a validated quiz with its questions, listing and loading them."""

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from livequiz import db
from livequiz.errors import ConflictError, ForbiddenError, NotFoundError
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


def _question_rows(quiz: Quiz) -> list[dict[str, Any]]:
    return [
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


def save_quiz(engine: Engine, owner_id: UserId, quiz: Quiz, source: str) -> QuizId:
    """Insert a quiz and all its questions in one transaction, and return the quiz id."""
    rows = _question_rows(quiz)
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


def _lock_owned_quiz(
    connection: sa.Connection, quiz_id: int, owner_id: UserId, action: str
) -> None:
    """Lock the quiz's row until the transaction ends; raise unless ``owner_id`` owns it.

    The lock makes a concurrent ``replace_quiz``, ``delete_quiz`` or game insert for the same
    quiz wait until this transaction ends.
    """
    query = sa.select(db.quizzes.c.owner_id).where(db.quizzes.c.id == quiz_id).with_for_update()
    owner = connection.execute(query).scalar_one_or_none()
    if owner is None:
        raise NotFoundError("unknown_quiz", f"quiz {quiz_id} does not exist")
    if UserId(int(owner)) != owner_id:
        raise ForbiddenError(
            "not_quiz_owner",
            f"quiz {quiz_id} belongs to another user: only its owner can {action} it",
        )


def replace_quiz(engine: Engine, quiz_id: int, owner_id: UserId, quiz: Quiz) -> None:
    """Replace the title, description and questions of a quiz that ``owner_id`` owns.

    Games already created keep the questions they copied when they were created, so editing
    changes only the games created afterwards.
    """
    rows = [{**row, "quiz_id": quiz_id} for row in _question_rows(quiz)]
    with engine.begin() as connection:
        _lock_owned_quiz(connection, quiz_id, owner_id, "edit")
        connection.execute(
            sa.update(db.quizzes)
            .where(db.quizzes.c.id == quiz_id)
            .values(title=quiz.title, description=quiz.description)
        )
        connection.execute(sa.delete(db.questions).where(db.questions.c.quiz_id == quiz_id))
        connection.execute(sa.insert(db.questions), rows)
    logger.info("user %s replaced quiz %s with %d questions", owner_id, quiz_id, len(rows))


def delete_quiz(engine: Engine, quiz_id: int, owner_id: UserId) -> None:
    """Delete a quiz that ``owner_id`` owns, with its questions.

    A quiz that any game was created from is kept, and ``ConflictError`` is raised, because the
    game's history and results refer to the quiz.
    """
    with engine.begin() as connection:
        _lock_owned_quiz(connection, quiz_id, owner_id, "delete")
        game_count = connection.execute(
            sa.select(sa.func.count()).select_from(db.games).where(db.games.c.quiz_id == quiz_id)
        ).scalar_one()
        if game_count:
            raise ConflictError(
                "quiz_in_use",
                f"quiz {quiz_id} cannot be deleted because {game_count} game(s) were played "
                "or opened with it and their results refer to it: edit the quiz instead",
            )
        connection.execute(sa.delete(db.questions).where(db.questions.c.quiz_id == quiz_id))
        connection.execute(sa.delete(db.quizzes).where(db.quizzes.c.id == quiz_id))
    logger.info("user %s deleted quiz %s", owner_id, quiz_id)


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


def list_quizzes(
    engine: Engine, limit: int, offset: int = 0, owner_id: int | None = None
) -> list[QuizSummary]:
    """Return quizzes newest first, only those of ``owner_id`` unless it is None."""
    query = _summary_query()
    if owner_id is not None:
        query = query.where(db.quizzes.c.owner_id == owner_id)
    query = query.order_by(db.quizzes.c.id.desc()).limit(limit).offset(offset)
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
