"""Quiz questions as CSV, one question of any kind per row, for people who write quizzes in a
spreadsheet.

The first line is the header. It names the columns in any order, and only ``text`` is
required; ``quiz_to_csv`` writes all of them in this order::

    type,text,choices,correct,time_limit,points,scoring,min,max,step,tolerance,explanation,image_url,category

Cells that contain a list separate its entries with ``|``. Inside a list, ``\\|`` is a literal
bar and ``\\\\`` a literal backslash. Each kind uses these columns and needs its other kind
columns empty:

    type         choices                 correct                          other columns
    single       2 to 6 choices          the right choice's number, 1-6
    true_false   (empty)                 true or false
    multiple     2 to 6 choices          the right choices' numbers: 1|3  scoring
    type_answer  (empty)                 the accepted answers: Paris|Paree
    slider       (empty)                 the right number                 min, max, step, tolerance
    ordering     the items in the        (empty)                          scoring
                 right order
    poll         2 to 6 choices          (empty)

An empty ``type`` means ``single``, an empty ``time_limit`` the caller's default, an empty
``points``, ``scoring``, ``step`` or ``tolerance`` the model's default. Choice numbers are
1-based, as a spreadsheet user counts. The separator between cells is a comma, or a
semicolon or a tab when the header line uses that instead, because Excel saves CSV with the
locale's list separator, a semicolon where the decimal separator is a comma. The file is
UTF-8, with or without a byte order mark. CSV carries no quiz title or description.
"""

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic import ValidationError

from livequiz.errors import InvalidInputError
from livequiz.questions import (
    DEFAULT_TIME_LIMIT_S,
    KINDS,
    AnyQuestion,
    MultipleSelect,
    Ordering,
    Poll,
    SingleChoice,
    Slider,
    TrueFalse,
    TypeAnswer,
)
from livequiz.quizzes import MAX_QUESTIONS, QUESTION_TYPES, Quiz

ERROR_CODE = "invalid_csv"
COLUMNS = (
    "type",
    "text",
    "choices",
    "correct",
    "time_limit",
    "points",
    "scoring",
    "min",
    "max",
    "step",
    "tolerance",
    "explanation",
    "image_url",
    "category",
)
SHARED_COLUMNS = {"type", "text", "time_limit", "points", "explanation", "image_url", "category"}
# The columns each kind reads besides the shared ones.
KIND_COLUMNS = {
    "single": {"choices", "correct"},
    "true_false": {"correct"},
    "multiple": {"choices", "correct", "scoring"},
    "type_answer": {"correct"},
    "slider": {"correct", "min", "max", "step", "tolerance"},
    "ordering": {"choices", "scoring"},
    "poll": {"choices"},
}
# The column of each model field whose name differs from its column.
FIELD_COLUMNS = {"items": "choices", "accepted": "correct"}
DELIMITERS = (",", ";", "\t")
LIST_SEPARATOR = "|"
ESCAPE = "\\"
MAX_BYTES = 2 * 1024 * 1024


def _invalid(message: str) -> InvalidInputError:
    return InvalidInputError(ERROR_CODE, message)


class _CellError(ValueError):
    """A cell's value is invalid. The row parser adds the line and the column."""


# Lists inside a cell


def split_list(cell: str) -> list[str]:
    """Split a list cell at each unescaped ``|``, decoding ``\\|`` and ``\\\\``."""
    entries = []
    current: list[str] = []
    characters = iter(cell)
    for character in characters:
        if character == ESCAPE:
            following = next(characters, "")
            if following in (LIST_SEPARATOR, ESCAPE):
                current.append(following)
            else:
                # A backslash before any other character is kept as written.
                current.append(character + following)
        elif character == LIST_SEPARATOR:
            entries.append("".join(current).strip())
            current = []
        else:
            current.append(character)
    entries.append("".join(current).strip())
    return entries


def join_list(entries: Iterable[str]) -> str:
    """Join entries into a list cell, escaping each backslash and ``|``."""
    escaped = (
        entry.replace(ESCAPE, ESCAPE * 2).replace(LIST_SEPARATOR, ESCAPE + LIST_SEPARATOR)
        for entry in entries
    )
    return LIST_SEPARATOR.join(escaped)


# Cell values


def _entries(cell: str) -> list[str]:
    entries = split_list(cell)
    for position, entry in enumerate(entries, start=1):
        if not entry:
            raise _CellError(
                f"entry {position} of {cell!r} is empty: remove the extra {LIST_SEPARATOR!r}"
            )
    return entries


def _whole_number(cell: str, name: str) -> int:
    try:
        number = float(cell)
    except ValueError:
        number = float("nan")
    if not number.is_integer():
        raise _CellError(f"invalid {name} {cell!r}: expected a whole number")
    return int(number)


def _number(cell: str) -> float:
    try:
        return float(cell)
    except ValueError:
        raise _CellError(
            f"invalid number {cell!r}: write it with a decimal point, such as 2.5"
        ) from None


def _choice_numbers(cell: str, choice_count: int) -> list[int]:
    """Read 1-based choice numbers such as ``2`` or ``1|3`` as 0-based indexes."""
    indexes: list[int] = []
    for entry in _entries(cell):
        number = _whole_number(entry, "choice number")
        if not 1 <= number <= choice_count:
            raise _CellError(
                f"choice number {number} is out of range: the question has choices "
                f"1 to {choice_count}"
            )
        if number - 1 in indexes:
            raise _CellError(f"choice number {number} is listed twice")
        indexes.append(number - 1)
    return indexes


def _true_or_false(cell: str) -> bool:
    folded = cell.casefold()
    if folded not in ("true", "false"):
        raise _CellError(f"invalid answer {cell!r}: expected true or false")
    return folded == "true"


def _correct_field(kind: str, cell: str, choice_count: int) -> dict[str, Any]:
    if kind == "single":
        if LIST_SEPARATOR in cell:
            raise _CellError(
                f"a single choice question has one right choice, got {cell!r}: "
                "use the type multiple for several"
            )
        return {"correct": _choice_numbers(cell, choice_count)[0]}
    if kind == "multiple":
        return {"correct": _choice_numbers(cell, choice_count)}
    if kind == "true_false":
        return {"correct": _true_or_false(cell)}
    if kind == "type_answer":
        return {"accepted": _entries(cell)}
    return {"correct": _number(cell)}


# Reading


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise _invalid(
            f"the file has {len(data)} bytes, more than the limit of {MAX_BYTES}: "
            "split the quiz into smaller files"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise _invalid(
            f"line {line}: the file is not UTF-8 text ({error.reason} at byte {error.start}): "
            "save it as CSV UTF-8"
        ) from error


def _delimiter(text: str) -> str:
    first_line = text.splitlines()[0] if text else ""
    for delimiter in DELIMITERS:
        try:
            names = next(csv.reader([first_line], delimiter=delimiter), [])
        except csv.Error as error:
            raise _invalid(f"line 1: the header is malformed: {_csv_problem(error)}") from error
        if "text" in (name.strip().casefold() for name in names):
            return delimiter
    return ","


def _csv_problem(error: csv.Error) -> str:
    """Describe a csv module error, naming the cell length limit where that is the cause."""
    if "field larger than field limit" in str(error):
        return (
            f"a cell has more than {csv.field_size_limit()} characters, the limit of a CSV "
            "cell: check the quotes, since an unclosed quote makes the rest of the file one cell"
        )
    return str(error)


def _header(names: Sequence[str], line: int) -> list[str]:
    columns = [name.strip().casefold() for name in names]
    for position, column in enumerate(columns):
        if column not in COLUMNS:
            raise _invalid(
                f"line {line}: unknown column {names[position]!r} in the header: the columns are "
                f"{','.join(COLUMNS)}"
            )
        if column in columns[:position]:
            raise _invalid(f"line {line}: the header names the column {column!r} twice")
    if "text" not in columns:
        raise _invalid(
            f"line {line}: the header has no column 'text': start the file with a header such as "
            f"{','.join(COLUMNS)}"
        )
    return columns


def _validation_message(error: ValidationError, line: int) -> str:
    messages = []
    for detail in error.errors():
        location = detail["loc"]
        message = detail["msg"].removeprefix("Value error, ")
        if not location:
            messages.append(f"line {line}: {message}")
            continue
        field = str(location[0])
        column = FIELD_COLUMNS.get(field, field)
        entry = ""
        if len(location) > 1 and isinstance(location[1], int):
            entry = f", entry {location[1] + 1}"
        messages.append(f"line {line}, column {column}{entry}: {message}")
    return "; ".join(messages)


def _read(cells: dict[str, str], column: str, line: int, convert: Callable[[str], Any]) -> Any:
    try:
        return convert(cells[column])
    except _CellError as error:
        raise _invalid(f"line {line}, column {column}: {error}") from None


def _kind_fields(kind: str, cells: dict[str, str], line: int) -> dict[str, Any]:
    """Convert the cells of the kind's own columns into model fields."""
    fields: dict[str, Any] = {}
    if "choices" in cells:
        fields["items" if kind == "ordering" else "choices"] = _read(
            cells, "choices", line, _entries
        )
    elif kind in ("single", "multiple", "ordering", "poll"):
        raise _invalid(
            f"line {line}, column choices: the choices are missing: list 2 to 6 of them "
            f"separated by {LIST_SEPARATOR!r}"
        )
    if "scoring" in cells:
        fields["scoring"] = cells["scoring"]
    for column in ("min", "max", "step", "tolerance"):
        if column in cells:
            fields[column] = _read(cells, column, line, _number)
    if "correct" in cells:
        choice_count = len(fields.get("choices", ()))
        fields.update(
            _read(cells, "correct", line, lambda cell: _correct_field(kind, cell, choice_count))
        )
    return fields


def _question(cells: dict[str, str], line: int, time_limit: int) -> AnyQuestion:
    kind = cells.pop("type", "single").casefold()
    if kind not in KINDS:
        raise _invalid(
            f"line {line}, column type: unknown question type {kind!r}: use one of "
            f"{', '.join(KINDS)}"
        )
    for column in cells:
        if column not in SHARED_COLUMNS and column not in KIND_COLUMNS[kind]:
            raise _invalid(
                f"line {line}, column {column}: a {kind} question has no {column}: "
                "leave the cell empty"
            )
    fields: dict[str, Any] = {"type": kind, "time_limit": time_limit}
    for column in ("text", "explanation", "image_url", "category"):
        if column in cells:
            fields[column] = cells[column]
    if "time_limit" in cells:
        fields["time_limit"] = _read(
            cells, "time_limit", line, lambda cell: _whole_number(cell, "time limit")
        )
    if "points" in cells:
        fields["points"] = _read(cells, "points", line, lambda cell: _whole_number(cell, "points"))
    fields.update(_kind_fields(kind, cells, line))
    try:
        return QUESTION_TYPES[kind].model_validate(fields)
    except ValidationError as error:
        raise _invalid(_validation_message(error, line)) from error


def _cells(record: list[str], columns: list[str], line: int, delimiter: str) -> dict[str, str]:
    """Map each column to its cell in ``record``, leaving out empty cells."""
    if any(cell.strip() for cell in record[len(columns) :]):
        raise _invalid(
            f"line {line}: the row has {len(record)} cells but the header names "
            f"{len(columns)} columns: quote cells that contain {delimiter!r}"
        )
    return {
        column: cell.strip() for column, cell in zip(columns, record, strict=False) if cell.strip()
    }


def questions_from_csv(data: bytes, *, time_limit: int = DEFAULT_TIME_LIMIT_S) -> list[AnyQuestion]:
    """Read the questions of a CSV file in the layout described in this module.

    ``time_limit`` is used for rows whose ``time_limit`` cell is empty. Raises
    ``InvalidInputError`` (code ``invalid_csv``) naming the physical line where the row
    starts, and the column, of the first invalid row, and then returns no question at all.
    """
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    columns: list[str] | None = None
    questions: list[AnyQuestion] = []
    line = 1
    try:
        for record in reader:
            blank = not any(cell.strip() for cell in record)
            if not blank and columns is None:
                columns = _header(record, line)
            elif not blank and columns is not None:
                if len(questions) == MAX_QUESTIONS:
                    raise _invalid(
                        f"line {line}: the file has more than {MAX_QUESTIONS} questions, the "
                        "most a quiz can have: split it into several quizzes"
                    )
                cells = _cells(record, columns, line, reader.dialect.delimiter)
                questions.append(_question(cells, line, time_limit))
            # line_num counts physical lines read so far, so a record whose quoted cell
            # contains a line break still gives the next record its true starting line.
            line = reader.line_num + 1
    except csv.Error as error:
        raise _invalid(f"line {line}: the CSV is malformed: {_csv_problem(error)}") from error
    if columns is None:
        raise _invalid(f"line 1: the file is empty: start it with the header {','.join(COLUMNS)}")
    if not questions:
        raise _invalid("the file has a header but no questions: add one question per line")
    return questions


# Writing


def _number_cell(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def _row(question: AnyQuestion) -> dict[str, str]:
    row = {
        "type": question.type,
        "text": question.text,
        "time_limit": str(question.time_limit),
        "points": str(question.points),
        "explanation": question.explanation or "",
        "image_url": question.image_url or "",
        "category": question.category or "",
    }
    if isinstance(question, SingleChoice):
        row.update(choices=join_list(question.choices), correct=str(question.correct + 1))
    elif isinstance(question, TrueFalse):
        row["correct"] = "true" if question.correct else "false"
    elif isinstance(question, MultipleSelect):
        numbers = (str(index + 1) for index in question.correct)
        row.update(
            choices=join_list(question.choices),
            correct=LIST_SEPARATOR.join(numbers),
            scoring=question.scoring,
        )
    elif isinstance(question, TypeAnswer):
        row["correct"] = join_list(question.accepted)
    elif isinstance(question, Slider):
        row.update(
            correct=_number_cell(question.correct),
            min=_number_cell(question.min),
            max=_number_cell(question.max),
            step=_number_cell(question.step),
            tolerance=_number_cell(question.tolerance),
        )
    elif isinstance(question, Ordering):
        row.update(choices=join_list(question.items), scoring=question.scoring)
    elif isinstance(question, Poll):
        row["choices"] = join_list(question.choices)
    return row


def quiz_to_csv(quiz: Quiz) -> str:
    """Write a quiz's questions as CSV with every column, which ``questions_from_csv`` reads
    back to the same questions. The title and the description are not part of the file."""
    output = io.StringIO(newline="")
    writer = csv.DictWriter(output, fieldnames=COLUMNS, restval="")
    writer.writeheader()
    for question in quiz.questions:
        writer.writerow(_row(question))
    return output.getvalue()
