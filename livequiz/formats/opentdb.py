"""The Open Trivia Database (opentdb.com) import.

An API response or dump, ``{"response_code": 0, "results": [...]}``, becomes a list of
questions with ``questions_from_opentdb``, or a whole quiz with ``quiz_from_opentdb``.
"""

import html
import random
import re
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from livequiz.errors import InvalidInputError
from livequiz.questions import (
    DEFAULT_TIME_LIMIT_S,
    SOFT_HYPHEN,
    AnyQuestion,
    SingleChoice,
    TrueFalse,
)
from livequiz.quizzes import MAX_QUESTIONS, Quiz, describe_errors

OPENTDB_SUCCESS = 0
# The API's documented response codes other than success.
OPENTDB_CODES = {
    1: "no results",
    2: "invalid parameter",
    3: "token not found",
    4: "token empty",
    5: "rate limit",
}
WHITESPACE = re.compile(r"\s+")
SYSTEM_RANDOM = random.SystemRandom()


class OpenTdbResult(BaseModel):
    """One entry of an OpenTDB ``results`` list, with its strings still HTML-encoded."""

    type: Literal["multiple", "boolean"]
    difficulty: str | None = None
    category: str | None = None
    question: str
    correct_answer: str
    incorrect_answers: list[str] = Field(min_length=1, max_length=5)


class OpenTdbDocument(BaseModel):
    response_code: int = OPENTDB_SUCCESS
    results: list[Any]


def decode_opentdb_text(raw: str) -> str:
    """Decode HTML entities, remove soft hyphens and collapse stray whitespace."""
    text = html.unescape(raw).replace(SOFT_HYPHEN, "")
    return WHITESPACE.sub(" ", text).strip()


def _opentdb_question(
    result: OpenTdbResult, text: str, time_limit: int, category: str | None, rng: random.Random
) -> AnyQuestion:
    correct = decode_opentdb_text(result.correct_answer)
    incorrect = [decode_opentdb_text(answer) for answer in result.incorrect_answers]
    if result.type == "boolean":
        if correct not in ("True", "False") or incorrect != [
            "False" if correct == "True" else "True"
        ]:
            raise ValueError(
                f"a boolean question needs True and False as answers, got "
                f"{correct!r} and {incorrect!r}"
            )
        return TrueFalse(
            type="true_false",
            text=text,
            correct=correct == "True",
            time_limit=time_limit,
            category=category,
        )
    # OpenTDB lists the right answer apart, so the choices are shuffled: at random, because a
    # position anyone can compute from the question would give the answer away.
    choices = [*incorrect, correct]
    rng.shuffle(choices)
    return SingleChoice(
        text=text,
        choices=choices,
        correct=choices.index(correct),
        time_limit=time_limit,
        category=category,
    )


def _question_from_opentdb(
    index: int, entry: Any, time_limit: int, with_category: bool, rng: random.Random
) -> AnyQuestion:
    try:
        result = OpenTdbResult.model_validate(entry)
    except ValidationError as error:
        raise InvalidInputError(
            "invalid_quiz", describe_errors(error, ("results", index))
        ) from error
    text = decode_opentdb_text(result.question)
    category = decode_opentdb_text(result.category) if result.category and with_category else None
    try:
        return _opentdb_question(result, text, time_limit, category, rng)
    except ValidationError as error:
        raise InvalidInputError(
            "invalid_quiz", describe_errors(error, ("results", index))
        ) from error
    except ValueError as error:
        raise InvalidInputError("invalid_quiz", f"results[{index}]: {error}") from error


def questions_from_opentdb(
    document: Any,
    limit: int | None = None,
    time_limit: int = DEFAULT_TIME_LIMIT_S,
    with_category: bool = True,
    rng: random.Random | None = None,
) -> list[AnyQuestion]:
    """Convert an OpenTDB document to questions, only the first ``limit`` if given. ``rng``
    shuffles the choices; by default the system's random source.

    Raises ``InvalidInputError`` naming the result index and field of the first invalid entry.
    """
    try:
        parsed = OpenTdbDocument.model_validate(document)
    except ValidationError as error:
        raise InvalidInputError("invalid_quiz", describe_errors(error)) from error
    if parsed.response_code != OPENTDB_SUCCESS:
        meaning = OPENTDB_CODES.get(parsed.response_code, "unknown code")
        raise InvalidInputError(
            "invalid_quiz",
            f"the OpenTDB response has response_code {parsed.response_code} ({meaning}): "
            "only a successful response (0) can be imported",
        )
    entries = parsed.results if limit is None else parsed.results[:limit]
    if not entries:
        raise InvalidInputError("invalid_quiz", "results: the OpenTDB document has no questions")
    return [
        _question_from_opentdb(index, entry, time_limit, with_category, rng or SYSTEM_RANDOM)
        for index, entry in enumerate(entries)
    ]


def quiz_from_opentdb(
    document: Any,
    title: str,
    description: str | None = None,
    limit: int | None = None,
    time_limit: int = DEFAULT_TIME_LIMIT_S,
    rng: random.Random | None = None,
) -> Quiz:
    """Build a quiz titled ``title`` from an OpenTDB document, only its first ``limit`` entries."""
    questions = questions_from_opentdb(document, limit, time_limit, rng=rng)
    if len(questions) > MAX_QUESTIONS:
        raise InvalidInputError(
            "too_many_questions",
            f"the document has {len(questions)} questions but a quiz contains at most "
            f"{MAX_QUESTIONS}: pass limit={MAX_QUESTIONS} or less",
        )
    try:
        return Quiz(title=title, description=description, questions=questions)
    except ValidationError as error:
        raise InvalidInputError("invalid_quiz", describe_errors(error)) from error
