"""Tracing switched on for one test, and a short game played through the local runtime.

The game is the demo's: a host and simulated players over real WebSocket connections and the
REST API of a ``LocalRuntime`` in this process. Its queue mappings run in threads here too,
so every function reports to this process's one agent.
"""

import asyncio
import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pika
import pytest
import sqlalchemy as sa
from rich.console import Console

import functions.auth.app  # noqa: F401
from functions.broadcast import handler as broadcast_function
from livequiz import db, tracing
from livequiz.config import Settings, get_settings
from livequiz.demo.__main__ import parse_args, play
from livequiz.demo.check import CheckResult, compare, wait_until_persisted
from livequiz.demo.players import Tally
from livequiz.events import DEAD_LETTER_EXCHANGE_SUFFIX, close_publishers, delay_queue_name
from livequiz.local.runtime import LocalRuntime, RuntimeConfig
from livequiz.store import GameStore, connect_redis
from tests.conftest import scaled
from tests.tracing.servers import BlackHole, ClosedPort, FakeIntake

# Importing functions.auth.app made Mangum create an event loop and set it as the main
# thread's. The first asyncio.run() unsets it, and the loop would then be garbage-collected
# unclosed, which pytest reports as an unraisable ResourceWarning. This reference keeps it
# until close_mangum_loop closes it.
MANGUM_LOOP = asyncio.get_event_loop_policy().get_event_loop()


@pytest.fixture(scope="session", autouse=True)
def close_mangum_loop() -> Iterator[None]:
    yield
    if not MANGUM_LOOP.is_running():
        MANGUM_LOOP.close()


@dataclass
class PlayedGame:
    game_id: str
    tally: Tally
    persisted: bool
    check: CheckResult


def play_short_game(settings: Settings, players: int = 4, questions: int = 2) -> PlayedGame:
    """Play the sample quiz's first ``questions`` with ``players`` and check MySQL afterwards."""
    args = parse_args(
        [
            "--players", str(players), "--questions", str(questions),
            "--seconds-per-question", "5", "--accuracy", "0.7", "--seed", "11",
        ]
    )  # fmt: skip
    console = Console(file=io.StringIO(), width=120)
    # The broadcast function keeps its Management API client, with the URL of the first
    # runtime that it served, for the whole process. Each runtime here has a port of its own.
    broadcast_function._fanout.cache_clear()
    with LocalRuntime(RuntimeConfig.on_free_ports()).start_in_thread() as running:
        game_id, tally, _ = asyncio.run(play(running, args, console))  # type: ignore[arg-type]
        engine = sa.create_engine(settings.mysql_url)
        store = GameStore(connect_redis(settings.redis_url), settings.game_ttl_s, 60)
        try:
            persisted = wait_until_persisted(engine, game_id, tally.accepted, scaled(60))
            check = compare(engine, store, game_id, tally.accepted)
        finally:
            engine.dispose()
    broadcast_function._fanout.cache_clear()
    return PlayedGame(game_id, tally, persisted, check)


@pytest.fixture
def switch_on(settings: Settings) -> Iterator[Callable[..., Settings]]:
    """Return a function that turns tracing on towards a URL, with more LIVEQUIZ_APM_* values.

    It returns the settings that the handlers then read. They name an exchange and queues of
    this test's own, so that messages other tests left on the shared queues cannot reach the
    traced game's consumers. The handlers' MySQL pool is emptied first and afterwards, because
    only connections opened after elasticapm instruments ``pymysql.connect`` report spans.
    """
    run = f"{settings.exchange}.tracing.{uuid.uuid4().hex[:8]}"
    topology = {
        "LIVEQUIZ_EXCHANGE": run,
        "LIVEQUIZ_PERSIST_QUEUE": f"{run}.persist",
        "LIVEQUIZ_BROADCAST_QUEUE": f"{run}.broadcast",
        "LIVEQUIZ_DEADLINE_QUEUE": f"{run}.deadline",
    }
    with pytest.MonkeyPatch.context() as patch:

        def turn_on(url: str, **variables: str) -> Settings:
            patch.setenv("LIVEQUIZ_APM_SERVER_URL", url)
            patch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
            for name, value in (topology | variables).items():
                patch.setenv(name, value)
            get_settings.cache_clear()
            db.dispose(settings.mysql_url)
            return get_settings()

        yield turn_on
        tracing.close()
    get_settings.cache_clear()
    db.dispose(settings.mysql_url)
    close_publishers()
    delete_topology(settings.rabbitmq_url, run)


def delete_topology(rabbitmq_url: str, exchange: str) -> None:
    """Delete the exchanges and the queues, delay queues included, named after ``exchange``."""
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    channel = connection.channel()
    for role in ("persist", "broadcast", "deadline"):
        channel.queue_delete(f"{exchange}.{role}")
        channel.queue_delete(f"{exchange}.{role}{DEAD_LETTER_EXCHANGE_SUFFIX}")
    for limit_s in range(5, 241):
        channel.queue_delete(delay_queue_name(exchange, limit_s * 1000))
    channel.exchange_delete(exchange)
    channel.exchange_delete(exchange + DEAD_LETTER_EXCHANGE_SUFFIX)
    connection.close()


@pytest.fixture
def intake() -> Iterator[FakeIntake]:
    server = FakeIntake()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    server = BlackHole()
    server.start()
    yield server
    if not server.released.is_set():
        server.release()


@pytest.fixture
def closed_port() -> Iterator[ClosedPort]:
    port = ClosedPort()
    yield port
    port.close()
