"""Fixtures of the browser tests: the local stack with its web app, Chromium and game helpers.

The stack runs in a thread on free ports, with the queue mappings in the same process, so
frames reach the pages as in ``make dev``. Chromium is Debian's ``/usr/bin/chromium`` driven by
Playwright, since ``playwright install`` cannot download a browser here. Each user of a test
(a player, a host) gets a browser context of their own, so storage and connections stay apart.
Screenshots go to ``out/web/<run>/``, a folder that the test run creates for itself.
"""

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from functions.broadcast import handler as broadcast_function
from livequiz.local.runtime import LocalRuntime, RuntimeConfig, RuntimeThread
from tests.conftest import RUN, scaled

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Every host name but localhost fails to resolve, and no proxy is used, so the browser
    # reaches nothing but this machine whatever a page links to.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
    "--no-proxy-server",
]
VIEWPORTS = {
    "phone": {"width": 360, "height": 740},
    "projector": {"width": 1920, "height": 1080},
}
# Playwright's wait for a page element or state, in milliseconds, for actions and for expect().
PAGE_TIMEOUT_MS = scaled(15) * 1000
expect.set_options(timeout=PAGE_TIMEOUT_MS)


@pytest.fixture(scope="module")
def web_runtime() -> Iterator[RuntimeThread]:
    """The whole local stack, web app included, for one test module.

    Module scope, because the stack's mappings consume this run's queues: a stack left running
    would take other modules' messages.
    """
    # The broadcast function keeps its fan-out, and with it the @connections URL, for the life
    # of the process. Each module's stack has a port of its own, so the cache is emptied.
    broadcast_function._fanout.cache_clear()
    with LocalRuntime(RuntimeConfig.on_free_ports()).start_in_thread() as running:
        assert running.web_url is not None
        assert running.rest_url is not None
        yield running
    broadcast_function._fanout.cache_clear()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing, and the browser tests need Debian's Chromium: "
            "install it with `apt-get install chromium`"
        )
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless Chromium. Playwright starts it with a fresh temporary user-data dir."""
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@dataclass
class User:
    """One person of a test: a browser context of their own and its page."""

    name: str
    context: BrowserContext
    page: Page
    # Uncaught exceptions of the page's scripts.
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def open_user(browser: Browser, web_runtime: RuntimeThread) -> Iterator[Callable[..., User]]:
    """Return a function that opens a new user's context on a viewport of ``VIEWPORTS``.

    At teardown the test fails if a page of any user threw an uncaught exception.
    """
    users: list[User] = []

    def open_(name: str, viewport: str = "phone") -> User:
        context = browser.new_context(
            viewport=VIEWPORTS[viewport], base_url=web_runtime.web_url, locale="en-GB"
        )
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        page = context.new_page()
        user = User(name, context, page)
        page.on("pageerror", lambda error: user.errors.append(str(error)))
        users.append(user)
        return user

    yield open_
    errors = {user.name: user.errors for user in users if user.errors}
    for user in users:
        user.context.close()
    assert not errors, f"uncaught script errors: {errors}"


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig: pytest.Config) -> Path:
    """``out/web/<time>-<run>/`` under the repository, created for this test run."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = pytestconfig.rootpath / "out" / "web" / f"{stamp}-{RUN}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def screenshot(screenshot_dir: Path) -> Callable[[Page, str], Path]:
    """Return a function that saves a full-page screenshot as ``<name>.png``."""

    def take(page: Page, name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@dataclass(frozen=True)
class HostedGame:
    """A game created through REST by a fresh host account."""

    game_id: str
    pin: str
    host_token: str
    access_token: str
    quiz_id: int


class RestClient:
    """The REST API calls the tests make as the host."""

    def __init__(self, rest_url: str) -> None:
        self.http = httpx.Client(base_url=rest_url, timeout=scaled(15))

    def close(self) -> None:
        self.http.close()

    def register_host(self) -> str:
        """Create a host account with a unique address and return its access token."""
        body = {
            "email": f"web-{uuid.uuid4().hex[:12]}@example.com",
            "password": "correct horse battery",
            "display_name": "Web test host",
        }
        response = self.http.post("/auth/register", json=body)
        assert response.status_code == 201, response.text
        token: str = response.json()["access_token"]
        return token

    def create_quiz(self, access_token: str, quiz: dict[str, Any]) -> int:
        response = self.http.post("/quizzes", json=quiz, headers=self.bearer(access_token))
        assert response.status_code == 201, response.text
        quiz_id: int = response.json()["id"]
        return quiz_id

    def host_game(self, quiz: dict[str, Any], **game: Any) -> HostedGame:
        """Register a host, save ``quiz`` and open a game of it; ``game`` goes to POST /games."""
        access_token = self.register_host()
        quiz_id = self.create_quiz(access_token, quiz)
        body = {"quiz_id": quiz_id, **game}
        response = self.http.post("/games", json=body, headers=self.bearer(access_token))
        assert response.status_code == 201, response.text
        created = response.json()
        return HostedGame(
            created["game_id"], created["pin"], created["host_token"], access_token, quiz_id
        )

    def join(self, pin: str, nickname: str | None = None) -> dict[str, Any]:
        body = {"pin": pin} if nickname is None else {"pin": pin, "nickname": nickname}
        response = self.http.post("/games/join", json=body)
        assert response.status_code == 201, response.text
        joined: dict[str, Any] = response.json()
        return joined

    def results(self, game_id: str) -> dict[str, Any]:
        response = self.http.get(f"/games/{game_id}/results")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        return {"authorization": f"Bearer {token}"}


@pytest.fixture
def rest(web_runtime: RuntimeThread) -> Iterator[RestClient]:
    assert web_runtime.rest_url is not None
    client = RestClient(web_runtime.rest_url)
    yield client
    client.close()


class GameClient:
    """A WebSocket client of one game, as the host (or a scripted player) drives it in tests.

    Replies to our messages carry no ``seq``. Pushed frames do, and every one received is kept
    in ``frames`` for ``wait_for``.
    """

    def __init__(self, ws_url: str, token: str) -> None:
        self.connection: ClientConnection = connect(f"{ws_url}?token={token}")
        self.frames: list[dict[str, Any]] = []

    def close(self) -> None:
        self.connection.close()

    def send(self, action: str, **fields: Any) -> dict[str, Any]:
        """Send one message and return its reply frame."""
        self.connection.send(json.dumps({"action": action, **fields}))
        return self._next(lambda frame: "seq" not in frame, f"the reply to {action}")

    def wait_for(self, frame_type: str, timeout_s: float = 15, **fields: Any) -> dict[str, Any]:
        """Return the first pushed frame of ``frame_type`` whose fields match ``fields``."""

        def matches(frame: dict[str, Any]) -> bool:
            if frame.get("type") != frame_type or "seq" not in frame:
                return False
            return all(frame.get(name) == value for name, value in fields.items())

        for frame in self.frames:
            if matches(frame):
                self.frames.remove(frame)
                return frame
        found = self._next(matches, f"a {frame_type} frame with {fields}", timeout_s)
        self.frames.remove(found)
        return found

    def _next(
        self, wanted: Callable[[dict[str, Any]], bool], what: str, timeout_s: float = 15
    ) -> dict[str, Any]:
        deadline = time.monotonic() + scaled(timeout_s)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what}; received {self.frames}")
            try:
                raw = self.connection.recv(timeout=remaining)
            except TimeoutError:
                continue
            except ConnectionClosed as closed:
                raise AssertionError(f"the connection closed while waiting for {what}") from closed
            frame: dict[str, Any] = json.loads(raw)
            if "seq" in frame:
                self.frames.append(frame)
            if wanted(frame):
                return frame


@pytest.fixture
def game_client(web_runtime: RuntimeThread) -> Iterator[Callable[[str], GameClient]]:
    """Return a function that connects a ``GameClient`` with a token; all close at teardown."""
    clients: list[GameClient] = []

    def connect_(token: str) -> GameClient:
        client = GameClient(web_runtime.ws_url, token)
        clients.append(client)
        return client

    yield connect_
    for client in clients:
        client.close()
