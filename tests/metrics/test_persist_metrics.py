import json
from collections.abc import Callable
from typing import Any

import pika
import pytest
from sqlalchemy.engine import Engine

from functions.persist import handler as persist_function
from livequiz import events
from livequiz.config import Settings
from tests.metrics.samples import emf_documents, sample
from tests.persist.conftest import SeededGame
from tests.persist.conftest import rmq_event as persist_rmq_event
from tests.support import context

DeadLetters = Callable[[], list[tuple[bytes, dict[str, Any]]]]
ROLES = ("persist", "broadcast", "deadline")


def dead_lettered() -> dict[str, float]:
    return {role: sample("dead_lettered_total", {"queue": role}) for role in ROLES}


def drain(settings: Settings, queue: str) -> list[bytes]:
    """Take every message off the dead-letter queue of ``queue``."""
    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    channel = connection.channel()
    bodies = []
    while True:
        method, _, body = channel.basic_get(
            queue + events.DEAD_LETTER_EXCHANGE_SUFFIX, auto_ack=True
        )
        if method is None:
            break
        bodies.append(body)
    connection.close()
    return bodies


def mixed_batch(seeded_game: SeededGame) -> list[Any]:
    """Return six messages: two valid events, one of an unknown type and three poison ones."""
    bodies = seeded_game.bodies()
    unknown_player = json.loads(json.dumps(bodies[1]).replace(seeded_game.alice, "f" * 32))
    missing_total = json.loads(json.dumps(bodies[2]))
    del missing_total["data"]["total"]
    paused = {
        "type": "game.paused",
        "game": seeded_game.game_id,
        "id": f"paused:{seeded_game.game_id}",
        "at_ms": 1796396400000,
        "data": {},
    }
    return [bodies[0], unknown_player, bodies[1], b"\xff not json", paused, missing_total]


@pytest.mark.usefixtures("off_lambda")
def test_persist_batch_counted(
    run: Callable[..., dict[str, int]], seeded_game: SeededGame, dead_letters: DeadLetters
) -> None:
    batches = sample("persist_batch_size_count")
    messages = sample("persist_batch_size_sum")
    up_to_five = sample("persist_batch_size_bucket", {"le": "5.0"})
    up_to_ten = sample("persist_batch_size_bucket", {"le": "10.0"})
    rows = sample("persist_rows_total")
    before = dead_lettered()
    # The foreign key error sends the batch down the one-by-one path, which writes the two
    # valid events. The unknown type counts as processed but writes no row.
    assert run(mixed_batch(seeded_game)) == {"processed": 3}
    assert len(dead_letters()) == 3
    assert sample("persist_batch_size_count") == batches + 1
    assert sample("persist_batch_size_sum") == messages + 6
    assert sample("persist_batch_size_bucket", {"le": "5.0"}) == up_to_five
    assert sample("persist_batch_size_bucket", {"le": "10.0"}) == up_to_ten + 1
    assert sample("persist_rows_total") == rows + 2
    after = dead_lettered()
    assert after["persist"] == before["persist"] + 3
    assert after["broadcast"] == before["broadcast"]
    assert after["deadline"] == before["deadline"]


@pytest.mark.usefixtures("off_lambda")
def test_replayed_batch_rows_counted_once(
    run: Callable[..., dict[str, int]], seeded_game: SeededGame, engine: Engine
) -> None:
    bodies = seeded_game.bodies()
    rows = sample("persist_rows_total")
    assert run(bodies) == {"processed": len(bodies)}
    # A redelivered event finds its game_events row and adds no row, so it is not counted.
    assert run(bodies) == {"processed": len(bodies)}
    assert sample("persist_rows_total") == rows + len(bodies)


@pytest.mark.usefixtures("off_lambda", "dead_letters", "own_publisher")
def test_dead_letters_counted_by_role(persist_settings: Settings) -> None:
    publisher = events.publisher(persist_settings)
    for role, queue in events.queue_names(persist_settings).items():
        before = dead_lettered()
        publisher.dead_letter(queue, b"poison", "test message")
        after = dead_lettered()
        for other in ROLES:
            expected = before[other] + 1 if other == role else before[other]
            assert after[other] == expected, (role, other)
        assert drain(persist_settings, queue) == [b"poison"], role


@pytest.mark.usefixtures("on_lambda")
def test_persist_emf_flushed(
    run: Callable[..., dict[str, int]],
    seeded_game: SeededGame,
    dead_letters: DeadLetters,
    capsys,
) -> None:
    capsys.readouterr()
    run(mixed_batch(seeded_game))
    dead_letters()
    documents = emf_documents(capsys.readouterr().out)
    by_name = {
        document["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"]: document
        for document in documents
    }
    # Metrics without labels share one document, so persist_batch_size and persist_rows_total
    # are in the same one.
    assert by_name["dead_lettered_total"]["queue"] == "persist"
    assert by_name["dead_lettered_total"]["dead_lettered_total"] == [1.0, 1.0, 1.0]
    unlabelled = next(d for d in documents if "persist_batch_size" in d)
    assert unlabelled["persist_batch_size"] == [6.0]
    assert unlabelled["persist_rows_total"] == [2.0]


# "run" points the handler at this test's queues and scratch database.
@pytest.mark.usefixtures("off_lambda", "run")
def test_redeliveries_and_lag_counted(persist_settings: Settings, seeded_game: SeededGame) -> None:
    bodies = seeded_game.bodies()
    # Events a minute old: their lag falls between the 60 s and the 300 s bucket bounds.
    for body in bodies:
        body["at_ms"] = events.now_ms() - 60_000
    event = persist_rmq_event(persist_settings, bodies)
    messages = next(iter(event["rmqMessagesByQueue"].values()))
    messages[0]["redelivered"] = True
    messages[-1]["redelivered"] = True
    redelivered = {role: sample("redeliveries_total", {"queue": role}) for role in ROLES}
    lags = sample("persist_lag_seconds_count")
    within_minute = sample("persist_lag_seconds_bucket", {"le": "60.0"})
    within_five = sample("persist_lag_seconds_bucket", {"le": "300.0"})
    assert persist_function.handler(event, context("persist")) == {"processed": len(bodies)}
    assert sample("redeliveries_total", {"queue": "persist"}) == redelivered["persist"] + 2
    assert sample("redeliveries_total", {"queue": "broadcast"}) == redelivered["broadcast"]
    assert sample("redeliveries_total", {"queue": "deadline"}) == redelivered["deadline"]
    assert sample("persist_lag_seconds_count") == lags + len(bodies)
    assert sample("persist_lag_seconds_bucket", {"le": "60.0"}) == within_minute
    assert sample("persist_lag_seconds_bucket", {"le": "300.0"}) == within_five + len(bodies)
