"""Writes game events from the persist queue to MySQL (``aws:rmq`` events).

``livequiz.history`` explains the idempotent writes and the dead-letter fallback. A MySQL
or RabbitMQ failure raises out of the handler, so the batch is not acknowledged and is
delivered again.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.logs import entry_point, function_logger
from livequiz import db, history, metrics
from livequiz.config import get_settings
from livequiz.errors import NotFoundError
from livequiz.events import decode_rmq_messages, now_ms, publisher
from livequiz.ids import GameId
from livequiz.services import game_store

logger = function_logger("persist")


@entry_point("persist", logger)
@metrics.count_broker_dead_letters("persist")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    settings = get_settings()
    delivered = sum(len(batch) for batch in event.get("rmqMessagesByQueue", {}).values())
    metrics.observe("persist_batch_size", delivered)
    redelivered = metrics.count_redeliveries(event, "persist")
    messages = decode_rmq_messages(event, settings)
    games = sorted({message.event.game_id for message in messages})
    logger.info(
        "persisting batch",
        extra={"events": len(messages), "games": games, "redelivered": redelivered},
    )
    engine = db.engine(settings.mysql_url)
    known = [message.event.id for message in messages if message.event.type in history.PAYLOADS]
    # Repeats of stored events (redeliveries, re-published answers) add no row, so only the
    # events that had none before and have one now count as rows written.
    # NOTE: two invocations writing the same events at once can both count them. The queue
    # mapping runs one invocation at a time, so that takes a redelivery after a lost consumer
    # while its batch still runs. The INSERT's row count cannot tell a new row here, because
    # SQLAlchemy's MySQL drivers set CLIENT_FOUND_ROWS.
    before = history.recorded_event_ids(engine, known)
    processed = history.persist_batch(
        engine, messages, publisher(settings).dead_letter, stored_answers
    )
    written = len(history.recorded_event_ids(engine, known) - before)
    if written:
        metrics.count("persist_rows_total", written)
    written_ms = now_ms()
    for message in messages:
        if message.event.type in history.PAYLOADS:
            metrics.observe("persist_lag_seconds", (written_ms - message.event.at_ms) / 1000)
    logger.info("batch persisted", extra={"events": len(messages), "processed": processed})
    return {"processed": processed}


def stored_answers(game_id: str) -> list[tuple[int, str, dict[str, Any]]]:
    """Read a game's answers from Redis, or none if the game has expired there."""
    try:
        return [
            (question, player_id, answer)
            for question, player_id, answer in game_store().all_answers(GameId(game_id))
        ]
    except NotFoundError:
        logger.warning("game %s has expired from Redis, so its answers are not reconciled", game_id)
        return []
