"""Points of every question type under the multipliers and both scoring modes, the streak
bonus, and the pause arithmetic, all with exact numbers."""

from fractions import Fraction
from typing import Any

import pytest
from pydantic import ValidationError

from livequiz import rules
from livequiz.questions import (
    MultipleSelect,
    Ordering,
    Poll,
    SingleChoice,
    Slider,
    TrueFalse,
    TypeAnswer,
)
from livequiz.rules import GameOptions, GamePhase, GameState

OPENED_MS = 100_000
LIMIT_MS = 10_000


def open_state(scoring: str = "speed") -> GameState:
    return GameState(
        phase=GamePhase.QUESTION_OPEN,
        question_count=3,
        question=0,
        round=1,
        opened_at_ms=OPENED_MS,
        deadline_ms=OPENED_MS + LIMIT_MS,
        limit_ms=LIMIT_MS,
        options=GameOptions(scoring=scoring),  # type: ignore[arg-type]
    )


def points(question: Any, response: dict[str, Any], elapsed_ms: int, scoring: str = "speed") -> int:
    scored = rules.score_answer(open_state(scoring), 0, question, response, OPENED_MS + elapsed_ms)
    assert scored.elapsed_ms == elapsed_ms
    return scored.points


def single(points: int = 1) -> SingleChoice:
    return SingleChoice(text="Second", choices=["a", "b", "c"], correct=1, points=points)


# Multipliers and scoring modes: 2.5 s of 10 s is worth 875 under speed scoring.


@pytest.mark.parametrize(
    ("multiplier", "speed", "accuracy"), [(0, 0, 0), (1, 875, 1000), (2, 1750, 2000)]
)
def test_multiplier_scales_points(multiplier: int, speed: int, accuracy: int) -> None:
    assert points(single(multiplier), {"choice": 1}, 2500) == speed
    assert points(single(multiplier), {"choice": 1}, 2500, "accuracy") == accuracy


def test_zero_multiplier_skips_streaks() -> None:
    scored = rules.score_answer(open_state(), 0, single(0), {"choice": 1}, OPENED_MS + 100)
    assert scored.correct is True
    assert scored.points == 0
    assert scored.scored is False


@pytest.mark.parametrize(
    ("elapsed_ms", "speed"), [(0, 1000), (499, 1000), (500, 975), (5000, 750), (10_000, 500)]
)
def test_speed_against_accuracy(elapsed_ms: int, speed: int) -> None:
    assert points(single(), {"choice": 1}, elapsed_ms) == speed
    assert points(single(), {"choice": 1}, elapsed_ms, "accuracy") == 1000


def test_wrong_answer_scores_nothing() -> None:
    assert points(single(2), {"choice": 0}, 100) == 0
    assert points(single(2), {"choice": 0}, 100, "accuracy") == 0


def test_question_points_round_down() -> None:
    # 875 * 2 * 1/3 = 583.33...
    assert rules.question_points(Fraction(1, 3), 2, 2500, LIMIT_MS, "speed") == 583
    # 1000 * 2/3 = 666.66...
    assert rules.question_points(Fraction(2, 3), 1, 0, LIMIT_MS, "accuracy") == 666
    assert rules.question_points(Fraction(0), 2, 0, LIMIT_MS, "accuracy") == 0


# Every question type, answered right at 2.5 s (875 under speed scoring)


def test_true_false_points() -> None:
    question = TrueFalse(type="true_false", text="Yes?", correct=False, points=2)
    assert points(question, {"choice": 1}, 2500) == 1750
    assert points(question, {"choice": 0}, 2500) == 0


def test_multiple_partial_points() -> None:
    question = MultipleSelect(
        type="multiple",
        text="Four of six",
        choices=["a", "b", "c", "d", "e", "f"],
        correct=[0, 1, 2, 3],
        scoring="partial",
    )
    # Three right picks and one wrong one earn (3 - 1) / 4 of the points.
    assert points(question, {"choices": [0, 1, 2, 4]}, 2500) == 437
    assert points(question, {"choices": [0, 1, 2, 4]}, 2500, "accuracy") == 500
    assert points(question, {"choices": [0, 1, 2]}, 2500) == 656
    assert points(question, {"choices": [3, 2, 1, 0]}, 2500) == 875


def test_multiple_exact_points() -> None:
    question = MultipleSelect(
        type="multiple", text="Two of four", choices=["a", "b", "c", "d"], correct=[1, 3]
    )
    assert points(question, {"choices": [3, 1]}, 2500) == 875
    assert points(question, {"choices": [1]}, 2500) == 0


def test_type_answer_points() -> None:
    question = TypeAnswer(type="type_answer", text="Capital", accepted=["Paris"], points=2)
    assert points(question, {"text": " PARÍS "}, 2500) == 1750
    assert points(question, {"text": "Rome"}, 2500) == 0


def test_slider_points() -> None:
    question = Slider(type="slider", text="Guess", min=0, max=100, correct=50, tolerance=10)
    assert points(question, {"value": 50}, 2500) == 875
    # Three quarters of 875 is 656.25.
    assert points(question, {"value": 55}, 2500) == 656
    assert points(question, {"value": 60}, 2500) == 437
    assert points(question, {"value": 60}, 2500, "accuracy") == 500
    assert points(question, {"value": 61}, 2500) == 0


def test_ordering_points() -> None:
    partial = Ordering(type="ordering", text="Sort", items=["a", "b", "c"], scoring="partial")
    assert points(partial, {"order": [0, 1, 2]}, 2500) == 875
    # One of three items in place: 1000 / 3 rounded down.
    assert points(partial, {"order": [0, 2, 1]}, 2500, "accuracy") == 333
    exact = Ordering(type="ordering", text="Sort", items=["a", "b", "c"])
    assert points(exact, {"order": [0, 2, 1]}, 2500) == 0


def test_ordering_uses_shown_order() -> None:
    question = Ordering(type="ordering", text="Sort", items=["a", "b", "c"])
    state = open_state()
    # Shown as [c, a, b]: picking positions 1, 2, 0 puts a, b, c in order.
    scored = rules.score_answer(state, 0, question, {"order": [1, 2, 0]}, OPENED_MS, [2, 0, 1])
    assert scored.correct is True
    assert scored.points == 1000
    assert scored.grade.response == [0, 1, 2]


def test_poll_scores_nothing() -> None:
    question = Poll(type="poll", text="Favourite", choices=["tea", "coffee"])
    scored = rules.score_answer(open_state("accuracy"), 0, question, {"choice": 0}, OPENED_MS)
    assert scored.correct is None
    assert scored.points == 0
    assert scored.scored is False
    assert scored.choice == 0


# Streak bonus


def test_streak_bonus_sequence() -> None:
    assert [rules.streak_bonus(streak) for streak in range(1, 8)] == [
        0,
        100,
        200,
        300,
        400,
        500,
        500,
    ]


def test_streak_bonus_after_reset() -> None:
    assert rules.streak_bonus(0) == 0
    assert rules.streak_bonus(1) == 0
    assert rules.streak_bonus(20) == 500


# Options


@pytest.mark.parametrize("seconds", [2, 121])
def test_auto_advance_bounds(seconds: int) -> None:
    with pytest.raises(ValidationError):
        GameOptions(auto_advance_s=seconds)


def test_options_defaults() -> None:
    options = GameOptions()
    assert options.scoring == "speed"
    assert options.streak_bonus is False
    assert options.late_join is True
    assert options.auto_reveal is True
    assert options.auto_advance_s is None


# Pause and resume


def test_pause_keeps_time_left() -> None:
    fields = rules.pause(open_state(), OPENED_MS + 4000, "host")
    assert fields == {
        "phase": "paused",
        "paused_from": "question_open",
        "remaining_ms": 6000,
        "paused_at_ms": OPENED_MS + 4000,
        "pause_reason": "host",
    }


def test_resume_restores_deadline_and_shifts_open_time() -> None:
    paused = GameState.from_hash(
        {
            "phase": "paused",
            "question_count": "3",
            "question": "0",
            "round": "1",
            "opened_at_ms": str(OPENED_MS),
            "deadline_ms": str(OPENED_MS + LIMIT_MS),
            "limit_ms": str(LIMIT_MS),
            "paused_from": "question_open",
            "remaining_ms": "6000",
            "paused_at_ms": str(OPENED_MS + 4000),
        }
    )
    fields = rules.resume(paused, OPENED_MS + 64_000)
    assert fields == {
        "round": 2,
        "pause_reason": "",
        "phase": "question_open",
        "opened_at_ms": OPENED_MS + 60_000,
        "deadline_ms": OPENED_MS + 70_000,
    }


def test_paused_question_rejects_answers() -> None:
    paused = GameState(
        phase=GamePhase.PAUSED, question_count=3, question=0, round=1, deadline_ms=OPENED_MS
    )
    with pytest.raises(rules.ConflictError) as raised:
        rules.check_answerable(paused, 0, OPENED_MS)
    assert raised.value.code == "paused"
