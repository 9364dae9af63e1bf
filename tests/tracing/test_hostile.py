"""With tracing on towards an APM server that replies with garbage, huge or dripping bodies.

The agent must not ask for the server's version, must go on sending after each such reply,
and must read only a bounded part of it. No test here measures time: each waits for an
event to arrive, with a limit that only ends a test that would otherwise hang.
"""

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from functions.logs import entry_point, function_logger
from livequiz import tracing
from livequiz.local.routes import LambdaContext
from tests.conftest import scaled
from tests.tracing.servers import HUGE_REPLY_BYTES, FakeIntake, Reply

# Each byte of a dripping reply arrives well within this timeout, so no read times out.
SERVER_TIMEOUT_S = "0.5"
# The timeout while the agent reads headers that never end. A read that timed out would end
# that request and start another, so it is far above the drip interval even on a loaded
# machine. The test never waits for it to pass.
STUCK_SERVER_TIMEOUT_S = str(scaled(60))
FLUSH_INTERVAL_S = "0.05"
# elasticapm 6.26's event queue keeps at most this many events and drops the rest.
AGENT_QUEUE_SIZE = 10_000


@pytest.fixture
def make_intake() -> Iterator[Callable[[Reply], FakeIntake]]:
    started: list[FakeIntake] = []

    def make(reply: Reply) -> FakeIntake:
        server = FakeIntake(reply)
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def invoke(route: str) -> None:
    """Run one traced invocation of the answer function, named ``answer <route>``."""
    logger = function_logger("probe")

    @entry_point("answer", logger)
    def probe(event: dict[str, Any], context: Any) -> dict[str, int]:
        return {"statusCode": 200}

    event = {"requestContext": {"routeKey": route, "connectionId": "Probe0Conn="}}
    probe(event, LambdaContext("answer", 30.0, "us-east-1"))


def wait_until(condition: Callable[[], bool], description: str) -> None:
    deadline = time.monotonic() + scaled(30)
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting until {description}")
        time.sleep(0.05)


def transaction_names(intake: FakeIntake) -> set[str]:
    return {transaction["name"] for transaction in intake.of_kind("transaction")}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("reply", [Reply.GARBAGE, Reply.HUGE, Reply.DRIP_BODY])
def test_events_arrive_after_hostile_reply(
    switch_on,
    make_intake: Callable[[Reply], FakeIntake],
    reply: Reply,
    caplog: pytest.LogCaptureFixture,
) -> None:
    intake = make_intake(reply)
    switch_on(
        intake.url,
        LIVEQUIZ_APM_SERVER_TIMEOUT_S=SERVER_TIMEOUT_S,
        LIVEQUIZ_APM_FLUSH_INTERVAL_S=FLUSH_INTERVAL_S,
    )
    with caplog.at_level(logging.WARNING, logger="livequiz.tracing"):
        invoke("first")
        wait_until(lambda: "answer first" in transaction_names(intake), "the first event arrived")
        # The agent has had the hostile reply to that request, and still sends.
        invoke("second")
        wait_until(lambda: "answer second" in transaction_names(intake), "the next one arrived")

    assert intake.gets == 0
    assert intake.requests >= 2
    if reply is Reply.HUGE:
        # The kernel's socket buffers take a few megabytes before the agent closes the
        # connection, and without the limit the agent would read the whole body.
        assert intake.huge_bytes_sent
        assert max(intake.huge_bytes_sent) < HUGE_REPLY_BYTES // 4
    cut = [record for record in caplog.records if "stopped reading the reply" in record.message]
    if reply is Reply.GARBAGE:
        # The garbage fits in the limit, so it is read to its end.
        assert cut == []
    else:
        assert cut, "the transport read a huge or dripping reply without cutting it"


@pytest.mark.timeout(120)
def test_dripping_headers_leave_handlers_unaffected(
    switch_on, make_intake: Callable[[Reply], FakeIntake]
) -> None:
    intake = make_intake(Reply.DRIP_HEADERS)
    switch_on(
        intake.url,
        LIVEQUIZ_APM_SERVER_TIMEOUT_S=STUCK_SERVER_TIMEOUT_S,
        LIVEQUIZ_APM_FLUSH_INTERVAL_S=FLUSH_INTERVAL_S,
    )
    invoke("first")
    # From now on the agent's thread reads a status line that never ends.
    wait_until(lambda: intake.requests >= 1, "the agent sent its first request")

    apm = tracing.client("answer")
    assert apm is not None
    event = {"requestContext": {"routeKey": "bulk", "connectionId": "Probe0Conn="}}
    completed = 0
    for _ in range(AGENT_QUEUE_SIZE + 500):
        with tracing.invocation("answer", event, None) as current:
            assert current is not None
        completed += 1
    invoke("last")

    assert completed == AGENT_QUEUE_SIZE + 500
    assert intake.requests == 1
    assert intake.gets == 0
    # The events wait in the agent's bounded queue, which drops what does not fit.
    queue = apm._transport._event_queue  # type: ignore[union-attr]
    assert queue.maxsize == AGENT_QUEUE_SIZE
    assert queue.qsize() == AGENT_QUEUE_SIZE
