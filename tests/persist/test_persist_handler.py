import json
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from livequiz import db, history
from livequiz.config import Settings
from livequiz.events import Event, ReceivedMessage
from tests.persist.conftest import SeededGame

DeadLetters = Callable[[], list[tuple[bytes, dict[str, Any]]]]


def snapshot(engine: Engine, game_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Read every row that the persist function writes for one game."""
    queries = {
        "games": sa.select(db.games).where(db.games.c.id == game_id),
        "players": sa.select(db.game_players)
        .where(db.game_players.c.game_id == game_id)
        .order_by(db.game_players.c.player_id),
        "answers": sa.select(db.answers)
        .where(db.answers.c.game_id == game_id)
        .order_by(db.answers.c.question_index, db.answers.c.player_id),
        "events": sa.select(db.game_events)
        .where(db.game_events.c.game_id == game_id)
        .order_by(db.game_events.c.event_id),
    }
    with engine.connect() as connection:
        return {name: [tuple(row) for row in connection.execute(q)] for name, q in queries.items()}


def player_row(engine: Engine, game_id: str, player_id: str) -> Any:
    players = db.game_players.c
    query = sa.select(db.game_players).where(
        players.game_id == game_id, players.player_id == player_id
    )
    with engine.connect() as connection:
        return connection.execute(query).one()


def test_batch_writes_whole_game(
    run: Callable[..., dict[str, int]], engine: Engine, seeded_game: SeededGame
) -> None:
    bodies = seeded_game.bodies()
    assert run(bodies) == {"processed": 6}
    rows = snapshot(engine, seeded_game.game_id)
    assert len(rows["answers"]) == 4
    assert len(rows["events"]) == 6
    with engine.connect() as connection:
        game = connection.execute(
            sa.select(db.games).where(db.games.c.id == seeded_game.game_id)
        ).one()
    assert game.status == "ended"
    assert game.started_at == history.timestamp(1796396400000)
    assert game.ended_at == history.timestamp(1796396440000)
    alice = player_row(engine, seeded_game.game_id, seeded_game.alice)
    bob = player_row(engine, seeded_game.game_id, seeded_game.bob)
    assert (alice.total_score, alice.reached_seq, alice.correct_count, alice.final_rank) == (
        950,
        3,
        1,
        1,
    )
    assert (bob.total_score, bob.reached_seq, bob.correct_count, bob.final_rank) == (950, 4, 1, 2)


def test_event_data_kept_as_json(
    run: Callable[..., dict[str, int]], engine: Engine, seeded_game: SeededGame
) -> None:
    bodies = seeded_game.bodies()
    run(bodies[:2])
    query = sa.select(db.game_events.c.data, db.game_events.c.type).where(
        db.game_events.c.event_id == bodies[1]["id"]
    )
    with engine.connect() as connection:
        row = connection.execute(query).one()
    assert row.type == "answer.accepted"
    assert row.data == bodies[1]["data"]


def test_replayed_batch_adds_nothing(
    run: Callable[..., dict[str, int]], engine: Engine, seeded_game: SeededGame
) -> None:
    bodies = seeded_game.bodies()
    run(bodies)
    first = snapshot(engine, seeded_game.game_id)
    assert run(bodies) == {"processed": 6}
    assert snapshot(engine, seeded_game.game_id) == first


def test_duplicates_within_batch_count_once(
    run: Callable[..., dict[str, int]], engine: Engine, seeded_game: SeededGame
) -> None:
    answer = seeded_game.bodies()[1]
    run([answer, answer, answer])
    alice = player_row(engine, seeded_game.game_id, seeded_game.alice)
    assert alice.total_score == 950
    assert alice.correct_count == 1
    assert len(snapshot(engine, seeded_game.game_id)["answers"]) == 1


def test_out_of_order_answers_keep_latest(
    run: Callable[..., dict[str, int]], engine: Engine, seeded_game: SeededGame
) -> None:
    bodies = seeded_game.bodies()
    bob_first, bob_second = bodies[2], bodies[3]
    run([bob_second])
    run([bob_first])
    bob = player_row(engine, seeded_game.game_id, seeded_game.bob)
    assert bob.total_score == 950
    assert bob.reached_seq == 4
    assert bob.correct_count == 1


def test_late_events_keep_final_result(
    run: Callable[..., dict[str, int]], engine: Engine, seeded_game: SeededGame
) -> None:
    bodies = seeded_game.bodies()
    started, answers, ended = bodies[0], bodies[1:5], bodies[5]
    run([ended])
    run(answers)
    run([started])
    with engine.connect() as connection:
        status = connection.execute(
            sa.select(db.games.c.status).where(db.games.c.id == seeded_game.game_id)
        ).scalar_one()
    assert status == "ended"
    alice = player_row(engine, seeded_game.game_id, seeded_game.alice)
    assert (alice.total_score, alice.reached_seq, alice.final_rank) == (950, 3, 1)
    assert alice.correct_count == 1


def test_poison_messages_dead_lettered(
    run: Callable[..., dict[str, int]],
    engine: Engine,
    seeded_game: SeededGame,
    dead_letters: DeadLetters,
) -> None:
    bodies = seeded_game.bodies()
    unknown_player = json.loads(json.dumps(bodies[1]).replace(seeded_game.alice, "f" * 32))
    out_of_range = json.loads(json.dumps(bodies[2]))
    out_of_range["data"]["points"] = 2**40
    batch = [bodies[0], unknown_player, bodies[1], out_of_range, bodies[3]]
    assert run(batch) == {"processed": 3}

    rows = snapshot(engine, seeded_game.game_id)
    assert len(rows["answers"]) == 2
    assert {row[0] for row in rows["events"]} == {bodies[0]["id"], bodies[1]["id"], bodies[3]["id"]}
    dead = dead_letters()
    assert [json.loads(body) for body, _ in dead] == [unknown_player, out_of_range]
    reasons = [headers["x-livequiz-reason"] for _, headers in dead]
    assert "foreign key" in reasons[0]
    assert "Out of range" in reasons[1]


def test_invalid_payload_dead_lettered(
    run: Callable[..., dict[str, int]],
    engine: Engine,
    seeded_game: SeededGame,
    dead_letters: DeadLetters,
) -> None:
    bodies = seeded_game.bodies()
    missing_total = json.loads(json.dumps(bodies[1]))
    del missing_total["data"]["total"]
    assert run([missing_total, bodies[0]]) == {"processed": 1}
    dead = dead_letters()
    assert len(dead) == 1
    assert json.loads(dead[0][0]) == missing_total
    assert "data.total" not in dead[0][1]["x-livequiz-reason"]
    assert "total: Field required" in dead[0][1]["x-livequiz-reason"]


def test_malformed_message_dead_lettered(
    run: Callable[..., dict[str, int]], seeded_game: SeededGame, dead_letters: DeadLetters
) -> None:
    garbage = b"\xff not json"
    assert run([garbage, seeded_game.bodies()[0]]) == {"processed": 1}
    dead = dead_letters()
    assert [body for body, _ in dead] == [garbage]


def test_unknown_type_ignored(
    run: Callable[..., dict[str, int]], engine: Engine, seeded_game: SeededGame
) -> None:
    other = {
        "type": "game.paused",
        "game": seeded_game.game_id,
        "id": f"paused:{seeded_game.game_id}",
        "at_ms": 1796396400000,
        "data": {},
    }
    assert run([other]) == {"processed": 1}
    assert snapshot(engine, seeded_game.game_id)["events"] == []


def test_mysql_down_raises(persist_settings: Settings, seeded_game: SeededGame) -> None:
    broken = db.create_engine("mysql+pymysql://root:@127.0.0.1:1/none")
    body = seeded_game.bodies()[0]
    event = Event(body["type"], body["game"], body["id"], body["at_ms"], body["data"])
    messages = [ReceivedMessage(persist_settings.persist_queue, event.to_json(), event)]
    dead_lettered: list[bytes] = []
    try:
        with pytest.raises(sa.exc.OperationalError):
            history.persist_batch(broken, messages, lambda q, raw, r: dead_lettered.append(raw))
    finally:
        broken.dispose()
    assert dead_lettered == []


def test_data_error_codes_classified() -> None:
    class Orig(Exception):
        pass

    lock_wait = sa.exc.OperationalError("UPDATE", {}, Orig(1205, "Lock wait timeout exceeded"))
    bad_string = sa.exc.OperationalError("INSERT", {}, Orig(1366, "Incorrect string value"))
    assert not history.is_data_error(lock_wait)
    assert history.is_data_error(bad_string)
