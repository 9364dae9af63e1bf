"""Persist batches with replays, reordering and poison messages beside good ones.

A batch that raises is nacked whole and redelivered until the delivery limit moves every one
of its messages to the dead-letter queue, so a good message in a batch that raises is lost to
MySQL. Every poison message must therefore be dead-lettered alone while the handler returns.
"""

# The fixtures imported from the other suites are test parameters here, which F811 reports.
# ruff: noqa: F811

import json
import random
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tests.persist.conftest import (  # noqa: F401
    SeededGame,
    dead_letters,
    engine,
    own_publisher,
    persist_settings,
    run,
    seeded_game,
)
from tests.persist.test_persist_handler import player_row, snapshot

DeadLetters = Callable[[], list[tuple[bytes, dict[str, Any]]]]


def with_changes(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed: dict[str, Any] = json.loads(json.dumps(body))
    changed.update(changes)
    return changed


def test_shuffled_replays_match_ordered_batch(
    run: Callable[..., dict[str, int]], engine: Engine, seeded_game: SeededGame
) -> None:
    bodies = seeded_game.bodies()
    shuffled = bodies * 3
    random.Random(7).shuffle(shuffled)
    for start in range(0, len(shuffled), 4):
        run(shuffled[start : start + 4])
    rows = snapshot(engine, seeded_game.game_id)
    assert len(rows["answers"]) == 4
    assert len(rows["events"]) == 6
    alice = player_row(engine, seeded_game.game_id, seeded_game.alice)
    bob = player_row(engine, seeded_game.game_id, seeded_game.bob)
    assert (alice.total_score, alice.correct_count, alice.final_rank) == (950, 1, 1)
    assert (bob.total_score, bob.correct_count, bob.final_rank) == (950, 1, 2)


def test_conflicting_duplicate_answer_keeps_first(
    run: Callable[..., dict[str, int]], engine: Engine, seeded_game: SeededGame
) -> None:
    bodies = seeded_game.bodies()
    forged = json.loads(json.dumps(bodies[1]))
    forged["data"]["points"] = 1000
    forged["data"]["choice"] = 3
    run([bodies[0], bodies[1], forged, forged])
    answers = snapshot(engine, seeded_game.game_id)["answers"]
    assert len(answers) == 1
    assert 950 in answers[0]


@pytest.mark.parametrize(
    "changes",
    [
        {"at_ms": "1796396400000"},
        {"at_ms": 10**20},
        {"at_ms": -(10**15)},
        {"type": ["answer.accepted"]},
        {"game": {"id": 1}},
        {"game": 12345},
        {"id": {"x": 1}},
    ],
    ids=[
        "at_ms_string",
        "at_ms_huge",
        "at_ms_negative",
        "type_list",
        "game_dict",
        "game_int",
        "id_dict",
    ],
)
def test_envelope_poison_keeps_good_messages(
    run: Callable[..., dict[str, int]],
    engine: Engine,
    seeded_game: SeededGame,
    dead_letters: DeadLetters,
    changes: dict[str, Any],
) -> None:
    bodies = seeded_game.bodies()
    poison = with_changes(bodies[1], **changes)
    if isinstance(poison["id"], str):
        poison["id"] = poison["id"] + ":poison"
    try:
        run([bodies[0], poison, bodies[2]])
    finally:
        dead = dead_letters()
    rows = snapshot(engine, seeded_game.game_id)
    assert {row[0] for row in rows["events"]} == {bodies[0]["id"], bodies[2]["id"]}
    assert len(dead) == 1


def test_data_poison_keeps_good_messages(
    run: Callable[..., dict[str, int]],
    engine: Engine,
    seeded_game: SeededGame,
    dead_letters: DeadLetters,
) -> None:
    """Poison in the data fields is validated and dead-lettered alone."""
    bodies = seeded_game.bodies()
    poisons = []
    for index, data_changes in enumerate(
        [
            {"question": -1},
            {"correct": "yes"},
            {"answered_at_ms": 10**20},
            {"player_id": None},
            {"total": -5},
        ]
    ):
        poison = json.loads(json.dumps(bodies[1]))
        poison["id"] = f"{poison['id']}:poison{index}"
        poison["data"].update(data_changes)
        poisons.append(poison)
    not_an_object = with_changes(bodies[2], data=[1, 2], id=bodies[2]["id"] + ":list")
    result = run([bodies[0], *poisons, not_an_object, bodies[1]])
    assert result == {"processed": 2}
    rows = snapshot(engine, seeded_game.game_id)
    assert {row[0] for row in rows["events"]} == {bodies[0]["id"], bodies[1]["id"]}
    assert len(dead_letters()) == len(poisons) + 1


def test_lone_surrogate_in_event_data(
    run: Callable[..., dict[str, int]],
    engine: Engine,
    seeded_game: SeededGame,
    dead_letters: DeadLetters,
) -> None:
    """A lone surrogate in the raw JSON of a message neither raises nor blocks its batch."""
    bodies = seeded_game.bodies()
    odd = json.loads(json.dumps(bodies[0]))
    odd["type"] = "game.started"
    odd["id"] = odd["id"] + ":surrogate"
    raw = json.dumps(odd).replace('"question_count"', '"note": "\\ud800", "question_count"')
    result = run([raw.encode(), bodies[1]])
    dead_letters()
    assert result["processed"] >= 1
    events = {row[0] for row in snapshot(engine, seeded_game.game_id)["events"]}
    assert bodies[1]["id"] in events
