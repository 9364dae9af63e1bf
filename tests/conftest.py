"""Settings shared by every test: a random token secret and RabbitMQ names of this run alone.

The names are set before any livequiz module reads its settings, so handlers under test
publish to this run's exchange and queues, and the real ``livequiz`` ones stay untouched.
"""

import asyncio
import os
import secrets
import uuid
from collections.abc import Iterator

import pika
import pytest

RUN = uuid.uuid4().hex[:8]
os.environ["LIVEQUIZ_TOKEN_SECRET"] = secrets.token_urlsafe(48)
os.environ["LIVEQUIZ_EXCHANGE"] = f"livequiz.test.{RUN}"
os.environ["LIVEQUIZ_PERSIST_QUEUE"] = f"livequiz.test.{RUN}.persist"
os.environ["LIVEQUIZ_BROADCAST_QUEUE"] = f"livequiz.test.{RUN}.broadcast"
os.environ["LIVEQUIZ_DEADLINE_QUEUE"] = f"livequiz.test.{RUN}.deadline"
# This run's delay queues disappear by themselves ten minutes after their last use.
os.environ["LIVEQUIZ_DELAY_QUEUE_EXPIRES_S"] = "600"

from functions.broadcast import handler as broadcast_function  # noqa: E402
from livequiz.config import Settings, get_settings  # noqa: E402
from livequiz.events import queue_names  # noqa: E402
from livequiz.fanout import Fanout  # noqa: E402
from livequiz.local.runtime import LocalRuntime, RuntimeConfig  # noqa: E402

# Multiplies every wait in the tests; raise it on a slow machine instead of editing sleeps.
TIMEOUT_FACTOR = float(os.environ.get("LIVEQUIZ_TEST_TIMEOUT_FACTOR", "1"))


def scaled(seconds: float) -> float:
    return seconds * TIMEOUT_FACTOR


@pytest.fixture(autouse=True)
def _lift_browser_loop_mark(request: pytest.FixtureRequest) -> Iterator[None]:
    """Lift the running-loop mark that Playwright's sync API leaves in the main thread.

    Once a browser test has started Playwright, its event loop stays marked as running for
    the session, and asyncio.run() in a later test raises. The mark is lifted for every test
    outside tests/web and put back after it, for the browser tests that follow.
    """
    if request.node.nodeid.startswith("tests/web/"):
        yield
        return
    running = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(running)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


def delete_topology(names: Settings) -> None:
    """Delete the queues, dead-letter queues and exchanges that ``names`` gives."""
    connection = pika.BlockingConnection(pika.URLParameters(names.rabbitmq_url))
    channel = connection.channel()
    for queue in queue_names(names).values():
        channel.queue_delete(queue)
        channel.queue_delete(queue + ".dead")
    channel.exchange_delete(names.exchange)
    channel.exchange_delete(names.exchange + ".dead")
    connection.close()


@pytest.fixture(scope="session", autouse=True)
def _delete_test_topology() -> Iterator[None]:
    yield
    delete_topology(get_settings())


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    """The local gateway and @connections API in a thread, without queue mappings or REST."""
    config = RuntimeConfig.on_free_ports(mappings={}, rest_app=None)
    with LocalRuntime(config).start_in_thread() as running:
        yield running


@pytest.fixture
def fanout(runtime: LocalRuntime, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Fanout:
    """The broadcast function's fan-out, pointed at ``runtime``'s @connections API."""
    local = settings.model_copy(update={"management_url": runtime.management_url})
    built = Fanout(local)
    monkeypatch.setattr(broadcast_function, "_fanout", lambda: built)
    return built
