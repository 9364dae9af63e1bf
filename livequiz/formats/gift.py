"""Moodle's GIFT text format: ``parse_gift`` imports it and ``to_gift`` exports a quiz to it.

A GIFT file contains questions separated by blank lines. Lines starting with ``//`` are comments,
and a ``$CATEGORY:`` line sets the category of the questions after it. A question is an
optional ``::title::``, its text, and an answer block in braces, written after the text or
inside it (the missing-word form, whose text gets ``_____`` where the block was)::

    ::Capital:: The capital of France is {=Paris ~Lyon ~Nice}.

Moodle's question types map to ours as follows.

    {=right ~wrong ~wrong}       single: one answer with full credit among wrong ones
    {~%50%a ~%50%b ~%-50%c}      multiple: several answers with positive weights; scoring is
                                 "partial" when a positive weight is below 100, else "exact"
    {=a =b ~c}                   multiple with scoring "exact"
    {T} {TRUE} {F} {FALSE}       true_false
    {=one =1} or {one}           type_answer: every answer is accepted
    {#3.14:0.01} {#1..5}         slider (see below)
    {#=1822:0 =%50%1822:2}       slider with the widest tolerance of the answers around the
                                 right value, since a slider gives partial credit near it

Matching questions (``->``), essays (``{}``) and descriptions (text without an answer block)
have no equivalent in the game. ``parse_gift`` raises an error that names such a question's
line and kind, or with ``skip_unsupported`` lists it in ``GiftImport.skipped``. The same
happens to partial credit that our kinds cannot grade: an accepted short answer with a weight
between 0 and 100, a partially right choice beside a right one marked ``=``, and a numerical
question with several right values or partial credit away from its right value. Answers with
a weight of 0 or less are wrong answers. A negative weight is a penalty, and the game never
takes points away, so it only marks the answer wrong.

Text. Escapes ``\\~ \\= \\# \\{ \\} \\: \\\\`` stand for the character and ``\\n`` for a line
break. A piece of text may start with its format: ``[moodle]`` (the default for the question
text), ``[plain]``, ``[html]`` or ``[markdown]``. Answers and feedback without one take the
question's format. The game shows plain text, so HTML becomes its text: tags and comments
are removed, entities decoded, and paragraphs and ``<br>`` become line breaks. Markdown is
kept as written, markup characters included, because it reads well as plain text and
removing the markup without rendering it could change the meaning. Moodle and plain text
are shown as written, tags included, except that a line break of the file joins its two
lines with one space.

Feedback. ``explanation`` is the general feedback (``####...``). Without one, it is the
feedback of the first right answer that has feedback, or for a true/false question the first
feedback written. Feedback on wrong answers has no place in our model and is dropped.

Slider range. The step is the finest decimal place of the right value and tolerance (1 for
``{#1822}``, 0.0001 for ``{#3.1415:0.0005}``). The slider spans 20 widths, a width being the
tolerance or one step when the tolerance is smaller. A range ``{#min..max}`` is its midpoint
with half its length as tolerance. The right value sits 5 to 15 widths from the minimum, at a
random place, so that nothing players see of the slider gives the right value away. Two
imports of one file may thus give different ranges.

What GIFT cannot carry. The time limit, points, image URL, the slider's range and step,
our kind where the GIFT form does not imply it (poll, ordering, a multiple select question
with one right choice), and a category that a ``$CATEGORY:`` line cannot express, such as
none after a category. The export also gives the right choices of a multiple select
question weights that add up to 100%, as Moodle requires, so "exact" scoring needs the
comment too. ``to_gift`` writes these
as a JSON object in a comment right above the question, which ``parse_gift`` reads back::

    // livequiz: {"type": "poll", "time_limit": 30}

A GIFT reader other than this one treats that line as a comment. The comment may set any
field of the question, so the round trip ``parse_gift(to_gift(quiz))`` gives back equal
questions. The exceptions are carriage returns, which become line feeds, and the question
titles, which our model has no field for. ``to_gift`` writes a poll as choices with no right
answer, which Moodle's choice questions do not allow, and an ordering question as a matching
question that pairs each item with its position.

Category. A Moodle category path such as ``$course$/top/Geography/Capitals`` loses its
context (``$course$/``) and ``top/``, which name where Moodle stores it, and gives the
category ``Geography/Capitals``.
"""

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any, Literal, NoReturn

from pydantic import ValidationError

from livequiz.errors import InvalidInputError
from livequiz.questions import (
    DEFAULT_TIME_LIMIT_S,
    KINDS,
    MAX_SLIDER_MAGNITUDE,
    MAX_TIME_LIMIT_S,
    MIN_TIME_LIMIT_S,
    AnyQuestion,
    MultipleSelect,
    Ordering,
    Poll,
    SingleChoice,
    Slider,
    TrueFalse,
    TypeAnswer,
)
from livequiz.quizzes import MAX_QUESTIONS, QUESTION_TYPES, Quiz, error_location

ERROR_CODE = "invalid_gift"
# A quiz of 500 questions with long HTML texts stays far below this size.
MAX_GIFT_CHARS = 5_000_000
METADATA_PREFIX = "livequiz:"
CATEGORY_PREFIX = "$CATEGORY:"
BLANK = "_____"
ESCAPED = "~=#{}:\\"
TRUE_FALSE_ANSWERS = {"T": True, "TRUE": True, "F": False, "FALSE": False}
FULL_CREDIT = Decimal(100)
# The slider spans 2 * SLIDER_HALF_WIDTHS widths, and the right value lies at most
# SLIDER_SHIFT_WIDTHS widths away from the middle.
SLIDER_HALF_WIDTHS = 10
# Decimal places of a numerical answer: a double holds 15 significant digits exactly.
MAX_PLACES = 15
SLIDER_SHIFT_WIDTHS = 5
SYSTEM_RANDOM = random.SystemRandom()

Format = Literal["moodle", "plain", "html", "markdown"]
# The forms of an answer block, named as Moodle names its question types.
Form = Literal["essay", "numerical", "multichoice", "matching", "truefalse", "shortanswer"]


@dataclass(frozen=True)
class SkippedQuestion:
    """A question that the game cannot play, left out by ``parse_gift(skip_unsupported=True)``."""

    line: int
    # matching, essay, description, short_answer, multiple_choice or numerical
    kind: str
    reason: str


@dataclass(frozen=True)
class GiftImport:
    questions: list[AnyQuestion]
    skipped: list[SkippedQuestion] = field(default_factory=list)


class _Invalid(Exception):
    """A problem in the GIFT text. The caller adds the line where its question starts."""


class _Unsupported(Exception):
    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


# Escapes and text formats


def _find(text: str, target: str, start: int = 0) -> int:
    """Return the index of the first ``target`` at or after ``start`` that no backslash
    escapes, or -1."""
    index = start
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text) and text[index + 1] in ESCAPED + "n":
            index += 2
        elif text.startswith(target, index):
            return index
        else:
            index += 1
    return -1


def _find_last(text: str, target: str) -> int:
    last = -1
    index = _find(text, target)
    while index >= 0:
        last = index
        index = _find(text, target, index + 1)
    return last


def _split(text: str, separators: str) -> list[tuple[str, str]]:
    """Split at each unescaped character of ``separators``: the text before the first one
    (with an empty separator) and each separator with the text after it."""
    parts: list[tuple[str, str]] = []
    marker, start, index = "", 0, 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text) and text[index + 1] in ESCAPED + "n":
            index += 2
            continue
        if text[index] in separators:
            parts.append((marker, text[start:index]))
            marker, start = text[index], index + 1
        index += 1
    parts.append((marker, text[start:]))
    return parts


def _unescape(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        char = match.group(1)
        return "\n" if char == "n" else char

    return re.sub(r"\\([~=#{}:\\n])", replace, text)


def _escape(text: str) -> str:
    escaped = "".join("\\" + char if char in ESCAPED else char for char in text)
    return re.sub(r"\r\n|\r|\n", r"\\n", escaped)


BLOCK_ELEMENTS = (
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 "
    "h6 header hr li main nav ol p pre section table td th tr ul"
)


class _HtmlText(HTMLParser):
    """Collects the text of an HTML fragment, one line per paragraph or line break."""

    # Elements that start a new line of text.
    BLOCKS = frozenset(BLOCK_ELEMENTS.split())
    HIDDEN = frozenset(("script", "style", "template"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._hidden = 0
        self._pre = 0

    def _break(self) -> None:
        line = "".join(self._line)
        # HTML collapses runs of ASCII whitespace outside <pre>, but a no-break space stays.
        self.lines.append(line.rstrip() if self._pre else re.sub(r" +", " ", line).strip())
        self._line = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1
        elif tag in self.BLOCKS:
            self._break()
            self._pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self._hidden = max(self._hidden - 1, 0)
        elif tag in self.BLOCKS:
            self._break()
            if tag == "pre":
                self._pre = max(self._pre - 1, 0)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if not self._pre:
            self._line.append(re.sub(r"[ \t\n\r\f]+", " ", data))
            return
        first, *others = data.split("\n")
        self._line.append(first)
        for line in others:
            self._break()
            self._line.append(line)

    def text(self) -> str:
        self.close()
        self._break()
        return "\n".join(line for line in self.lines if line.strip())


def html_to_text(html: str) -> str:
    """Return the text of an HTML fragment without tags and comments, entities decoded."""
    parser = _HtmlText()
    parser.feed(html)
    return parser.text().strip()


def _take_format(raw: str, default: Format) -> tuple[Format, str]:
    match = re.match(r"\[(moodle|plain|html|markdown)\]", raw)
    if match is None:
        return default, raw
    name: Format = match.group(1)  # type: ignore[assignment]
    return name, raw[match.end() :]


def _render(raw: str, text_format: Format) -> str:
    """Turn a piece of GIFT text, escapes included, into the plain text the game shows."""
    if text_format in ("moodle", "plain"):
        joined = re.sub(r"[ \t]*\n[ \t]*", " ", raw.strip())
        return _unescape(joined).strip()
    if text_format == "html":
        return html_to_text(_unescape(raw))
    return _unescape(raw).strip()


def _text(raw: str, default: Format) -> tuple[Format, str]:
    text_format, rest = _take_format(raw.strip(), default)
    return text_format, _render(rest, text_format)


# Blocks of lines


@dataclass
class _Block:
    """The lines of one question, comments removed, with its livequiz comment if any."""

    line: int = 0
    lines: list[str] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    metadata_line: int = 0


def _metadata(comment: str, line: int) -> dict[str, Any]:
    source = comment.strip()[len(METADATA_PREFIX) :]
    try:
        value = json.loads(source)
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            ERROR_CODE, f"line {line}: the livequiz comment is not valid JSON: {error}"
        ) from error
    if not isinstance(value, dict):
        raise InvalidInputError(
            ERROR_CODE,
            f'line {line}: the livequiz comment must be a JSON object such as {{"time_limit": 30}}',
        )
    return value


def _blocks(text: str) -> Iterator[_Block]:
    """Yield each group of lines between blank lines that has more than comments."""
    block = _Block()
    # Only a line feed ends a line: JSON and question texts may hold other line separators.
    for number, line in enumerate([*text.split("\n"), ""], start=1):
        line = line.removesuffix("\r")
        stripped = line.strip()
        if not stripped:
            if block.lines:
                yield block
            elif block.metadata is not None:
                raise InvalidInputError(
                    ERROR_CODE,
                    f"line {block.metadata_line}: the livequiz comment is not followed by a "
                    "question: put it directly above the question it sets",
                )
            block = _Block()
        elif stripped.startswith("//"):
            comment = stripped[2:].strip()
            if not comment.startswith(METADATA_PREFIX):
                continue
            if block.metadata is not None:
                raise InvalidInputError(
                    ERROR_CODE,
                    f"line {number}: the question has a second livequiz comment, after the "
                    f"one on line {block.metadata_line}: merge them into one",
                )
            block.metadata, block.metadata_line = _metadata(comment, number), number
        else:
            if not block.lines:
                block.line = number
            block.lines.append(line)


def category_name(path: str) -> str | None:
    """Return the category that a ``$CATEGORY:`` path gives, None for an empty one."""
    name = re.sub(r"^\$[a-z0-9_]*\$/", "", path.strip())
    name = re.sub(r"^top(/|$)", "", name).strip()
    return name or None


# Answer blocks


@dataclass(frozen=True)
class _Answer:
    marker: str
    weight: Decimal | None
    # The answer as written, escapes and format included, without weight and feedback.
    raw: str
    text: str
    feedback: str | None

    @property
    def score(self) -> Decimal:
        if self.weight is not None:
            return self.weight
        return FULL_CREDIT if self.marker == "=" else Decimal(0)


@dataclass(frozen=True)
class _Question:
    """One question as written: its text, answer block and settings, before mapping."""

    line: int
    text: str
    text_format: Format
    embedded: bool
    form: Form | Literal["description"]
    # The answer block without its braces and general feedback; empty for a description.
    answers_raw: str
    general_feedback: str | None
    category: str | None
    metadata: dict[str, Any]


def _weight(raw: str) -> tuple[Decimal | None, str]:
    rest = raw.lstrip()
    if not rest.startswith("%"):
        return None, rest
    end = rest.find("%", 1)
    if end < 0:
        raise _Invalid(f"the weight {rest.split()[0]!r} is not closed: write it as %50%")
    spelled = rest[1:end].strip()
    try:
        weight = Decimal(spelled)
    except InvalidOperation:
        weight = None
    if weight is None or not weight.is_finite():
        raise _Invalid(
            f"the weight %{spelled}% is not a number: write a percentage such as %50% or %-25%"
        )
    if not -FULL_CREDIT <= weight <= FULL_CREDIT:
        raise _Invalid(f"the weight %{spelled}% is outside -100 to 100")
    return weight, rest[end + 1 :]


def _feedback(raw: str, text_format: Format) -> str | None:
    _, text = _text(raw, text_format)
    return text or None


def _answers(question: _Question) -> list[_Answer]:
    """Split a choice, short answer or matching block into its answers."""
    parts = _split(question.answers_raw, "=~")
    first = parts[0][1].strip()
    if len(parts) == 1:
        # A short answer may leave out the = of its only answer.
        parts = [("=", first)]
    elif first:
        raise _Invalid(
            f"the text {_render(first, 'plain')!r} comes before the first answer: start each "
            "answer with = (right) or ~ (wrong)"
        )
    else:
        parts = parts[1:]
    answers = []
    for marker, written in parts:
        weight, rest = _weight(written)
        split = _find(rest, "#")
        raw = rest if split < 0 else rest[:split]
        feedback = None if split < 0 else _feedback(rest[split + 1 :], question.text_format)
        _, text = _text(raw, question.text_format)
        answers.append(_Answer(marker, weight, raw.strip(), text, feedback))
    return answers


def _form(answers_raw: str) -> Form:
    """Tell the question type from the answer block, in the order Moodle checks."""
    if not answers_raw:
        return "essay"
    if answers_raw.startswith("#"):
        return "numerical"
    if _find(answers_raw, "~") >= 0:
        return "multichoice"
    if _find(answers_raw, "=") >= 0 and _find(answers_raw, "->") >= 0:
        return "matching"
    split = _find(answers_raw, "#")
    answer = answers_raw if split < 0 else answers_raw[:split]
    return "truefalse" if answer.strip() in TRUE_FALSE_ANSWERS else "shortanswer"


def _without_title(raw: str) -> str:
    if not raw.startswith("::"):
        return raw
    end = _find(raw, "::", 2)
    if end < 0:
        raise _Invalid("the title after :: is not closed: end it with ::")
    return raw[end + 2 :].strip()


def _read_question(block: _Block, category: str | None) -> _Question:
    raw = _without_title("\n".join(block.lines).strip())
    text_format, raw = _take_format(raw, "moodle")
    metadata = block.metadata or {}

    opening, closing = _find(raw, "{"), _find(raw, "}")
    if opening < 0 and closing < 0:
        text = _render(raw, text_format)
        return _Question(
            block.line, text, text_format, False, "description", "", None, category, metadata
        )
    if closing >= 0 and (opening < 0 or closing < opening):
        raise _Invalid("a } comes before any {: write a literal brace as \\}")
    if closing < 0:
        raise _Invalid("the answer block is not closed: end it with }")
    if 0 <= _find(raw, "{", opening + 1) < closing:
        raise _Invalid("a { inside the answer block: write a literal brace as \\{")
    after = raw[closing + 1 :]
    if _find(after, "{") >= 0 or _find(after, "}") >= 0:
        raise _Invalid(
            "the question has a second answer block: a question has one, and literal braces "
            "are written \\{ and \\}"
        )

    embedded = bool(after.strip())
    stem = raw[:opening] + BLANK + after if embedded else raw[:opening]
    content = raw[opening + 1 : closing].strip()

    general_feedback = None
    separator = _find_last(content, "####")
    if separator >= 0:
        general_feedback = _feedback(content[separator + 4 :], text_format)
        content = content[:separator].strip()
    return _Question(
        block.line,
        _render(stem, text_format),
        text_format,
        embedded,
        _form(content),
        content,
        general_feedback,
        category,
        metadata,
    )


# Mapping to our question kinds


def _percent(weight: Decimal) -> str:
    return f"{weight.normalize():f}%"


def _right_feedback(answers: list[_Answer]) -> str | None:
    return next((a.feedback for a in answers if a.score > 0 and a.feedback), None)


NO_RIGHT_ANSWER = (
    "no answer is right: mark the right answer with = or give the right answers positive "
    "weights such as ~%50%"
)


def _choice_kind(answers: list[_Answer]) -> str:
    positive = [answer for answer in answers if answer.score > 0]
    if not positive:
        raise _Invalid(NO_RIGHT_ANSWER)
    if len(positive) == 1:
        if positive[0].score == FULL_CREDIT:
            return "single"
        raise _Invalid(
            f"the only right answer, {positive[0].text!r}, has the weight "
            f"{_percent(positive[0].score)}: mark it with = or give it %100%"
        )
    partial = [answer for answer in positive if answer.score < FULL_CREDIT]
    if partial and any(answer.marker == "=" for answer in answers):
        raise _Unsupported(
            "multiple_choice",
            f"the answer {partial[0].text!r} earns {_percent(partial[0].score)} beside the "
            "right answer marked =, but a single choice question has no partial credit",
        )
    return "multiple"


def _inferred_kind(question: _Question) -> str:
    """Return our kind for a question as written, or raise why the game cannot play it."""
    if question.form == "description":
        raise _Unsupported(
            "description", "text without an answer block is a description, not a question"
        )
    if question.form == "essay":
        raise _Unsupported(
            "essay", "the empty answer block {} makes an essay, which the game cannot grade"
        )
    if question.form == "matching":
        raise _Unsupported("matching", "the game has no matching questions")
    if question.form == "numerical":
        return "slider"
    if question.form == "truefalse":
        return "true_false"
    if question.form == "shortanswer":
        return "type_answer"
    return _choice_kind(_answers(question))


def _single(question: _Question) -> dict[str, Any]:
    answers = _answers(question)
    if _choice_kind(answers) != "single":
        raise _Invalid("a single choice question needs exactly one right answer")
    correct = next(index for index, answer in enumerate(answers) if answer.score > 0)
    return {
        "choices": [answer.text for answer in answers],
        "correct": correct,
        "explanation": question.general_feedback or answers[correct].feedback,
    }


def _multiple(question: _Question) -> dict[str, Any]:
    answers = _answers(question)
    positive = [answer.score for answer in answers if answer.score > 0]
    if not positive:
        raise _Invalid(NO_RIGHT_ANSWER)
    return {
        "choices": [answer.text for answer in answers],
        "correct": [index for index, answer in enumerate(answers) if answer.score > 0],
        "scoring": "partial" if min(positive) < FULL_CREDIT else "exact",
        "explanation": question.general_feedback or _right_feedback(answers),
    }


def _poll(question: _Question) -> dict[str, Any]:
    answers = _answers(question)
    return {
        "choices": [answer.text for answer in answers],
        "explanation": question.general_feedback,
    }


def _type_answer(question: _Question) -> dict[str, Any]:
    answers = _answers(question)
    for answer in answers:
        if 0 < answer.score < FULL_CREDIT:
            raise _Unsupported(
                "short_answer",
                f"the answer {answer.text!r} earns {_percent(answer.score)}, but a "
                "type_answer question accepts answers only at full credit",
            )
    accepted = [answer for answer in answers if answer.score == FULL_CREDIT]
    return {
        "accepted": [answer.text for answer in accepted],
        "explanation": question.general_feedback or _right_feedback(accepted),
    }


def _ordering(question: _Question) -> dict[str, Any]:
    placed: dict[int, str] = {}
    answers = _answers(question)
    for answer in answers:
        arrow = answer.raw.rfind("->")
        spelled = _unescape(answer.raw[arrow + 2 :]).strip() if arrow >= 0 else ""
        if arrow < 0 or not spelled.isdigit() or not 1 <= int(spelled) <= len(answers):
            raise _Invalid(
                f"the ordering item {answer.text!r} needs its position from 1 to "
                f"{len(answers)} after ->, such as =item -> 1"
            )
        if int(spelled) in placed:
            raise _Invalid(f"two ordering items have the position {spelled}")
        _, item = _text(answer.raw[:arrow], question.text_format)
        placed[int(spelled)] = item
    return {
        "items": [placed[position] for position in sorted(placed)],
        "explanation": question.general_feedback,
    }


def _true_false(question: _Question) -> dict[str, Any]:
    if question.form != "truefalse":
        raise _Invalid("a true_false question needs the answer block {TRUE} or {FALSE}")
    answer, *feedback = _split(question.answers_raw, "#")[:3]
    written = [_feedback(part, question.text_format) for _, part in feedback]
    return {
        "correct": TRUE_FALSE_ANSWERS[answer[1].strip()],
        # The first feedback is for a wrong answer and the second for a right one. The first
        # usually explains the answer, while the second only congratulates.
        "explanation": question.general_feedback or next((f for f in written if f), None),
    }


def _number(spelled: str) -> Decimal:
    try:
        number = Decimal(_unescape(spelled).strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise _Invalid(
            f"{spelled.strip()!r} is not a number: write a value, value:tolerance or min..max"
        )
    # A slider keeps its numbers as doubles within ±1e12, so larger numbers or more decimal
    # places than a double holds cannot become one.
    if abs(number) > Decimal(MAX_SLIDER_MAGNITUDE):
        raise _Invalid(
            f"{spelled.strip()!r} is beyond ±{MAX_SLIDER_MAGNITUDE:.0e}, the largest slider value"
        )
    if _places(number) > MAX_PLACES:
        raise _Invalid(
            f"{spelled.strip()!r} has more than {MAX_PLACES} decimal places, "
            "more than a slider keeps"
        )
    return number


@dataclass(frozen=True)
class _Numerical:
    score: Decimal
    value: Decimal
    tolerance: Decimal
    feedback: str | None


def _numerical_answers(question: _Question) -> list[_Numerical]:
    body = question.answers_raw[1:]
    wrong = _find(body, "~")
    if wrong >= 0:
        # Moodle reads everything from the first ~ as feedback for any other value.
        body = body[:wrong]
    parts = _split(body, "=")
    if parts[0][1].strip() and len(parts) > 1:
        raise _Invalid("a numerical question with several answers starts each with =")
    written = [part for _, part in parts[1:]] if len(parts) > 1 else [parts[0][1]]
    answers = []
    for part in written:
        weight, rest = _weight(part)
        split = _find(rest, "#")
        spec = rest if split < 0 else rest[:split]
        feedback = None if split < 0 else _feedback(rest[split + 1 :], question.text_format)
        if not spec.strip():
            raise _Invalid("a numerical answer is empty: write a value such as {#42}")
        if ".." in spec:
            low, high = (_number(bound) for bound in spec.split("..", 1))
            if low > high:
                raise _Invalid(f"the range {spec.strip()} has its minimum above its maximum")
            value, tolerance = (low + high) / 2, (high - low) / 2
        elif _find(spec, ":") >= 0:
            colon = _find(spec, ":")
            value, tolerance = _number(spec[:colon]), _number(spec[colon + 1 :])
            if tolerance < 0:
                raise _Invalid(f"the tolerance in {spec.strip()} is negative")
        else:
            value, tolerance = _number(spec), Decimal(0)
        score = FULL_CREDIT if weight is None else weight
        answers.append(_Numerical(score, value, tolerance, feedback))
    return answers


def _places(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(-exponent, 0)


def slider_range(value: Decimal, tolerance: Decimal, rng: random.Random) -> dict[str, float]:
    """Derive a slider's min, max and step from its right value and tolerance.

    The range is shifted by a random number of widths, so that neither its middle nor
    anything else a player can see gives the right value away.
    """
    step = Decimal(1).scaleb(-max(_places(value), _places(tolerance)))
    width = max(tolerance, step)
    shift = rng.randint(-SLIDER_SHIFT_WIDTHS, SLIDER_SHIFT_WIDTHS)
    minimum = value - (SLIDER_HALF_WIDTHS - shift) * width
    maximum = minimum + 2 * SLIDER_HALF_WIDTHS * width
    return {"min": float(minimum), "max": float(maximum), "step": float(step)}


def _slider(question: _Question, rng: random.Random) -> dict[str, Any]:
    if question.form != "numerical":
        raise _Invalid("a slider question needs a numerical answer block such as {#42:2}")
    answers = _numerical_answers(question)
    right = [answer for answer in answers if answer.score == FULL_CREDIT]
    if not right:
        raise _Invalid("no numerical answer has full credit: write one with = or %100%")
    values = sorted({answer.value for answer in right})
    if len(values) > 1:
        raise _Unsupported(
            "numerical",
            f"the values {', '.join(f'{v:f}' for v in values)} are all right, but a slider "
            "has one right value",
        )
    value = values[0]
    tolerance = max(answer.tolerance for answer in right)
    for answer in answers:
        if 0 < answer.score < FULL_CREDIT:
            if answer.value != value:
                raise _Unsupported(
                    "numerical",
                    f"the value {answer.value:f} earns {_percent(answer.score)}, but a slider "
                    "gives partial credit only around its right value",
                )
            tolerance = max(tolerance, answer.tolerance)
    return {
        "correct": float(value),
        "tolerance": float(tolerance),
        **slider_range(value, tolerance, rng),
        "explanation": question.general_feedback
        or next((answer.feedback for answer in right if answer.feedback), None),
    }


BUILDERS = {
    "single": _single,
    "true_false": _true_false,
    "multiple": _multiple,
    "type_answer": _type_answer,
    "ordering": _ordering,
    "poll": _poll,
}


def _fields(question: _Question, kind: str, time_limit: int, rng: random.Random) -> dict[str, Any]:
    if question.form in ("description", "essay"):
        raise _Invalid(
            f"the livequiz comment sets the type {kind}, but the question has no answers"
        )
    if question.form == "numerical" and kind != "slider":
        raise _Invalid(f"the livequiz comment sets the type {kind}, but the answers are numbers")
    fields = {
        "type": kind,
        "text": question.text,
        "time_limit": time_limit,
        "category": question.category,
        **(_slider(question, rng) if kind == "slider" else BUILDERS[kind](question)),
    }
    return fields


def _validation_message(error: ValidationError) -> str:
    messages = []
    for detail in error.errors():
        message = detail["msg"].removeprefix("Value error, ")
        location = error_location(detail["loc"])
        messages.append(f"{location}: {message}" if location else message)
    return "; ".join(messages)


def _build(question: _Question, time_limit: int, rng: random.Random) -> AnyQuestion:
    metadata = dict(question.metadata)
    kind = metadata.pop("type", None)
    if kind is None:
        kind = _inferred_kind(question)
    elif kind not in KINDS:
        raise _Invalid(
            f"type: the livequiz comment names the unknown type {kind!r}: use one of "
            f"{', '.join(KINDS)}"
        )
    fields = _fields(question, kind, time_limit, rng)
    fields.update(metadata)
    try:
        return QUESTION_TYPES[kind].model_validate(fields)
    except ValidationError as error:
        raise _Invalid(_validation_message(error)) from error


def _questions(text: str) -> Iterator[_Question]:
    category: str | None = None
    for block in _blocks(text):
        if block.lines[0].strip().startswith(CATEGORY_PREFIX):
            category = category_name(block.lines[0].strip()[len(CATEGORY_PREFIX) :])
            block.lines, block.line = block.lines[1:], block.line + 1
            if not block.lines:
                if block.metadata is not None:
                    raise InvalidInputError(
                        ERROR_CODE,
                        f"line {block.metadata_line}: the livequiz comment is above a "
                        f"{CATEGORY_PREFIX} line: put it directly above its question",
                    )
                continue
        try:
            yield _read_question(block, category)
        except _Invalid as problem:
            _fail(block.line, str(problem))


def _fail(line: int, message: str) -> NoReturn:
    raise InvalidInputError(ERROR_CODE, f"line {line}: {message}")


def parse_gift(
    text: str,
    *,
    skip_unsupported: bool = False,
    time_limit: int = DEFAULT_TIME_LIMIT_S,
    rng: random.Random | None = None,
) -> GiftImport:
    """Read the questions of a GIFT text, each with ``time_limit`` unless its livequiz
    comment sets one. ``rng`` places the right value of a numeric question in its slider's
    range; by default the system's random source, so that players cannot work it out.

    Raises ``InvalidInputError`` naming the line of the first question that is invalid, or
    that the game cannot play unless ``skip_unsupported`` is true.
    """
    if not MIN_TIME_LIMIT_S <= time_limit <= MAX_TIME_LIMIT_S:
        raise InvalidInputError(
            "invalid_time_limit",
            f"time_limit is {time_limit}: expected {MIN_TIME_LIMIT_S} to {MAX_TIME_LIMIT_S} s",
        )
    if len(text) > MAX_GIFT_CHARS:
        raise InvalidInputError(
            ERROR_CODE,
            f"the GIFT text has {len(text)} characters, more than the limit of "
            f"{MAX_GIFT_CHARS}: split it into smaller files",
        )
    questions: list[AnyQuestion] = []
    skipped: list[SkippedQuestion] = []
    # Editors on Windows often start a UTF-8 file with a byte order mark.
    for question in _questions(text.removeprefix("\ufeff")):
        try:
            questions.append(_build(question, time_limit, rng or SYSTEM_RANDOM))
        except _Unsupported as unsupported:
            if not skip_unsupported:
                _fail(
                    question.line,
                    f"{unsupported.kind.replace('_', ' ')} question not supported: "
                    f"{unsupported.reason}. Remove it, or import with skip_unsupported to "
                    "import the other questions",
                )
            skipped.append(SkippedQuestion(question.line, unsupported.kind, unsupported.reason))
        except _Invalid as problem:
            _fail(question.line, str(problem))
    if not questions and not skipped:
        raise InvalidInputError(ERROR_CODE, "the GIFT text contains no questions")
    if len(questions) > MAX_QUESTIONS:
        raise InvalidInputError(
            "too_many_questions",
            f"the GIFT text has {len(questions)} questions but a quiz contains at most "
            f"{MAX_QUESTIONS}: split it into several quizzes",
        )
    return GiftImport(questions, skipped)


# Export


def _number_text(number: float) -> str:
    return f"{Decimal(repr(number)).normalize():f}"


def _answer_text(text: str) -> str:
    escaped = _escape(text)
    # A leading % would read as a weight and a leading [ as a format.
    return "[plain]" + escaped if escaped.startswith(("%", "[")) else escaped


def _general_feedback(question: AnyQuestion) -> str:
    if not question.explanation:
        return ""
    return "####" + _answer_text(question.explanation)


def _weights(question: MultipleSelect) -> tuple[str, str]:
    """Return the weights of a right and of a wrong choice: together the right choices earn
    100%, and each wrong one takes away as much as a right one earns, as our partial
    scoring does."""
    share = (FULL_CREDIT / len(question.correct)).quantize(Decimal("0.00001"))
    return f"%{share.normalize():f}%", f"%-{share.normalize():f}%"


def _answer_lines(question: AnyQuestion) -> list[str]:
    if isinstance(question, SingleChoice):
        return [
            ("=" if index == question.correct else "~") + _answer_text(choice)
            for index, choice in enumerate(question.choices)
        ]
    if isinstance(question, MultipleSelect):
        right, wrong = _weights(question)
        return [
            "~" + (right if index in question.correct else wrong) + _answer_text(choice)
            for index, choice in enumerate(question.choices)
        ]
    if isinstance(question, Poll):
        return ["~" + _answer_text(choice) for choice in question.choices]
    if isinstance(question, TypeAnswer):
        return ["=" + _answer_text(answer) for answer in question.accepted]
    if isinstance(question, Ordering):
        return [
            f"={_answer_text(item)} -> {position}"
            for position, item in enumerate(question.items, start=1)
        ]
    raise TypeError(f"{question.type} questions have no list of answers")


def _body(question: AnyQuestion) -> str:
    """Write a question in GIFT, without the settings that only its livequiz comment holds."""
    text = "[plain]" + _escape(question.text)
    feedback = _general_feedback(question)
    if isinstance(question, TrueFalse):
        return f"{text}{{{'TRUE' if question.correct else 'FALSE'}{feedback}}}"
    if isinstance(question, Slider):
        value = f"{_number_text(question.correct)}:{_number_text(question.tolerance)}"
        return f"{text}{{#{value}{feedback}}}"
    lines = [text + "{", *("\t" + line for line in _answer_lines(question))]
    if feedback:
        lines.append("\t" + feedback)
    return "\n".join([*lines, "}"])


def _metadata_for(question: AnyQuestion, body: str, category: str | None) -> dict[str, Any]:
    """Return the fields that ``body`` alone does not give back, with the time limit."""
    (written,) = _questions(body)
    written = replace(written, category=category)
    metadata: dict[str, Any] = {}
    try:
        inferred = _inferred_kind(written)
    except (_Invalid, _Unsupported):
        inferred = None
    if inferred != question.type:
        metadata["type"] = question.type
    try:
        forced = replace(written, metadata={"type": question.type})
        parsed = _build(forced, question.time_limit, SYSTEM_RANDOM).model_dump()
    except (_Invalid, _Unsupported):
        parsed = {}
    # A slider's range is drawn at random on import, so the export always keeps it.
    kept = {"time_limit", "min", "max", "step"} if question.type == "slider" else {"time_limit"}
    for name, value in question.model_dump().items():
        if name in kept or (name != "type" and parsed.get(name, ...) != value):
            metadata[name] = value
    return metadata


def to_gift(quiz: Quiz) -> str:
    """Write a quiz as GIFT text, which ``parse_gift`` reads back into equal questions."""
    title = " ".join(quiz.title.split())
    parts = [f"// Quiz: {title}"]
    if quiz.description:
        parts[0] += "\n// Description: " + " ".join(quiz.description.split())
    category: str | None = None
    for question in quiz.questions:
        own = question.category
        # A category that a $CATEGORY: line would not give back goes in the livequiz comment.
        if own is not None and own != category and "\n" not in own and category_name(own) == own:
            parts.append(f"{CATEGORY_PREFIX} {own}")
            category = own
        body = _body(question)
        metadata = _metadata_for(question, body, category)
        comment = f"// {METADATA_PREFIX} {json.dumps(metadata, ensure_ascii=False)}"
        parts.append(f"{comment}\n{body}")
    return "\n\n".join(parts) + "\n"
