"""The gauges read at scrape time: open connections from the gateway, queue depths from RabbitMQ."""

import asyncio
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import httpx
import pika
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from livequiz import metrics
from livequiz.config import Settings
from livequiz.events import DEAD_LETTER_EXCHANGE_SUFFIX
from livequiz.local.gauges import (
    QueueDepths,
    connection_name,
    game_connection_counts,
    watch_connections,
)
from livequiz.local.runtime import LocalRuntime
from tests.support import GameFixture


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Return the samples served at ``url`` by name and sorted labels."""
    response = httpx.get(url)
    assert response.status_code == 200
    return {
        (item.name, tuple(sorted(item.labels.items()))): item.value
        for family in text_string_to_metric_families(response.text)
        for item in family.samples
    }


def open_counts(runtime: LocalRuntime, game_id: str) -> tuple[float, float | None]:
    samples = scrape(runtime.metrics_url)
    total = samples[("livequiz_connections_open", ())]
    return total, samples.get(("livequiz_game_connections_open", (("game", game_id),)))


def test_connection_gauges_follow_the_gateway(make_game, runtime: LocalRuntime) -> None:
    game: GameFixture = make_game()
    game.add_player("Ada")
    game.add_player("Bob")
    assert open_counts(runtime, game.game_id) == (0, None)

    async def scenario() -> list[tuple[float, float | None]]:
        counts = []
        host = await connect(f"{runtime.ws_url}?token={game.host_token()}")
        ada = await connect(f"{runtime.ws_url}?token={game.player_token('Ada')}")
        bob = await connect(f"{runtime.ws_url}?token={game.player_token('Bob')}")
        counts.append(await asyncio.to_thread(open_counts, runtime, game.game_id))
        await bob.close()
        await bob.wait_closed()
        # The gateway removes a connection after its $disconnect has run.
        for _ in range(200):
            count = await asyncio.to_thread(open_counts, runtime, game.game_id)
            if count[0] == 2:
                break
            await asyncio.sleep(0.01)
        counts.append(count)
        for client in (host, ada):
            await client.close()
        return counts

    assert asyncio.run(scenario()) == [(3, 3), (2, 2)]


def test_game_series_capped_by_connections(make_game) -> None:
    crowded: GameFixture = make_game()
    quiet: GameFixture = make_game()
    for nickname in ("Ada", "Bob"):
        crowded.add_player(nickname)
    quiet.add_player("Cy")
    connected = [crowded.connect(crowded.player_token(name))[0] for name in ("Ada", "Bob")]
    connected.append(quiet.connect(quiet.player_token("Cy"))[0])
    registry = [SimpleNamespace(connection_id=connection_id) for connection_id in connected]
    both = game_connection_counts(registry)  # type: ignore[arg-type]
    assert both == {(crowded.game_id,): 2, (quiet.game_id,): 1}
    top = game_connection_counts(registry, limit=1)  # type: ignore[arg-type]
    assert top == {(crowded.game_id,): 2}


@pytest.fixture
def depth_settings(settings: Settings) -> Iterator[Settings]:
    run = f"livequiz.test.depth.{uuid.uuid4().hex[:8]}"
    own = settings.model_copy(
        update={
            "persist_queue": f"{run}.persist",
            "broadcast_queue": f"{run}.broadcast",
            "deadline_queue": f"{run}.deadline",
        }
    )
    yield own
    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    channel = connection.channel()
    for role in ("persist", "broadcast", "deadline"):
        queue = getattr(own, f"{role}_queue")
        channel.queue_delete(queue)
        channel.queue_delete(queue + DEAD_LETTER_EXCHANGE_SUFFIX)
    connection.close()


def test_queue_depths_read_from_rabbitmq(depth_settings: Settings) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(depth_settings.rabbitmq_url))
    channel = connection.channel()
    channel.confirm_delivery()
    persist = depth_settings.persist_queue
    dead_broadcast = depth_settings.broadcast_queue + DEAD_LETTER_EXCHANGE_SUFFIX
    for queue, count in ((persist, 3), (dead_broadcast, 1), (depth_settings.deadline_queue, 0)):
        channel.queue_declare(queue)
        for n in range(count):
            channel.basic_publish("", queue, f"message {n}".encode())
    depths = QueueDepths(depth_settings)
    try:
        # A queue that is not declared has no sample, and the others count ready messages.
        assert depths() == {("persist",): 3, ("broadcast_dead",): 1, ("deadline",): 0}
        method, _, _ = channel.basic_get(persist, auto_ack=True)
        assert method is not None
        assert depths()[("persist",)] == 2
    finally:
        depths.close()
        connection.close()


def close_named_connection(name: str) -> None:
    """Close, through rabbitmqctl, the broker's one connection whose client named it ``name``."""
    command = ["rabbitmqctl", "list_connections", "pid", "client_properties", "--quiet"]
    listed = subprocess.run(
        [*command, "--no-table-headers"], capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    marker = f'{{"connection_name","{name}"}}'
    pids = [line.split("\t", 1)[0] for line in listed.stdout.splitlines() if marker in line]
    assert len(pids) == 1, listed.stdout
    closed = subprocess.run(
        ["rabbitmqctl", "close_connection", pids[0], "closed by a test"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert closed.returncode == 0, closed.stderr


# Another process with its own queue-depth connection, as another stack on the same broker has.
OTHER_STACK = """
import sys
from livequiz.config import get_settings
from livequiz.local.gauges import QueueDepths
depths = QueueDepths(get_settings())
depths()
print("ready", flush=True)
sys.stdin.read()
depths.close()
"""


@pytest.fixture
def other_stack() -> Iterator[None]:
    """Hold a queue-depth connection open in another process during the test."""
    with subprocess.Popen(
        [sys.executable, "-c", OTHER_STACK],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            assert process.stdout.readline() == "ready\n"
            yield
        finally:
            process.stdin.close()
            process.wait(timeout=30)


@pytest.mark.usefixtures("other_stack")
def test_queue_depths_survive_closed_connection(depth_settings: Settings) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(depth_settings.rabbitmq_url))
    channel = connection.channel()
    channel.queue_declare(depth_settings.persist_queue)
    depths = QueueDepths(depth_settings)
    try:
        assert depths() == {("persist",): 0}
        # The broker closes the kept connection between two scrapes, as after an idle timeout.
        close_named_connection(connection_name())
        channel.basic_publish("", depth_settings.persist_queue, b"after the close")
        assert depths() == {("persist",): 1}
    finally:
        depths.close()
        connection.close()


def test_queue_depths_empty_when_broker_unreachable(settings: Settings) -> None:
    unreachable = settings.model_copy(update={"rabbitmq_url": "amqp://guest:guest@127.0.0.1:1/"})
    depths = QueueDepths(unreachable)
    assert depths() == {}
    depths.close()


def test_scrape_leaves_gateway_serving(runtime: LocalRuntime) -> None:
    """A scrape whose gauge source hangs does not hold the gateway's event loop."""
    entered = threading.Event()
    release = threading.Event()

    def hanging() -> dict[tuple[str, ...], float]:
        entered.set()
        release.wait(timeout=60)
        return {(): 1}

    metrics.collect_from("connections_open", hanging)
    scrape_result: list[int] = []
    scraper = threading.Thread(
        target=lambda: scrape_result.append(httpx.get(runtime.metrics_url, timeout=60).status_code)
    )
    scraper.start()
    try:
        assert entered.wait(timeout=30)
        # The @connections API runs on the same loop as the gateway: it answers meanwhile.
        gone = httpx.get(f"{runtime.management_url}/@connections/NoSuchConn0=", timeout=30)
        assert gone.status_code == 410
        assert scraper.is_alive()
    finally:
        release.set()
        scraper.join(timeout=30)
        watch_connections(runtime.runtime.registry)
    assert scrape_result == [200]
