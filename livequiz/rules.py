"""Game rules with no I/O: phases and their transitions, answer checks, scoring and ranking.

The handlers read a ``GameState`` from Redis, ask this module for a decision, then apply the
decision atomically in Redis. Every time value is integer milliseconds on the server's clock,
and nothing a client sends about time is used.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from livequiz.errors import ConflictError, InvalidInputError, NotFoundError

FULL_POINTS = 1000
# An answer faster than this scores full points: human reaction time, not a race of networks.
INSTANT_MS = 500

# The sorted-set score packs (total, order reached) into one double: total * RANK_SEQ_SPAN plus
# the complement of the sequence number, so equal totals rank by who reached them first.
# Doubles are exact to 2**53, so totals stay exact up to 2**53 / RANK_SEQ_SPAN = 4,194,304.
RANK_SEQ_SPAN = 2**31
MAX_TOTAL = 2**53 // RANK_SEQ_SPAN - 1


class GamePhase(StrEnum):
    LOBBY = "lobby"
    QUESTION_OPEN = "question_open"
    QUESTION_CLOSED = "question_closed"
    ENDED = "ended"


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


# The phases from which each host or timer action may run.
ALLOWED_FROM: Mapping[Action, tuple[GamePhase, ...]] = {
    Action.START: (GamePhase.LOBBY,),
    Action.CLOSE: (GamePhase.QUESTION_OPEN,),
    Action.NEXT: (GamePhase.QUESTION_CLOSED,),
}


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
    correct: int = -1
    choice_count: int = 0

    @classmethod
    def from_hash(cls, fields: Mapping[str, str]) -> "GameState":
        return cls(
            phase=GamePhase(fields["phase"]),
            question_count=int(fields["question_count"]),
            question=int(fields.get("question", -1)),
            round=int(fields.get("round", 0)),
            opened_at_ms=int(fields.get("opened_at_ms", 0)),
            deadline_ms=int(fields.get("deadline_ms", 0)),
            limit_ms=int(fields.get("limit_ms", 0)),
            correct=int(fields.get("correct", -1)),
            choice_count=int(fields.get("choice_count", 0)),
        )


@dataclass(frozen=True)
class OpenQuestion:
    """Decision: open question ``index`` with these fields written to the game hash."""

    index: int
    round: int
    opened_at_ms: int
    deadline_ms: int
    limit_ms: int
    correct: int
    choice_count: int

    def fields(self) -> dict[str, str | int]:
        return {
            "phase": GamePhase.QUESTION_OPEN.value,
            "question": self.index,
            "round": self.round,
            "opened_at_ms": self.opened_at_ms,
            "deadline_ms": self.deadline_ms,
            "limit_ms": self.limit_ms,
            "correct": self.correct,
            "choice_count": self.choice_count,
        }


@dataclass(frozen=True)
class EndGame:
    """Decision: every question has been played, so the game ends."""


@dataclass(frozen=True)
class ScoredAnswer:
    """Decision: record this answer with these points."""

    question: int
    choice: int
    correct: bool
    points: int
    elapsed_ms: int


def check_phase(state: GameState, action: Action) -> None:
    allowed = ALLOWED_FROM[action]
    if state.phase not in allowed:
        raise InvalidTransitionError(action.value, allowed, state.phase)


def open_question(
    state: GameState, action: Action, now_ms: int, limit_ms: int, correct: int, choice_count: int
) -> OpenQuestion:
    """Decide the opening of the question after the current one, for ``start`` or ``next``."""
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
        correct=correct,
        choice_count=choice_count,
    )


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


def score_answer(state: GameState, question: int, choice: int, now_ms: int) -> ScoredAnswer:
    """Check an answer against the open question and score it by server time alone."""
    if question < 0 or question >= state.question_count:
        raise NotFoundError(
            "unknown_question",
            f"question {question} does not exist: "
            f"the quiz has questions 0 to {state.question_count - 1}",
        )
    if state.phase is not GamePhase.QUESTION_OPEN or question != state.question:
        raise ConflictError("question_not_open", f"question {question} is not open for answers")
    elapsed_ms = now_ms - state.opened_at_ms
    if now_ms > state.deadline_ms:
        late_by = now_ms - state.deadline_ms
        raise ConflictError(
            "too_late", f"the time for question {question} ran out {late_by} ms ago"
        )
    if choice < 0 or choice >= state.choice_count:
        raise InvalidInputError(
            "invalid_choice",
            f"choice {choice} is out of range: expected 0 to {state.choice_count - 1}",
        )
    correct = choice == state.correct
    return ScoredAnswer(
        question=question,
        choice=choice,
        correct=correct,
        points=points_for(correct, elapsed_ms, state.limit_ms),
        elapsed_ms=max(elapsed_ms, 0),
    )


def rank_score(total: int, reached_seq: int) -> int:
    """Return the sorted-set score that orders by total, then by who reached it first."""
    return total * RANK_SEQ_SPAN + (RANK_SEQ_SPAN - 1 - reached_seq)
