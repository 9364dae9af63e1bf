"""Our quiz format and the questions as the game store keeps them.

Our format, validated by ``Quiz``::

    {"title": "Capitals", "description": "optional",
     "questions": [{"text": "Capital of France?", "choices": ["Lyon", "Paris"],
                    "correct": 1, "time_limit": 20}]}

Other formats (Open Trivia Database, Kahoot, CSV, GIFT) are read in ``livequiz.formats``.
"""

import json
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
)

from livequiz.errors import InvalidInputError
from livequiz.questions import (
    DEFAULT_TIME_LIMIT_S,
    KINDS,
    MAX_TIME_LIMIT_S,
    MIN_TIME_LIMIT_S,
    AnyQuestion,
    MultipleSelect,
    Ordering,
    Poll,
    Question,
    SingleChoice,
    Slider,
    TrueFalse,
    TypeAnswer,
    shown_order,
)

MAX_QUESTIONS = 500
SYSTEM_RANDOM = random.SystemRandom()
__all__ = ["DEFAULT_TIME_LIMIT_S", "MAX_TIME_LIMIT_S", "MIN_TIME_LIMIT_S", "Question"]
SAMPLE_QUIZ = Path(__file__).parent / "sample_quiz.json"


class Quiz(BaseModel):
    """A quiz in our JSON format."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    questions: list[Question] = Field(min_length=1, max_length=MAX_QUESTIONS)


def error_location(location: Sequence[int | str]) -> str:
    """Render a pydantic error location as a path, for example ``questions[3].choices``.

    The question type that pydantic names after a question's index is left out: the path
    names the question and its field, and the message says what is wrong.
    """
    path = ""
    previous: int | str | None = None
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not (isinstance(previous, int) and part in KINDS):
            path += f".{part}" if path else part
        previous = part
    return path


def describe_errors(error: ValidationError, prefix: Sequence[int | str] = ()) -> str:
    """Join a validation error's messages, each led by the field it concerns."""
    messages = []
    for detail in error.errors():
        location = error_location([*prefix, *detail["loc"]]) or "body"
        message = detail["msg"].removeprefix("Value error, ")
        messages.append(f"{location}: {message}")
    return "; ".join(messages)


QUESTION_TYPES: dict[str, type[AnyQuestion]] = {
    "single": SingleChoice,
    "true_false": TrueFalse,
    "multiple": MultipleSelect,
    "type_answer": TypeAnswer,
    "slider": Slider,
    "ordering": Ordering,
    "poll": Poll,
}


def stored_question(body: dict[str, Any]) -> AnyQuestion:
    """Build a question from its stored JSON without validating it again."""
    model = QUESTION_TYPES[str(body.get("type", "single"))]
    fields = {name: value for name, value in body.items() if name in model.model_fields}
    return model.model_construct(**fields)


def parse_quiz(data: Any) -> Quiz:
    """Validate a quiz in our format; raise ``InvalidInputError`` naming each invalid field."""
    try:
        return Quiz.model_validate(data)
    except ValidationError as error:
        raise InvalidInputError("invalid_quiz", describe_errors(error)) from error


def quiz_to_json(quiz: Quiz) -> str:
    """Write a quiz in our JSON format, which ``parse_quiz`` reads back to an equal quiz."""
    document = quiz.model_dump(mode="json", exclude_none=True)
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def load_sample_quiz() -> Quiz:
    return parse_quiz(json.loads(SAMPLE_QUIZ.read_text(encoding="utf-8")))


# Questions as the game store keeps them


def redis_questions(
    questions: Iterable[AnyQuestion],
    seconds_per_question: int | None = None,
    rng: random.Random | None = None,
) -> list[dict[str, Any]]:
    """Return the questions as ``GameStore.create_game`` stores them, in play order.

    Each is the question in our format with ``limit_ms`` added, and for an ordering question
    ``shown``, the order in which its items are shown, drawn from ``rng`` (by default the
    system's random source).
    ``seconds_per_question`` replaces every question's own time limit when given.
    """
    stored = []
    for question in questions:
        seconds = seconds_per_question or question.time_limit
        item = question.model_dump(mode="json", exclude_none=True)
        item["type"] = question.type
        item["limit_ms"] = seconds * 1000
        if isinstance(question, Ordering):
            item["shown"] = shown_order(len(question.items), rng or SYSTEM_RANDOM)
        stored.append(item)
    return stored
