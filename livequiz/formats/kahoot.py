"""The Kahoot quiz spreadsheet (xlsx), as Kahoot's own template lays it out.

The first sheet has its header in row 8 and one question per row from row 9 on::

    column  A   B         C to F          G                 H
            #   question  answers 1 to 4  time limit (sec)  correct answers

Column A only numbers the rows and is ignored. A question has at most 120 characters, an
answer at most 75, and the time limit is one of 5, 10, 20, 30, 60, 90, 120 or 240 seconds.
The correct answers are 1-based answer numbers separated by commas, such as ``2`` or
``1,3``. One correct answer makes a single choice question and several make a multiple
select question that needs exactly those answers (``scoring="exact"``). Rows whose columns
B to H are all empty are skipped. The sheet carries no quiz title, so the caller names it.

A question with the two answers True and False stays a single choice question: the sheet
cannot say that it means our true/false kind, and keeping it as written keeps the author's
answer order and wording (such as "Vrai" and "Faux").
"""

import io
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import ValidationError

from livequiz.errors import InvalidInputError
from livequiz.questions import DEFAULT_TIME_LIMIT_S, AnyQuestion, MultipleSelect, SingleChoice
from livequiz.quizzes import MAX_QUESTIONS, describe_errors

ERROR_CODE = "invalid_kahoot"
HEADER_ROW = 8
FIRST_QUESTION_ROW = 9
# Columns B to H, as 1-based column numbers and letters.
FIRST_COLUMN = 2
LAST_COLUMN = 8
ANSWER_COLUMNS = ("C", "D", "E", "F")
# The start of each header cell of columns B to H, compared without case.
HEADERS = (
    ("B", "question"),
    ("C", "answer 1"),
    ("D", "answer 2"),
    ("E", "answer 3"),
    ("F", "answer 4"),
    ("G", "time limit"),
    ("H", "correct answer"),
)
MAX_QUESTION_CHARS = 120
MAX_ANSWER_CHARS = 75
TIME_LIMITS_S = (5, 10, 20, 30, 60, 90, 120, 240)
# A sheet of 500 questions written by openpyxl 3.1 takes about 20 KB, so the first limit
# leaves room for styles and images. The second limit rejects a small zip archive that
# inflates to a huge sheet (a zip bomb) before openpyxl parses it.
MAX_BYTES = 2 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 32 * 1024 * 1024
# Exceptions that openpyxl 3.1 and zipfile raise for bytes that are not an xlsx workbook:
#   BadZipFile, InvalidFileException  not a zip archive
#   KeyError, OSError                 a missing part, or no workbook part in the content types
#   SyntaxError, ValueError           a part that is not valid XML, or a bad value in it
#   TypeError                         an element with an attribute openpyxl does not know
#   zlib.error, EOFError              a corrupt or truncated deflate stream
#   RuntimeError                      an encrypted member, or a zip version zipfile cannot read
UNREADABLE = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    ValueError,
    SyntaxError,
    OSError,
    TypeError,
    zlib.error,
    EOFError,
    RuntimeError,
)


def _invalid(message: str) -> InvalidInputError:
    return InvalidInputError(ERROR_CODE, message)


def _check_size(data: bytes) -> None:
    if len(data) > MAX_BYTES:
        raise _invalid(
            f"the file has {len(data)} bytes, more than the limit of {MAX_BYTES}: "
            f"split the quiz into smaller spreadsheets"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            uncompressed = sum(member.file_size for member in archive.infolist())
    except UNREADABLE as error:
        raise _invalid(
            "the file is not an xlsx spreadsheet: save it in Excel's .xlsx format"
        ) from error
    if uncompressed > MAX_UNCOMPRESSED_BYTES:
        raise _invalid(
            f"the spreadsheet expands to {uncompressed} bytes, more than the limit of "
            f"{MAX_UNCOMPRESSED_BYTES}: remove images and unused rows, or split the quiz"
        )


def _cell_text(value: Any) -> str:
    """Render a cell value as a spreadsheet displays it, such as ``1945`` for 1945.0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def _whole_number(value: Any) -> int | None:
    """Read ``20``, ``20.0``, ``"20"`` or ``" 20.0 "`` as 20; return None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return int(number) if number.is_integer() else None
    return None


def _check_header(cells: Sequence[Any]) -> None:
    padded = [*cells, *[None] * (len(HEADERS) - len(cells))]
    for (column, start), value in zip(HEADERS, padded, strict=False):
        found = _cell_text(value)
        if not found.casefold().startswith(start):
            shown = repr(found) if found else "an empty cell"
            raise _invalid(
                f"row {HEADER_ROW}, column {column}: expected the header {start.capitalize()!r} "
                f"of Kahoot's template, found {shown}: keep the template's header row"
            )


def _time_limit(value: Any, row: int, default: int) -> int:
    if _cell_text(value) == "":
        return default
    seconds = _whole_number(value)
    if seconds not in TIME_LIMITS_S:
        allowed = ", ".join(str(limit) for limit in TIME_LIMITS_S)
        raise _invalid(
            f"row {row}, column G: invalid time limit {_cell_text(value)!r}: "
            f"use one of {allowed} seconds"
        )
    return seconds


def _correct_numbers(value: Any, row: int) -> list[int]:
    """Read the 1-based answer numbers of column H, such as ``2``, ``2.0`` or ``"1, 3"``."""
    if isinstance(value, float) and not value.is_integer():
        raise _invalid(
            f"row {row}, column H: the correct answers are the decimal number {value}: "
            'format the cell as text and separate answer numbers with commas, such as "1,3"'
        )
    parts = [part.strip() for part in _cell_text(value).split(",")]
    if parts == [""]:
        raise _invalid(f"row {row}, column H: the correct answers are missing: name at least one")
    numbers = []
    for part in parts:
        number = _whole_number(part)
        if number is None or not 1 <= number <= len(ANSWER_COLUMNS):
            raise _invalid(
                f"row {row}, column H: invalid correct answer {part!r} in "
                f"{_cell_text(value)!r}: use answer numbers from 1 to 4 separated by commas"
            )
        if number in numbers:
            raise _invalid(f"row {row}, column H: answer {number} is listed twice")
        numbers.append(number)
    return numbers


def _choices(cells: Sequence[Any], row: int) -> tuple[list[str], dict[int, int]]:
    """Read answers 1 to 4; return the non-empty ones and each answer number's index among
    them, so that a gap such as an empty answer 2 shifts the later indexes."""
    choices: list[str] = []
    indexes: dict[int, int] = {}
    numbers_by_answer: dict[str, int] = {}
    for number, column in enumerate(ANSWER_COLUMNS, start=1):
        answer = _cell_text(cells[number])
        if not answer:
            continue
        if len(answer) > MAX_ANSWER_CHARS:
            raise _invalid(
                f"row {row}, column {column}: answer {number} has {len(answer)} characters, "
                f"more than Kahoot's limit of {MAX_ANSWER_CHARS}: shorten it"
            )
        if answer in numbers_by_answer:
            raise _invalid(
                f"row {row}, column {column}: answers {numbers_by_answer[answer]} and {number} "
                f"are both {answer!r}: make every answer different"
            )
        numbers_by_answer[answer] = number
        indexes[number] = len(choices)
        choices.append(answer)
    if len(choices) < 2:
        raise _invalid(
            f"row {row}, columns C to F: a question needs at least two answers, "
            f"found {len(choices)}"
        )
    return choices, indexes


def _question(cells: Sequence[Any], row: int, time_limit: int) -> AnyQuestion:
    text = _cell_text(cells[0])
    if not text:
        raise _invalid(f"row {row}, column B: the question is empty: write it or clear the row")
    if len(text) > MAX_QUESTION_CHARS:
        raise _invalid(
            f"row {row}, column B: the question has {len(text)} characters, more than "
            f"Kahoot's limit of {MAX_QUESTION_CHARS}: shorten it"
        )

    choices, indexes = _choices(cells, row)
    seconds = _time_limit(cells[5], row, time_limit)
    correct = []
    for number in _correct_numbers(cells[6], row):
        if number not in indexes:
            raise _invalid(
                f"row {row}, column H: correct answer {number} points at an empty cell "
                f"(column {ANSWER_COLUMNS[number - 1]}): fill in answer {number} or correct "
                "the answer numbers"
            )
        correct.append(indexes[number])

    try:
        if len(correct) == 1:
            return SingleChoice(text=text, choices=choices, correct=correct[0], time_limit=seconds)
        return MultipleSelect(
            type="multiple", text=text, choices=choices, correct=correct, time_limit=seconds
        )
    except ValidationError as error:
        raise _invalid(f"row {row}: {describe_errors(error)}") from error


def _rows(data: bytes) -> Iterator[tuple[int, Sequence[Any]]]:
    """Yield the row number and the cells of columns B to H of each row from the header on."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except UNREADABLE as error:
        raise _invalid(
            f"the file is not an xlsx spreadsheet ({error}): save it in Excel's .xlsx format"
        ) from error
    try:
        if not workbook.worksheets:
            raise _invalid("the workbook has no worksheet: put the questions on its first sheet")
        sheet = workbook.worksheets[0]
        # In read-only mode openpyxl stops at the size the sheet declares in its dimension
        # tag, which a file may get wrong, so rows past it would be dropped without a word.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(
            min_row=HEADER_ROW, min_col=FIRST_COLUMN, max_col=LAST_COLUMN, values_only=True
        )
        # Sheet rows are parsed lazily, so a broken sheet part fails here rather than on load.
        try:
            yield from enumerate(rows, start=HEADER_ROW)
        except UNREADABLE as error:
            raise _invalid(
                f"the sheet cannot be read ({error}): save it again in Excel's .xlsx format"
            ) from error
    finally:
        workbook.close()


def questions_from_kahoot(
    data: bytes, *, time_limit: int = DEFAULT_TIME_LIMIT_S
) -> list[AnyQuestion]:
    """Read the questions of a Kahoot quiz spreadsheet.

    ``time_limit`` is used for rows whose time limit cell is empty. Raises
    ``InvalidInputError`` (code ``invalid_kahoot``) naming the row, and the column where
    one cell is at fault, of the first problem found, and then returns no question at all.
    """
    _check_size(data)
    questions: list[AnyQuestion] = []
    header_seen = False
    for row, cells in _rows(data):
        if row == HEADER_ROW:
            _check_header(cells)
            header_seen = True
            continue
        if all(_cell_text(value) == "" for value in cells):
            continue
        if len(questions) == MAX_QUESTIONS:
            raise _invalid(
                f"row {row}: the sheet has more than {MAX_QUESTIONS} questions, the most a "
                "quiz can have: split it into several quizzes"
            )
        padded = [*cells, *[None] * (len(HEADERS) - len(cells))]
        questions.append(_question(padded, row, time_limit))
    if not header_seen:
        _check_header(())
    if not questions:
        raise _invalid(
            f"the sheet has no questions: write them from row {FIRST_QUESTION_ROW} on, "
            "below the header"
        )
    return questions
