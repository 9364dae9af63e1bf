"""Game reports for the host: per player and per question, built from MySQL alone.

``game_report`` reads the questions as the game played them (``games.questions``), every
answer and every player, and returns a ``GameReport``, which is also the JSON form.
``render_csv`` and ``render_xlsx`` turn it into a file with three tables: players, questions,
and the distribution with one row per option of each question. The CSV file puts the three
one after the other, each under a line with its name and separated by an empty line, and
the workbook has one sheet for each (Players, Questions, Distribution).

Text that a spreadsheet would run as a formula, such as a nickname ``=HYPERLINK(...)``, is
kept as text. In CSV it gets a leading apostrophe, as OWASP advises against CSV injection.
In the workbook it is a string cell with the quote prefix style.

Players rank as in ``livequiz.results``: by score, then by who reached it first, then by join
order. A kicked player stays in the report with ``kicked`` set and no rank, and the players
after it move up. Times are the server-measured milliseconds from the question's opening to
the answer, and averages are rounded to the nearest millisecond, halves up.

Each question's ``distribution`` has one entry per option:

- single, true_false, multiple and poll: one entry per choice, counting the answers that
  chose it (an answer to a multiple select question counts for each choice it lists);
- ordering: one entry per item in its right order, counting the answers that put that item
  in its right position;
- type_answer: one entry per accepted answer, counting the answers equal to it once case,
  accents and spaces are ignored, then an entry "other" for every other answer;
- slider: one entry per distinct value answered, in ascending order, with ``value`` set.

``correct`` of an entry says whether that option is part of the right answer; it is None for
a poll, which has no right answer, and for ordering, where every item has a right position.
"""

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from pydantic import BaseModel
from sqlalchemy.engine import Connection, Engine

from livequiz import catalog, db
from livequiz.errors import ForbiddenError, NotFoundError
from livequiz.questions import (
    AnyQuestion,
    MultipleSelect,
    Ordering,
    Poll,
    SingleChoice,
    Slider,
    TrueFalse,
    TypeAnswer,
    exact,
    normalise_typed,
)
from livequiz.quizzes import stored_question
from livequiz.results import ranking_order

# Rows of any number of columns, read by column name.
Rows = Sequence[sa.Row[*tuple[Any, ...]]]

OTHER_LABEL = "other"
# Digits of a correct rate, a fraction from 0 to 1: 0.6667 for two answers right of three.
RATE_DIGITS = 4


class PlayerReport(BaseModel):
    player_id: str
    nickname: str
    # None for a kicked player.
    rank: int | None
    score: int
    correct_count: int
    answered_count: int
    # None for a player who answered nothing.
    average_time_ms: int | None
    kicked: bool


class DistributionEntry(BaseModel):
    label: str
    # The number answered, for a slider's entries only.
    value: int | float | None = None
    count: int
    # Whether the option is part of the right answer: None for polls and ordering items.
    correct: bool | None


class QuestionReport(BaseModel):
    index: int
    type: str
    text: str
    answered_count: int
    correct_count: int
    # The share of answers that were right, from 0 to 1: None for a poll or when nobody answered.
    correct_rate: float | None
    average_time_ms: int | None
    distribution: list[DistributionEntry]


class GameReport(BaseModel):
    game_id: str
    quiz_title: str
    status: str
    created_at: db.UtcDatetime
    started_at: db.UtcDatetime | None
    ended_at: db.UtcDatetime | None
    player_count: int
    question_count: int
    players: list[PlayerReport]
    questions: list[QuestionReport]


def average_ms(total: int, count: int) -> int | None:
    """Return ``total / count`` rounded to the nearest integer with halves up, or None for 0."""
    if count == 0:
        return None
    return (2 * total + count) // (2 * count)


def game_report(engine: Engine, game_id: str, user_id: int) -> GameReport:
    """Build the report of a game for its host.

    Raises ``NotFoundError`` for an unknown game and ``ForbiddenError`` when ``user_id`` did
    not host it.
    """
    games = db.games.c
    game_query = (
        sa.select(
            games.id,
            games.quiz_id,
            games.host_user_id,
            games.status,
            games.question_count,
            games.questions,
            games.created_at,
            games.started_at,
            games.ended_at,
            db.quizzes.c.title,
        )
        .join(db.quizzes, db.quizzes.c.id == games.quiz_id)
        .where(games.id == game_id)
    )
    with engine.connect() as connection:
        game = connection.execute(game_query).first()
        if game is None:
            raise NotFoundError("unknown_game", f"game {game_id} does not exist")
        if game.host_user_id != user_id:
            raise ForbiddenError(
                "not_game_host",
                f"game {game_id} was hosted by another user: only its host can read its report",
            )
        player_rows = _player_rows(connection, game_id)
        answer_rows = _answer_rows(connection, game_id)
    questions = _played_questions(engine, game.questions, game.quiz_id, game.question_count)
    players = _player_reports(player_rows, answer_rows)
    return GameReport(
        game_id=game_id,
        quiz_title=game.title,
        status=game.status,
        created_at=game.created_at,
        started_at=game.started_at,
        ended_at=game.ended_at,
        player_count=sum(1 for player in players if not player.kicked),
        question_count=len(questions),
        players=players,
        questions=[
            _question_report(
                index, question, [row for row in answer_rows if row.question_index == index]
            )
            for index, question in enumerate(questions)
        ],
    )


def _player_rows(connection: Connection, game_id: str) -> Rows:
    players = db.game_players.c
    query = (
        sa.select(players.player_id, players.nickname, players.total_score, players.kicked)
        .where(players.game_id == game_id)
        .order_by(*ranking_order(players))
    )
    return connection.execute(query).all()


def _answer_rows(connection: Connection, game_id: str) -> Rows:
    answers = db.answers.c
    query = (
        sa.select(
            answers.question_index,
            answers.player_id,
            answers.choice,
            answers.response,
            answers.correct,
            answers.elapsed_ms,
        )
        .where(answers.game_id == game_id)
        .order_by(answers.question_index, answers.player_id)
    )
    return connection.execute(query).all()


def _played_questions(
    engine: Engine, played: list[dict[str, Any]] | None, quiz_id: int, question_count: int
) -> list[AnyQuestion]:
    if played is not None:
        return [stored_question(question) for question in played]
    # NOTE: a game created before games.questions existed falls back to its quiz's questions,
    # which show any edit made to the quiz after the game.
    return catalog.load_quiz(engine, quiz_id).questions[:question_count]


def _player_reports(player_rows: Rows, answer_rows: Rows) -> list[PlayerReport]:
    answered: Counter[str] = Counter()
    right: Counter[str] = Counter()
    time_ms: Counter[str] = Counter()
    for answer in answer_rows:
        answered[answer.player_id] += 1
        time_ms[answer.player_id] += answer.elapsed_ms
        if answer.correct:
            right[answer.player_id] += 1
    reports = []
    rank = 0
    # The rows come in ranking order. Kicked players are listed after everyone else.
    for row in sorted(player_rows, key=lambda row: bool(row.kicked)):
        if not row.kicked:
            rank += 1
        player_id = row.player_id
        reports.append(
            PlayerReport(
                player_id=player_id,
                nickname=row.nickname,
                rank=None if row.kicked else rank,
                score=row.total_score,
                correct_count=right[player_id],
                answered_count=answered[player_id],
                average_time_ms=average_ms(time_ms[player_id], answered[player_id]),
                kicked=bool(row.kicked),
            )
        )
    return reports


def _question_report(index: int, question: AnyQuestion, answers: Rows) -> QuestionReport:
    answered = len(answers)
    right = sum(1 for answer in answers if answer.correct)
    rate = None
    if not isinstance(question, Poll) and answered > 0:
        rate = round(right / answered, RATE_DIGITS)
    return QuestionReport(
        index=index,
        type=question.type,
        text=question.text,
        answered_count=answered,
        correct_count=right,
        correct_rate=rate,
        average_time_ms=average_ms(sum(answer.elapsed_ms for answer in answers), answered),
        distribution=distribution(question, [_response(answer) for answer in answers]),
    )


def _response(answer: sa.Row[Any]) -> Any:
    # Answers written before question types have a choice and no response.
    return answer.response if answer.response is not None else answer.choice


def distribution(question: AnyQuestion, responses: Sequence[Any]) -> list[DistributionEntry]:
    """Count ``responses``, each a ``questions.Grade.response``, by option of ``question``."""
    if isinstance(question, SingleChoice | TrueFalse | Poll):
        chosen = Counter(response for response in responses if isinstance(response, int))
        if isinstance(question, Poll):
            right = None
        elif isinstance(question, SingleChoice):
            right = question.correct
        else:
            right = int(not question.correct)
        return [
            DistributionEntry(
                label=label,
                count=chosen[option],
                correct=None if right is None else option == right,
            )
            for option, label in enumerate(question.choices)
        ]
    if isinstance(question, MultipleSelect):
        chosen = Counter(option for response in responses for option in _list(response))
        return [
            DistributionEntry(label=label, count=chosen[option], correct=option in question.correct)
            for option, label in enumerate(question.choices)
        ]
    if isinstance(question, Ordering):
        in_place = Counter(
            place
            for response in responses
            for place, item in enumerate(_list(response))
            if place == item
        )
        return [
            DistributionEntry(label=label, count=in_place[place], correct=None)
            for place, label in enumerate(question.items)
        ]
    if isinstance(question, TypeAnswer):
        typed = Counter(response for response in responses if isinstance(response, str))
        entries = [
            DistributionEntry(
                label=accepted, count=typed.pop(normalise_typed(accepted), 0), correct=True
            )
            for accepted in question.accepted
        ]
        other = len(responses) - sum(entry.count for entry in entries)
        return [*entries, DistributionEntry(label=OTHER_LABEL, count=other, correct=False)]
    return _slider_distribution(question, responses)


def _list(response: Any) -> list[Any]:
    return response if isinstance(response, list) else []


def _slider_distribution(question: Slider, responses: Sequence[Any]) -> list[DistributionEntry]:
    values = Counter(
        _plain_number(response)
        for response in responses
        if isinstance(response, int | float) and not isinstance(response, bool)
    )
    tolerance = exact(question.tolerance)
    return [
        DistributionEntry(
            label=str(value),
            value=value,
            count=count,
            correct=abs(exact(float(value)) - exact(question.correct)) <= tolerance,
        )
        for value, count in sorted(values.items())
    ]


def _plain_number(number: float) -> int | float:
    """Return a whole number as an int, so 42.0 and 42 count as one value and print as 42."""
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


# Rendering

Cell = str | int | float | bool | None

PLAYER_COLUMNS = (
    "rank",
    "nickname",
    "score",
    "correct_count",
    "answered_count",
    "average_time_ms",
    "kicked",
)
QUESTION_COLUMNS = (
    "index",
    "type",
    "text",
    "answered_count",
    "correct_count",
    "correct_rate",
    "average_time_ms",
)
DISTRIBUTION_COLUMNS = ("question", "option", "count", "correct")
# First characters that can make a spreadsheet read a cell as a formula: those of OWASP ASVS
# requirement 1.2.10 (= + - @, tab and NUL) and the carriage return.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
MAX_COLUMN_WIDTH = 60


def starts_formula(text: str) -> bool:
    """Return whether a spreadsheet could read ``text`` as a formula, leading spaces ignored."""
    return text.lstrip(" ").startswith(FORMULA_STARTS)


def csv_text(text: str) -> str:
    """Return ``text`` as a CSV field that spreadsheets show as text: "'=1+1" for "=1+1"."""
    return "'" + text if starts_formula(text) else text


def tables(report: GameReport) -> list[tuple[str, tuple[str, ...], list[list[Cell]]]]:
    """Return the report's tables as (name, column names, rows)."""
    players: list[list[Cell]] = [
        [
            player.rank,
            player.nickname,
            player.score,
            player.correct_count,
            player.answered_count,
            player.average_time_ms,
            player.kicked,
        ]
        for player in report.players
    ]
    questions: list[list[Cell]] = [
        [
            question.index,
            question.type,
            question.text,
            question.answered_count,
            question.correct_count,
            question.correct_rate,
            question.average_time_ms,
        ]
        for question in report.questions
    ]
    # A slider's option is the number answered, so that it stays a number in a spreadsheet.
    distribution: list[list[Cell]] = [
        [
            question.index,
            entry.label if entry.value is None else entry.value,
            entry.count,
            entry.correct,
        ]
        for question in report.questions
        for entry in question.distribution
    ]
    return [
        ("players", PLAYER_COLUMNS, players),
        ("questions", QUESTION_COLUMNS, questions),
        ("distribution", DISTRIBUTION_COLUMNS, distribution),
    ]


def _csv_field(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, str):
        return csv_text(cell)
    return str(cell)


def render_csv(report: GameReport) -> str:
    """Render the report as one CSV text (RFC 4180, CRLF line ends) with three sections."""
    output = io.StringIO()
    writer = csv.writer(output)
    for position, (name, columns, rows) in enumerate(tables(report)):
        if position > 0:
            writer.writerow([])
        writer.writerow([name])
        writer.writerow(columns)
        writer.writerows([_csv_field(cell) for cell in row] for row in rows)
    return output.getvalue()


def render_xlsx(report: GameReport) -> bytes:
    """Render the report as an Excel workbook with one sheet per table."""
    workbook = Workbook()
    default_sheet = workbook.active
    for name, columns, rows in tables(report):
        _add_sheet(workbook, name.capitalize(), columns, rows)
    if default_sheet is not None:
        workbook.remove(default_sheet)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _add_sheet(
    workbook: Workbook, title: str, columns: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    widths = [len(column) for column in columns]
    for row_number, row in enumerate(rows, start=2):
        for column_number, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_number, column=column_number)
            cell.value = value
            if isinstance(value, str):
                # openpyxl would store a string that starts with "=" as a formula. A string
                # cell is never evaluated, and Excel sets the quote prefix on text typed after
                # an apostrophe.
                cell.data_type = "s"
                cell.quotePrefix = starts_formula(value)
                widths[column_number - 1] = max(widths[column_number - 1], len(value))
    for column_number, width in enumerate(widths, start=1):
        letter = get_column_letter(column_number)
        sheet.column_dimensions[letter].width = min(width + 2, MAX_COLUMN_WIDTH)
