"""Question types: their fields and validation, and how an answer to each is graded.

A question in our JSON format names its kind in ``type``; a question without ``type`` is a
single choice question, the only kind of the first version. Every kind shares ``text``,
``time_limit`` (5 to 240 s), ``points`` (the multiplier 0, 1 or 2), and the optional
``image_url``, ``explanation`` (shown when the answer is revealed) and ``category``.

    single       choices (2 to 6), correct: index of the right choice
    true_false   correct: true or false; the choices are always ["True", "False"]
    multiple     choices (2 to 6), correct: list of indices, scoring: "exact" or "partial"
    type_answer  accepted: 1 to 10 answers, compared after ``normalise_typed``
    slider       min, max, step, correct, tolerance: a number within tolerance is right
    ordering     items (2 to 6) in the right order, scoring: "exact" or "partial"
    poll         choices (2 to 6), no right answer and no points

Grading (``grade``) turns a player's response into a ``Grade``: whether it is right (None for a
poll) and the share of the points it earns, as an exact fraction. ``livequiz.rules`` turns
that share into points. A response of the wrong shape for the question raises
``InvalidInputError``.
"""

import math
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StringConstraints,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from livequiz.errors import InvalidInputError

DEFAULT_TIME_LIMIT_S = 20
MIN_TIME_LIMIT_S = 5
MAX_TIME_LIMIT_S = 240
MIN_CHOICES = 2
MAX_CHOICES = 6
MAX_ACCEPTED = 10
MAX_TYPED_CHARS = 100
# Slider values stay within the integers a double represents exactly.
MAX_SLIDER_MAGNITUDE = 1e12
TRUE_FALSE_CHOICES = ("True", "False")
SOFT_HYPHEN = "\u00ad"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
ChoiceText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TimeLimit = Annotated[int, Field(ge=MIN_TIME_LIMIT_S, le=MAX_TIME_LIMIT_S)]
Scoring = Literal["exact", "partial"]


def _unique(name: str) -> Callable[[list[str]], list[str]]:
    """Build a validator that rejects a list of ``name`` that contains one value twice."""

    def check(values: list[str]) -> list[str]:
        seen: dict[str, int] = {}
        for index, value in enumerate(values):
            if value in seen:
                raise ValueError(f"{name} {seen[value]} and {index} are both {value!r}")
            seen[value] = index
        return values

    return check


def _http_url(url: str | None) -> str | None:
    if url is None:
        return None
    if not url.lower().startswith(("https://", "http://")):
        raise ValueError("the image URL must start with https:// or http://")
    try:
        host = urlsplit(url).hostname
    except ValueError as error:
        raise ValueError(f"the image URL is invalid ({error}): check its host name") from error
    if not host:
        raise ValueError(
            "the image URL has no host name: write the whole address, such as "
            "https://example.com/picture.png"
        )
    return url


Choices = Annotated[
    list[ChoiceText],
    Field(min_length=MIN_CHOICES, max_length=MAX_CHOICES),
    AfterValidator(_unique("choices")),
]
Items = Annotated[
    list[ChoiceText],
    Field(min_length=MIN_CHOICES, max_length=MAX_CHOICES),
    AfterValidator(_unique("items")),
]


class QuestionBase(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    text: Text
    time_limit: TimeLimit = DEFAULT_TIME_LIMIT_S
    # Multiplier of the question's points: 0 makes a practice question, 2 a double one.
    points: Literal[0, 1, 2] = 1
    image_url: Annotated[str | None, Field(max_length=2000), AfterValidator(_http_url)] = None
    explanation: str | None = Field(default=None, max_length=1000)
    category: str | None = Field(default=None, max_length=200)

    @property
    def scored(self) -> bool:
        """Whether answers to this question earn points and count for streaks."""
        return self.points > 0

    def option_count(self) -> int:
        """How many options the answer distribution has; 0 for kinds without options."""
        return 0


def _check_index(index: int, count: int, name: str) -> None:
    if not 0 <= index < count:
        raise ValueError(f"{name} is {index}: expected an index from 0 to {count - 1}")


class SingleChoice(QuestionBase):
    type: Literal["single"] = "single"
    choices: Choices
    correct: int

    @field_validator("correct")
    @classmethod
    def check_correct(cls, correct: int, info: ValidationInfo) -> int:
        # Invalid choices are reported by their own validator, so the range check waits.
        choices = info.data.get("choices")
        if choices is not None:
            _check_index(correct, len(choices), "correct")
        return correct

    def option_count(self) -> int:
        return len(self.choices)


class TrueFalse(QuestionBase):
    type: Literal["true_false"]
    # StrictBool: "true" or 1 in a file is more likely a mistake than the answer True.
    correct: StrictBool

    @property
    def choices(self) -> list[str]:
        return list(TRUE_FALSE_CHOICES)

    def option_count(self) -> int:
        return len(TRUE_FALSE_CHOICES)


class MultipleSelect(QuestionBase):
    type: Literal["multiple"]
    choices: Choices
    correct: list[int] = Field(min_length=1)
    scoring: Scoring = "exact"

    @field_validator("correct")
    @classmethod
    def check_correct(cls, correct: list[int], info: ValidationInfo) -> list[int]:
        choices = info.data.get("choices")
        if choices is not None:
            for index in correct:
                _check_index(index, len(choices), "an entry of correct")
        if len(set(correct)) != len(correct):
            raise ValueError("correct lists a choice twice")
        return sorted(correct)

    def option_count(self) -> int:
        return len(self.choices)


def normalise_typed(text: str) -> str:
    """The form in which typed answers are compared: without case, accents, soft hyphens or
    surrounding spaces, and with inner runs of whitespace as one space."""
    without_hyphens = text.replace(SOFT_HYPHEN, "")
    decomposed = unicodedata.normalize("NFKD", without_hyphens.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(unicodedata.normalize("NFC", bare).split())


def _accepted(values: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    for index, value in enumerate(values):
        key = normalise_typed(value)
        if not key:
            raise ValueError(f"accepted answer {index} is empty once normalised")
        if key in seen:
            raise ValueError(
                f"accepted answers {seen[key]} and {index} are the same once case, accents "
                "and spaces are ignored"
            )
        seen[key] = index
    return values


class TypeAnswer(QuestionBase):
    type: Literal["type_answer"]
    accepted: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=MAX_TYPED_CHARS)]],
        Field(min_length=1, max_length=MAX_ACCEPTED),
        AfterValidator(_accepted),
    ]


SliderNumber = Annotated[float, Field(allow_inf_nan=False)]


def exact(number: float) -> Fraction:
    """Return the decimal number a JSON number spells as an exact fraction (0.1 is 1/10)."""
    return Fraction(repr(number))


class Slider(QuestionBase):
    type: Literal["slider"]
    min: SliderNumber
    max: SliderNumber
    step: SliderNumber = Field(default=1, gt=0)
    correct: SliderNumber
    tolerance: SliderNumber = Field(default=0, ge=0)

    @model_validator(mode="after")
    def check_range(self) -> "Slider":
        for name in ("min", "max", "correct", "tolerance", "step"):
            if abs(getattr(self, name)) > MAX_SLIDER_MAGNITUDE:
                raise ValueError(f"{name} must be within ±{MAX_SLIDER_MAGNITUDE:.0e}")
        if not self.min < self.max:
            raise ValueError(f"min ({self.min}) must be less than max ({self.max})")
        if not self.min <= self.correct <= self.max:
            raise ValueError(
                f"correct ({self.correct}) must lie between min ({self.min}) and max ({self.max})"
            )
        steps = (exact(self.max) - exact(self.min)) / exact(self.step)
        if steps.denominator != 1:
            raise ValueError("max - min must be a whole number of steps")
        return self


class Ordering(QuestionBase):
    type: Literal["ordering"]
    # The items in their right order; players see them shuffled.
    items: Items
    scoring: Scoring = "exact"

    def option_count(self) -> int:
        return len(self.items)


class Poll(QuestionBase):
    type: Literal["poll"]
    choices: Choices
    points: Literal[0] = 0

    @property
    def scored(self) -> bool:
        return False

    def option_count(self) -> int:
        return len(self.choices)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("type", "single"))
    return str(getattr(value, "type", "single"))


Question = Annotated[
    (
        Annotated[SingleChoice, Tag("single")]
        | Annotated[TrueFalse, Tag("true_false")]
        | Annotated[MultipleSelect, Tag("multiple")]
        | Annotated[TypeAnswer, Tag("type_answer")]
        | Annotated[Slider, Tag("slider")]
        | Annotated[Ordering, Tag("ordering")]
        | Annotated[Poll, Tag("poll")]
    ),
    Discriminator(
        _kind,
        custom_error_type="unknown_question_type",
        custom_error_message=(
            "unknown question type: expected single, true_false, multiple, type_answer, "
            "slider, ordering or poll"
        ),
    ),
]
AnyQuestion = SingleChoice | TrueFalse | MultipleSelect | TypeAnswer | Slider | Ordering | Poll
KINDS = ("single", "true_false", "multiple", "type_answer", "slider", "ordering", "poll")


# Grading


@dataclass(frozen=True)
class Grade:
    # None for a poll, which has no right answer.
    correct: bool | None
    # The share of the question's points earned, from 0 to 1.
    credit: Fraction
    # The answer in the form stored and counted in the distribution: a choice index, a sorted
    # list of indices, the normalised text, the number or the order of item indices.
    response: Any
    # The option or options the answer counts for in the distribution.
    options: tuple[int, ...] = ()


RIGHT = Fraction(1)
WRONG = Fraction(0)


def _int(value: Any, name: str) -> int:
    # bool is a subclass of int, but true is no index.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInputError("invalid_answer", f"{name} must be an integer, got {value!r}")
    return value


def _index(value: Any, count: int, name: str) -> int:
    index = _int(value, name)
    if not 0 <= index < count:
        raise InvalidInputError(
            "invalid_choice", f"{name} {index} is out of range: expected 0 to {count - 1}"
        )
    return index


def _indices(value: Any, count: int, name: str) -> list[int]:
    if not isinstance(value, list) or len(value) > count:
        raise InvalidInputError(
            "invalid_answer", f"{name} must be a list of at most {count} indices"
        )
    indices = [_index(item, count, f"an entry of {name}") for item in value]
    if len(set(indices)) != len(indices):
        raise InvalidInputError("invalid_answer", f"{name} lists an index twice")
    return indices


def _field(response: dict[str, Any], name: str, kind: str) -> Any:
    if name not in response:
        raise InvalidInputError(
            "missing_field", f"an answer to this {kind} question needs the field {name!r}"
        )
    return response[name]


def shown_order(item_count: int, rng: random.Random) -> list[int]:
    """Draw the order in which to show an ordering question's items, never the right one when
    there are two or more items. It must come from a random source, not from anything a
    player can see, or players could undo it."""
    order = list(range(item_count))
    while item_count > 1 and order == sorted(order):
        rng.shuffle(order)
    return order


def snap(question: Slider, value: float) -> Fraction:
    """Return the slider position nearest to ``value``: min plus a whole number of steps,
    halves rounded up. A client's floating point sum such as 0.1 + 0.2 lands on 0.3."""
    low, step = exact(question.min), exact(question.step)
    steps = math.floor((exact(float(value)) - low) / step + Fraction(1, 2))
    return low + steps * step


def grade(question: AnyQuestion, response: dict[str, Any], shown: Sequence[int] = ()) -> Grade:
    """Grade a player's response, the fields of the answer message other than its routing.

    ``shown`` is the order in which an ordering question's items were shown: the response's
    ``order`` lists positions in that shown list.
    """
    if isinstance(question, SingleChoice | TrueFalse | Poll):
        # The choice of a true/false question is 0 for True and 1 for False.
        name = "choice (0 for True, 1 for False)" if isinstance(question, TrueFalse) else "choice"
        choice = _index(_field(response, "choice", question.type), question.option_count(), name)
        if isinstance(question, Poll):
            return Grade(None, WRONG, choice, (choice,))
        right = (
            question.correct if isinstance(question, SingleChoice) else int(not question.correct)
        )
        correct = choice == right
        return Grade(correct, RIGHT if correct else WRONG, choice, (choice,))
    if isinstance(question, MultipleSelect):
        chosen = sorted(
            _indices(_field(response, "choices", "multiple"), len(question.choices), "choices")
        )
        if not chosen:
            raise InvalidInputError("invalid_answer", "choices must list at least one choice")
        correct = chosen == question.correct
        if question.scoring == "partial":
            hits = len(set(chosen) & set(question.correct))
            misses = len(chosen) - hits
            credit = Fraction(max(hits - misses, 0), len(question.correct))
        else:
            credit = RIGHT if correct else WRONG
        return Grade(correct, credit, chosen, tuple(chosen))
    if isinstance(question, TypeAnswer):
        typed = _field(response, "text", "type_answer")
        if not isinstance(typed, str) or len(typed) > 4 * MAX_TYPED_CHARS:
            raise InvalidInputError(
                "invalid_answer",
                f"text must be a string of at most {4 * MAX_TYPED_CHARS} characters",
            )
        key = normalise_typed(typed)
        if not key:
            raise InvalidInputError("invalid_answer", "text is empty")
        accepted = [normalise_typed(answer) for answer in question.accepted]
        correct = key in accepted
        options = (accepted.index(key),) if correct else ()
        return Grade(correct, RIGHT if correct else WRONG, key, options)
    if isinstance(question, Slider):
        value = _field(response, "value", "slider")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            # An int is always finite, and math.isfinite overflows on one beyond a float's range.
            or (isinstance(value, float) and not math.isfinite(value))
        ):
            raise InvalidInputError("invalid_answer", f"value must be a number, got {value!r}")
        if not question.min <= value <= question.max:
            raise InvalidInputError(
                "invalid_answer",
                f"value {value} is outside the slider's range {question.min} to {question.max}",
            )
        snapped = snap(question, value)
        position = int(snapped) if snapped.denominator == 1 else float(snapped)
        distance = abs(snapped - exact(question.correct))
        tolerance = exact(question.tolerance)
        if distance > tolerance:
            return Grade(False, WRONG, position)
        # Full points on the value, falling linearly to half at the edge of the tolerance.
        credit = RIGHT if tolerance == 0 else 1 - distance / (2 * tolerance)
        return Grade(True, credit, position)
    count = len(question.items)
    positions = _indices(_field(response, "order", "ordering"), count, "order")
    if len(positions) != count:
        raise InvalidInputError("invalid_answer", f"order must list all {count} positions")
    shown = list(shown) or list(range(count))
    order = [shown[position] for position in positions]
    in_place = sum(1 for place, item in enumerate(order) if place == item)
    correct = in_place == count
    if question.scoring == "partial":
        credit = Fraction(in_place, count)
    else:
        credit = RIGHT if correct else WRONG
    return Grade(correct, credit, order)


def correct_answer(question: AnyQuestion, shown: Sequence[int] = ()) -> Any:
    """Return the right answer as the reveal shows it, in the response's form; None for a poll.

    For an ordering question it is the right order as positions in the list players were
    shown (``shown``), which is the form of their ``order``.
    """
    if isinstance(question, SingleChoice):
        return question.correct
    if isinstance(question, TrueFalse):
        return int(not question.correct)
    if isinstance(question, MultipleSelect):
        return question.correct
    if isinstance(question, TypeAnswer):
        return question.accepted
    if isinstance(question, Slider):
        return {"value": question.correct, "tolerance": question.tolerance}
    if isinstance(question, Ordering):
        order = list(shown) or list(range(len(question.items)))
        return [order.index(item) for item in range(len(question.items))]
    return None


SLIDER_BUCKETS = 10


def distribution(question: AnyQuestion, responses: Sequence[Any]) -> dict[str, Any]:
    """Count graded responses (``Grade.response`` values) for the reveal and the report.

    - single, true_false, poll: ``counts[i]`` players chose choice i;
    - multiple: ``counts[i]`` players selected choice i (a player may count for several);
    - ordering: ``counts[i]`` players put item i (in the right order) in its right place;
    - type_answer: ``counts[i]`` players typed accepted answer i, and ``other`` something else;
    - slider: ``counts`` over ``SLIDER_BUCKETS`` equal ranges from min to max, with the
      bucket ``edges``, and ``within`` the players inside the tolerance.
    """
    if isinstance(question, SingleChoice | TrueFalse | Poll | MultipleSelect):
        counts = [0] * question.option_count()
        for response in responses:
            for index in response if isinstance(response, list) else [response]:
                if isinstance(index, int) and 0 <= index < len(counts):
                    counts[index] += 1
        return {"counts": counts}
    if isinstance(question, Ordering):
        counts = [0] * len(question.items)
        for response in responses:
            if isinstance(response, list):
                for place, item in enumerate(response):
                    if place == item and place < len(counts):
                        counts[place] += 1
        return {"counts": counts}
    if isinstance(question, TypeAnswer):
        accepted = [normalise_typed(answer) for answer in question.accepted]
        counts = [0] * len(accepted)
        other = 0
        for response in responses:
            if response in accepted:
                counts[accepted.index(response)] += 1
            else:
                other += 1
        return {"counts": counts, "other": other}
    low, high = exact(question.min), exact(question.max)
    width = (high - low) / SLIDER_BUCKETS
    counts = [0] * SLIDER_BUCKETS
    within = 0
    target, tolerance = exact(question.correct), exact(question.tolerance)
    for response in responses:
        if not isinstance(response, int | float) or isinstance(response, bool):
            continue
        value = exact(float(response))
        bucket = min(int((value - low) / width), SLIDER_BUCKETS - 1) if value >= low else 0
        counts[bucket] += 1
        within += abs(value - target) <= tolerance
    edges = [float(low + width * step) for step in range(SLIDER_BUCKETS + 1)]
    return {"counts": counts, "edges": edges, "within": within}


def public_view(question: AnyQuestion, shown: Sequence[int] = ()) -> dict[str, Any]:
    """What players see of a question while it is open: nothing that gives the answer away."""
    view: dict[str, Any] = {
        "type": question.type,
        "text": question.text,
        "points": question.points,
    }
    if question.image_url:
        view["image_url"] = question.image_url
    if isinstance(question, SingleChoice | TrueFalse | MultipleSelect | Poll):
        view["choices"] = list(question.choices)
    if isinstance(question, MultipleSelect):
        view["select"] = "several"
    if isinstance(question, Ordering):
        order = list(shown) or list(range(len(question.items)))
        view["items"] = [question.items[index] for index in order]
    if isinstance(question, Slider):
        view.update(min=question.min, max=question.max, step=question.step)
    return view
