"""Odd frames and vanished clients through the local gateway, with real WebSocket clients."""

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from functions.broadcast import handler as broadcast_function
from livequiz.config import Settings
from livequiz.events import Event, now_ms
from livequiz.fanout import Fanout
from livequiz.local.runtime import LocalRuntime
from tests.conftest import scaled
from tests.support import GameFixture, context, rmq_event

WAIT_S = scaled(5.0)


def lobby_with(make_game: Callable[..., GameFixture], count: int) -> GameFixture:
    game = make_game()
    for index in range(count):
        game.add_player(f"P{index}")
    return game


async def close_code(client: Any) -> int | None:
    with contextlib.suppress(ConnectionClosed):
        await asyncio.wait_for(client.recv(), WAIT_S)
    await asyncio.wait_for(client.wait_closed(), WAIT_S)
    return client.close_code


@pytest.mark.parametrize(
    ("frame", "expected_code"),
    [(b"\x00\x01binary", 1003), ("x" * (129 * 1024), 1009)],
    ids=["binary", "over_128_kib"],
)
def test_unsupported_frames_close_connection(
    runtime: LocalRuntime,
    make_game: Callable[..., GameFixture],
    frame: str | bytes,
    expected_code: int,
) -> None:
    game = lobby_with(make_game, 1)

    async def scenario() -> int | None:
        async with connect(
            f"{runtime.ws_url}?token={game.player_token('P0')}", max_size=None
        ) as client:
            await client.send(frame)
            return await close_code(client)

    assert asyncio.run(scenario()) == expected_code
    # The gateway runs $disconnect after the close, which removes the connection record.
    deadline = time.monotonic() + WAIT_S
    while game.store.connections(game.game_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert game.store.connections(game.game_id) == {}


def test_text_over_parse_limit_gets_error(
    runtime: LocalRuntime, make_game: Callable[..., GameFixture]
) -> None:
    game = lobby_with(make_game, 1)

    async def scenario() -> dict[str, Any]:
        async with connect(f"{runtime.ws_url}?token={game.player_token('P0')}") as client:
            body = json.dumps({"action": "answer", "question": 0, "choice": 1, "p": "x" * 20_000})
            await client.send(body)
            reply: dict[str, Any] = json.loads(await asyncio.wait_for(client.recv(), WAIT_S))
            # The connection stays open after the error.
            await client.send(json.dumps({"action": "dance"}))
            follow: dict[str, Any] = json.loads(await asyncio.wait_for(client.recv(), WAIT_S))
            return {"reply": reply, "follow": follow}

    result = asyncio.run(scenario())
    assert result["reply"]["code"] == "message_too_large"
    assert result["follow"]["code"] == "unknown_action"


def test_broadcast_skips_vanished_clients(
    runtime: LocalRuntime,
    fanout: Fanout,
    settings: Settings,
    make_game: Callable[..., GameFixture],
) -> None:
    game = lobby_with(make_game, 24)
    # Broadcast sends answered counts only while their question is open.
    game_key = game.store.key(game.game_id, "game")
    game.store.redis.hset(game_key, mapping={"phase": "question_open", "question": 0, "round": 1})

    async def scenario() -> tuple[dict[str, Any], list[str]]:
        clients = [
            await connect(f"{runtime.ws_url}?token={game.player_token(f'P{index}')}")
            for index in range(24)
        ]
        # Half the clients drop without the gateway running $disconnect first: their
        # connection records stay in Redis until a post to them returns 410 Gone.
        for client in clients[::2]:
            client.transport.abort()
        await asyncio.sleep(0.2)
        data = {"question": 0, "answered": 1, "online": 12}
        event = Event("scores.changed", game.game_id, f"scores:{game.game_id}:x", now_ms(), data)
        report = await asyncio.to_thread(
            broadcast_function.handler,
            rmq_event(settings.broadcast_queue, [event]),
            context("broadcast"),
        )
        frames = [
            json.loads(await asyncio.wait_for(client.recv(), WAIT_S))["type"]
            for client in clients[1::2]
        ]
        for client in clients[1::2]:
            await client.close()
        return report, frames

    report, frames = asyncio.run(scenario())
    assert report["sent"] == 12
    assert report["failed"] == 0
    assert frames == ["answered"] * 12


def test_list_action_gets_error_frame_over_gateway(
    runtime: LocalRuntime, make_game: Callable[..., GameFixture]
) -> None:
    game = lobby_with(make_game, 1)

    async def scenario() -> dict[str, Any]:
        async with connect(f"{runtime.ws_url}?token={game.player_token('P0')}") as client:
            await client.send(json.dumps({"action": ["start"]}))
            reply: dict[str, Any] = json.loads(await asyncio.wait_for(client.recv(), WAIT_S))
            return reply

    reply = asyncio.run(scenario())
    assert reply.get("code") == "unknown_action", reply
