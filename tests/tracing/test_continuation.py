"""A REST client's traceparent header starts no trace of the client's choosing.

The agent restarts the trace of every incoming request: the transaction gets a trace id of
its own and the sample rate's decision, and the client's trace becomes a span link.
"""

import asyncio

import httpx
import pytest

from functions.auth.app import app
from livequiz import tracing
from tests.tracing.servers import FakeIntake

CLIENT_TRACE_ID = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
CLIENT_SPAN_ID = "bbbbbbbbbbbbbbbb"
# Version 00, the client's trace and span, and the flag that marks the trace as recorded.
CLIENT_TRACEPARENT = f"00-{CLIENT_TRACE_ID}-{CLIENT_SPAN_ID}-01"
# elasticapm reads both, the second being its own older name for the first.
HEADERS = ("traceparent", "elastic-apm-traceparent")
REQUESTS_PER_HEADER = 3


def send_health_checks() -> None:
    async def send() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            for header in HEADERS:
                for _ in range(REQUESTS_PER_HEADER):
                    response = await http.get("/healthz", headers={header: CLIENT_TRACEPARENT})
                    assert response.status_code == 200

    asyncio.run(send())


@pytest.mark.timeout(60)
def test_client_trace_restarted(switch_on, intake: FakeIntake) -> None:
    switch_on(intake.url, LIVEQUIZ_APM_FLUSH_INTERVAL_S="30")
    send_health_checks()
    tracing.close()

    transactions = intake.of_kind("transaction")
    assert len(transactions) == len(HEADERS) * REQUESTS_PER_HEADER
    trace_ids = {transaction["trace_id"] for transaction in transactions}
    assert CLIENT_TRACE_ID not in trace_ids
    # Each request is a trace of its own.
    assert len(trace_ids) == len(transactions)
    for transaction in transactions:
        assert transaction["name"] == "GET /healthz"
        assert "parent_id" not in transaction
        assert transaction["links"] == [{"trace_id": CLIENT_TRACE_ID, "span_id": CLIENT_SPAN_ID}]


@pytest.mark.timeout(60)
def test_client_sampling_ignored_at_rate_zero(switch_on, intake: FakeIntake) -> None:
    switch_on(intake.url, LIVEQUIZ_APM_FLUSH_INTERVAL_S="30", LIVEQUIZ_APM_SAMPLE_RATE="0")
    send_health_checks()
    # An error is sent whatever the sample rate, so it shows that the agent did send.
    apm = tracing.client("auth")
    assert apm is not None
    apm.capture_message("the health checks are done")  # type: ignore[no-untyped-call]
    tracing.close()

    assert [error["log"]["message"] for error in intake.of_kind("error")] == [
        "the health checks are done"
    ]
    assert intake.of_kind("transaction") == []
    assert intake.of_kind("span") == []
    assert CLIENT_TRACE_ID.encode() not in intake.raw
