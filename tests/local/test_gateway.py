"""The WebSocket gateway against real sockets, with recording handlers in place of Lambdas."""

import itertools
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from livequiz.local.gateway import GatewayLimits
from tests.local.local_harness import WAIT_S, Recorder, RunningGateway, scaled

StartGateway = Callable[..., RunningGateway]
SAMPLES = Path(__file__).parent.parent / "events"


def open_client(url: str, **options: Any) -> ClientConnection:
    options.setdefault("user_agent_header", "livequiz-test/1.0")
    return connect(url, proxy=None, open_timeout=WAIT_S, **options)


def reply_with_route_key(event: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200, "body": event["requestContext"]["routeKey"]}


def close_code(client: ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        client.recv(timeout=WAIT_S)
    assert closed.value.rcvd is not None, "the server sent no close frame"
    return closed.value.rcvd.code


def load_sample(name: str) -> dict[str, Any]:
    sample: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    return sample


def test_connect_event_has_aws_shape(start_gateway: StartGateway) -> None:
    connect_handler = Recorder()
    running = start_gateway({"$connect": connect_handler})

    with open_client(running.url + "?token=abc&game=1&game=2"):
        (event,) = connect_handler.wait_for(1)

    sample = load_sample("ws-connect.json")
    assert set(event) == set(sample)
    assert set(event["requestContext"]) == set(sample["requestContext"])
    context = event["requestContext"]
    assert context["routeKey"] == "$connect"
    assert context["eventType"] == "CONNECT"
    assert context["messageDirection"] == "IN"
    assert context["stage"] == "local"
    assert context["requestId"] == context["extendedRequestId"]
    assert context["identity"] == {"sourceIp": "127.0.0.1", "userAgent": "livequiz-test/1.0"}
    assert abs(context["requestTimeEpoch"] - time.time() * 1000) < 60_000
    assert context["requestTime"].endswith(" +0000")
    assert event["queryStringParameters"] == {"token": "abc", "game": "2"}
    assert event["multiValueQueryStringParameters"] == {"token": ["abc"], "game": ["1", "2"]}
    assert event["headers"]["Sec-WebSocket-Version"] == "13"
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert "Upgrade" not in event["headers"]
    assert event["multiValueHeaders"]["Host"] == [event["headers"]["Host"]]
    assert event["isBase64Encoded"] is False


def test_connect_without_query_string_omits_keys(start_gateway: StartGateway) -> None:
    connect_handler = Recorder()
    running = start_gateway({"$connect": connect_handler})

    with open_client(running.url):
        (event,) = connect_handler.wait_for(1)

    assert "queryStringParameters" not in event
    assert "multiValueQueryStringParameters" not in event


def test_connection_ids_look_like_aws(start_gateway: StartGateway) -> None:
    connect_handler = Recorder()
    running = start_gateway({"$connect": connect_handler})

    for _ in range(5):
        with open_client(running.url):
            pass
    ids = [event["requestContext"]["connectionId"] for event in connect_handler.wait_for(5)]

    assert len(set(ids)) == 5
    for connection_id in ids:
        assert len(connection_id) == 16
        assert connection_id.endswith("=")
        assert "/" not in connection_id


def test_connect_status_rejects_handshake(start_gateway: StartGateway) -> None:
    disconnect_handler = Recorder()
    running = start_gateway(
        {
            "$connect": Recorder(lambda event: {"statusCode": 401, "body": "invalid token"}),
            "$disconnect": disconnect_handler,
        }
    )

    with pytest.raises(InvalidStatus) as rejected:
        open_client(running.url + "?token=bad")

    assert rejected.value.response.status_code == 401
    assert rejected.value.response.body == b"invalid token"
    assert len(running.registry) == 0
    assert disconnect_handler.events == []


def test_connect_handler_error_gives_502(start_gateway: StartGateway) -> None:
    def fail(event: dict[str, Any], context: Any) -> None:
        raise RuntimeError("connect broke")

    running = start_gateway({"$connect": fail})

    with pytest.raises(InvalidStatus) as rejected:
        open_client(running.url)

    assert rejected.value.response.status_code == 502


def test_wrong_stage_path_gives_403(start_gateway: StartGateway) -> None:
    running = start_gateway({})

    with pytest.raises(InvalidStatus) as rejected:
        open_client(running.url.replace("/local", "/prod"))

    assert rejected.value.response.status_code == 403


@pytest.mark.parametrize(
    ("body", "expected_route"),
    [
        ('{"action": "answer", "choice": 1}', "answer"),
        ('{"action": "unknown"}', "$default"),
        ('{"action": 7}', "$default"),
        ('{"action": "$connect"}', "$default"),
        ('{"choice": 1}', "$default"),
        ('["answer"]', "$default"),
        ("not json at all", "$default"),
    ],
)
def test_route_selection_by_action(
    start_gateway: StartGateway, body: str, expected_route: str
) -> None:
    running = start_gateway(
        {"answer": Recorder(reply_with_route_key), "$default": Recorder(reply_with_route_key)}
    )

    with open_client(running.url) as client:
        client.send(body)
        assert client.recv(timeout=WAIT_S) == expected_route


def test_message_event_has_aws_shape(start_gateway: StartGateway) -> None:
    connect_handler = Recorder()
    message_handler = Recorder()
    running = start_gateway({"$connect": connect_handler, "answer": message_handler})

    with open_client(running.url) as client:
        client.send('{"action": "answer"}')
        (event,) = message_handler.wait_for(1)
    (connect_event,) = connect_handler.wait_for(1)

    sample = load_sample("ws-message.json")
    assert set(event) == set(sample)
    assert set(event["requestContext"]) == set(sample["requestContext"])
    context = event["requestContext"]
    assert context["eventType"] == "MESSAGE"
    assert context["routeKey"] == "answer"
    assert context["connectionId"] == connect_event["requestContext"]["connectionId"]
    assert context["connectedAt"] == connect_event["requestContext"]["connectedAt"]
    assert len(context["messageId"]) == 16
    assert event["body"] == '{"action": "answer"}'
    assert event["isBase64Encoded"] is False
    assert message_handler.contexts[0].function_name == "answer"
    assert 0 < message_handler.contexts[0].get_remaining_time_in_millis() <= 30_000


def test_unmatched_message_without_default_is_forbidden(start_gateway: StartGateway) -> None:
    running = start_gateway({"answer": Recorder(reply_with_route_key)})

    with open_client(running.url) as client:
        client.send('{"action": "other"}')
        frame = json.loads(client.recv(timeout=WAIT_S))

    assert frame["message"] == "Forbidden"
    assert len(frame["connectionId"]) == 16
    assert len(frame["requestId"]) == 16


def test_handler_error_sends_internal_server_error(
    start_gateway: StartGateway, caplog: pytest.LogCaptureFixture
) -> None:
    def fail_once(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if event["body"] == "fail":
            raise RuntimeError("handler broke")
        return {"statusCode": 200, "body": "still open"}

    running = start_gateway({"$default": fail_once})

    with open_client(running.url) as client:
        client.send("fail")
        frame = json.loads(client.recv(timeout=WAIT_S))
        client.send("again")
        assert client.recv(timeout=WAIT_S) == "still open"

    assert frame["message"] == "Internal server error"
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert frame["connectionId"] in warnings[0].getMessage()
    assert frame["requestId"] in warnings[0].getMessage()


def test_handler_without_body_sends_no_frame(start_gateway: StartGateway) -> None:
    def reply_unless_quiet(event: dict[str, Any]) -> dict[str, Any] | None:
        return None if event["body"] == "quiet" else {"statusCode": 200, "body": "loud"}

    running = start_gateway({"$default": Recorder(reply_unless_quiet)})

    with open_client(running.url) as client:
        client.send("quiet")
        client.send("loud")
        assert client.recv(timeout=WAIT_S) == "loud"


def test_base64_response_is_sent_as_binary(start_gateway: StartGateway) -> None:
    running = start_gateway(
        {"$default": Recorder(lambda event: {"body": "AAEC", "isBase64Encoded": True})}
    )

    with open_client(running.url) as client:
        client.send("binary please")
        assert client.recv(timeout=WAIT_S) == b"\x00\x01\x02"


def test_non_string_body_is_internal_error(start_gateway: StartGateway) -> None:
    running = start_gateway({"$default": Recorder(lambda event: {"body": {"type": "ok"}})})

    with open_client(running.url) as client:
        client.send("hello")
        frame = json.loads(client.recv(timeout=WAIT_S))

    assert frame["message"] == "Internal server error"


def test_handler_timeout_sends_timed_out(start_gateway: StartGateway) -> None:
    def sleep_unless_fast(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if event["body"] == "slow":
            time.sleep(scaled(0.5))
        return {"body": event["body"]}

    running = start_gateway(
        {"$default": sleep_unless_fast}, GatewayLimits(integration_timeout_s=scaled(0.1))
    )

    with open_client(running.url) as client:
        client.send("slow")
        frame = json.loads(client.recv(timeout=WAIT_S))
        client.send("fast")
        assert client.recv(timeout=WAIT_S) == "fast"

    assert frame["message"] == "Endpoint request timed out"


def test_messages_of_one_connection_run_in_order(start_gateway: StartGateway) -> None:
    spans: list[tuple[str, float, float]] = []

    def slow_echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.monotonic()
        # The first messages take longest, so running them in parallel would reorder replies.
        time.sleep(0.05 - 0.01 * int(event["body"]))
        spans.append((event["body"], started, time.monotonic()))
        return {"body": event["body"]}

    running = start_gateway({"$default": slow_echo})

    with open_client(running.url) as client:
        for number in range(5):
            client.send(str(number))
        replies = [client.recv(timeout=WAIT_S) for _ in range(5)]

    assert replies == ["0", "1", "2", "3", "4"]
    assert [body for body, _, _ in spans] == replies
    for (_, _, previous_end), (_, next_start, _) in itertools.pairwise(spans):
        assert next_start >= previous_end


def test_connections_run_concurrently(start_gateway: StartGateway) -> None:
    # Both handlers must be inside the barrier at once, which fails if connections take turns.
    barrier = threading.Barrier(2, timeout=WAIT_S)

    def meet(event: dict[str, Any], context: Any) -> dict[str, Any]:
        barrier.wait()
        return {"body": "met"}

    running = start_gateway({"$default": meet})

    with open_client(running.url) as first, open_client(running.url) as second:
        first.send("hello")
        second.send("hello")
        assert first.recv(timeout=WAIT_S) == "met"
        assert second.recv(timeout=WAIT_S) == "met"


def test_message_up_to_128_kb_in_frames_arrives(start_gateway: StartGateway) -> None:
    running = start_gateway({"$default": Recorder(lambda event: {"body": str(len(event["body"]))})})
    chunk = "x" * (16 * 1024)

    with open_client(running.url) as client:
        client.send([chunk] * 8)
        assert client.recv(timeout=WAIT_S) == str(128 * 1024)


def test_message_over_128_kb_closes_with_1009(start_gateway: StartGateway) -> None:
    message_handler = Recorder()
    running = start_gateway({"$default": message_handler})

    with open_client(running.url) as client:
        client.send(["x" * (16 * 1024)] * 8 + ["x"])
        assert close_code(client) == 1009

    assert message_handler.events == []


def test_frame_over_32_kb_closes_with_1009(start_gateway: StartGateway) -> None:
    running = start_gateway({"$default": Recorder()})

    with open_client(running.url) as client:
        client.send("x" * (32 * 1024 + 1))
        assert close_code(client) == 1009


def test_binary_frame_closes_with_1003(start_gateway: StartGateway) -> None:
    disconnect_handler = Recorder()
    running = start_gateway({"$default": Recorder(), "$disconnect": disconnect_handler})

    with open_client(running.url) as client:
        client.send(b"\x00\x01")
        assert close_code(client) == 1003

    (event,) = disconnect_handler.wait_for(1)
    assert event["requestContext"]["disconnectStatusCode"] == 1003


def test_disconnect_event_reports_client_close(start_gateway: StartGateway) -> None:
    connect_handler = Recorder()
    disconnect_handler = Recorder()
    running = start_gateway({"$connect": connect_handler, "$disconnect": disconnect_handler})

    client = open_client(running.url)
    client.close(code=4001, reason="leaving the game")
    (event,) = disconnect_handler.wait_for(1)

    sample = load_sample("ws-disconnect.json")
    assert set(event) == set(sample)
    assert set(event["requestContext"]) == set(sample["requestContext"])
    context = event["requestContext"]
    assert context["eventType"] == "DISCONNECT"
    assert context["routeKey"] == "$disconnect"
    assert context["disconnectStatusCode"] == 4001
    assert context["disconnectReason"] == "leaving the game"
    assert context["connectionId"] == connect_handler.events[0]["requestContext"]["connectionId"]
    assert event["headers"]["x-api-key"] == ""
    assert len(running.registry) == 0


def test_idle_connection_closes_with_1001(start_gateway: StartGateway) -> None:
    disconnect_handler = Recorder()
    running = start_gateway(
        {"$disconnect": disconnect_handler}, GatewayLimits(idle_timeout_s=scaled(0.3))
    )

    with open_client(running.url) as client:
        assert close_code(client) == 1001

    (event,) = disconnect_handler.wait_for(1)
    assert event["requestContext"]["disconnectStatusCode"] == 1001
    assert event["requestContext"]["disconnectReason"] == "Idle timeout"


def test_connection_closes_after_max_duration(start_gateway: StartGateway) -> None:
    disconnect_handler = Recorder()
    limits = GatewayLimits(max_connection_duration_s=scaled(0.3))
    running = start_gateway({"$disconnect": disconnect_handler, "$default": Recorder()}, limits)

    with open_client(running.url) as client:
        # Messages keep the connection from going idle, but not past its maximum duration.
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(100):
                client.send("still here")
                time.sleep(0.05)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1001

    (event,) = disconnect_handler.wait_for(1)
    assert event["requestContext"]["disconnectReason"] == "Maximum connection duration reached"


def test_stop_closes_connections_and_disconnects(
    start_gateway: StartGateway, loop_thread: Any
) -> None:
    disconnect_handler = Recorder()
    running = start_gateway({"$disconnect": disconnect_handler})

    with open_client(running.url) as client:
        loop_thread.run(running.gateway.stop())
        assert close_code(client) == 1001

    assert len(disconnect_handler.wait_for(1)) == 1


def test_tokens_stay_out_of_logs(
    start_gateway: StartGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    running = start_gateway(
        {"$connect": Recorder(lambda event: {"statusCode": 403}), "$default": Recorder()}
    )

    with pytest.raises(InvalidStatus):
        open_client(running.url + "?token=query-secret-1")
    running.gateway.routes.pop("$connect")
    with open_client(running.url + "?game=1&token=query-secret-2") as client:
        client.send('{"action": "join", "token": "body-secret-3"}')
        client.send('{"action": "ping"}')

    # The websockets client in this test logs what it sends. Only the server side must redact.
    server_lines = [
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith("websockets.client")
    ]
    assert any("token=***" in line for line in server_lines)
    assert not [line for line in server_lines if "secret" in line]
