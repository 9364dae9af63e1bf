import csv
from typing import Any

import pytest

from livequiz.errors import InvalidInputError
from livequiz.formats import csv_format
from livequiz.formats.csv_format import join_list, questions_from_csv, quiz_to_csv, split_list
from livequiz.questions import (
    MultipleSelect,
    Ordering,
    Poll,
    SingleChoice,
    Slider,
    TrueFalse,
    TypeAnswer,
)
from livequiz.quizzes import parse_quiz

HEADER = ",".join(csv_format.COLUMNS)
EVERY_KIND: dict[str, Any] = {
    "title": "Every kind",
    "questions": [
        {
            "text": "Capital of France?",
            "choices": ["Lyon", "Paris", "A|B", "back\\slash"],
            "correct": 1,
            "explanation": "Paris, since 508.",
            "category": "Geography",
            "image_url": "https://example.com/paris.png",
        },
        {"type": "true_false", "text": "The sun is a star.", "correct": True, "time_limit": 10},
        {
            "type": "multiple",
            "text": "Which are primes?",
            "choices": ["2", "3", "4"],
            "correct": [0, 1],
            "scoring": "partial",
            "points": 2,
        },
        {"type": "type_answer", "text": "Capital of Italy?", "accepted": ["Rome", "Roma"]},
        {
            "type": "slider",
            "text": "Pi to one decimal?",
            "min": -1,
            "max": 10,
            "step": 0.1,
            "correct": 3.1,
            "tolerance": 0.2,
        },
        {"type": "ordering", "text": "Smallest first", "items": ["one", "two", "three"]},
        {"type": "poll", "text": "Favourite colour?", "choices": ["Red", "Blue"]},
        {
            "text": 'Line one\nline two, with "quotes"',
            "choices": ["a", "b"],
            "correct": 0,
            "points": 0,
        },
    ],
}


def error_message(text: str, **options: Any) -> str:
    with pytest.raises(InvalidInputError) as raised:
        questions_from_csv(text.encode(), **options)
    assert raised.value.code == "invalid_csv"
    return raised.value.message


def test_export_writes_every_column() -> None:
    assert quiz_to_csv(parse_quiz(EVERY_KIND)).split("\r\n") == [
        HEADER,
        "single,Capital of France?,Lyon|Paris|A\\|B|back\\\\slash,2,20,1,,,,,,"
        '"Paris, since 508.",https://example.com/paris.png,Geography',
        "true_false,The sun is a star.,,true,10,1,,,,,,,,",
        "multiple,Which are primes?,2|3|4,1|2,20,2,partial,,,,,,,",
        "type_answer,Capital of Italy?,,Rome|Roma,20,1,,,,,,,,",
        "slider,Pi to one decimal?,,3.1,20,1,,-1,10,0.1,0.2,,,",
        "ordering,Smallest first,one|two|three,,20,1,exact,,,,,,,",
        "poll,Favourite colour?,Red|Blue,,20,0,,,,,,,,",
        'single,"Line one\nline two, with ""quotes""",a|b,1,20,0,,,,,,,,',
        "",
    ]


def test_export_import_round_trip() -> None:
    quiz = parse_quiz(EVERY_KIND)
    assert questions_from_csv(quiz_to_csv(quiz).encode()) == quiz.questions


def test_import_every_kind() -> None:
    text = (
        "type,text,choices,correct,min,max,step,tolerance,scoring\n"
        ",Capital?,Lyon|Paris,2,,,,,\n"
        "TRUE_FALSE,Sun?,,FALSE,,,,,\n"
        "multiple,Primes?,2|3|4, 2 | 1 ,,,,,\n"
        "type_answer,Italy?,,Rome,,,,,\n"
        "slider,Pi?,,3.1,0,10,0.1,,\n"
        "ordering,Order,one|two,,,,,,partial\n"
        "poll,Colour?,Red|Blue,,,,,,\n"
    )
    assert questions_from_csv(text.encode()) == [
        SingleChoice(text="Capital?", choices=["Lyon", "Paris"], correct=1),
        TrueFalse(type="true_false", text="Sun?", correct=False),
        MultipleSelect(type="multiple", text="Primes?", choices=["2", "3", "4"], correct=[0, 1]),
        TypeAnswer(type="type_answer", text="Italy?", accepted=["Rome"]),
        Slider(type="slider", text="Pi?", min=0, max=10, step=0.1, correct=3.1),
        Ordering(type="ordering", text="Order", items=["one", "two"], scoring="partial"),
        Poll(type="poll", text="Colour?", choices=["Red", "Blue"]),
    ]


def test_minimal_header_any_order() -> None:
    text = "correct,choices,text\n1,Yes|No,Ready?\n"
    assert questions_from_csv(text.encode()) == [
        SingleChoice(text="Ready?", choices=["Yes", "No"], correct=0)
    ]


def test_semicolons_tabs_and_bom() -> None:
    expected = [SingleChoice(text="Ready, set?", choices=["Yes", "No"], correct=1, time_limit=30)]
    semicolons = "\ufefftext;choices;correct;time_limit\r\nReady, set?;Yes|No;2;30\r\n"
    assert questions_from_csv(semicolons.encode()) == expected
    tabs = "text\tchoices\tcorrect\ttime_limit\nReady, set?\tYes|No\t2\t30.0\n"
    assert questions_from_csv(tabs.encode()) == expected


def test_empty_time_limit_uses_default() -> None:
    text = "text,choices,correct,time_limit\nReady?,Yes|No,1,\n"
    assert questions_from_csv(text.encode())[0].time_limit == 20
    assert questions_from_csv(text.encode(), time_limit=45)[0].time_limit == 45


def test_blank_lines_skipped() -> None:
    text = "\ntext,choices,correct\n\n,,\nReady?,Yes|No,1\n\n"
    assert len(questions_from_csv(text.encode())) == 1


def test_list_escapes() -> None:
    assert split_list("a|b\\|c|d\\\\|e\\x") == ["a", "b|c", "d\\", "e\\x"]
    assert join_list(["a", "b|c", "d\\"]) == "a|b\\|c|d\\\\"
    assert split_list(join_list(["|", "\\", "\\|", " x "])) == ["|", "\\", "\\|", "x"]


def test_bad_rows_name_line_and_column() -> None:
    cases = {
        "line 3, column correct: choice number 3 is out of range: the question has "
        "choices 1 to 2": "single,Q?,A|B,3,",
        "line 3, column correct: invalid choice number 'first': expected a whole number": (
            "single,Q?,A|B,first,"
        ),
        "line 3, column correct: a single choice question has one right choice, got '1|2': "
        "use the type multiple for several": "single,Q?,A|B,1|2,",
        "line 3, column correct: choice number 1 is listed twice": "multiple,Q?,A|B,1|1,",
        "line 3, column correct: invalid answer 'yes': expected true or false": (
            "true_false,Q?,,yes,"
        ),
        "line 3, column choices: entry 2 of 'A||B' is empty: remove the extra '|'": (
            "single,Q?,A||B,1,"
        ),
        "line 3, column choices: the choices are missing: list 2 to 6 of them separated by "
        "'|'": "poll,Q?,,,",
        "line 3, column choices: a true_false question has no choices: leave the cell empty": (
            "true_false,Q?,A|B,true,"
        ),
        "line 3, column type: unknown question type 'essay': use one of single, true_false, "
        "multiple, type_answer, slider, ordering, poll": "essay,Q?,,,",
        "line 3, column time_limit: invalid time limit 'soon': expected a whole number": (
            "single,Q?,A|B,1,soon"
        ),
        "line 3, column time_limit: Input should be greater than or equal to 5": (
            "single,Q?,A|B,1,4"
        ),
        "line 3, column choices: choices 0 and 1 are both 'A'": "single,Q?,A|A,1,",
        "line 3, column choices, entry 1: String should have at most 200 characters": (
            f"single,Q?,{'x' * 201}|B,1,"
        ),
        "line 3, column text: Field required": "single,,A|B,1,",
        "line 3, column correct: Field required": "true_false,Q?,,,",
        "line 3: the row has 6 cells but the header names 5 columns: quote cells that "
        "contain ','": "single,Q?,A|B,1,20,extra",
    }
    for expected, bad in cases.items():
        text = f"type,text,choices,correct,time_limit\nsingle,Good?,A|B,1,\n{bad}\n"
        assert error_message(text) == expected


def test_slider_errors_name_columns() -> None:
    header = "type,text,correct,min,max,step,tolerance\n"
    cases = {
        "line 2, column max: invalid number '1,5': write it with a decimal point, such as "
        "2.5": 'slider,Q?,1,0,"1,5",,',
        "line 2: min (5.0) must be less than max (1.0)": "slider,Q?,1,5,1,,",
        "line 2, column tolerance: Input should be greater than or equal to 0": (
            "slider,Q?,1,0,5,,-1"
        ),
        "line 2, column min: Input should be a finite number": "slider,Q?,1,nan,5,,",
    }
    for expected, bad in cases.items():
        assert error_message(header + bad + "\n") == expected


def test_lines_counted_across_quoted_breaks() -> None:
    text = (
        "text,choices,correct\n"
        '"Two\nline question?",Yes|No,1\n'
        '"Three\r\nline\nquestion?","Yes|No",2\n'
        "Bad?,Yes|No,3\n"
    )
    assert error_message(text) == (
        "line 7, column correct: choice number 3 is out of range: the question has choices 1 to 2"
    )


def test_malformed_csv_names_line() -> None:
    text = 'text,choices,correct\nGood?,A|B,1\n"Bad"?,A|B,1\n'
    assert error_message(text) == "line 3: the CSV is malformed: ',' expected after '\"'"


def test_header_errors() -> None:
    assert error_message("text,answer\nQ?,A\n") == (
        f"line 1: unknown column 'answer' in the header: the columns are {HEADER}"
    )
    assert error_message("text,Text\nQ?,Q?\n") == (
        "line 1: the header names the column 'text' twice"
    )
    assert error_message("choices,correct\nA|B,1\n") == (
        f"line 1: the header has no column 'text': start the file with a header such as {HEADER}"
    )
    assert error_message("") == f"line 1: the file is empty: start it with the header {HEADER}"
    assert error_message("text,choices\n\n") == (
        "the file has a header but no questions: add one question per line"
    )


def test_not_utf8_rejected() -> None:
    with pytest.raises(InvalidInputError) as raised:
        questions_from_csv(b"text,choices,correct\nCaf\xe9?,A|B,1\n")
    assert raised.value.message == (
        "line 2: the file is not UTF-8 text (invalid continuation byte at byte 24): "
        "save it as CSV UTF-8"
    )


def test_size_and_count_limits() -> None:
    too_big = b"text\n" + b"x" * csv_format.MAX_BYTES
    with pytest.raises(InvalidInputError) as raised:
        questions_from_csv(too_big)
    assert raised.value.message == (
        f"the file has {csv_format.MAX_BYTES + 5} bytes, more than the limit of "
        f"{csv_format.MAX_BYTES}: split the quiz into smaller files"
    )
    rows = "".join(f"Question {index}?,A|B,1\n" for index in range(500))
    assert len(questions_from_csv(("text,choices,correct\n" + rows).encode())) == 500
    assert error_message("text,choices,correct\n" + rows + "One more?,A|B,1\n") == (
        "line 502: the file has more than 500 questions, the most a quiz can have: split it "
        "into several quizzes"
    )


def test_cell_over_size_limit_rejected() -> None:
    limit = csv.field_size_limit()
    long_header = "text," + "a" * (limit + 10) + "\nQ?,x\n"
    assert error_message(long_header).startswith(
        f"line 1: the header is malformed: a cell has more than {limit} characters"
    )
    long_cell = 'text,choices,correct\nQ?,A|B,1\n"' + "a" * (limit + 10) + '",A|B,1\n'
    assert error_message(long_cell).startswith(
        f"line 3: the CSV is malformed: a cell has more than {limit} characters"
    )
