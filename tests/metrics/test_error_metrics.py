import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from functions.answer import deadline as deadline_function
from functions.answer import handler as answer_function
from functions.auth import deps
from functions.auth.app import app
from functions.auth.app import handler as auth_handler
from functions.broadcast import handler as broadcast_function
from functions.connect import handler as connect_function
from functions.persist import handler as persist_function
from livequiz import metrics
from livequiz.config import Settings
from tests.metrics.samples import emf_documents, sample
from tests.support import context

EVENTS = Path(__file__).resolve().parents[1] / "events"
# An aws:rmq event whose one message is no JSON object, so decoding it raises AttributeError.
BROKEN_RMQ_EVENT = {"eventSource": "aws:rmq", "rmqMessagesByQueue": {"livequiz.x::/": [None]}}
# A WebSocket event without requestContext, so reading the connection id raises KeyError.
BROKEN_WS_EVENT: dict[str, Any] = {"body": "{}"}


def errors() -> dict[str, float]:
    return {
        function: sample("function_errors_total", {"function": function})
        for function in sorted(metrics.FUNCTIONS)
    }


def assert_one_more(before: dict[str, float], function: str) -> None:
    after = errors()
    for other in before:
        expected = before[other] + 1 if other == function else before[other]
        assert after[other] == expected, (function, other)


HANDLERS: list[tuple[str, Callable[..., Any], dict[str, Any], type[Exception]]] = [
    ("connect", connect_function.connect, BROKEN_WS_EVENT, KeyError),
    ("connect", connect_function.disconnect, BROKEN_WS_EVENT, KeyError),
    ("answer", answer_function.handler, BROKEN_WS_EVENT, KeyError),
    ("deadline", deadline_function.handler, BROKEN_RMQ_EVENT, AttributeError),
    ("broadcast", broadcast_function.handler, BROKEN_RMQ_EVENT, AttributeError),
    ("persist", persist_function.handler, BROKEN_RMQ_EVENT, AttributeError),
]


@pytest.mark.usefixtures("off_lambda")
@pytest.mark.parametrize(("function", "handler", "event", "error"), HANDLERS)
def test_escaping_error_counted(
    function: str, handler: Callable[..., Any], event: dict[str, Any], error: type[Exception]
) -> None:
    before = errors()
    with pytest.raises(error):
        handler(event, context(function))
    assert_one_more(before, function)


@pytest.fixture
def failing_settings(event_loop_for_mangum: None) -> Iterator[None]:
    """Make every auth route that reads the settings raise, as a bug in the app would."""

    def fail() -> Settings:
        raise RuntimeError("settings failed in a test")

    app.dependency_overrides[deps.settings] = fail
    try:
        yield
    finally:
        app.dependency_overrides.pop(deps.settings, None)


@pytest.mark.usefixtures("off_lambda", "failing_settings")
def test_auth_server_error_counted() -> None:
    event = json.loads((EVENTS / "http-api-v2-register.json").read_text())
    before = errors()
    response = auth_handler(event, context("auth"))
    assert response["statusCode"] == 500
    assert_one_more(before, "auth")


@pytest.mark.usefixtures("off_lambda")
def test_handled_errors_not_counted(make_game) -> None:
    before = errors()
    _, response = make_game().connect(None)
    assert response["statusCode"] == 401
    assert errors() == before


@pytest.mark.usefixtures("on_lambda")
def test_error_emf_flushed(capsys) -> None:
    capsys.readouterr()
    with pytest.raises(KeyError):
        connect_function.connect(BROKEN_WS_EVENT, context("connect"))
    (document,) = emf_documents(capsys.readouterr().out)
    assert document["function"] == "connect"
    assert document["function_errors_total"] == [1.0]


def test_unknown_function_name_raises() -> None:
    with pytest.raises(ValueError, match="invalid value 'mailer' of label 'function'"):
        metrics.count_errors("mailer")
