"""Fixtures of the REST API tests: a scratch MySQL database and a test client over it."""

import asyncio
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from functions.auth import deps
from functions.auth.app import app
from livequiz.config import Settings
from livequiz.store import GameStore
from tests.scratch_db import scratch_database

# Mangum(app) creates an event loop and sets it as the main thread's loop when
# functions.auth.app is imported. Another test's asyncio.run() later unsets it, and it would
# then be garbage-collected open, which pytest reports as an unraisable ResourceWarning. This
# reference keeps it alive until close_import_loop closes it.
IMPORT_LOOP = asyncio.get_event_loop_policy().get_event_loop()


@pytest.fixture(scope="session", autouse=True)
def close_import_loop() -> Iterator[None]:
    yield
    if not IMPORT_LOOP.is_running():
        IMPORT_LOOP.close()


@pytest.fixture
def event_loop_for_mangum() -> Iterator[None]:
    """Give the main thread a fresh event loop, as a Lambda runtime has, and close it after.

    Playwright's sync API, once the browser tests have started it, leaves its own loop marked
    as running in the main thread. asyncio.get_event_loop() would return that loop to Mangum,
    whose run_until_complete then raises, so the mark is lifted for the test and put back.
    """
    running = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield
    finally:
        asyncio.set_event_loop(None)
        loop.close()
        asyncio.events._set_running_loop(running)


@pytest.fixture(scope="session")
def api_settings(settings: Settings) -> Iterator[Settings]:
    with scratch_database(settings.mysql_url, "auth") as url:
        # Live games of these tests expire from Redis by themselves within ten minutes.
        yield settings.model_copy(update={"mysql_url": url, "game_ttl_s": 600})


@pytest.fixture
def client(api_settings: Settings) -> Iterator[TestClient]:
    app.dependency_overrides[deps.settings] = lambda: api_settings
    try:
        with TestClient(app) as test_client:
            yield test_client
    finally:
        app.dependency_overrides.pop(deps.settings, None)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def register(client: TestClient) -> Callable[..., dict[str, Any]]:
    """Register a new user with a unique address; return the token response with the address."""

    def create(display_name: str = "Quiz Host", password: str = "correct horse") -> dict[str, Any]:
        email = f"host-{uuid.uuid4().hex[:12]}@example.com"
        response = client.post(
            "/auth/register",
            json={"email": email, "password": password, "display_name": display_name},
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        body["email"] = email
        body["headers"] = bearer(body["access_token"])
        return body

    return create


def small_quiz(question_count: int = 3) -> dict[str, Any]:
    return {
        "title": "Colours",
        "description": "Which colour is it?",
        "questions": [
            {
                "text": f"Question {index}: which colour is the sky on a clear day?",
                "choices": ["Green", "Blue", "Red"],
                "correct": 1,
                "time_limit": 10 + index,
            }
            for index in range(question_count)
        ],
    }


@pytest.fixture
def make_quiz(client: TestClient) -> Callable[..., dict[str, Any]]:
    def create(headers: dict[str, str], question_count: int = 3) -> dict[str, Any]:
        response = client.post("/quizzes", json=small_quiz(question_count), headers=headers)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    return create


@pytest.fixture
def store(api_settings: Settings) -> GameStore:
    return deps.game_store(api_settings)


@pytest.fixture
def game(
    client: TestClient, register: Callable[..., Any], make_quiz: Callable[..., Any]
) -> dict[str, Any]:
    """A game of a new host over a quiz of three questions, with ``host`` added."""
    host = register()
    quiz = make_quiz(host["headers"], question_count=3)
    response = client.post("/games", json={"quiz_id": quiz["id"]}, headers=host["headers"])
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    created["host"] = host
    return created
