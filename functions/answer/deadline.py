"""The game's timers: consumes the deadline queue (``aws:rmq`` events).

- ``question.deadline`` closes a question when its time is up, whether or not the host is
  still connected. It carries the question's round, so a timer of an earlier question (or of
  the time before a pause) never closes a later one.
- ``question.advance`` opens the next question a set time after the reveal (auto-advance).
- ``host.check`` pauses the game when the host has been gone for the grace period, then ends
  it when the host is still gone later.
- ``question.recheck`` closes a question a grace period after a player left it, if everyone
  connected by then has answered.

Each is published to a delay queue and arrives when it is due.
"""

import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from functions.logs import entry_point, function_logger
from livequiz import metrics
from livequiz.config import get_settings
from livequiz.errors import ConflictError, NotFoundError
from livequiz.events import DEADLINE_ROUTING_KEY, OutboxEntry, decode_rmq_messages, now_ms
from livequiz.ids import GameId
from livequiz.payloads import HostCheck, QuestionDeadline, validated
from livequiz.play import RECHECK_EVENT
from livequiz.services import play as game_play

logger = function_logger("deadline")

# Broker expiry can fire a little early. Waiting this long at most keeps the close exact
# without holding the batch. An event that is earlier still goes back to a delay queue.
MAX_WAIT_MS = 2000
DEADLINE_PAYLOADS: dict[str, type[BaseModel]] = {
    "question.deadline": QuestionDeadline,
    "question.advance": QuestionDeadline,
    RECHECK_EVENT: QuestionDeadline,
    "host.check": HostCheck,
}


@entry_point("deadline", logger)
@metrics.count_broker_dead_letters("deadline")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    play = game_play()
    closed = 0
    messages = decode_rmq_messages(event, settings)
    metrics.count_redeliveries(event, "deadline")
    deadlines = validated(messages, DEADLINE_PAYLOADS, play.publisher.dead_letter)
    for message, deadline in deadlines:
        deadline_event = message.event
        game_id = GameId(deadline_event.game_id)
        wait_ms = deadline.deadline_ms - now_ms()
        if wait_ms > MAX_WAIT_MS:
            logger.warning(
                "deadline event arrived early, delaying it again",
                extra={"game_id": game_id, "event_id": deadline_event.id, "wait_ms": wait_ms},
            )
            entry = OutboxEntry(DEADLINE_ROUTING_KEY, deadline_event, deadline.deadline_ms)
            play.publisher.deliver(entry, now_ms())
            continue
        if wait_ms > 0:
            time.sleep(wait_ms / 1000)
        try:
            if isinstance(deadline, HostCheck):
                outcome = play.check_host(game_id, deadline.gone_at_ms, deadline.stage, now_ms())
                logger.info(
                    "host check",
                    extra={"game_id": game_id, "stage": deadline.stage, "outcome": outcome},
                )
            elif deadline_event.type == "question.advance":
                play.advance(game_id, deadline.question, deadline.round, now_ms())
            elif deadline_event.type == RECHECK_EVENT:
                if play.recheck_answered(game_id, deadline.question, deadline.round, now_ms()):
                    closed += 1
            elif play.close_at_deadline(game_id, deadline.question, deadline.round, now_ms()):
                closed += 1
        except ConflictError as error:
            logger.info(
                "timer found the game moved on",
                extra={"game_id": game_id, "event_id": deadline_event.id, "code": error.code},
            )
        except NotFoundError:
            # The game expired from Redis before its timer fired: there is nothing to close.
            logger.warning(
                "deadline of a game that no longer exists ignored",
                extra={"game_id": game_id, "event_id": deadline_event.id},
            )
    return {"processed": len(messages), "closed": closed}
