"""Broadcast through the local gateway and its @connections API, with real WebSocket clients."""

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedOK

from functions.broadcast import handler as broadcast_function
from livequiz import rules
from livequiz.config import Settings
from livequiz.events import Event, now_ms
from livequiz.frames import FrameOrder
from livequiz.ids import ConnectionId
from livequiz.local.runtime import LocalRuntime
from livequiz.quizzes import stored_question
from livequiz.store import ConnectionRecord, Role
from tests.conftest import scaled
from tests.support import (
    GameFixture,
    context,
    drain,
    fire_due,
    question,
    recheck_timers,
    rmq_event,
)

WAIT_S = scaled(5.0)


def scores_event(settings: Settings, game: GameFixture, number: int) -> dict[str, Any]:
    data = {"question": 0, "answered": number, "online": 3}
    event = Event("scores.changed", game.game_id, f"scores:{game.game_id}:{number}", now_ms(), data)
    return rmq_event(settings.broadcast_queue, [event])


async def open_clients(runtime: LocalRuntime, tokens: list[str]) -> list[ClientConnection]:
    return [await connect(f"{runtime.ws_url}?token={token}") for token in tokens]


async def next_frame(client: ClientConnection) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(client.recv(), WAIT_S))
    return frame


def test_gone_connection_is_removed_and_skipped(runtime, fanout, settings: Settings) -> None:
    game = GameFixture(settings, [question()])
    for nickname in ("Ada", "Bob", "Cy"):
        game.add_player(nickname)
    game.open_first_question()
    # Cy's connection is recorded in Redis but no longer exists at the gateway: API Gateway
    # returns 410 Gone for it, as for a client that vanished without a close frame.
    stale = ConnectionId("StaleConnId0=")
    game.store.connect(ConnectionRecord(stale, game.game_id, Role.PLAYER, game.players["Cy"]))

    async def scenario() -> None:
        clients = await open_clients(runtime, [game.player_token("Ada"), game.player_token("Bob")])
        first = broadcast_function.handler(scores_event(settings, game, 1), context("broadcast"))
        assert first == {"processed": 1, "sent": 2, "gone": 1, "failed": 0}
        frames = [await next_frame(client) for client in clients]
        assert [frame["type"] for frame in frames] == ["answered", "answered"]
        # No scores while the question is open: they would tell who was right.
        assert [("top" in frame, "you" in frame) for frame in frames] == [(False, False)] * 2
        assert stale not in game.store.connections(game.game_id)
        second = broadcast_function.handler(scores_event(settings, game, 2), context("broadcast"))
        assert second == {"processed": 1, "sent": 2, "gone": 0, "failed": 0}
        for client in clients:
            assert (await next_frame(client))["seq"] == frames[0]["seq"] + 1
            await client.close()

    asyncio.run(scenario())


def test_late_older_frame_is_dropped_by_seq(runtime, fanout, settings: Settings) -> None:
    game = GameFixture(settings, [question()])
    game.add_player("Ada")
    game.open_first_question()

    async def scenario() -> list[dict[str, Any]]:
        [client] = await open_clients(runtime, [game.player_token("Ada")])
        received = []
        for number in (1, 2):
            await asyncio.to_thread(
                broadcast_function.handler,
                scores_event(settings, game, number),
                context("broadcast"),
            )
            received.append(await next_frame(client))
        await client.close()
        return received

    older, newer = asyncio.run(scenario())
    assert newer["seq"] == older["seq"] + 1
    order = FrameOrder()
    # Delivered newest first: the client keeps the newer frame and drops the older one.
    assert order.keep(newer)
    assert not order.keep(older)
    assert order.last_seq == newer["seq"]
    assert newer["answered"] == 2


def ended_event(game: GameFixture) -> Event:
    return Event("game.ended", game.game_id, "e", 0, {"ended_at_ms": 1, "players": []})


def test_leaderboard_frame_stays_small_with_many_long_nicknames(settings: Settings) -> None:
    from livequiz import broadcast

    game = GameFixture(settings, [question()])
    widest = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 7 code points, 25 bytes
    for number in range(300):
        nickname = (widest * 5 + f"{number:03d}")[:64]
        game.add_player(nickname)
    viewer = next(iter(game.players.values()))
    game.store.connect(
        ConnectionRecord(ConnectionId("SizeConnId00="), game.game_id, Role.PLAYER, viewer)
    )
    game.open_first_question()
    planned = broadcast.plan(state=game.store.state(game.game_id), events=[ended_event(game)])
    rendered = broadcast.render(game.store, game.game_id, planned)
    [payload] = rendered[ConnectionId("SizeConnId00=")]
    frame = json.loads(payload)
    assert len(frame["top"]) == 10
    assert frame["players"] == 300
    assert len(payload) < 32 * 1024


def test_markup_nickname_is_sent_as_text(settings: Settings) -> None:
    from livequiz import broadcast

    game = GameFixture(settings, [question()])
    nickname = "<b>hi</b><i>x</i>"
    player = game.add_player(nickname)
    connection = ConnectionId("MarkupConnId=")
    game.store.connect(ConnectionRecord(connection, game.game_id, Role.PLAYER, player))
    game.open_first_question()
    planned = broadcast.plan(state=game.store.state(game.game_id), events=[ended_event(game)])
    [payload] = broadcast.render(game.store, game.game_id, planned)[connection]
    assert json.loads(payload)["top"][0]["nickname"] == nickname
    # JSON carries the text as it is: no HTML escaping, which would double-escape in a client.
    assert nickname.encode() in payload


def test_gone_last_unanswered_player_closes_question(runtime, fanout, settings: Settings) -> None:
    game = GameFixture(settings, [question()])
    for nickname in ("Ada", "Cy"):
        game.add_player(nickname)
    game.open_first_question()
    # Cy's record in Redis has expired and the gateway has no such connection any more.
    stale = ConnectionId("GoneConnId00=")
    game.store.connect(ConnectionRecord(stale, game.game_id, Role.PLAYER, game.players["Cy"]))
    game.store.redis.delete(f"lq:conn:{stale}")

    async def scenario() -> dict[str, Any]:
        [client] = await open_clients(runtime, [game.player_token("Ada")])
        state = game.store.state(game.game_id)
        spec = stored_question(game.questions[0])
        scored = rules.score_answer(state, 0, spec, {"choice": 1}, state.opened_at_ms + 1000)
        game.store.record_answer(
            game.game_id, game.players["Ada"], state, scored, state.opened_at_ms + 1000, ("", "")
        )
        result = broadcast_function.handler(scores_event(settings, game, 1), context("broadcast"))
        # As after a $disconnect, the question closes once the player grace period is over,
        # while Ada is still connected to see it.
        assert game.store.state(game.game_id).phase == "question_open"
        timers = recheck_timers(settings, game.game_id)
        assert [timer.type for timer in timers] == ["question.recheck"]
        fire_due(settings, timers)
        await client.close()
        return result

    result = asyncio.run(scenario())
    assert result["gone"] == 1
    assert stale not in game.store.connections(game.game_id)
    online = game.store.redis.hkeys(game.store.key(game.game_id, "online"))
    assert game.players["Cy"] not in online
    assert game.store.state(game.game_id).phase == "question_closed"


def test_replaced_connection_gets_frame_and_closes(runtime, fanout, settings: Settings) -> None:
    game = GameFixture(settings, [question()])
    game.add_player("Ada")
    game.open_first_question()
    token = game.player_token("Ada")

    async def scenario() -> None:
        [first] = await open_clients(runtime, [token])
        [second] = await open_clients(runtime, [token])
        found = drain(settings, settings.broadcast_queue, game.game_id)
        # The first connection came during the open question, so it published the counts.
        assert [message["type"] for message in found] == ["player.connected", "player.replaced"]
        replaced = [
            Event.from_json(json.dumps(message).encode())
            for message in found
            if message["type"] == "player.replaced"
        ]
        result = await asyncio.to_thread(
            broadcast_function.handler,
            rmq_event(settings.broadcast_queue, replaced),
            context("broadcast"),
        )
        assert result == {"processed": 1, "sent": 1, "gone": 0, "failed": 0}
        frame = await next_frame(first)
        assert frame["type"] == "replaced"
        assert frame["game"] == game.game_id
        assert "seq" not in frame
        with pytest.raises(ConnectionClosedOK):
            await asyncio.wait_for(first.recv(), WAIT_S)
        assert first.close_code == 1000
        # The new connection plays on and gets the game's frames.
        await asyncio.to_thread(
            broadcast_function.handler, scores_event(settings, game, 1), context("broadcast")
        )
        assert (await next_frame(second))["type"] == "answered"
        assert list(game.store.connections(game.game_id).values()) == [game.players["Ada"]]
        await second.close()

    asyncio.run(scenario())


def test_replaced_event_again_closes_nothing(runtime, fanout, settings: Settings) -> None:
    game = GameFixture(settings, [question()])
    game.add_player("Ada")
    gone = ConnectionId("ClosedConnId=")
    data = {"player_id": game.players["Ada"], "connection_id": gone, "replaced_at_ms": now_ms()}
    event = Event("player.replaced", game.game_id, f"replaced:{game.game_id}:{gone}", 1, data)
    # A redelivered event names a connection that the first delivery closed already.
    result = broadcast_function.handler(
        rmq_event(settings.broadcast_queue, [event]), context("broadcast")
    )
    assert result == {"processed": 1, "sent": 0, "gone": 1, "failed": 0}
