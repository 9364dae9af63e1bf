"""Pushes leaderboard, question and result frames to every connection of the games in a batch.

Triggered by the broadcast queue (``aws:rmq`` events). A failed post to one connection is
logged and does not fail the batch: redelivering would repeat every frame to everyone, and the
next frame supersedes a lost leaderboard anyway.

Connections that the game no longer lists get one frame each: a kicked player's last connection
``kicked``, and a player's connection that a newer one replaced ``replaced``. A replaced
connection is then closed through ``DELETE @connections/{id}``, after its frame was posted.
"""

import time
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
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
    broadcast.CONNECTED_EVENT: ScoresChanged,
    "question.opened": QuestionOpened,
    "question.closed": QuestionClosed,
    "question.revealed": QuestionRevealed,
    "game.paused": GamePaused,
    "game.resumed": GameResumed,
    "game.ended": GameEnded,
    "player.kicked": PlayerKicked,
    broadcast.REPLACED_EVENT: broadcast.PlayerReplaced,
}


@lru_cache(maxsize=1)
def _fanout() -> Fanout:
    return Fanout(get_settings())


@entry_point("broadcast", logger)
@metrics.count_broker_dead_letters("broadcast")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    messages = decode_rmq_messages(event, settings)
    metrics.count_redeliveries(event, "broadcast")
    valid = validated(messages, FRAME_PAYLOADS, publisher(settings).dead_letter)
    events = [message.event for message, _ in valid]
    notices, replaced = _notice_frames(valid)
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
    for connection_id, frame in notices.items():
        frames_by_connection.setdefault(connection_id, []).append(frame)
    started = time.perf_counter()
    report = _fanout().send(frames_by_connection)
    metrics.observe("broadcast_seconds", time.perf_counter() - started)
    close_replaced(replaced, report)
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


def _notice_frames(
    valid: list[tuple[Any, Any]],
) -> tuple[dict[ConnectionId, bytes], dict[ConnectionId, GameId]]:
    """Build the frame that explains to a kicked or replaced connection why it gets no more.

    Returns the frames by connection, and the game of each replaced connection, which is
    closed after its frame was posted.
    """
    told: dict[ConnectionId, bytes] = {}
    replaced: dict[ConnectionId, GameId] = {}
    for message, data in valid:
        game_id = GameId(message.event.game_id)
        if isinstance(data, PlayerKicked) and data.connection_id:
            message_text = "the host removed you from this game"
            frame = {"type": "kicked", "game": game_id, "message": message_text}
            told[ConnectionId(data.connection_id)] = frames.encode(frame).encode()
        elif isinstance(data, broadcast.PlayerReplaced):
            connection_id = ConnectionId(data.connection_id)
            message_text = "this game is now open in another tab or on another device"
            frame = {"type": "replaced", "game": game_id, "message": message_text}
            told[connection_id] = frames.encode(frame).encode()
            replaced[connection_id] = game_id
    return told, replaced


def close_replaced(replaced: dict[ConnectionId, GameId], report: SendReport) -> None:
    """Close each replaced connection that is still open, as ``DELETE @connections`` does.

    A connection whose post found it gone is skipped, and so is one that closes meanwhile. A
    failed close is logged. The connection then stays open but gets no frames, until the client
    or API Gateway's idle timeout closes it.
    """
    client = _fanout().client
    for connection_id, game_id in replaced.items():
        if connection_id in report.gone:
            continue
        ids = {"game_id": game_id, "connection_id": connection_id}
        try:
            client.delete_connection(ConnectionId=connection_id)
        except client.exceptions.GoneException:
            logger.info("replaced connection already closed", extra=ids)
            continue
        except (ClientError, BotoCoreError) as error:
            logger.warning(
                "closing a replaced connection failed", extra={**ids, "error": str(error)}
            )
            continue
        logger.info("closed a replaced connection", extra=ids)


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
        play().player_left(game_id, now_ms())
