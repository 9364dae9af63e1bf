import html
import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from livequiz import questions, quizzes
from livequiz.errors import InvalidInputError
from livequiz.formats import opentdb as opentdb_format
from livequiz.questions import SingleChoice, TrueFalse

OPENTDB_FILE = Path(__file__).resolve().parents[2].parent / "shared/data/opentdb/opentdb-5250.json"
ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")


def question(**fields: Any) -> dict[str, Any]:
    return {"text": "Pick one", "choices": ["A", "B", "C"], "correct": 0, **fields}


def invalid_message(data: dict[str, Any]) -> str:
    with pytest.raises(InvalidInputError) as raised:
        quizzes.parse_quiz(data)
    return raised.value.message


@pytest.fixture(scope="module")
def opentdb() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(OPENTDB_FILE.read_text(encoding="utf-8"))
    return document


def test_sample_quiz_valid() -> None:
    quiz = quizzes.load_sample_quiz()
    assert len(quiz.questions) == 8
    # The demo's sample shows every question type.
    assert {question.type for question in quiz.questions} == set(questions.KINDS)


def test_time_limit_defaults_to_20() -> None:
    quiz = quizzes.parse_quiz({"title": "T", "questions": [question()]})
    assert quiz.questions[0].time_limit == 20


def test_invalid_fields_named_by_index() -> None:
    cases = {
        "questions[1].choices: choices 0 and 2 are both 'A'": question(choices=["A", "B", " A "]),
        "questions[1].correct: correct is 3": question(correct=3),
        "questions[1].time_limit: Input should be greater than or equal to 5": question(
            time_limit=4
        ),
        "questions[1].time_limit: Input should be less than or equal to 240": question(
            time_limit=241
        ),
        "questions[1].choices: List should have at most 6 items": question(choices=list("ABCDEFG")),
        "questions[1].choices[0]: String should have at most 200 characters": question(
            choices=["x" * 201, "B"]
        ),
        "questions[1].text: String should have at least 1 character": question(text="  "),
        "questions[1].extra: Extra inputs are not permitted": question(extra=1),
    }
    for expected, bad in cases.items():
        message = invalid_message({"title": "T", "questions": [question(), bad]})
        assert message.startswith(expected), message


def test_quiz_question_count_bounds() -> None:
    assert "questions: List should have at least 1 item" in invalid_message(
        {"title": "T", "questions": []}
    )
    too_many = {"title": "T", "questions": [question() for _ in range(501)]}
    assert "questions: List should have at most 500 items" in invalid_message(too_many)


def test_opentdb_imports_every_question(opentdb: dict[str, Any]) -> None:
    imported = opentdb_format.questions_from_opentdb(opentdb)
    assert len(imported) == 5250
    for question in imported:
        texts = [question.text, *question.choices, question.category or ""]
        for text in texts:
            assert not ENTITY.search(text), text
            assert "\u00ad" not in text
            assert text == text.strip()
            assert "  " not in text


def test_opentdb_decodes_entities(opentdb: dict[str, Any]) -> None:
    raw = opentdb["results"][1]
    assert "&quot;Rio&quot;" in raw["question"]
    imported = opentdb_format.questions_from_opentdb(opentdb, limit=2)
    assert imported[1].text == html.unescape(raw["question"])
    assert '"Rio"' in imported[1].text
    categories = {question.category for question in opentdb_format.questions_from_opentdb(opentdb)}
    assert "Science & Nature" in categories
    assert "Entertainment: Cartoon & Animations" in categories


def test_opentdb_removes_soft_hyphens(opentdb: dict[str, Any]) -> None:
    index = next(i for i, r in enumerate(opentdb["results"]) if "&shy;" in r["question"])
    imported = opentdb_format.questions_from_opentdb(opentdb, limit=index + 1)[index]
    assert "Llanfairpwllgwyngyll" in imported.text
    assert "\u00ad" not in imported.text


def test_opentdb_places_correct_answer(opentdb: dict[str, Any]) -> None:
    imported = opentdb_format.questions_from_opentdb(opentdb)
    positions: Counter[int] = Counter()
    for raw, question in zip(opentdb["results"], imported, strict=True):
        correct = opentdb_format.decode_opentdb_text(raw["correct_answer"])
        if raw["type"] == "boolean":
            assert isinstance(question, TrueFalse)
            assert question.correct is (correct == "True")
        else:
            assert isinstance(question, SingleChoice)
            assert question.choices[question.correct] == correct
            positions[question.correct] += 1
    # 4,467 four-choice questions: every slot gets roughly a quarter of them.
    assert sorted(positions) == [0, 1, 2, 3]
    assert min(positions.values()) > 4467 * 0.2


def test_opentdb_import_shuffles_at_random(opentdb: dict[str, Any]) -> None:
    first = opentdb_format.questions_from_opentdb(opentdb, limit=300, rng=random.Random(1))
    again = opentdb_format.questions_from_opentdb(opentdb, limit=300, rng=random.Random(1))
    other = opentdb_format.questions_from_opentdb(opentdb, limit=300, rng=random.Random(2))
    # The same random source gives the same quiz; another one other positions.
    assert first == again
    assert [q.correct for q in first] != [q.correct for q in other]


def test_opentdb_errors_name_result() -> None:
    good = {
        "type": "multiple",
        "difficulty": "easy",
        "category": "General Knowledge",
        "question": "Q?",
        "correct_answer": "A",
        "incorrect_answers": ["B", "C", "D"],
    }
    cases = {
        "results[1].question: Field required": {k: v for k, v in good.items() if k != "question"},
        "results[1].type: Input should be 'multiple' or 'boolean'": {**good, "type": "text"},
        "results[1]: a boolean question needs True and False": {
            **good,
            "type": "boolean",
            "correct_answer": "Yes",
            "incorrect_answers": ["No"],
        },
        "results[1].choices: choices": {**good, "incorrect_answers": ["A", "C", "D"]},
    }
    for expected, bad in cases.items():
        with pytest.raises(InvalidInputError) as raised:
            opentdb_format.questions_from_opentdb({"response_code": 0, "results": [good, bad]})
        assert raised.value.message.startswith(expected), raised.value.message


def test_opentdb_failed_response_rejected() -> None:
    with pytest.raises(InvalidInputError) as raised:
        opentdb_format.questions_from_opentdb({"response_code": 5, "results": []})
    assert "response_code 5 (rate limit)" in raised.value.message


def test_redis_questions_override_limit() -> None:
    quiz = quizzes.load_sample_quiz()
    stored = quizzes.redis_questions(quiz.questions[:2])
    assert stored[0]["limit_ms"] == quiz.questions[0].time_limit * 1000
    assert set(stored[0]) == {
        "type",
        "text",
        "choices",
        "correct",
        "limit_ms",
        "time_limit",
        "points",
        "explanation",
    }
    overridden = quizzes.redis_questions(quiz.questions[:2], seconds_per_question=7)
    assert [item["limit_ms"] for item in overridden] == [7000, 7000]
