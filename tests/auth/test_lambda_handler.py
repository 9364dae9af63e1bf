import base64
import io
import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mangum.types import LambdaCognitoIdentity, LambdaMobileClientContext

from functions.auth import app as app_module
from functions.auth import deps
from functions.auth.app import app, handler
from livequiz import metrics
from livequiz.config import Settings

EVENTS = Path(__file__).resolve().parents[1] / "events"


class LambdaContext:
    """The attributes of the Lambda context object that Mangum's type declares."""

    function_name = "auth"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:auth"
    memory_limit_in_mb = 512
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    log_group_name = "/aws/lambda/auth"
    log_stream_name = "2026/12/04/[$LATEST]0123456789abcdef"
    identity: LambdaCognitoIdentity | None = None
    client_context: LambdaMobileClientContext | None = None

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


@pytest.fixture
def overridden(api_settings: Settings, event_loop_for_mangum: None) -> Iterator[None]:
    app.dependency_overrides[deps.settings] = lambda: api_settings
    try:
        yield
    finally:
        app.dependency_overrides.pop(deps.settings, None)


def test_handler_answers_http_api_event(overridden: None) -> None:
    response = handler(load_event("http-api-v2-healthz.json"), LambdaContext())
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok"}
    assert response["headers"]["content-type"] == "application/json"


def test_handler_decodes_base64_body(overridden: None) -> None:
    event = load_event("http-api-v2-register.json")
    body = json.loads(base64.b64decode(event["body"]))
    body["email"] = f"lambda-{uuid.uuid4().hex[:12]}@example.com"
    event["body"] = base64.b64encode(json.dumps(body).encode()).decode()
    event["headers"]["content-length"] = str(len(json.dumps(body)))
    response = handler(event, LambdaContext())
    assert response["statusCode"] == 201
    assert json.loads(response["body"])["token_type"] == "bearer"


def test_handler_error_envelope(overridden: None) -> None:
    event = load_event("http-api-v2-register.json")
    event["body"] = base64.b64encode(b'{"email": "x"}').decode()
    event["headers"]["content-length"] = "14"
    response = handler(event, LambdaContext())
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["code"] == "invalid_input"


@pytest.fixture
def mysql_down(api_settings: Settings, event_loop_for_mangum: None) -> Iterator[None]:
    """Point the app at a MySQL URL whose port refuses connections."""
    down = api_settings.model_copy(update={"mysql_url": "mysql+pymysql://root:@127.0.0.1:1/x"})
    app.dependency_overrides[deps.settings] = lambda: down
    try:
        yield
    finally:
        app.dependency_overrides.pop(deps.settings, None)


@pytest.fixture
def auth_log() -> Iterator[io.StringIO]:
    """Send the auth function's log records to a buffer instead of standard output."""
    stream = io.StringIO()
    log_handler = app_module.logger.registered_handler
    assert isinstance(log_handler, logging.StreamHandler)
    previous = log_handler.setStream(stream)
    try:
        yield stream
    finally:
        log_handler.setStream(previous)


def register_event() -> dict[str, Any]:
    event = load_event("http-api-v2-register.json")
    body = json.loads(base64.b64decode(event["body"]))
    body["email"] = f"lambda-{uuid.uuid4().hex[:12]}@example.com"
    event["body"] = base64.b64encode(json.dumps(body).encode()).decode()
    event["headers"]["content-length"] = str(len(json.dumps(body)))
    return event


def test_handler_logs_json_with_request_id(mysql_down: None, auth_log: io.StringIO) -> None:
    response = handler(register_event(), LambdaContext())
    assert response["statusCode"] == 503
    records = [json.loads(line) for line in auth_log.getvalue().splitlines()]
    failures = [record for record in records if "backing service" in record["message"]]
    assert len(failures) == 1
    record = failures[0]
    assert record["level"] == "ERROR"
    assert record["service"] == "livequiz-auth"
    assert record["function_request_id"] == LambdaContext.aws_request_id
    assert record["function_name"] == LambdaContext.function_name
    assert isinstance(record["cold_start"], bool)


def test_service_outage_counted_as_error(mysql_down: None) -> None:
    labels = {"function": "auth"}
    before = metrics.REGISTRY.get_sample_value("livequiz_function_errors_total", labels)
    response = handler(register_event(), LambdaContext())
    assert response["statusCode"] == 503
    after = metrics.REGISTRY.get_sample_value("livequiz_function_errors_total", labels)
    assert before is not None
    assert after == before + 1
