"""Grading of every question type, the validation of each, and bad response shapes."""

import random
from fractions import Fraction
from typing import Any

import pytest

from livequiz.errors import InvalidInputError
from livequiz.questions import (
    Grade,
    MultipleSelect,
    Ordering,
    Poll,
    SingleChoice,
    Slider,
    TrueFalse,
    TypeAnswer,
    grade,
    normalise_typed,
    shown_order,
)
from livequiz.quizzes import parse_quiz

FOUR = ["a", "b", "c", "d"]


def invalid(question: dict[str, Any]) -> str:
    """Validate a quiz of one question and return the message of the error it must raise."""
    with pytest.raises(InvalidInputError) as raised:
        parse_quiz({"title": "One question", "questions": [question]})
    assert raised.value.code == "invalid_quiz"
    return raised.value.message


def single(**fields: Any) -> dict[str, Any]:
    return {"text": "Pick one", "choices": ["a", "b"], "correct": 0, **fields}


# single and true_false


def test_single_right_choice() -> None:
    question = SingleChoice(text="Third", choices=FOUR, correct=2)
    assert grade(question, {"choice": 2}) == Grade(True, Fraction(1), 2, (2,))


def test_single_wrong_choice() -> None:
    question = SingleChoice(text="Third", choices=FOUR, correct=2)
    assert grade(question, {"choice": 0}) == Grade(False, Fraction(0), 0, (0,))


def test_true_false_true_is_choice_zero() -> None:
    question = TrueFalse(type="true_false", text="Water is wet", correct=True)
    assert question.choices == ["True", "False"]
    assert grade(question, {"choice": 0}) == Grade(True, Fraction(1), 0, (0,))
    assert grade(question, {"choice": 1}) == Grade(False, Fraction(0), 1, (1,))


def test_true_false_false_is_choice_one() -> None:
    question = TrueFalse(type="true_false", text="Fire is cold", correct=False)
    assert grade(question, {"choice": 1}) == Grade(True, Fraction(1), 1, (1,))
    assert grade(question, {"choice": 0}) == Grade(False, Fraction(0), 0, (0,))


# multiple


def test_multiple_exact_needs_every_right_choice() -> None:
    question = MultipleSelect(type="multiple", text="Vowels", choices=FOUR, correct=[2, 0])
    assert question.correct == [0, 2]
    assert grade(question, {"choices": [2, 0]}) == Grade(True, Fraction(1), [0, 2], (0, 2))
    assert grade(question, {"choices": [0]}) == Grade(False, Fraction(0), [0], (0,))
    assert grade(question, {"choices": [0, 1, 2]}) == Grade(
        False, Fraction(0), [0, 1, 2], (0, 1, 2)
    )


def test_multiple_partial_one_wrong_pick() -> None:
    question = MultipleSelect(
        type="multiple",
        text="Four of six",
        choices=["a", "b", "c", "d", "e", "f"],
        correct=[0, 1, 2, 3],
        scoring="partial",
    )
    # Three hits minus one wrong pick, out of four right choices.
    graded = grade(question, {"choices": [4, 0, 1, 2]})
    assert graded == Grade(False, Fraction(1, 2), [0, 1, 2, 4], (0, 1, 2, 4))


def test_multiple_partial_credit_table() -> None:
    question = MultipleSelect(
        type="multiple",
        text="Four of six",
        choices=["a", "b", "c", "d", "e", "f"],
        correct=[0, 1, 2, 3],
        scoring="partial",
    )
    assert grade(question, {"choices": [0, 1, 2, 3]}).credit == 1
    assert grade(question, {"choices": [0, 1, 2, 3]}).correct is True
    assert grade(question, {"choices": [0, 1, 2]}).credit == Fraction(3, 4)
    assert grade(question, {"choices": [0]}).credit == Fraction(1, 4)
    # One hit and two wrong picks never go below zero.
    assert grade(question, {"choices": [0, 4, 5]}).credit == 0
    assert grade(question, {"choices": [4, 5]}).credit == 0


# type_answer


def test_typed_answer_ignores_case_and_marks() -> None:
    question = TypeAnswer(type="type_answer", text="Capital of France", accepted=["Paris"])
    for typed in ("paris", "  PARIS ", "Pärís", "Pa\u00adris", "\tP\u00adA\u00adR\u00cdS\n"):
        assert grade(question, {"text": typed}) == Grade(True, Fraction(1), "paris", (0,)), typed


def test_typed_answer_wrong_text() -> None:
    question = TypeAnswer(type="type_answer", text="Capital of France", accepted=["Paris"])
    assert grade(question, {"text": " Lyon "}) == Grade(False, Fraction(0), "lyon", ())


def test_typed_answer_matches_any_accepted() -> None:
    question = TypeAnswer(
        type="type_answer", text="Biggest US city", accepted=["New York", "NYC", "Nueva York"]
    )
    assert grade(question, {"text": "new   york"}) == Grade(True, Fraction(1), "new york", (0,))
    assert grade(question, {"text": "nyc"}) == Grade(True, Fraction(1), "nyc", (1,))
    assert grade(question, {"text": "NUEVA york"}) == Grade(True, Fraction(1), "nueva york", (2,))
    assert grade(question, {"text": "New Yorkk"}).correct is False


def test_normalise_typed() -> None:
    assert normalise_typed("  Crème\u00ad Brûlée  ") == "creme brulee"
    assert normalise_typed("Straße") == "strasse"
    assert normalise_typed("a \t\n b") == "a b"


# slider

GUESS = Slider(type="slider", text="Guess", min=0, max=100, step=0.5, correct=50, tolerance=10)


@pytest.mark.parametrize(
    ("value", "correct", "credit"),
    [
        (50, True, Fraction(1)),
        # 1 - distance / (2 * tolerance): a quarter off at half the tolerance.
        (55, True, Fraction(3, 4)),
        (45, True, Fraction(3, 4)),
        (51, True, Fraction(19, 20)),
        (57.5, True, Fraction(5, 8)),
        # Half the points at the edge, none past it.
        (60, True, Fraction(1, 2)),
        (40, True, Fraction(1, 2)),
        (60.5, False, Fraction(0)),
        (61, False, Fraction(0)),
        (0, False, Fraction(0)),
        (100, False, Fraction(0)),
    ],
)
def test_slider_linear_fall_to_half(value: float, correct: bool, credit: Fraction) -> None:
    graded = grade(GUESS, {"value": value})
    assert graded.correct is correct
    assert graded.credit == credit
    assert graded.response == value
    assert graded.options == ()


def test_slider_tolerance_zero() -> None:
    question = Slider(type="slider", text="Exact", min=0, max=10, correct=7)
    assert grade(question, {"value": 7}).credit == 1
    assert grade(question, {"value": 7.0}).correct is True
    assert grade(question, {"value": 8}).correct is False
    assert grade(question, {"value": 6.4}).credit == 0


def test_slider_value_snaps_to_nearest_step() -> None:
    question = Slider(type="slider", text="Steps", min=0, max=10, correct=7)
    # Halves round up; the stored response is the position the value snapped to.
    assert grade(question, {"value": 6.5}).response == 7
    assert grade(question, {"value": 6.5}).correct is True
    assert grade(question, {"value": 6.49}).response == 6
    assert grade(question, {"value": 6.999}).credit == 1


def test_slider_decimal_edge_is_exact() -> None:
    question = Slider(
        type="slider", text="Tenths", min=0, max=1, step=0.1, correct=0.2, tolerance=0.1
    )
    # In floats 0.3 - 0.2 is 0.09999999999999998, just inside the tolerance. Exactly, it is the
    # edge, which is worth half.
    assert grade(question, {"value": 0.3}).credit == Fraction(1, 2)
    assert grade(question, {"value": 0.1}).credit == Fraction(1, 2)
    # 0.25 lies between steps and snaps up to 0.3.
    assert grade(question, {"value": 0.25}).credit == Fraction(1, 2)
    assert grade(question, {"value": 0.4}).correct is False


def test_slider_sum_of_tenths_hits_step() -> None:
    # 0.1 + 0.2 arrives as 0.30000000000000004 and snaps to the step 0.3.
    question = Slider(type="slider", text="Tenths", min=0, max=1, step=0.1, correct=0.3)
    graded = grade(question, {"value": 0.1 + 0.2})
    assert graded.correct is True
    assert graded.response == 0.3


def test_slider_decimal_steps_validate() -> None:
    # 0.3 / 0.1 is 2.9999999999999996 in floats, but three steps exactly.
    question = parse_quiz(
        {
            "title": "Tenths",
            "questions": [
                {"type": "slider", "text": "x", "min": 0, "max": 0.3, "step": 0.1, "correct": 0.2}
            ],
        }
    ).questions[0]
    assert isinstance(question, Slider)
    assert question.step == 0.1


# ordering


def test_ordering_exact_in_shown_positions() -> None:
    question = Ordering(type="ordering", text="Sort", items=["one", "two", "three", "four"])
    shown = [1, 2, 3, 0]
    # Item 0 is shown at position 3, item 1 at position 0, and so on.
    assert grade(question, {"order": [3, 0, 1, 2]}, shown) == Grade(True, Fraction(1), [0, 1, 2, 3])
    assert grade(question, {"order": [0, 1, 2, 3]}, shown) == Grade(
        False, Fraction(0), [1, 2, 3, 0]
    )


def test_ordering_partial_counts_items_in_place() -> None:
    question = Ordering(type="ordering", text="Sort", items=["a", "b", "c", "d"], scoring="partial")
    assert grade(question, {"order": [0, 1, 3, 2]}) == Grade(False, Fraction(1, 2), [0, 1, 3, 2])
    assert grade(question, {"order": [0, 2, 3, 1]}).credit == Fraction(1, 4)
    assert grade(question, {"order": [1, 2, 3, 0]}).credit == 0
    assert grade(question, {"order": [0, 1, 2, 3]}) == Grade(True, Fraction(1), [0, 1, 2, 3])


def test_shown_order_never_shows_right_order() -> None:
    for count in range(2, 7):
        orders = set()
        for seed in range(40):
            shown = shown_order(count, random.Random(seed))
            assert sorted(shown) == list(range(count))
            assert shown != list(range(count)), (count, seed)
            orders.add(tuple(shown))
        # Two items have one order other than the right one; more items have several.
        assert len(orders) == 1 if count == 2 else len(orders) > 1


def test_shown_order_of_one_item() -> None:
    assert shown_order(1, random.Random(0)) == [0]


# poll


def test_poll_has_no_right_answer() -> None:
    question = Poll(type="poll", text="Favourite", choices=["tea", "coffee", "water"])
    assert question.scored is False
    assert grade(question, {"choice": 1}) == Grade(None, Fraction(0), 1, (1,))


# Validation


def test_multiple_correct_out_of_range() -> None:
    message = invalid({"type": "multiple", "text": "x", "choices": FOUR, "correct": [0, 4]})
    assert (
        message == "questions[0].correct: an entry of correct is 4: expected an index from 0 to 3"
    )


def test_multiple_correct_twice() -> None:
    message = invalid({"type": "multiple", "text": "x", "choices": FOUR, "correct": [1, 1]})
    assert message == "questions[0].correct: correct lists a choice twice"


def test_single_correct_out_of_range() -> None:
    message = invalid(single(correct=2))
    assert message == "questions[0].correct: correct is 2: expected an index from 0 to 1"


def test_duplicate_choices() -> None:
    message = invalid(single(choices=["a", "b", " a "]))
    assert message == "questions[0].choices: choices 0 and 2 are both 'a'"


def test_duplicate_ordering_items() -> None:
    message = invalid({"type": "ordering", "text": "x", "items": ["b", "a", "b"]})
    assert message == "questions[0].items: items 0 and 2 are both 'b'"


@pytest.mark.parametrize(("low", "high"), [(5, 5), (6, 5)])
def test_slider_min_not_below_max(low: int, high: int) -> None:
    message = invalid({"type": "slider", "text": "x", "min": low, "max": high, "correct": 5})
    assert message == f"questions[0]: min ({low}.0) must be less than max ({high}.0)"


def test_slider_correct_outside_range() -> None:
    message = invalid({"type": "slider", "text": "x", "min": 0, "max": 10, "correct": 11})
    assert message == "questions[0]: correct (11.0) must lie between min (0.0) and max (10.0)"


def test_slider_range_not_whole_steps() -> None:
    message = invalid({"type": "slider", "text": "x", "min": 0, "max": 10, "step": 3, "correct": 3})
    assert message == "questions[0]: max - min must be a whole number of steps"


def test_typed_answers_equal_once_normalised() -> None:
    message = invalid({"type": "type_answer", "text": "x", "accepted": ["Café", "  CAFE\u00ad "]})
    assert message == (
        "questions[0].accepted: accepted answers 0 and 1 are the same once case, "
        "accents and spaces are ignored"
    )


def test_typed_answer_empty_once_normalised() -> None:
    message = invalid({"type": "type_answer", "text": "x", "accepted": ["ok", "\u00ad"]})
    assert message == "questions[0].accepted: accepted answer 1 is empty once normalised"


@pytest.mark.parametrize(
    ("limit", "bound"),
    [(4, "greater than or equal to 5"), (241, "less than or equal to 240")],
)
def test_time_limit_bounds(limit: int, bound: str) -> None:
    message = invalid(single(time_limit=limit))
    assert message == f"questions[0].time_limit: Input should be {bound}"


def test_time_limit_bounds_accepted() -> None:
    quiz = parse_quiz({"title": "t", "questions": [single(time_limit=5), single(time_limit=240)]})
    assert [question.time_limit for question in quiz.questions] == [5, 240]


def test_points_three_rejected() -> None:
    assert invalid(single(points=3)) == "questions[0].points: Input should be 0, 1 or 2"


def test_poll_points_rejected() -> None:
    message = invalid({"type": "poll", "text": "x", "choices": ["a", "b"], "points": 1})
    assert message == "questions[0].points: Input should be 0"


@pytest.mark.parametrize("url", ["ftp://example.org/a.png", "example.org/a.png", "data:x"])
def test_image_url_needs_http(url: str) -> None:
    message = invalid(single(image_url=url))
    assert message == ("questions[0].image_url: the image URL must start with https:// or http://")


def test_image_url_http_accepted() -> None:
    quiz = parse_quiz(
        {
            "title": "t",
            "questions": [
                single(image_url="https://example.org/a.png"),
                single(image_url="HTTP://example.org/b.png"),
            ],
        }
    )
    assert [question.image_url for question in quiz.questions] == [
        "https://example.org/a.png",
        "HTTP://example.org/b.png",
    ]


def test_unknown_question_type() -> None:
    message = invalid({"type": "essay", "text": "x"})
    assert message == (
        "questions[0]: unknown question type: expected single, true_false, multiple, "
        "type_answer, slider, ordering or poll"
    )


# Bad response shapes

SLIDER = Slider(type="slider", text="Guess", min=0, max=100, correct=50, tolerance=10)
BAD_RESPONSES: list[tuple[Any, dict[str, Any], str]] = [
    (SingleChoice(text="x", choices=FOUR, correct=0), {}, "missing_field"),
    (SingleChoice(text="x", choices=FOUR, correct=0), {"choice": "1"}, "invalid_answer"),
    (SingleChoice(text="x", choices=FOUR, correct=0), {"choice": True}, "invalid_answer"),
    (SingleChoice(text="x", choices=FOUR, correct=0), {"choice": 1.0}, "invalid_answer"),
    (SingleChoice(text="x", choices=FOUR, correct=0), {"choice": 4}, "invalid_choice"),
    (SingleChoice(text="x", choices=FOUR, correct=0), {"choice": -1}, "invalid_choice"),
    (TrueFalse(type="true_false", text="x", correct=True), {"choice": 2}, "invalid_choice"),
    (Poll(type="poll", text="x", choices=["a", "b"]), {"choice": None}, "invalid_answer"),
    (MultipleSelect(type="multiple", text="x", choices=FOUR, correct=[0]), {}, "missing_field"),
    (
        MultipleSelect(type="multiple", text="x", choices=FOUR, correct=[0]),
        {"choices": 1},
        "invalid_answer",
    ),
    (
        MultipleSelect(type="multiple", text="x", choices=FOUR, correct=[0]),
        {"choices": []},
        "invalid_answer",
    ),
    (
        MultipleSelect(type="multiple", text="x", choices=FOUR, correct=[0]),
        {"choices": [1, 1]},
        "invalid_answer",
    ),
    (
        MultipleSelect(type="multiple", text="x", choices=FOUR, correct=[0]),
        {"choices": [0, 1, 2, 3, 0]},
        "invalid_answer",
    ),
    (
        MultipleSelect(type="multiple", text="x", choices=FOUR, correct=[0]),
        {"choices": [0, 7]},
        "invalid_choice",
    ),
    (TypeAnswer(type="type_answer", text="x", accepted=["a"]), {}, "missing_field"),
    (TypeAnswer(type="type_answer", text="x", accepted=["a"]), {"text": 5}, "invalid_answer"),
    (TypeAnswer(type="type_answer", text="x", accepted=["a"]), {"text": "  "}, "invalid_answer"),
    (
        TypeAnswer(type="type_answer", text="x", accepted=["a"]),
        {"text": "\u00ad\u00ad"},
        "invalid_answer",
    ),
    (
        TypeAnswer(type="type_answer", text="x", accepted=["a"]),
        {"text": "a" * 401},
        "invalid_answer",
    ),
    (SLIDER, {}, "missing_field"),
    (SLIDER, {"value": "50"}, "invalid_answer"),
    (SLIDER, {"value": True}, "invalid_answer"),
    (SLIDER, {"value": float("nan")}, "invalid_answer"),
    (SLIDER, {"value": float("inf")}, "invalid_answer"),
    (SLIDER, {"value": -0.5}, "invalid_answer"),
    (SLIDER, {"value": 100.5}, "invalid_answer"),
    # A JSON integer of 400 digits parses to a Python int too large for a float.
    (SLIDER, {"value": 10**400}, "invalid_answer"),
    (Ordering(type="ordering", text="x", items=["a", "b", "c"]), {}, "missing_field"),
    (
        Ordering(type="ordering", text="x", items=["a", "b", "c"]),
        {"order": [0, 1]},
        "invalid_answer",
    ),
    (
        Ordering(type="ordering", text="x", items=["a", "b", "c"]),
        {"order": [0, 1, 1]},
        "invalid_answer",
    ),
    (
        Ordering(type="ordering", text="x", items=["a", "b", "c"]),
        {"order": [0, 1, 3]},
        "invalid_choice",
    ),
    (
        Ordering(type="ordering", text="x", items=["a", "b", "c"]),
        {"order": "012"},
        "invalid_answer",
    ),
]


@pytest.mark.parametrize(("question", "response", "code"), BAD_RESPONSES)
def test_bad_response_shape(question: Any, response: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        grade(question, response)
    assert raised.value.code == code
    assert raised.value.message
