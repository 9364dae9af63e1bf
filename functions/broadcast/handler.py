"""Pushes leaderboard, question and result frames to every connection of the games in a batch.

Triggered by the broadcast queue (``aws:rmq`` events). A failed post to one connection is
logged and does not fail the batch: redelivering would repeat every frame to everyone, and the
next frame supersedes a lost leaderboard anyway.
"""

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from functions.logs import function_logger
from livequiz import broadcast
from livequiz.config import get_settings
from livequiz.events import decode_rmq_messages, publisher
from livequiz.fanout import Fanout, describe
from livequiz.payloads import (
    GameEnded,
    QuestionClosed,
    QuestionOpened,
    ScoresChanged,
    validated,
)
from livequiz.services import game_store

logger = function_logger("broadcast")

# The events that become frames; others on the queue, such as game.started, are left out.
FRAME_PAYLOADS: dict[str, type[BaseModel]] = {
    "scores.changed": ScoresChanged,
    "question.opened": QuestionOpened,
    "question.closed": QuestionClosed,
    "game.ended": GameEnded,
}


@lru_cache(maxsize=1)
def _fanout() -> Fanout:
    return Fanout(get_settings(), game_store())


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    messages = decode_rmq_messages(event, settings)
    valid = validated(messages, FRAME_PAYLOADS, publisher(settings).dead_letter)
    events = [message.event for message, _ in valid]
    store = game_store()
    games = broadcast.group_by_game(events)
    frames_by_connection = {}
    for game_id, game_events in games.items():
        planned = broadcast.plan(game_events, broadcast.current_state(store, game_id))
        frames_by_connection.update(broadcast.render(store, game_id, planned))
    report = _fanout().send(frames_by_connection)
    summary = describe(report)
    logger.info("batch broadcast", extra={"events": len(events), "games": list(games), **summary})
    return {"processed": len(messages), **summary}
