"""Report pieces that need no database: distributions, averages and the formula guard."""

import pytest

from livequiz.questions import Ordering, Slider, TypeAnswer
from livequiz.reports import (
    OTHER_LABEL,
    DistributionEntry,
    average_ms,
    csv_text,
    distribution,
    starts_formula,
)


@pytest.mark.parametrize(
    ("total", "count", "expected"),
    [(0, 0, None), (3, 2, 2), (5, 2, 3), (6498, 4, 1625), (7700, 3, 2567), (1, 3, 0)],
)
def test_average_rounds_half_up(total: int, count: int, expected: int | None) -> None:
    assert average_ms(total, count) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\0x", "'\0x"),
        ("  =1+1", "'  =1+1"),
        ("a=1", "a=1"),
        ("'quoted", "'quoted"),
        ("", ""),
        ("Ada", "Ada"),
    ],
)
def test_csv_text_guards_formulas(text: str, expected: str) -> None:
    assert csv_text(text) == expected


def test_starts_formula_ignores_inner_signs() -> None:
    assert starts_formula("=HYPERLINK(1)")
    assert not starts_formula("Ada-Lovelace")
    assert not starts_formula("x@y")


def test_slider_merges_equal_values() -> None:
    slider = Slider(type="slider", text="How far?", min=-10, max=10, step=0.5, correct=2.5)
    entries = distribution(slider, [2.5, -1, -1.0, 2.5, 10, True, "3"])
    assert entries == [
        DistributionEntry(label="-1", value=-1, count=2, correct=False),
        DistributionEntry(label="2.5", value=2.5, count=2, correct=True),
        DistributionEntry(label="10", value=10, count=1, correct=False),
    ]


def test_slider_tolerance_marks_correct() -> None:
    slider = Slider(
        type="slider", text="Pi?", min=0, max=10, step=0.01, correct=3.14, tolerance=0.1
    )
    entries = distribution(slider, [3.04, 3.24, 3.25])
    assert [(entry.label, entry.correct) for entry in entries] == [
        ("3.04", True),
        ("3.24", True),
        ("3.25", False),
    ]


def test_type_answer_counts_other() -> None:
    question = TypeAnswer(type="type_answer", text="Say hi", accepted=["Héllo", "Hi there"])
    entries = distribution(question, ["hello", "hi there", "hello", "bye", "hey"])
    assert entries == [
        DistributionEntry(label="Héllo", count=2, correct=True),
        DistributionEntry(label="Hi there", count=1, correct=True),
        DistributionEntry(label=OTHER_LABEL, count=2, correct=False),
    ]


def test_ordering_counts_right_positions() -> None:
    question = Ordering(type="ordering", text="Sort", items=["a", "b", "c", "d"])
    entries = distribution(question, [[0, 1, 2, 3], [3, 1, 2, 0], [1, 0, 3, 2], None])
    assert [(entry.label, entry.count) for entry in entries] == [
        ("a", 1),
        ("b", 2),
        ("c", 2),
        ("d", 1),
    ]


def test_empty_question_has_zero_counts() -> None:
    question = Ordering(type="ordering", text="Sort", items=["a", "b"])
    assert [entry.count for entry in distribution(question, [])] == [0, 0]
