import asyncio
import json
import socket
from typing import Any

import pytest
from websockets.asyncio.client import connect

from functions.broadcast import handler as broadcast_function
from livequiz.config import Settings
from livequiz.events import Event, now_ms
from livequiz.fanout import Fanout
from livequiz.ids import ConnectionId
from livequiz.local.runtime import LocalRuntime
from livequiz.store import ConnectionRecord, Role
from tests.conftest import scaled
from tests.metrics.samples import emf_documents, sample
from tests.support import GameFixture, context, question, rmq_event

WAIT_S = scaled(5.0)
OUTCOMES = ("sent", "gone", "failed")


def scores_event(settings: Settings, game: GameFixture) -> dict[str, Any]:
    data = {"question": 0, "answered": 1, "online": 3}
    event = Event("scores.changed", game.game_id, f"scores:{game.game_id}:1", now_ms(), data)
    return rmq_event(settings.broadcast_queue, [event])


def frames_by_outcome() -> dict[str, float]:
    return {outcome: sample("frames_sent_total", {"outcome": outcome}) for outcome in OUTCOMES}


def closed_port() -> int:
    """Return a port of 127.0.0.1 that was free a moment ago, so that posts to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def open_game(settings: Settings, stale: ConnectionId) -> GameFixture:
    """Open a question for Ada, Bob and Cy, with Cy recorded on ``stale``."""
    game = GameFixture(settings, [question()])
    for nickname in ("Ada", "Bob", "Cy"):
        game.add_player(nickname)
    game.open_first_question()
    record = ConnectionRecord(stale, game.game_id, Role.PLAYER, game.players["Cy"])
    game.store.connect(record)
    return game


def broadcast_to_clients(
    runtime: LocalRuntime, game: GameFixture, event: dict[str, Any]
) -> dict[str, Any]:
    """Connect Ada and Bob, run the broadcast function and read one frame on each client."""

    async def scenario() -> dict[str, Any]:
        clients = [
            await connect(f"{runtime.ws_url}?token={game.player_token(nickname)}")
            for nickname in ("Ada", "Bob")
        ]
        result = broadcast_function.handler(event, context("broadcast"))
        for client in clients:
            frame = json.loads(await asyncio.wait_for(client.recv(), WAIT_S))
            assert frame["type"] == "answered"
            await client.close()
        return result

    return asyncio.run(scenario())


@pytest.mark.usefixtures("off_lambda", "fanout")
def test_sent_and_gone_frames_counted(runtime: LocalRuntime, settings: Settings) -> None:
    # The gateway has no connection StaleMetric0=, so it returns 410 Gone for a post to it.
    game = open_game(settings, ConnectionId("StaleMetric0="))
    before = frames_by_outcome()
    batches = sample("broadcast_seconds_count")
    result = broadcast_to_clients(runtime, game, scores_event(settings, game))
    assert result == {"processed": 1, "sent": 2, "gone": 1, "failed": 0}
    after = frames_by_outcome()
    assert after["sent"] == before["sent"] + 2
    assert after["gone"] == before["gone"] + 1
    assert after["failed"] == before["failed"]
    assert sample("broadcast_seconds_count") == batches + 1
    assert sample("broadcast_seconds_bucket", {"le": "+Inf"}) == batches + 1


@pytest.mark.usefixtures("off_lambda")
def test_failed_posts_counted(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    unreachable = settings.model_copy(
        update={"management_url": f"http://127.0.0.1:{closed_port()}", "broadcast_timeout_s": 1}
    )
    fanout = Fanout(unreachable)
    monkeypatch.setattr(broadcast_function, "_fanout", lambda: fanout)
    game = open_game(settings, ConnectionId("FailMetric00="))
    before = frames_by_outcome()
    batches = sample("broadcast_seconds_count")
    result = broadcast_function.handler(scores_event(settings, game), context("broadcast"))
    assert result == {"processed": 1, "sent": 0, "gone": 0, "failed": 1}
    after = frames_by_outcome()
    assert after["sent"] == before["sent"]
    assert after["gone"] == before["gone"]
    assert after["failed"] == before["failed"] + 1
    assert sample("broadcast_seconds_count") == batches + 1


@pytest.mark.usefixtures("on_lambda", "fanout")
def test_broadcast_emf_flushed(runtime: LocalRuntime, settings: Settings, capsys) -> None:
    game = open_game(settings, ConnectionId("StaleMetric1="))
    capsys.readouterr()
    broadcast_to_clients(runtime, game, scores_event(settings, game))
    documents = emf_documents(capsys.readouterr().out)
    broadcast = [
        document
        for document in documents
        if document["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"]
        in ("broadcast_seconds", "frames_sent_total")
    ]
    assert len(broadcast) == 3
    by_outcome = {document.get("outcome"): document for document in broadcast}
    assert set(by_outcome) == {None, "gone", "sent"}
    assert by_outcome["sent"]["frames_sent_total"] == [2.0]
    assert by_outcome["gone"]["frames_sent_total"] == [1.0]
    (seconds,) = by_outcome[None]["broadcast_seconds"]
    assert 0 < seconds < WAIT_S
