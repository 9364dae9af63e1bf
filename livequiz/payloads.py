"""The data of each event type, validated before a consumer acts on it.

A message whose data does not match its type can never be processed, so a consumer moves it to
its queue's dead-letter queue and goes on with the rest of the batch.
"""

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool, ValidationError

from livequiz.events import ReceivedMessage
from livequiz.quizzes import describe_errors

logger = logging.getLogger(__name__)

# The last millisecond of 9999-12-31, the end of MySQL's DATETIME range.
MAX_TIMESTAMP_MS = 253_402_300_799_999
Milliseconds = Field(ge=0, le=MAX_TIMESTAMP_MS)

DeadLetter = Callable[[str, bytes, str], None]


class GameStarted(BaseModel):
    question_count: int = Field(ge=0)
    started_at_ms: int = Milliseconds


class AnswerAccepted(BaseModel):
    player_id: str
    question: int = Field(ge=0)
    # questions.Grade.response: the answer as graded, for every question type.
    response: Any = None
    # The choice of a single choice, true/false or poll answer.
    choice: int | None = None
    # None for a poll.
    correct: StrictBool | None
    # Including the streak bonus.
    points: int = Field(ge=0)
    bonus: int = Field(default=0, ge=0)
    # The player's run of right answers after this one.
    streak: int = Field(default=0, ge=0)
    elapsed_ms: int = Field(ge=0)
    answered_at_ms: int = Milliseconds
    # The player's total and rank sequence number in Redis right after this answer, or later.
    total: int = Field(ge=0)
    reached_seq: int = Field(ge=0)


class FinalStanding(BaseModel):
    player_id: str
    total: int = Field(ge=0)
    reached_seq: int = Field(ge=0)
    rank: int = Field(ge=1)


class GameEnded(BaseModel):
    ended_at_ms: int = Milliseconds
    players: list[FinalStanding]
    # "finished", "host" (ended early) or "host_gone".
    reason: str = "finished"


class PlayerKicked(BaseModel):
    player_id: str
    kicked_at_ms: int = Milliseconds
    # The player's live connection when kicked, which the broadcast function tells.
    connection_id: str | None = None


class ScoresChanged(BaseModel):
    question: int = Field(ge=0)
    answered: int = Field(ge=0)
    online: int = Field(ge=0)


class QuestionOpened(BaseModel):
    question: int = Field(ge=0)
    # Absent from events published before rounds were added to them.
    round: int | None = Field(default=None, ge=1)
    count: int = Field(ge=1)
    text: str
    # questions.public_view of the question.
    view: dict[str, Any] = Field(default_factory=dict)
    limit_ms: int = Field(gt=0)
    deadline_ms: int = Milliseconds
    # Sent again after a pause, with the time left.
    resumed: bool = False


class QuestionClosed(BaseModel):
    question: int = Field(ge=0)
    round: int | None = Field(default=None, ge=1)
    reason: str
    answered: int = Field(ge=0)


class QuestionRevealed(BaseModel):
    question: int = Field(ge=0)
    round: int = Field(ge=1)
    question_type: str
    # questions.correct_answer: None for a poll.
    correct: Any = None
    answered: int = Field(ge=0)
    # How many answered right; None for a poll.
    right: int | None = None
    distribution: dict[str, Any]
    explanation: str | None = None
    # An ordering question's items in their right order.
    items: list[str] | None = None


class GamePaused(BaseModel):
    question: int = Field(ge=-1)
    round: int = Field(ge=0)
    remaining_ms: int = Field(ge=0)
    reason: str


class GameResumed(BaseModel):
    question: int = Field(ge=-1)
    round: int = Field(ge=1)


class HostCheck(BaseModel):
    # When the host's last connection closed; the check acts only if it is still that time.
    gone_at_ms: int = Milliseconds
    stage: Literal["pause", "end"]
    deadline_ms: int = Milliseconds


class QuestionDeadline(BaseModel):
    question: int = Field(ge=0)
    round: int = Field(ge=1)
    deadline_ms: int = Milliseconds


def validated(
    messages: Iterable[ReceivedMessage],
    models: Mapping[str, type[BaseModel]],
    dead_letter: DeadLetter,
) -> list[tuple[ReceivedMessage, Any]]:
    """Pair each message of a known type with its validated data, in order.

    Messages of other types are left out; invalid ones go to the dead-letter queue.
    """
    valid: list[tuple[ReceivedMessage, Any]] = []
    for message in messages:
        event = message.event
        model = models.get(event.type)
        if model is None:
            logger.debug("ignoring event %s of type %s", event.id, event.type)
            continue
        try:
            valid.append((message, model.model_validate(event.data)))
        except ValidationError as error:
            reason = f"invalid {event.type} payload: {describe_errors(error)}"
            logger.error(
                "moving event %s of game %s to the dead-letter queue: %s",
                event.id,
                event.game_id,
                reason,
            )
            dead_letter(message.queue, message.raw, reason)
    return valid
