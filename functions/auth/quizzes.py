"""Routes /quizzes: upload in our format, import from the Open Trivia Database, list and read."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status
from pydantic import BaseModel

from functions.auth.deps import CurrentUser, EngineDep, OptionalUser
from livequiz import catalog, quizzes
from livequiz.catalog import QuizSummary, StoredQuiz
from livequiz.formats import opentdb
from livequiz.ids import UserId

router = APIRouter(prefix="/quizzes", tags=["quizzes"])


class Owner(BaseModel):
    user_id: int
    display_name: str


class QuizListItem(BaseModel):
    id: int
    title: str
    question_count: int
    source: str
    owner: Owner


class QuestionOut(BaseModel):
    position: int
    text: str
    choices: list[str]
    time_limit: int
    category: str | None
    # Index of the right choice; present only when the quiz's owner reads it.
    correct: int | None = None


class QuizOut(QuizListItem):
    description: str | None
    questions: list[QuestionOut]


def _list_item(summary: QuizSummary) -> QuizListItem:
    return QuizListItem(
        id=summary.id,
        title=summary.title,
        question_count=summary.question_count,
        source=summary.source,
        owner=Owner(user_id=summary.owner_id, display_name=summary.owner_name),
    )


def _quiz_out(quiz: StoredQuiz, reader: UserId | None) -> dict[str, Any]:
    owned = reader is not None and reader == quiz.summary.owner_id
    questions = []
    for position, question in enumerate(quiz.questions):
        item: dict[str, Any] = {
            "position": position,
            "text": question.text,
            "choices": list(question.choices),
            "time_limit": question.time_limit,
            "category": question.category,
        }
        if owned:
            item["correct"] = question.correct
        questions.append(item)
    summary = _list_item(quiz.summary).model_dump()
    return {**summary, "description": quiz.description, "questions": questions}


def _saved(engine: EngineDep, user_id: UserId, quiz: quizzes.Quiz, source: str) -> dict[str, Any]:
    quiz_id = catalog.save_quiz(engine, user_id, quiz, source)
    return _quiz_out(catalog.load_quiz(engine, quiz_id), user_id)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=QuizOut,
    response_model_exclude_unset=True,
)
def create_quiz(quiz: quizzes.Quiz, user_id: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """Save a quiz in our JSON format and return it with its id and the correct indexes."""
    return _saved(engine, user_id, quiz, "json")


@router.post(
    "/import/opentdb",
    status_code=status.HTTP_201_CREATED,
    response_model=QuizOut,
    response_model_exclude_unset=True,
)
def import_opentdb(
    document: Annotated[dict[str, Any], Body(description="An Open Trivia Database response")],
    user_id: CurrentUser,
    engine: EngineDep,
    title: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int | None, Query(ge=1, le=quizzes.MAX_QUESTIONS)] = None,
    time_limit: Annotated[
        int, Query(ge=quizzes.MIN_TIME_LIMIT_S, le=quizzes.MAX_TIME_LIMIT_S)
    ] = quizzes.DEFAULT_TIME_LIMIT_S,
) -> dict[str, Any]:
    """Import the first ``limit`` questions of an OpenTDB document as a new quiz."""
    quiz = opentdb.quiz_from_opentdb(document, title.strip(), limit=limit, time_limit=time_limit)
    return _saved(engine, user_id, quiz, "opentdb")


@router.get("")
def list_quizzes(
    engine: EngineDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[QuizListItem]:
    """List quizzes, newest first."""
    return [_list_item(summary) for summary in catalog.list_quizzes(engine, limit, offset)]


@router.get("/{quiz_id}", response_model=QuizOut, response_model_exclude_unset=True)
def get_quiz(quiz_id: int, engine: EngineDep, reader: OptionalUser) -> dict[str, Any]:
    """Read a quiz with its questions, with the correct indexes for its owner only."""
    return _quiz_out(catalog.load_quiz(engine, quiz_id), reader)
