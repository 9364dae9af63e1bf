import time

import jwt
import pytest

from livequiz.config import Settings
from livequiz.errors import ServiceError
from livequiz.events import Event, Publisher
from tests.handlers.conftest import Clock
from tests.support import GameFixture, drain


def test_connect_records_player(make_game, settings: Settings) -> None:
    game: GameFixture = make_game()
    game.add_player("Ada")
    connection_id, response = game.connect(game.player_token("Ada"))
    assert response["statusCode"] == 200
    record = game.store.connection(connection_id)
    assert record is not None
    assert record.player_id == game.players["Ada"]
    assert game.store.redis.ttl(f"lq:conn:{connection_id}") > 0


def test_connect_without_token_is_401(make_game) -> None:
    game: GameFixture = make_game()
    connection_id, response = game.connect(None)
    assert response["statusCode"] == 401
    assert game.store.connection(connection_id) is None


def test_connect_with_forged_token_is_401(make_game) -> None:
    game: GameFixture = make_game()
    game.add_player("Ada")
    forged = jwt.encode(
        {
            "sub": game.players["Ada"],
            "kind": "player",
            "game": game.game_id,
            "iss": "livequiz",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        "not-the-secret-but-long-enough-to-sign-with-it",
        algorithm="HS256",
    )
    _, response = game.connect(forged)
    assert response["statusCode"] == 401


def test_connect_with_expired_token_is_401(make_game, settings: Settings) -> None:
    game: GameFixture = make_game()
    game.add_player("Ada")
    expired = jwt.encode(
        {
            "sub": game.players["Ada"],
            "kind": "player",
            "game": game.game_id,
            "iss": "livequiz",
            "iat": int(time.time()) - 120,
            "exp": int(time.time()) - 60,
        },
        settings.require_token_secret(),
        algorithm="HS256",
    )
    connection_id, response = game.connect(expired)
    assert response["statusCode"] == 401
    assert "expired" in response["body"]
    assert game.store.connection(connection_id) is None


def test_connect_as_host_of_other_game_is_403(make_game) -> None:
    game: GameFixture = make_game()
    other: GameFixture = make_game()
    other.host_user_id = 7
    _, response = game.connect(other.host_token())
    assert response["statusCode"] == 403


def test_connect_as_host_of_ended_game_is_409(make_game) -> None:
    game: GameFixture = make_game()
    game.add_player("Ada")
    host, _ = game.connect(game.host_token())
    assert game.send(host, {"action": "end"})["type"] == "ok"
    connection_id, response = game.connect(game.host_token())
    assert response["statusCode"] == 409
    assert "ended" in response["body"]
    assert game.store.connection(connection_id) is None


def test_disconnect_removes_record(make_game) -> None:
    game: GameFixture = make_game()
    game.add_player("Ada")
    connection_id, _ = game.connect(game.player_token("Ada"))
    assert game.disconnect(connection_id)["statusCode"] == 200
    assert game.store.connection(connection_id) is None
    assert connection_id not in game.store.connections(game.game_id)
    assert game.store.online_count(game.game_id) == 0


def test_reconnect_keeps_score_and_drops_old_connection(make_game, clock: Clock) -> None:
    game: GameFixture = make_game()
    game.add_player("Ada")
    game.add_player("Bob")
    host, _ = game.connect(game.host_token())
    old, _ = game.connect(game.player_token("Ada"))
    game.connect(game.player_token("Bob"))
    game.send(host, {"action": "start"})
    clock.advance(1000)
    first = game.send(old, {"action": "answer", "question": 0, "choice": 1})
    assert first["accepted"]
    assert game.points("Ada", 0) == 950
    # The player drops; the $disconnect of the old connection may come before or after the
    # new $connect, so it comes after here, the harder order.
    new, response = game.connect(game.player_token("Ada"))
    assert response["statusCode"] == 200
    game.disconnect(old)
    assert game.store.connection(old) is None
    assert old not in game.store.connections(game.game_id)
    assert game.store.online_count(game.game_id) == 2
    ranking = game.store.ranking(game.game_id)
    assert [entry.nickname for entry in ranking].count("Ada") == 1
    assert ranking[0].score == 950
    clock.advance(100)
    game.send(new, {"action": "answer", "question": 0, "choice": 1})
    game.send(
        game.connect(game.player_token("Bob"))[0], {"action": "answer", "question": 0, "choice": 0}
    )
    game.send(host, {"action": "next"})
    clock.advance(500)
    second = game.send(new, {"action": "answer", "question": 1, "choice": 1})
    assert second["type"] == "answer_received"
    assert game.total("Ada") == 950 + 975


def test_second_player_connection_publishes_replaced(make_game, settings: Settings) -> None:
    game: GameFixture = make_game()
    game.add_player("Ada")
    first, _ = game.connect(game.player_token("Ada"))
    second, response = game.connect(game.player_token("Ada"))
    assert response["statusCode"] == 200
    assert game.store.connection(first) is None
    assert game.store.connections(game.game_id) == {second: game.players["Ada"]}
    events = drain(settings, settings.broadcast_queue, game.game_id)
    replaced = [event for event in events if event["type"] == "player.replaced"]
    assert len(replaced) == 1, events
    assert replaced[0]["id"] == f"replaced:{game.game_id}:{first}"
    assert replaced[0]["data"]["connection_id"] == first
    assert replaced[0]["data"]["player_id"] == game.players["Ada"]
    # persist stores nothing of a replacement, so the event does not reach its queue.
    persisted = drain(settings, settings.persist_queue, game.game_id)
    assert [event["type"] for event in persisted] == []


def test_first_connections_publish_no_replaced(make_game, settings: Settings) -> None:
    game: GameFixture = make_game()
    game.add_player("Ada")
    game.connect(game.player_token("Ada"))
    game.connect(game.host_token())
    # A host may keep several connections, so a second one replaces nothing.
    game.connect(game.host_token())
    events = drain(settings, settings.broadcast_queue, game.game_id)
    assert [event["type"] for event in events] == []
    assert list(game.store.connections(game.game_id).values()).count("host") == 2


def test_connect_during_question_publishes_counts(make_game, settings: Settings) -> None:
    game: GameFixture = make_game()
    for nickname in ("Ada", "Bob", "Cy"):
        game.add_player(nickname)
    ada, _ = game.connect(game.player_token("Ada"))
    game.connect(game.player_token("Bob"))
    game.open_first_question()
    # Bob has not answered, so the question stays open.
    assert game.send(ada, {"action": "answer", "question": 0, "choice": 1})["accepted"] is True
    drain(settings, settings.broadcast_queue, game.game_id)

    cy, response = game.connect(game.player_token("Cy"))
    assert response["statusCode"] == 200
    events = drain(settings, settings.broadcast_queue, game.game_id)
    assert [event["type"] for event in events] == ["player.connected"]
    assert events[0]["id"] == f"connected:{game.game_id}:{cy}"
    assert events[0]["data"] == {"question": 0, "answered": 1, "online": 3}
    # persist stores nothing of a connection, so the event does not reach its queue.
    persisted = drain(settings, settings.persist_queue, game.game_id)
    assert [event["type"] for event in persisted] == ["answer.accepted"]


def test_replacing_connection_publishes_no_counts(make_game, settings: Settings) -> None:
    game: GameFixture = make_game()
    game.add_player("Ada")
    game.connect(game.player_token("Ada"))
    game.open_first_question()
    drain(settings, settings.broadcast_queue, game.game_id)
    game.connect(game.player_token("Ada"))
    events = drain(settings, settings.broadcast_queue, game.game_id)
    assert [event["type"] for event in events] == ["player.replaced"]


def test_replaced_publish_failure_keeps_connection(
    make_game, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    game: GameFixture = make_game()
    game.add_player("Ada")
    game.connect(game.player_token("Ada"))

    def fail_publish(self: Publisher, routing_key: str, event: Event) -> None:
        raise ServiceError(f"publishing {event.type} {event.id} failed: broker down")

    monkeypatch.setattr(Publisher, "publish", fail_publish)
    second, response = game.connect(game.player_token("Ada"))
    assert response["statusCode"] == 200
    assert game.store.connections(game.game_id) == {second: game.players["Ada"]}
