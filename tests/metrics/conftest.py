"""Fixtures of the handler and persist tests, and the switch between Lambda and local runs."""

import pytest

from tests.auth.conftest import close_import_loop, event_loop_for_mangum
from tests.handlers.conftest import clock, make_game
from tests.persist.conftest import (
    dead_letters,
    engine,
    own_publisher,
    persist_settings,
    run,
    seeded_game,
)

__all__ = [
    "clock",
    "close_import_loop",
    "dead_letters",
    "engine",
    "event_loop_for_mangum",
    "make_game",
    "own_publisher",
    "persist_settings",
    "run",
    "seeded_game",
]


@pytest.fixture
def off_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)


@pytest.fixture
def on_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "livequiz-answer")
    # As template.yaml sets it for every function; Powertools adds it as a dimension.
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "livequiz")
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE", raising=False)
    monkeypatch.delenv("POWERTOOLS_DEV", raising=False)
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
