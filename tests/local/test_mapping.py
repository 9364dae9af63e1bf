"""The RabbitMQ event-source mapping against the real RabbitMQ, on throwaway queues."""

import base64
import contextlib
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pika
import pytest

from livequiz.config import Settings
from livequiz.local.mapping import Backoff, EventSourceMapping, java_medium_datetime
from livequiz.local.routes import LambdaFunction
from tests.local.local_harness import WAIT_S, Recorder, scaled

# The basicProperties keys of AWS's sample aws:rmq event.
BASIC_PROPERTIES_KEYS = {
    "contentType",
    "contentEncoding",
    "headers",
    "deliveryMode",
    "priority",
    "correlationId",
    "replyTo",
    "expiration",
    "messageId",
    "timestamp",
    "type",
    "userId",
    "appId",
    "clusterId",
    "bodySize",
}

StartMapping = Callable[..., EventSourceMapping]


class TcpProxy:
    """A TCP proxy on 127.0.0.1 whose connections the test can cut, to simulate a lost broker."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
                server = socket.create_connection(self.upstream)
            except OSError:
                return
            with self._lock:
                self._sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut_connections(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self._listener.close()
        self.cut_connections()


@pytest.fixture
def channel(settings: Settings) -> Iterator[Any]:
    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    yield connection.channel()
    connection.close()


@pytest.fixture
def queue(channel: Any) -> Iterator[str]:
    name = f"livequiz.test.local.{uuid.uuid4().hex[:12]}"
    channel.queue_declare(name)
    yield name
    channel.queue_delete(name)


@pytest.fixture
def start_mapping(settings: Settings) -> Iterator[StartMapping]:
    started: list[EventSourceMapping] = []

    def start(handler: Any, queue: str, **options: Any) -> EventSourceMapping:
        options.setdefault("failure_backoff", Backoff(0.01, 0.05))
        options.setdefault("reconnect_backoff", Backoff(0.05, 0.2))
        mapping_settings = options.pop("settings", settings)
        function = LambdaFunction(name="test-consumer", handler=handler)
        mapping = EventSourceMapping(function, queue, mapping_settings, **options)
        mapping.start()
        started.append(mapping)
        return mapping

    yield start
    for mapping in started:
        mapping.stop()


def publish(channel: Any, queue: str, body: bytes, **properties: Any) -> None:
    channel.basic_publish("", queue, body, pika.BasicProperties(**properties))


def message_count(channel: Any, queue: str) -> int:
    count: int = channel.queue_declare(queue, passive=True).method.message_count
    return count


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the condition"
        time.sleep(0.01)


def messages_of(event: dict[str, Any]) -> list[dict[str, Any]]:
    (messages,) = event["rmqMessagesByQueue"].values()
    result: list[dict[str, Any]] = messages
    return result


def test_java_medium_datetime_matches_aws_sample() -> None:
    assert java_medium_datetime(2021) == "Jan 1, 1970, 12:33:41 AM"
    assert java_medium_datetime(1_796_396_531) == "Dec 4, 2026, 3:02:11 PM"


def test_batch_event_has_aws_rmq_shape(
    start_mapping: StartMapping, channel: Any, queue: str, settings: Settings
) -> None:
    for number in range(3):
        publish(
            channel,
            queue,
            json.dumps({"n": number}).encode(),
            content_type="application/json",
            headers={"kind": "answer", "retries": 10},
            message_id=f"message-{number}",
            timestamp=2021,
            delivery_mode=2,
        )
    handler = Recorder(lambda event: None)
    mapping = start_mapping(handler, queue, batching_window_s=scaled(0.3))

    (event,) = handler.wait_for(1)
    mapping.stop()

    assert event["eventSource"] == "aws:rmq"
    assert event["eventSourceArn"] == (
        f"arn:aws:mq:{settings.aws_region}:000000000000:broker:local:b-local"
    )
    assert list(event["rmqMessagesByQueue"]) == [f"{queue}::/"]
    messages = messages_of(event)
    assert [json.loads(base64.b64decode(item["data"])) for item in messages] == [
        {"n": 0},
        {"n": 1},
        {"n": 2},
    ]
    first = messages[0]
    assert set(first["basicProperties"]) == BASIC_PROPERTIES_KEYS
    assert first["redelivered"] is False
    assert first["basicProperties"]["messageId"] == "message-0"
    assert first["basicProperties"]["contentType"] == "application/json"
    assert first["basicProperties"]["deliveryMode"] == 2
    assert first["basicProperties"]["timestamp"] == "Jan 1, 1970, 12:33:41 AM"
    assert first["basicProperties"]["headers"] == {
        "kind": {"bytes": list(b"answer")},
        "retries": 10,
    }
    assert first["basicProperties"]["bodySize"] == len(b'{"n": 0}')
    assert first["basicProperties"]["correlationId"] is None
    assert json.loads(json.dumps(event)) == event
    assert message_count(channel, queue) == 0


def test_batch_size_splits_batches(start_mapping: StartMapping, channel: Any, queue: str) -> None:
    for number in range(5):
        publish(channel, queue, str(number).encode())
    handler = Recorder(lambda event: None)

    start_mapping(handler, queue, batch_size=2, batching_window_s=scaled(0.3))
    events = handler.wait_for(3)

    assert [len(messages_of(event)) for event in events] == [2, 2, 1]


def test_batching_window_ends_partial_batch(
    start_mapping: StartMapping, channel: Any, queue: str
) -> None:
    handler = Recorder(lambda event: None)
    mapping = start_mapping(handler, queue, batching_window_s=0.2)
    wait_until(mapping.consuming.is_set)

    published = time.monotonic()
    publish(channel, queue, b"alone")
    (event,) = handler.wait_for(1)
    elapsed = time.monotonic() - published

    assert len(messages_of(event)) == 1
    assert elapsed >= 0.15
    assert elapsed < scaled(2.0)


def test_handler_error_requeues_batch(
    start_mapping: StartMapping, channel: Any, queue: str, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[dict[str, Any]] = []

    def fail_first_call(event: dict[str, Any], context: Any) -> None:
        calls.append(event)
        if len(calls) == 1:
            raise RuntimeError("persist failed")

    publish(channel, queue, b"retry me", message_id="message-retry")
    mapping = start_mapping(fail_first_call, queue, batching_window_s=0.05)

    wait_until(lambda: len(calls) >= 2)
    mapping.stop()

    assert messages_of(calls[0])[0]["redelivered"] is False
    assert messages_of(calls[1])[0]["redelivered"] is True
    assert message_count(channel, queue) == 0
    warnings = [
        record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING
    ]
    assert len(warnings) == 1
    assert queue in warnings[0]
    assert "message-retry" in warnings[0]


def test_topology_function_runs_before_consuming(
    start_mapping: StartMapping, channel: Any, settings: Settings
) -> None:
    queue = f"livequiz.test.local.{uuid.uuid4().hex[:12]}"
    calls: list[Settings] = []

    def declare_topology(mapping_channel: Any, topology_settings: Settings) -> None:
        calls.append(topology_settings)
        mapping_channel.queue_declare(queue)

    handler = Recorder(lambda event: None)
    try:
        mapping = start_mapping(handler, queue, declare_topology=declare_topology)
        wait_until(mapping.consuming.is_set)
        publish(channel, queue, b"declared by the topology")
        handler.wait_for(1)
    finally:
        channel.queue_delete(queue)

    assert calls == [settings]


def test_unreachable_broker_is_retried(
    start_mapping: StartMapping, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as reserved:
        closed_port = reserved.getsockname()[1]
    unreachable = Settings(rabbitmq_url=f"amqp://guest:guest@127.0.0.1:{closed_port}/%2F")

    mapping = start_mapping(Recorder(), "unused", settings=unreachable)

    def retries() -> list[str]:
        return [
            record.getMessage() for record in caplog.records if "Retrying" in record.getMessage()
        ]

    wait_until(lambda: len(retries()) >= 2)
    started_stop = time.monotonic()
    mapping.stop()

    assert time.monotonic() - started_stop < scaled(2.0)
    assert "attempt 2" in retries()[1]
    assert "guest:***@" in retries()[0]
    assert "guest:guest" not in caplog.text
    assert not mapping.consuming.is_set()


def test_reconnects_after_connection_loss(
    start_mapping: StartMapping, channel: Any, queue: str, settings: Settings
) -> None:
    parameters = pika.URLParameters(settings.rabbitmq_url)
    proxy = TcpProxy((parameters.host, parameters.port))
    proxied = Settings(rabbitmq_url=f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F")
    handler = Recorder(lambda event: None)
    try:
        mapping = start_mapping(handler, queue, settings=proxied, batching_window_s=0.05)
        wait_until(mapping.consuming.is_set)
        publish(channel, queue, b"before")
        wait_until(lambda: mapping.acked_batches == 1)

        proxy.cut_connections()
        wait_until(lambda: not mapping.consuming.is_set())
        wait_until(mapping.consuming.is_set)
        publish(channel, queue, b"after")

        def bodies() -> list[bytes]:
            return [base64.b64decode(messages_of(event)[0]["data"]) for event in handler.events]

        wait_until(lambda: b"after" in bodies())
        mapping.stop()
    finally:
        proxy.close()

    # The cut can beat the first ack to the broker, which then delivers "before" again:
    # at-least-once delivery allows that, marked as a redelivery. Nothing else may repeat.
    received = bodies()
    assert received[0] == b"before"
    assert received[-1] == b"after"
    repeats = handler.events[1:-1]
    assert [base64.b64decode(messages_of(event)[0]["data"]) for event in repeats] in (
        [],
        [b"before"],
    )
    for event in repeats:
        assert messages_of(event)[0]["redelivered"] is True
    assert message_count(channel, queue) == 0
