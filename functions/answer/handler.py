"""WebSocket message routes: ``answer`` and ``sync`` from players, host controls from the host.

Players send ``answer`` (``question`` and the response fields of its type, see
``livequiz.questions.grade``) and ``sync`` (the game's state after a reconnect). The host
sends ``start``, ``next``, ``skip``, ``pause``, ``resume``, ``reveal``, ``end``, ``lock``,
``unlock``, ``kick`` (with ``player_id``) and ``sync``.

API Gateway selects the route by ``$request.body.action`` and sends frames that match no route
(non-JSON ones too) to ``$default``, and all of them land here. The reply frame is the integration
response, which API Gateway returns to the client because every route has a route response.
Bad input gets an error frame and leaves the connection open, and nothing is stored for it.
"""

import json
import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.logs import entry_point, function_logger
from livequiz import frames, metrics
from livequiz.config import get_settings
from livequiz.errors import ClientError, ForbiddenError, InvalidInputError, UnauthorizedError
from livequiz.events import now_ms
from livequiz.ids import PlayerId
from livequiz.rules import Action
from livequiz.services import game_store, play
from livequiz.store import ConnectionRecord, Role

logger = function_logger("answer")

HOST_ACTIONS = {
    action.value: action
    for action in (
        Action.START,
        Action.NEXT,
        Action.SKIP,
        Action.PAUSE,
        Action.RESUME,
        Action.REVEAL,
        Action.END,
    )
}
# The fields of an answer message that are not part of the response.
ROUTING_FIELDS = ("action", "question")
ACTIONS = "answer, sync, " + ", ".join(HOST_ACTIONS) + ", lock, unlock or kick"


def _parse(body: str | None) -> dict[str, Any]:
    raw = body or ""
    limit = get_settings().max_message_bytes
    size = len(raw.encode())
    if size > limit:
        raise InvalidInputError(
            "message_too_large", f"the message has {size} bytes: the limit is {limit}"
        )
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError) as error:
        # Nesting deeper than the JSON parser's recursion limit fits in a small message.
        raise InvalidInputError(
            "invalid_json", f"the message is not valid JSON: {error}"
        ) from error
    if not isinstance(message, dict):
        raise InvalidInputError(
            "invalid_message", "the message must be a JSON object with an action field"
        )
    return message


def _integer_field(message: dict[str, Any], name: str) -> int:
    if name not in message:
        raise InvalidInputError("missing_field", f"the field {name!r} is missing")
    value = message[name]
    # bool is a subclass of int in Python, but true is no question number.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInputError(
            "invalid_field", f"the field {name!r} must be an integer, got {value!r}"
        )
    return value


def _dispatch(
    record: ConnectionRecord, message: dict[str, Any], received_ms: int
) -> dict[str, Any]:
    action = message.get("action")
    if not isinstance(action, str):
        raise InvalidInputError(
            "unknown_action", f"the action must be a string, got {action!r}: expected {ACTIONS}"
        )
    if action == "sync":
        return play().sync(record.game_id, record.player_id, received_ms)
    if action == "answer":
        if record.role is not Role.PLAYER:
            raise ForbiddenError("not_a_player", "only players can answer")
        question = _integer_field(message, "question")
        response = {name: value for name, value in message.items() if name not in ROUTING_FIELDS}
        return play().answer(
            record.game_id, PlayerId(record.player_id), question, response, received_ms
        )
    if action in HOST_ACTIONS or action in ("lock", "unlock", "kick"):
        if record.role is not Role.HOST:
            raise ForbiddenError("not_host", f"only the host can send {action}")
        if action in ("lock", "unlock"):
            return play().lock(record.game_id, action == "lock")
        if action == "kick":
            player = message.get("player_id")
            if not isinstance(player, str) or not player:
                raise InvalidInputError("missing_field", "kick needs the player_id to remove")
            return play().kick(record.game_id, PlayerId(player), received_ms)
        return play().host_action(record.game_id, HOST_ACTIONS[action], received_ms)
    raise InvalidInputError("unknown_action", f"unknown action {action!r}: expected {ACTIONS}")


def _reply(body: str) -> dict[str, Any]:
    return {"statusCode": 200, "body": body}


def _count_answer(error: ClientError | None, started: float) -> None:
    metrics.observe("answer_seconds", time.perf_counter() - started)
    if error is None:
        metrics.count("answers_total", result="accepted")
        return
    reason = error.code if error.code in metrics.ANSWER_REJECTION_REASONS else "other"
    metrics.count("answers_total", result="rejected", reason=reason)


@entry_point("answer", logger)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Server time is taken first, so queueing inside this function never counts against the player.
    received_ms = now_ms()
    started = time.perf_counter()
    connection_id = event["requestContext"]["connectionId"]
    logger.append_keys(
        connection_id=connection_id, route_key=event["requestContext"].get("routeKey")
    )
    action: str | None = None
    try:
        message = _parse(event.get("body"))
        action = message.get("action") if isinstance(message.get("action"), str) else None
        record = game_store().connection(connection_id)
        if record is None:
            raise UnauthorizedError(
                "not_connected", "this connection is not registered: reconnect with your token"
            )
        logger.append_keys(game_id=record.game_id, player_id=record.player_id)
        reply = _dispatch(record, message, received_ms)
    except ClientError as error:
        logger.info("message rejected", extra={"code": error.code, "action": action})
        if action == "answer":
            _count_answer(error, started)
        return _reply(frames.error_frame(error, action))
    logger.debug("message handled", extra={"action": action})
    if action == "answer":
        _count_answer(None, started)
    return _reply(frames.encode(reply))
