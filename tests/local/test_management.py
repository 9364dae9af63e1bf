"""The @connections management API through a real boto3 client and raw HTTP."""

import datetime
import json
import os
import time
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from livequiz.local.runtime import LocalRuntime, RuntimeConfig, RuntimeThread
from tests.local.local_harness import WAIT_S, Recorder

connect_handler = Recorder()
disconnect_handler = Recorder()
message_handler = Recorder(lambda event: None)


def post_to_self(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Post back to the sender through the URL the runtime put in the environment."""
    client = management_client(os.environ["LIVEQUIZ_MANAGEMENT_URL"])
    connection_id = event["requestContext"]["connectionId"]
    client.post_to_connection(ConnectionId=connection_id, Data=b"posted by a handler")
    return {"statusCode": 200, "body": "route response"}


def management_client(endpoint_url: str) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


@pytest.fixture(scope="module")
def runtime() -> Iterator[RuntimeThread]:
    config = RuntimeConfig.on_free_ports(
        routes={
            "$connect": connect_handler,
            "$disconnect": disconnect_handler,
            "$default": message_handler,
            "post": post_to_self,
        },
        mappings={},
        rest_app=None,
    )
    with LocalRuntime(config).start_in_thread() as running:
        yield running


@pytest.fixture
def client(runtime: RuntimeThread) -> Any:
    return management_client(runtime.management_url)


def open_connection(runtime: RuntimeThread) -> tuple[ClientConnection, str]:
    """Connect a WebSocket client and return it with its connection id."""
    seen = len(connect_handler.events)
    websocket = connect(runtime.ws_url, proxy=None, user_agent_header="livequiz-test/1.0")
    events = connect_handler.wait_for(seen + 1)
    return websocket, events[seen]["requestContext"]["connectionId"]


def test_post_to_connection_sends_frame(runtime: RuntimeThread, client: Any) -> None:
    websocket, connection_id = open_connection(runtime)
    with websocket:
        response = client.post_to_connection(ConnectionId=connection_id, Data=b'{"type":"ok"}')

        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert websocket.recv(timeout=WAIT_S) == '{"type":"ok"}'


def test_post_to_unknown_connection_is_gone(client: Any) -> None:
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"hello")


def test_post_over_128_kb_is_too_large(runtime: RuntimeThread, client: Any) -> None:
    websocket, connection_id = open_connection(runtime)
    with websocket:
        client.post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * 1024))
        assert len(websocket.recv(timeout=WAIT_S)) == 128 * 1024

        with pytest.raises(client.exceptions.PayloadTooLargeException):
            client.post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * 1024 + 1))


def test_get_connection_describes_it(runtime: RuntimeThread, client: Any) -> None:
    websocket, connection_id = open_connection(runtime)
    with websocket:
        before = client.get_connection(ConnectionId=connection_id)
        seen = len(message_handler.events)
        time.sleep(0.01)
        websocket.send("activity")
        message_handler.wait_for(seen + 1)
        after = client.get_connection(ConnectionId=connection_id)

    now = datetime.datetime.now(datetime.UTC)
    assert abs((now - before["ConnectedAt"]).total_seconds()) < 60
    assert before["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "livequiz-test/1.0"}
    assert before["LastActiveAt"] >= before["ConnectedAt"]
    assert after["LastActiveAt"] > before["LastActiveAt"]
    assert after["ConnectedAt"] == before["ConnectedAt"]


def test_delete_connection_closes_and_disconnects(runtime: RuntimeThread, client: Any) -> None:
    websocket, connection_id = open_connection(runtime)
    with websocket:
        response = client.delete_connection(ConnectionId=connection_id)
        with pytest.raises(ConnectionClosed) as closed:
            websocket.recv(timeout=WAIT_S)

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1000
    disconnect = disconnect_handler.wait_for_connection(connection_id)
    assert disconnect["requestContext"]["disconnectStatusCode"] == 1000
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId=connection_id, Data=b"too late")
    with pytest.raises(client.exceptions.GoneException):
        client.delete_connection(ConnectionId=connection_id)


def test_wrong_stage_is_forbidden(runtime: RuntimeThread) -> None:
    other_stage = management_client(runtime.management_url.replace("/local", "/prod"))

    with pytest.raises(other_stage.exceptions.ForbiddenException):
        other_stage.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"hello")


def test_gone_response_has_aws_error_shape(runtime: RuntimeThread) -> None:
    response = httpx.post(f"{runtime.management_url}/@connections/AAAAAAAAAAAAAAA=", content=b"x")

    assert response.status_code == 410
    assert response.headers["x-amzn-ErrorType"] == "GoneException"
    assert response.json() == {"message": None, "__type": "GoneException"}


def test_handler_posts_through_management_url(runtime: RuntimeThread) -> None:
    websocket, _ = open_connection(runtime)
    with websocket:
        websocket.send(json.dumps({"action": "post"}))
        frames = [websocket.recv(timeout=WAIT_S), websocket.recv(timeout=WAIT_S)]

    assert frames == ["posted by a handler", "route response"]
