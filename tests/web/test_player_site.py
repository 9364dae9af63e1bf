"""The web app as the local runtime serves it: pages, /config.json, headers and CORS."""

import http.server
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from livequiz.config import Settings
from livequiz.local.runtime import RuntimeThread
from livequiz.local.web import allowed_origins, with_host
from tests.web.conftest import GameClient, RestClient, User


def test_config_names_both_apis(web_runtime: RuntimeThread) -> None:
    assert web_runtime.web_url is not None
    response = httpx.get(f"{web_runtime.web_url}/config.json")
    assert response.status_code == 200
    assert response.json() == {"rest_url": web_runtime.rest_url, "ws_url": web_runtime.ws_url}
    assert response.headers["cache-control"] == "no-store"


def test_config_follows_page_host_name(web_runtime: RuntimeThread) -> None:
    assert web_runtime.web_url is not None and web_runtime.rest_url is not None
    url = web_runtime.web_url.replace("127.0.0.1", "localhost")
    config = httpx.get(f"{url}/config.json").json()
    assert config["rest_url"] == web_runtime.rest_url.replace("127.0.0.1", "localhost")
    assert config["ws_url"] == web_runtime.ws_url.replace("127.0.0.1", "localhost")


def test_pages_served_with_policy(web_runtime: RuntimeThread) -> None:
    for path in ("/", "/play", "/play.html", "/css/app.css", "/js/lib/api.js"):
        response = httpx.get(f"{web_runtime.web_url}{path}")
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy, path
        assert "img-src 'self' data: https: http:" in policy, path
        assert response.headers["x-content-type-options"] == "nosniff", path
    script = httpx.get(f"{web_runtime.web_url}/js/lib/socket.js")
    assert script.headers["content-type"].startswith("text/javascript")
    missing = httpx.get(f"{web_runtime.web_url}/js/nothing-here.js")
    assert missing.status_code == 404


def test_rest_allows_web_origin_only(web_runtime: RuntimeThread) -> None:
    assert web_runtime.web_url is not None
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    allowed = httpx.options(
        f"{web_runtime.rest_url}/games/join", headers={"origin": web_runtime.web_url, **preflight}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == web_runtime.web_url
    other = httpx.options(
        f"{web_runtime.rest_url}/games/join",
        headers={"origin": "http://quiz.example", **preflight},
    )
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    error = httpx.post(
        f"{web_runtime.rest_url}/games/join",
        json={"pin": "000000"},
        headers={"origin": web_runtime.web_url},
    )
    assert error.status_code == 404
    assert error.headers["access-control-allow-origin"] == web_runtime.web_url


def test_origins_and_host_rewrite() -> None:
    assert allowed_origins("127.0.0.1", 8080) == ["http://127.0.0.1:8080", "http://localhost:8080"]
    assert allowed_origins("0.0.0.0", 81) == ["http://127.0.0.1:81", "http://localhost:81"]
    assert allowed_origins("10.1.2.3", 81)[-1] == "http://10.1.2.3:81"
    assert with_host("ws://127.0.0.1:8765/local", "localhost") == "ws://localhost:8765/local"
    assert with_host("http://127.0.0.1:8000", "::1") == "http://[::1]:8000"
    assert with_host("http://127.0.0.1:8000", None) == "http://127.0.0.1:8000"


def test_landing_page_leads_to_play(open_user, web_runtime: RuntimeThread) -> None:
    user = open_user("visitor")
    user.page.goto("/")
    user.page.get_by_label("Game PIN").fill("123456")
    user.page.get_by_role("button", name="Enter").click()
    expect(user.page).to_have_url(f"{web_runtime.web_url}/play?pin=123456")


def test_cors_origin_list_parsing() -> None:
    settings = Settings(cors_origins=" http://127.0.0.1:8080/ , ,http://localhost:9000,*")
    assert settings.cors_origin_list() == [
        "http://127.0.0.1:8080",
        "http://localhost:9000",
        "*",
    ]
    assert Settings(cors_origins="").cors_origin_list() == []


# The smallest valid PNG: one transparent pixel.
PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


class PixelHandler(http.server.BaseHTTPRequestHandler):
    """Serves PIXEL_PNG at every path, as another site that hosts a quiz's image over http."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "image/png")
        self.send_header("content-length", str(len(PIXEL_PNG)))
        self.end_headers()
        self.wfile.write(PIXEL_PNG)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def image_site() -> Iterator[str]:
    """An http image server on a free port of 127.0.0.1, another origin than the web app's."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PixelHandler)
    thread = threading.Thread(target=server.serve_forever, name="image-site", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_http_question_image_shows(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
    image_site: str,
) -> None:
    image_url = f"{image_site}/planets.png"
    question = {
        "text": "Which planet is this?",
        "choices": ["Mars", "Venus"],
        "correct": 0,
        "time_limit": 60,
        "image_url": image_url,
    }
    game = rest.host_game({"title": "Pictures", "questions": [question]})
    host = game_client(game.host_token)
    page = open_user("player").page
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    page.goto(f"/play?pin={game.pin}")
    page.get_by_label("Nickname").fill("Looker")
    page.get_by_role("button", name="Join").click()
    expect(page.locator("#lobby-title")).to_have_text("You're in!")

    assert host.send("start")["type"] == "ok"
    image = page.locator(".question-image")
    expect(image).to_have_attribute("src", image_url)
    page.wait_for_function(
        "() => { const image = document.querySelector('.question-image');"
        " return image.complete && image.naturalWidth === 1; }"
    )
    assert not [text for text in violations if "Content Security Policy" in text]
