"""With no APM setting, tracing leaves no trace: no agent, thread, socket or instrumentation.

The handlers run in a fresh interpreter, because this test process may already have imported
elasticapm for the tests that switch tracing on.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from livequiz import tracing
from livequiz.config import get_settings

PROBE = textwrap.dedent(
    """
    import json, os, socket, sys, threading
    from functions.auth.app import handler as rest_handler
    from functions.connect.handler import connect
    from livequiz import tracing
    from livequiz.local.routes import LambdaContext
    from tests.support import load_event

    rejected = connect(load_event("ws-connect.json"), LambdaContext("connect", 30.0, "us-east-1"))
    health = rest_handler(
        load_event("http-api-v2-healthz.json"), LambdaContext("auth", 30.0, "us-east-1")
    )
    network = []
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:"):
            with socket.fromfd(int(name), socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                family = socket.AddressFamily(
                    probe.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN)
                )
            if family in (socket.AF_INET, socket.AF_INET6):
                network.append(target)
    print(json.dumps({
        "connect_status": rejected["statusCode"],
        "health_status": health["statusCode"],
        "elasticapm_imported": sorted(m for m in sys.modules if m.split(".")[0] == "elasticapm"),
        "threads": sorted(thread.name for thread in threading.enumerate()),
        "network_sockets": network,
        "client": tracing._client is not None,
    }))
    """
)


def test_off_by_default_leaves_no_agent() -> None:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("LIVEQUIZ_APM_", "ELASTIC_APM_", "AWS_LAMBDA_"))
    }
    finished = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    # Both handlers ran: the sample token is invalid, and the health check needs no service.
    assert report["connect_status"] == 401
    assert report["health_status"] == 200
    assert report["elasticapm_imported"] == []
    assert report["threads"] == ["MainThread"]
    # Mangum's event loop keeps a Unix socket pair to wake itself, and nothing else is open.
    assert report["network_sockets"] == []
    assert report["client"] is False


@pytest.mark.parametrize("value", ["", None])
def test_empty_or_unset_url_means_off(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("LIVEQUIZ_APM_SERVER_URL", raising=False)
    else:
        monkeypatch.setenv("LIVEQUIZ_APM_SERVER_URL", value)
    get_settings.cache_clear()
    try:
        assert tracing.client("answer") is None
        with tracing.publish_span("livequiz", "answer.accepted", {}) as headers:
            assert headers is None
    finally:
        get_settings.cache_clear()
