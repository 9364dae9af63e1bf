"""The migrations custom resource against the real MySQL and a local CloudFormation stand-in.

An HTTP server on 127.0.0.1 takes the place of the presigned S3 ``ResponseURL`` and records
every PUT, so each test sees the exact body CloudFormation would get.
"""

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pika
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from livequiz import db, migrate
from livequiz.config import Settings, get_settings
from livequiz.events import queue_names
from tests.scratch_db import scratch_database
from tests.support import load_event

TABLES = {"users", "quizzes", "questions", "games", "game_players", "answers", "game_events"}
HEAD = "0003"


@dataclass
class RecordedPut:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class ResponseServer:
    url: str
    puts: list[RecordedPut] = field(default_factory=list)


@pytest.fixture(scope="module")
def response_server() -> Iterator[ResponseServer]:
    recorded = ResponseServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers["Content-Length"])
            body = json.loads(self.rfile.read(length))
            recorded.puts.append(RecordedPut(self.path, dict(self.headers.items()), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recorded.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield recorded
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def server(response_server: ResponseServer) -> ResponseServer:
    response_server.puts.clear()
    return response_server


@pytest.fixture(scope="module")
def database_url(settings: Settings) -> Iterator[str]:
    with scratch_database(settings.mysql_url, "custom_resource") as url:
        yield url


@pytest.fixture
def database(
    database_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Point the handler's settings at the scratch database, the way the template does."""
    local = settings.model_copy(update={"mysql_url": database_url})
    monkeypatch.setattr(migrate, "get_settings", lambda: local)
    yield database_url
    db.dispose(database_url)


class Context:
    """The part of the Lambda context that the handler reads."""

    def __init__(self, remaining_ms: int = 60_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def custom_resource_event(
    server: ResponseServer, request_type: str, **extra: Any
) -> dict[str, Any]:
    """The sample event CloudFormation sends, with its response URL on the local server."""
    event = load_event("cfn-custom-resource-create.json")
    request_id = str(uuid.uuid4())
    event.update(
        RequestType=request_type,
        ResponseURL=f"{server.url}/cloudformation-response/{request_id}?X-Amz-Signature=abc",
        RequestId=request_id,
        LogicalResourceId="DatabaseSchema",
        **extra,
    )
    return event


def table_names(url: str) -> set[str]:
    engine = db.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def handle(event: dict[str, Any], context: Context | None = None) -> None:
    # The handler reads only get_remaining_time_in_millis from the LambdaContext.
    migrate.lambda_handler(event, context or Context())  # type: ignore[arg-type]


def only_put(server: ResponseServer) -> RecordedPut:
    assert len(server.puts) == 1
    return server.puts[0]


def test_create_upgrades_to_head(server: ResponseServer, database: str) -> None:
    migrate.downgrade(database, "base")
    assert table_names(database) == set()
    event = custom_resource_event(server, "Create")
    handle(event)
    assert table_names(database) == TABLES
    put = only_put(server)
    assert put.path == event["ResponseURL"].removeprefix(server.url)
    assert put.body == {
        "Status": "SUCCESS",
        "Reason": f"the database schema is at revision {HEAD}; the broker's queues exist",
        "PhysicalResourceId": "livequiz-database-schema",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": "DatabaseSchema",
        "Data": {"Revision": HEAD},
    }


def test_create_declares_the_queues(server: ResponseServer, database: str) -> None:
    handle(custom_resource_event(server, "Create"))
    settings = get_settings()
    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    try:
        channel = connection.channel()
        for queue in queue_names(settings).values():
            # passive: fails unless the queue exists.
            channel.queue_declare(queue, passive=True)
    finally:
        connection.close()


def test_response_has_empty_content_type(server: ResponseServer, database: str) -> None:
    handle(custom_resource_event(server, "Create"))
    headers = {name.lower(): value for name, value in only_put(server).headers.items()}
    assert headers["content-type"] == ""


def test_rollback_leaves_a_newer_schema(server: ResponseServer, database: str) -> None:
    # As after a rollback to an older image: a newer image migrated the database to a
    # revision this code does not have.
    engine = db.create_engine(database)
    stamp = "UPDATE alembic_version SET version_num = :revision"
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(stamp), {"revision": "9999"})
        handle(custom_resource_event(server, "Update", PhysicalResourceId="schema-from-create"))
        body = only_put(server).body
        assert body["Status"] == "SUCCESS"
        assert body["Reason"] == (
            f"the database is at revision 9999, newer than this image's {HEAD}"
        )
        assert body["Data"] == {"Revision": "9999"}
        assert table_names(database) == TABLES
    finally:
        # The scratch database's teardown needs a revision it knows.
        with engine.begin() as connection:
            connection.execute(sa.text(stamp), {"revision": HEAD})
        engine.dispose()


def test_update_keeps_physical_id(server: ResponseServer, database: str) -> None:
    migrate.downgrade(database, "0001")
    event = custom_resource_event(server, "Update", PhysicalResourceId="schema-from-create")
    handle(event)
    assert table_names(database) == TABLES
    body = only_put(server).body
    assert body["Status"] == "SUCCESS"
    assert body["PhysicalResourceId"] == "schema-from-create"
    assert body["Data"] == {"Revision": HEAD}


def test_delete_keeps_tables(server: ResponseServer, database: str) -> None:
    event = custom_resource_event(server, "Delete", PhysicalResourceId="livequiz-database-schema")
    handle(event)
    assert table_names(database) == TABLES
    assert only_put(server).body == {
        "Status": "SUCCESS",
        "Reason": "nothing to do: deleting the stack keeps the tables and their data",
        "PhysicalResourceId": "livequiz-database-schema",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": "DatabaseSchema",
        "Data": {},
    }


def test_delete_needs_no_database(server: ResponseServer, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable() -> Settings:
        raise AssertionError("Delete must not read the settings")

    monkeypatch.setattr(migrate, "get_settings", unreachable)
    handle(custom_resource_event(server, "Delete", PhysicalResourceId="x"))
    assert only_put(server).body["Status"] == "SUCCESS"


def test_failed_upgrade_sends_failed(
    server: ResponseServer, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = f"livequiz_test_absent_{uuid.uuid4().hex[:8]}"
    url = make_url(settings.mysql_url).set(database=missing).render_as_string(hide_password=False)
    local = settings.model_copy(update={"mysql_url": url})
    monkeypatch.setattr(migrate, "get_settings", lambda: local)
    event = custom_resource_event(server, "Create")
    handle(event)
    body = only_put(server).body
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("OperationalError: ")
    assert f"Unknown database '{missing}'" in body["Reason"]
    assert body["PhysicalResourceId"] == "livequiz-database-schema"
    assert body["RequestId"] == event["RequestId"]
    assert body["Data"] == {}
    db.dispose(url)


def test_unknown_request_type(server: ResponseServer, database: str) -> None:
    handle(custom_resource_event(server, "Replace"))
    body = only_put(server).body
    assert body["Status"] == "FAILED"
    assert body["Reason"] == (
        "ValueError: unknown RequestType 'Replace': expected Create, Update or Delete"
    )


def test_long_reason_is_cut(server: ResponseServer, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(url: str | None = None, revision: str = "head") -> None:
        raise RuntimeError("x" * 10_000)

    monkeypatch.setattr(migrate, "upgrade", fail)
    handle(custom_resource_event(server, "Create"))
    put = only_put(server)
    assert put.body["Status"] == "FAILED"
    assert len(put.body["Reason"]) == migrate.MAX_REASON_CHARS
    assert int(put.headers["Content-Length"]) < 4096


def test_slow_upgrade_fails_before_timeout(server: ResponseServer, database: str) -> None:
    # A write lock on alembic_version holds the upgrade at its first query.
    engine = db.create_engine(database)
    connection = engine.connect()
    try:
        connection.execute(sa.text("LOCK TABLES alembic_version WRITE"))
        context = Context(remaining_ms=migrate.RESPONSE_MARGIN_MS + 1_000)
        started = time.monotonic()
        handle(custom_resource_event(server, "Update", PhysicalResourceId="x"), context)
        elapsed = time.monotonic() - started
    finally:
        connection.execute(sa.text("UNLOCK TABLES"))
        connection.close()
        engine.dispose()
    body = only_put(server).body
    assert body["Status"] == "FAILED"
    assert body["Reason"] == (
        "TimeoutError: the upgrade did not finish within 1.0 s, 10 s before the function's "
        "timeout: raise the function's timeout or run python -m livequiz.migrate by hand"
    )
    assert 1.0 <= elapsed < 5.0


def test_unreachable_response_url_raises(database: str) -> None:
    # Lambda retries an asynchronous invocation that raised, which sends the response again.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    event = custom_resource_event(ResponseServer(url=f"http://127.0.0.1:{closed_port}"), "Delete")
    with pytest.raises(OSError):
        handle(event)
