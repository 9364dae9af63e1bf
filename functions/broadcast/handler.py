"""Pushes leaderboard, question and result frames to every connection of the games in a batch.

Triggered by the broadcast queue (``aws:rmq`` events). A failed post to one connection is
logged and does not fail the batch: redelivering would repeat every frame to everyone, and the
next frame supersedes a lost leaderboard anyway.
"""

import time
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from functions.logs import entry_point, function_logger
from livequiz import broadcast, frames, metrics
from livequiz.config import get_settings
from livequiz.events import decode_rmq_messages, now_ms, publisher
from livequiz.fanout import Fanout, SendReport, describe
from livequiz.ids import ConnectionId, GameId
from livequiz.payloads import (
    GameEnded,
    GamePaused,
    GameResumed,
    PlayerKicked,
    QuestionClosed,
    QuestionOpened,
    QuestionRevealed,
    ScoresChanged,
    validated,
)
from livequiz.services import game_store, play

logger = function_logger("broadcast")

# The events that become frames; others on the queue, such as game.started, are left out.
FRAME_PAYLOADS: dict[str, type[BaseModel]] = {
    "scores.changed": ScoresChanged,
    "question.opened": QuestionOpened,
    "question.closed": QuestionClosed,
    "question.revealed": QuestionRevealed,
    "game.paused": GamePaused,
    "game.resumed": GameResumed,
    "game.ended": GameEnded,
    "player.kicked": PlayerKicked,
}


@lru_cache(maxsize=1)
def _fanout() -> Fanout:
    return Fanout(get_settings())


@entry_point("broadcast", logger)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    messages = decode_rmq_messages(event, settings)
    metrics.count_redeliveries(event, "broadcast")
    valid = validated(messages, FRAME_PAYLOADS, publisher(settings).dead_letter)
    events = [message.event for message, _ in valid]
    kicked = _kicked_frames(valid)
    store = game_store()
    games = broadcast.group_by_game(events)
    frames_by_connection = {}
    game_of: dict[ConnectionId, GameId] = {}
    for game_id, game_events in games.items():
        state = broadcast.current_state(store, game_id)
        planned = broadcast.plan(game_events, state)
        rendered = broadcast.render(store, game_id, planned, state)
        frames_by_connection.update(rendered)
        game_of.update(dict.fromkeys(rendered, game_id))
    for connection_id, frame in kicked.items():
        frames_by_connection.setdefault(connection_id, []).append(frame)
    started = time.perf_counter()
    report = _fanout().send(frames_by_connection)
    metrics.observe("broadcast_seconds", time.perf_counter() - started)
    _count_frames(report)
    if report.gone:
        remove_gone(report.gone, game_of)
    summary = describe(report)
    logger.info("batch broadcast", extra={"events": len(events), "games": list(games), **summary})
    return {"processed": len(messages), **summary}


def _count_frames(report: SendReport) -> None:
    """Count every frame of the batch by its outcome in ``frames_sent_total``."""
    for outcome, amount in report.frames.items():
        if amount:
            metrics.count("frames_sent_total", amount, outcome=outcome)


def _kicked_frames(valid: list[tuple[Any, Any]]) -> dict[ConnectionId, bytes]:
    """Tell each kicked player's last connection, which the game no longer lists, why."""
    told: dict[ConnectionId, bytes] = {}
    for message, data in valid:
        if isinstance(data, PlayerKicked) and data.connection_id:
            frame = {
                "type": "kicked",
                "game": message.event.game_id,
                "message": "the host removed you from this game",
            }
            told[ConnectionId(data.connection_id)] = frames.encode(frame).encode()
    return told


def remove_gone(gone: list[ConnectionId], game_of: dict[ConnectionId, GameId]) -> None:
    """Remove connections that API Gateway reported gone, as their $disconnect would.

    Their own records may have expired already, so they are removed by game. A player who was
    the last one missing an answer has then left, which can close the question.
    """
    store = game_store()
    gone = [connection_id for connection_id in gone if connection_id in game_of]
    affected = {game_of[connection_id] for connection_id in gone}
    for game_id in affected:
        viewers = store.connections(game_id)
        for connection_id in gone:
            if game_of[connection_id] == game_id and connection_id in viewers:
                store.drop_connection(game_id, connection_id, viewers[connection_id])
        logger.info(
            "removed gone connections",
            extra={
                "game_id": game_id,
                "connection_ids": [c for c in gone if game_of[c] == game_id],
            },
        )
        play().close_if_everyone_answered(game_id, now_ms())
