"""Game rules with no I/O: phases and their transitions, answer checks, scoring and ranking.

The handlers read a ``GameState`` from Redis, ask this module for a decision, then apply the
decision atomically in Redis. Every time value is integer milliseconds on the server's clock,
and nothing a client sends about time is used.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from livequiz.errors import ConflictError, NotFoundError
from livequiz.questions import AnyQuestion, Grade, grade

FULL_POINTS = 1000
# An answer faster than this scores full points: human reaction time, not a race of networks.
INSTANT_MS = 500
# The streak bonus: this much per right answer in a row after the first, at most STREAK_CAP.
STREAK_STEP = 100
STREAK_CAP = 500

# The sorted-set score packs (total, order reached) into one double: total * RANK_SEQ_SPAN plus
# the complement of the sequence number, so equal totals rank by who reached them first.
# Doubles are exact to 2**53, so totals stay exact up to 2**53 / RANK_SEQ_SPAN = 4,194,304.
RANK_SEQ_SPAN = 2**31
MAX_TOTAL = 2**53 // RANK_SEQ_SPAN - 1


class GamePhase(StrEnum):
    LOBBY = "lobby"
    QUESTION_OPEN = "question_open"
    QUESTION_CLOSED = "question_closed"
    # The timer of the open question, or the wait before the next one, is stopped.
    PAUSED = "paused"
    ENDED = "ended"


class GameOptions(BaseModel):
    """Options chosen per game when it is created."""

    # Strict, so that "no" or 1 is an error rather than a boolean.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    # "speed": faster right answers earn more (1000 down to 500); "accuracy": right is 1000.
    scoring: Literal["speed", "accuracy"] = "speed"
    # +100 per right answer in a row after the first, at most +500.
    streak_bonus: bool = False
    # When players see the leaderboard: after every question, only at the end, or never.
    leaderboard: Literal["every_question", "end", "never"] = "every_question"
    # Whether players may join after the first question has opened.
    late_join: bool = True
    # Reveal the answer when a question closes, or wait for the host's reveal.
    auto_reveal: bool = True
    # Open the next question this many seconds after the reveal; None leaves it to the host.
    auto_advance_s: int | None = Field(default=None, ge=3, le=120)


class InvalidTransitionError(ConflictError):
    """The game is in another phase than the action needs."""

    def __init__(self, action: str, expected: tuple[GamePhase, ...], found: GamePhase) -> None:
        wanted = " or ".join(phase.value for phase in expected)
        super().__init__(
            "wrong_phase", f"cannot {action}: expected the game to be {wanted}, found {found.value}"
        )
        self.expected = expected
        self.found = found


class Action(StrEnum):
    START = "start"
    CLOSE = "close"
    NEXT = "next"
    SKIP = "skip"
    PAUSE = "pause"
    RESUME = "resume"
    REVEAL = "reveal"
    END = "end"


PLAYING = (GamePhase.QUESTION_OPEN, GamePhase.QUESTION_CLOSED, GamePhase.PAUSED)
# The phases from which each host or timer action may run.
ALLOWED_FROM: Mapping[Action, tuple[GamePhase, ...]] = {
    Action.START: (GamePhase.LOBBY,),
    Action.CLOSE: (GamePhase.QUESTION_OPEN,),
    Action.NEXT: (GamePhase.QUESTION_CLOSED,),
    Action.SKIP: (GamePhase.QUESTION_OPEN,),
    Action.PAUSE: (GamePhase.QUESTION_OPEN, GamePhase.QUESTION_CLOSED),
    Action.RESUME: (GamePhase.PAUSED,),
    Action.REVEAL: (GamePhase.QUESTION_CLOSED,),
    Action.END: (GamePhase.LOBBY, *PLAYING),
}


@lru_cache(maxsize=1024)
def parse_options(raw: str) -> GameOptions:
    """Parse a game's stored options, once per distinct value: every answer reads them."""
    return GameOptions.model_validate(json.loads(raw))


@dataclass(frozen=True)
class GameState:
    """The live state of one game as stored in its Redis hash."""

    phase: GamePhase
    question_count: int
    # Index of the open or last closed question, or -1 in the lobby.
    question: int = -1
    # Incremented each time a question opens, so a timer or a decision taken on an older
    # question can be recognised and ignored.
    round: int = 0
    opened_at_ms: int = 0
    deadline_ms: int = 0
    limit_ms: int = 0
    # Index of the last scored question before the open one, or -1: a player's streak goes on
    # only if their last right answer was to that question.
    streak_prev: int = -1
    options: GameOptions = field(default_factory=GameOptions)
    revealed: bool = False
    locked: bool = False
    # While paused: the phase it was paused from, the time left then, when, and why.
    paused_from: GamePhase | None = None
    remaining_ms: int = 0
    paused_at_ms: int = 0
    pause_reason: str = ""
    # When the host's last connection closed, or 0 while the host is connected.
    host_gone_at_ms: int = 0

    @classmethod
    def from_hash(cls, fields: Mapping[str, str]) -> "GameState":
        paused_from = fields.get("paused_from")
        return cls(
            phase=GamePhase(fields["phase"]),
            question_count=int(fields["question_count"]),
            question=int(fields.get("question", -1)),
            round=int(fields.get("round", 0)),
            opened_at_ms=int(fields.get("opened_at_ms", 0)),
            deadline_ms=int(fields.get("deadline_ms", 0)),
            limit_ms=int(fields.get("limit_ms", 0)),
            streak_prev=int(fields.get("streak_prev", -1)),
            options=parse_options(fields.get("options", "{}")),
            revealed=fields.get("revealed") == "1",
            locked=fields.get("locked") == "1",
            paused_from=GamePhase(paused_from) if paused_from else None,
            remaining_ms=int(fields.get("remaining_ms", 0)),
            paused_at_ms=int(fields.get("paused_at_ms", 0)),
            pause_reason=fields.get("pause_reason", ""),
            host_gone_at_ms=int(fields.get("host_gone_at_ms", 0)),
        )


@dataclass(frozen=True)
class OpenQuestion:
    """Decision: open question ``index`` with these fields written to the game hash."""

    index: int
    round: int
    opened_at_ms: int
    deadline_ms: int
    limit_ms: int
    streak_prev: int

    def fields(self) -> dict[str, str | int]:
        return {
            "phase": GamePhase.QUESTION_OPEN.value,
            "question": self.index,
            "round": self.round,
            "opened_at_ms": self.opened_at_ms,
            "deadline_ms": self.deadline_ms,
            "limit_ms": self.limit_ms,
            "streak_prev": self.streak_prev,
            "revealed": 0,
        }


@dataclass(frozen=True)
class EndGame:
    """Decision: every question has been played, so the game ends."""


@dataclass(frozen=True)
class ScoredAnswer:
    """Decision: record this answer with these points, before any streak bonus."""

    question: int
    grade: Grade
    points: int
    elapsed_ms: int
    # Whether the answer moves the player's streak: false for polls and 0x questions.
    scored: bool = True

    @property
    def correct(self) -> bool | None:
        return self.grade.correct

    @property
    def choice(self) -> int | None:
        """The choice of a single choice, true/false or poll answer."""
        response = self.grade.response
        return response if isinstance(response, int) and not isinstance(response, bool) else None


def check_phase(state: GameState, action: Action) -> None:
    allowed = ALLOWED_FROM[action]
    if state.phase not in allowed:
        raise InvalidTransitionError(action.value, allowed, state.phase)


def open_question(
    state: GameState, action: Action, now_ms: int, limit_ms: int, previous_scored: bool
) -> OpenQuestion:
    """Decide the opening of the question after the current one, for ``start`` or ``next``.

    ``previous_scored`` says whether the question that closed last counts for streaks.
    """
    check_phase(state, action)
    index = state.question + 1
    if index >= state.question_count:
        raise ConflictError("no_more_questions", "the quiz has no question after this one")
    return OpenQuestion(
        index=index,
        round=state.round + 1,
        opened_at_ms=now_ms,
        deadline_ms=now_ms + limit_ms,
        limit_ms=limit_ms,
        streak_prev=state.question if previous_scored else state.streak_prev,
    )


def pause(state: GameState, now_ms: int, reason: str) -> dict[str, str | int]:
    """Return the fields that pause the game, keeping the open question's time left exactly."""
    check_phase(state, Action.PAUSE)
    remaining = max(state.deadline_ms - now_ms, 0) if state.phase is GamePhase.QUESTION_OPEN else 0
    return {
        "phase": GamePhase.PAUSED.value,
        "paused_from": state.phase.value,
        "remaining_ms": remaining,
        "paused_at_ms": now_ms,
        "pause_reason": reason,
    }


def resume(state: GameState, now_ms: int) -> dict[str, str | int]:
    """Return the fields that resume a paused game, in a new round so that the timers set before the
    pause are ignored. An open question gets its time left back, and the time spent paused
    does not count against the players' answer times."""
    check_phase(state, Action.RESUME)
    fields: dict[str, str | int] = {"round": state.round + 1, "pause_reason": ""}
    if state.paused_from is GamePhase.QUESTION_OPEN:
        paused_for = now_ms - state.paused_at_ms
        fields.update(
            phase=GamePhase.QUESTION_OPEN.value,
            opened_at_ms=state.opened_at_ms + paused_for,
            deadline_ms=now_ms + state.remaining_ms,
        )
    else:
        fields["phase"] = (state.paused_from or GamePhase.QUESTION_CLOSED).value
    return fields


def is_at(state: GameState, phase: GamePhase, question: int, round_: int) -> bool:
    """Tell whether the game is still where a timer set for ``question`` in ``round_`` expects."""
    return state.phase is phase and state.question == question and state.round == round_


def is_last_question(state: GameState) -> bool:
    return state.question + 1 >= state.question_count


def points_for(correct: bool, elapsed_ms: int, limit_ms: int) -> int:
    """Score one answer: 1000 under 0.5 s, then falling linearly to 500 at the deadline.

    ``round(1000 * (1 - (elapsed / limit) / 2))`` with halves rounded up. It is computed in
    integers as ``floor((2001 * limit - 1000 * elapsed) / (2 * limit))``, because in floats an
    exact half such as 871.5 can come out as 871.4999... and round down. A wrong answer scores 0.
    """
    if not correct:
        return 0
    if elapsed_ms < INSTANT_MS:
        return FULL_POINTS
    return (2001 * limit_ms - FULL_POINTS * elapsed_ms) // (2 * limit_ms)


def question_points(
    credit: Fraction, multiplier: int, elapsed_ms: int, limit_ms: int, scoring: str
) -> int:
    """Points for an answer earning ``credit`` (0 to 1) of a question worth ``multiplier``.

    The base is ``points_for`` under speed scoring and 1000 under accuracy scoring. The points
    are base * multiplier * credit, rounded down.
    """
    if credit <= 0 or multiplier == 0:
        return 0
    base = points_for(True, elapsed_ms, limit_ms) if scoring == "speed" else FULL_POINTS
    return int(base * multiplier * credit)


def streak_bonus(streak: int) -> int:
    """Return the bonus of a right answer that makes a run of ``streak`` right answers."""
    return min(STREAK_STEP * max(streak - 1, 0), STREAK_CAP)


def score_answer(
    state: GameState,
    question: int,
    spec: AnyQuestion,
    response: dict[str, Any],
    now_ms: int,
    shown: list[int] | None = None,
) -> ScoredAnswer:
    """Check an answer against the open question and score it by server time alone."""
    check_answerable(state, question, now_ms)
    return score(state, question, spec, response, now_ms, shown)


def score(
    state: GameState,
    question: int,
    spec: AnyQuestion,
    response: dict[str, Any],
    now_ms: int,
    shown: list[int] | None = None,
) -> ScoredAnswer:
    """Grade and score an answer that ``check_answerable`` has already let through."""
    graded = grade(spec, response, shown or ())
    elapsed_ms = max(now_ms - state.opened_at_ms, 0)
    points = question_points(
        graded.credit, spec.points, elapsed_ms, state.limit_ms, state.options.scoring
    )
    return ScoredAnswer(
        question=question,
        grade=graded,
        points=points,
        elapsed_ms=elapsed_ms,
        scored=spec.scored,
    )


def check_answerable(state: GameState, question: int, now_ms: int) -> None:
    """Raise unless ``question`` is open for answers at ``now_ms``."""
    if question < 0 or question >= state.question_count:
        raise NotFoundError(
            "unknown_question",
            f"question {question} does not exist: "
            f"the quiz has questions 0 to {state.question_count - 1}",
        )
    if state.phase is GamePhase.PAUSED and question == state.question:
        raise ConflictError("paused", "the game is paused: answer when the host resumes it")
    if state.phase is not GamePhase.QUESTION_OPEN or question != state.question:
        raise ConflictError("question_not_open", f"question {question} is not open for answers")
    if now_ms > state.deadline_ms:
        late_by = now_ms - state.deadline_ms
        raise ConflictError(
            "too_late", f"the time for question {question} ran out {late_by} ms ago"
        )


def rank_score(total: int, reached_seq: int) -> int:
    """Return the sorted-set score that orders by total, then by who reached it first."""
    return total * RANK_SEQ_SPAN + (RANK_SEQ_SPAN - 1 - reached_seq)
