"""The local runtime as a whole: environment, REST app, mappings and the command line."""

import asyncio
import concurrent.futures
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pika
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from livequiz.config import Settings
from livequiz.errors import ConfigError
from livequiz.local.runtime import LocalRuntime, RuntimeConfig
from tests.local.local_harness import WAIT_S, Recorder, scaled

REPOSITORY = Path(__file__).parents[2]
DEFAULTED_VARIABLES = ("LIVEQUIZ_MANAGEMENT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


REST_APP = Starlette(routes=[Route("/hello", hello)])


def minimal_config(**changes: Any) -> RuntimeConfig:
    options: dict[str, Any] = {"routes": {}, "mappings": {}, "rest_app": None}
    return RuntimeConfig.on_free_ports(**(options | changes))


@pytest.fixture
def unset_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in DEFAULTED_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def queue(settings: Settings) -> Iterator[str]:
    name = f"livequiz.test.local.{uuid.uuid4().hex[:12]}"
    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    channel = connection.channel()
    channel.queue_declare(name)
    yield name
    channel.queue_delete(name)
    connection.close()


@pytest.mark.usefixtures("unset_defaults")
def test_environment_set_and_restored() -> None:
    with LocalRuntime(minimal_config()).start_in_thread() as runtime:
        during = {name: os.environ.get(name) for name in DEFAULTED_VARIABLES}

    assert during["LIVEQUIZ_MANAGEMENT_URL"] == runtime.management_url
    assert during["AWS_ACCESS_KEY_ID"] == "local"
    assert during["AWS_SECRET_ACCESS_KEY"] == "local"
    for name in DEFAULTED_VARIABLES:
        assert name not in os.environ


def test_environment_values_already_set_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEQUIZ_MANAGEMENT_URL", "http://127.0.0.1:1/elsewhere")

    with LocalRuntime(minimal_config()).start_in_thread():
        during = os.environ["LIVEQUIZ_MANAGEMENT_URL"]

    assert during == "http://127.0.0.1:1/elsewhere"
    assert os.environ["LIVEQUIZ_MANAGEMENT_URL"] == "http://127.0.0.1:1/elsewhere"


def test_missing_token_secret_is_generated(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("LIVEQUIZ_TOKEN_SECRET")

    with LocalRuntime(minimal_config()).start_in_thread():
        secret = os.environ["LIVEQUIZ_TOKEN_SECRET"]

    assert len(secret.encode()) >= 32
    assert "LIVEQUIZ_TOKEN_SECRET is not set" in caplog.text
    assert secret not in caplog.text
    assert "LIVEQUIZ_TOKEN_SECRET" not in os.environ


def test_rest_app_served_with_redacted_access_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)

    with LocalRuntime(minimal_config(rest_app=REST_APP)).start_in_thread() as runtime:
        assert runtime.rest_url is not None
        response = httpx.get(f"{runtime.rest_url}/hello", params={"token": "rest-secret"})

    assert response.text == "hello"
    assert runtime.docs_url == f"{runtime.rest_url}/docs"
    # httpx, the client in this test, logs the URL it requests. Only the server must redact.
    server_lines = [record.getMessage() for record in caplog.records if record.name != "httpx"]
    assert any("GET /hello?token=*** 200" in line for line in server_lines)
    assert not [line for line in server_lines if "rest-secret" in line]


def test_async_runtime_serves_websocket() -> None:
    message_handler = Recorder(lambda event: {"body": "pong"})

    async def ping_pong() -> str:
        config = minimal_config(routes={"$default": message_handler})
        async with LocalRuntime(config) as runtime:
            # The sync client would block the loop that serves it, so it runs in a thread.
            return await asyncio.to_thread(send_ping, runtime.ws_url)

    # asyncio.run() in the main thread would replace, unclosed, the event loop that Mangum
    # sets there when functions.auth.app is imported, so the test loop runs in a thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, ping_pong()).result(WAIT_S) == "pong"


def send_ping(url: str) -> str:
    with connect(url, proxy=None) as websocket:
        websocket.send("ping")
        reply = websocket.recv(timeout=WAIT_S)
    assert isinstance(reply, str)
    return reply


def test_mapping_handler_posts_to_connection(queue: str, settings: Settings) -> None:
    def broadcast(event: dict[str, Any], context: Any) -> None:
        client = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=os.environ["LIVEQUIZ_MANAGEMENT_URL"],
            region_name="us-east-1",
        )
        for messages in event["rmqMessagesByQueue"].values():
            for message in messages:
                connection_id = message["basicProperties"]["correlationId"]
                client.post_to_connection(ConnectionId=connection_id, Data=b"broadcast")

    def publish_for_sender(event: dict[str, Any], context: Any) -> dict[str, Any]:
        connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
        properties = pika.BasicProperties(correlation_id=event["requestContext"]["connectionId"])
        connection.channel().basic_publish("", queue, b"{}", properties)
        connection.close()
        return {"body": "queued"}

    config = minimal_config(
        routes={"$default": publish_for_sender},
        mappings={queue: broadcast},
        batching_window_s=0.05,
    )
    with (
        LocalRuntime(config).start_in_thread() as runtime,
        connect(runtime.ws_url, proxy=None) as ws,
    ):
        ws.send("go")
        frames = [ws.recv(timeout=WAIT_S), ws.recv(timeout=WAIT_S)]

    assert frames == ["queued", "broadcast"]


@pytest.mark.usefixtures("unset_defaults")
def test_failed_start_releases_everything() -> None:
    config = minimal_config(mappings={"unused": "functions.missing.handler.handler"})

    with pytest.raises(ConfigError, match=r"functions\.missing"):
        LocalRuntime(config).start_in_thread()

    for name in DEFAULTED_VARIABLES:
        assert name not in os.environ


def test_port_in_use_is_config_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            LocalRuntime(minimal_config(ws_port=port)).start_in_thread()


def free_port() -> int:
    """Return a port of 127.0.0.1 that was free a moment ago."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port: int = probe.getsockname()[1]
    return port


def start_command_line() -> "subprocess.Popen[str]":
    """Start ``python -m livequiz.local`` on free ports, with its output piped."""
    command = [sys.executable, "-m", "livequiz.local", "--ws-port", "0"]
    command += ["--management-port", "0", "--rest-port", "0", "--web-port", "0"]
    # 0 for the mappings' metrics too, which then go on a free port printed at start.
    command += ["--workers-metrics-port", "0"]
    return subprocess.Popen(
        command,
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPOSITORY)),
    )


def test_command_line_runs_until_sigint() -> None:
    process = start_command_line()
    try:
        assert process.stdout is not None
        urls = {}
        for _ in range(7):
            label, _, url = process.stdout.readline().partition(": ")
            urls[label] = url.strip()
        with pytest.raises(InvalidStatus) as rejected:
            connect(urls["WebSocket API"], proxy=None)
        docs = httpx.get(urls["API docs"], timeout=WAIT_S)
        gateway_metrics = httpx.get(urls["Metrics"], timeout=WAIT_S)
        mappings_metrics = wait_for_metrics(urls["Mappings metrics"], process)
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=scaled(20))

    assert set(urls) == {
        "WebSocket API",
        "REST API",
        "API docs",
        "Web app",
        "@connections API",
        "Metrics",
        "Mappings metrics",
    }
    assert rejected.value.response.status_code == 401
    assert not urls["Mappings metrics"].endswith(":0/metrics")
    assert docs.status_code == 200
    # The gateway process serves the connection gauges, the mappings process the queue depths.
    assert "livequiz_connections_open 0.0" in gateway_metrics.text
    assert "livequiz_queue_messages{" not in gateway_metrics.text
    assert 'livequiz_queue_messages{queue="persist"}' in mappings_metrics
    assert "livequiz_connections_open" not in mappings_metrics
    assert process.returncode == 0, errors
    assert "stopped the local runtime" in errors


def wait_for_metrics(url: str, process: "subprocess.Popen[str]") -> str:
    """Return the text served at ``url`` once the mappings process serves it."""
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            return httpx.get(url, timeout=WAIT_S).text
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise
            time.sleep(0.05)


def test_thread_stop_twice_is_harmless() -> None:
    running = LocalRuntime(minimal_config()).start_in_thread()

    running.stop()
    running.stop()

    with pytest.raises(OSError):
        connect(running.ws_url, proxy=None, open_timeout=WAIT_S)


def test_command_line_exits_1_when_mappings_die() -> None:
    process = start_command_line()
    try:
        assert process.stderr is not None
        workers_pid = None
        while workers_pid is None:
            line = process.stderr.readline()
            assert line, "the runtime exited before starting the mappings process"
            found = re.search(r"started the queue mappings in process (\d+)", line)
            if found:
                workers_pid = int(found.group(1))
        os.kill(workers_pid, signal.SIGKILL)
        _, errors = process.communicate(timeout=scaled(20))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 1
    assert f"the queue mappings process {workers_pid} exited with -9" in errors
    assert "stopped the local runtime" in errors
