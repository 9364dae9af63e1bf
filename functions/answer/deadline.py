"""Closes questions at their deadline: consumes ``question.deadline`` events (``aws:rmq``).

The event is published to a delay queue when the question opens and arrives when its time is
up, whether or not the host is still connected. It carries the round of the question, so a
timer of an earlier question never closes a later one.
"""

import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.logs import function_logger
from livequiz.config import get_settings
from livequiz.errors import NotFoundError
from livequiz.events import DEADLINE_ROUTING_KEY, OutboxEntry, decode_rmq_messages, now_ms
from livequiz.ids import GameId
from livequiz.payloads import QuestionDeadline, validated
from livequiz.services import play as game_play

logger = function_logger("deadline")

# Broker expiry can fire a little early. Waiting this long at most keeps the close exact
# without holding the batch. An event that is earlier still goes back to a delay queue.
MAX_WAIT_MS = 2000
DEADLINE_PAYLOADS = {"question.deadline": QuestionDeadline}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    play = game_play()
    closed = 0
    messages = decode_rmq_messages(event, settings)
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
            if play.close_at_deadline(game_id, deadline.question, deadline.round, now_ms()):
                closed += 1
        except NotFoundError:
            # The game expired from Redis before its timer fired: there is nothing to close.
            logger.warning(
                "deadline of a game that no longer exists ignored",
                extra={"game_id": game_id, "event_id": deadline_event.id},
            )
    return {"processed": len(messages), "closed": closed}
