"""WebSocket ``$connect`` and ``$disconnect``.

``$connect`` checks the token from the query string and records the connection. A non-2xx
status makes API Gateway refuse the handshake. It never posts to the connection, because
API Gateway rejects posts to a connection whose ``$connect`` has not returned yet.

When a player's new connection replaces their older one, ``$connect`` publishes
``player.replaced``, and the broadcast function tells the old connection and closes it, since
only that function calls the Management API. When a player connects while a question is open,
``$connect`` publishes ``player.connected`` with the question's new answered and connected
counts, which the broadcast function sends as an ``answered`` frame.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.logs import entry_point, function_logger
from livequiz import metrics
from livequiz.broadcast import CONNECTED_EVENT, REPLACED_EVENT
from livequiz.config import get_settings
from livequiz.errors import (
    ClientError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ServiceError,
)
from livequiz.events import Event, now_ms
from livequiz.ids import ConnectionId, GameId
from livequiz.rules import GamePhase
from livequiz.services import game_store, play
from livequiz.store import HOST, ConnectionRecord, Role
from livequiz.tokens import TokenKind, verify

logger = function_logger("connect")


def _record(connection_id: str, token: str | None) -> ConnectionRecord:
    claims = verify(get_settings(), token, TokenKind.PLAYER, TokenKind.HOST)
    game_id = GameId(claims.game_id or "")
    store = game_store()
    info = store.game_info(game_id)
    if claims.kind is TokenKind.HOST:
        if info.get("host_user_id") != claims.subject:
            raise ForbiddenError(
                "not_host", f"user {claims.subject} is not the host of game {game_id}"
            )
        # An ended game takes no more commands, so an old host token has nothing to connect to.
        if info.get("phase") == GamePhase.ENDED.value:
            raise ConflictError("game_ended", f"game {game_id} has ended: start a new game")
        return ConnectionRecord(ConnectionId(connection_id), game_id, Role.HOST, HOST)
    # Kicked players are no longer in the players hash, so the kicked set is checked first.
    if store.is_kicked(game_id, claims.subject):
        raise ForbiddenError("kicked", "the host removed you from this game")
    if claims.subject not in store.players(game_id):
        raise NotFoundError("unknown_player", f"player {claims.subject} is not in game {game_id}")
    return ConnectionRecord(ConnectionId(connection_id), game_id, Role.PLAYER, claims.subject)


@entry_point("connect", logger)
def connect(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    connection_id = event["requestContext"]["connectionId"]
    logger.append_keys(connection_id=connection_id)
    token = (event.get("queryStringParameters") or {}).get("token")
    try:
        record = _record(connection_id, token)
    except ClientError as error:
        logger.info("connection rejected", extra={"code": error.code, "reason": error.message})
        reason = error.code if error.code in metrics.CONNECT_REJECTION_REASONS else "other"
        metrics.count("connects_total", result="rejected", reason=reason)
        return {"statusCode": error.status, "body": error.message}
    logger.append_keys(game_id=record.game_id, player_id=record.player_id, role=record.role.value)
    # A player has one live connection, and a new one replaces the old. A host may have
    # several, so a host's connection never replaces another.
    replaced = game_store().connect(record)
    if record.role is Role.HOST:
        play().host_back(record.game_id)
    logger.info("connected", extra={"replaced_connection_id": replaced})
    if replaced:
        _announce_replaced(record, replaced)
    elif record.role is Role.PLAYER:
        _announce_connected(record)
    metrics.count("connects_total", result="accepted")
    _count_connections(record.game_id)
    return {"statusCode": 200}


@entry_point("connect", logger)
def disconnect(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    connection_id = event["requestContext"]["connectionId"]
    logger.append_keys(connection_id=connection_id)
    record = game_store().disconnect(connection_id)
    metrics.count("disconnects_total")
    if record is None:
        logger.info("disconnected with no record left, because it was replaced or expired")
    else:
        logger.append_keys(game_id=record.game_id, player_id=record.player_id)
        # A disconnect is the last action some games see, so it also publishes their outbox.
        if record.role is Role.PLAYER:
            play().player_left(record.game_id, now_ms())
        else:
            play().flush(record.game_id, now_ms())
            play().host_left(record.game_id, now_ms())
        logger.info(
            "disconnected",
            extra={"status_code": event["requestContext"].get("disconnectStatusCode")},
        )
        _count_connections(record.game_id)
    return {"statusCode": 200}


def _announce_replaced(record: ConnectionRecord, old: ConnectionId) -> None:
    """Publish ``player.replaced``, on which the broadcast function sends ``old`` a frame
    and closes it.

    A failed publish is logged and does not reject the new connection. The old one then stays
    open but gets no frames, until the client or API Gateway's idle timeout closes it.
    """
    at_ms = now_ms()
    data = {"player_id": record.player_id, "connection_id": old, "replaced_at_ms": at_ms}
    event_id = f"replaced:{record.game_id}:{old}"
    event = Event(REPLACED_EVENT, record.game_id, event_id, at_ms, data)
    try:
        play().publisher.publish(REPLACED_EVENT, event)
    except ServiceError:
        logger.exception(
            "publishing player.replaced failed; the replaced connection stays open",
            extra={"replaced_connection_id": old},
        )


def _announce_connected(record: ConnectionRecord) -> None:
    """Publish ``player.connected`` with the open question's answered and connected counts, on
    which the broadcast function sends an ``answered`` frame.

    Outside an open question nothing is published: the lobby polls its players, and the reply
    to ``sync`` at a question's start carries the counts. A connection that replaced another
    leaves the counts as they were, so the caller skips it. A failed publish is logged and does
    not reject the connection, and the next answer's frame then brings the counts.
    """
    store = game_store()
    state = store.state(record.game_id)
    if state.phase is not GamePhase.QUESTION_OPEN:
        return
    answered, online = store.answered_and_online(record.game_id, state.question)
    at_ms = now_ms()
    data = {"question": state.question, "answered": answered, "online": online}
    event_id = f"connected:{record.game_id}:{record.connection_id}"
    event = Event(CONNECTED_EVENT, record.game_id, event_id, at_ms, data)
    try:
        play().publisher.publish(CONNECTED_EVENT, event)
    except ServiceError:
        logger.exception(
            "publishing player.connected failed; the host's answered count misses this player "
            "until the next answer"
        )


def _count_connections(game_id: GameId) -> None:
    """Record the game's open connections on Lambda, where nothing scrapes the local gauge."""
    if metrics.on_lambda():
        count = game_store().connection_count(game_id)
        metrics.set_gauge("game_connections_open", count, game=game_id)
