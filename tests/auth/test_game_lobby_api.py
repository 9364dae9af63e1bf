"""The host's lobby routes: the players of a live game and the QR code of its join link."""

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import segno
from fastapi.testclient import TestClient

from functions.connect import handler as connect_function
from livequiz.ids import GameId, PlayerId
from livequiz.store import GameStore
from tests.auth.conftest import bearer
from tests.support import context, load_event

# One run of dark modules in segno's SVG path: "M x y" starts a row at an absolute position,
# "m dx dy" moves relative to the end of the previous run, and "h n" draws n modules.
PATH_STEP = re.compile(r"([Mm])(-?\d+(?:\.\d+)?)[ ,]?(-?\d+(?:\.\d+)?)h(\d+)")


def drawn_modules(svg: str) -> set[tuple[int, int]]:
    """Read the (row, column) of every dark module that segno's SVG path draws."""
    path = re.search(r'<path class="qrline"[^>]* d="([^"]+)"', svg)
    assert path is not None, svg[:300]
    modules: set[tuple[int, int]] = set()
    x = y = 0.0
    for command, dx, dy, run in PATH_STEP.findall(path.group(1)):
        if command == "M":
            x, y = float(dx), float(dy)
        else:
            x, y = x + float(dx), y + float(dy)
        for offset in range(int(run)):
            # The path strokes the middle of each row, half a module below its top.
            modules.add((int(y - 0.5), int(x) + offset))
        x += int(run)
    return modules


def expected_modules(link: str, border: int = 4) -> set[tuple[int, int]]:
    matrix = segno.make(link, error="m", micro=False).matrix
    return {
        (row + border, column + border)
        for row, line in enumerate(matrix)
        for column, dark in enumerate(line)
        if dark
    }


def qr(client: TestClient, game: dict[str, Any], web_url: str, **kwargs: Any) -> Any:
    return client.get(
        f"/games/{game['game_id']}/qr.svg",
        params={"web_url": web_url},
        headers=kwargs.pop("headers", game["host"]["headers"]),
        **kwargs,
    )


@pytest.mark.parametrize(
    ("web_url", "link"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/play?pin={pin}"),
        ("https://quiz.example.com/app/", "https://quiz.example.com/app/play?pin={pin}"),
    ],
)
def test_qr_encodes_join_link(
    client: TestClient, game: dict[str, Any], web_url: str, link: str
) -> None:
    response = qr(client, game, web_url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "no-store"
    svg = response.text
    assert 'viewBox="0 0 ' in svg
    assert "width=" not in svg.split(">", 2)[1]
    expected_link = link.format(pin=game["pin"])
    assert f"<title>{expected_link}</title>" in svg
    assert drawn_modules(svg) == expected_modules(expected_link)


def test_qr_differs_per_pin(
    client: TestClient,
    game: dict[str, Any],
    register: Callable[..., Any],
    make_quiz: Callable[..., Any],
) -> None:
    other_host = register()
    quiz = make_quiz(other_host["headers"], question_count=1)
    created = client.post("/games", json={"quiz_id": quiz["id"]}, headers=other_host["headers"])
    other = {**created.json(), "host": other_host}
    first = drawn_modules(qr(client, game, "http://127.0.0.1:8080").text)
    second = drawn_modules(qr(client, other, "http://127.0.0.1:8080").text)
    assert game["pin"] != other["pin"]
    assert first != second


def test_qr_other_user_forbidden(
    client: TestClient, game: dict[str, Any], register: Callable[..., Any]
) -> None:
    stranger = register()
    response = qr(client, game, "http://127.0.0.1:8080", headers=stranger["headers"])
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_game_host"


def test_qr_needs_access_token(client: TestClient, game: dict[str, Any]) -> None:
    response = qr(client, game, "http://127.0.0.1:8080", headers={})
    assert response.status_code == 401
    host_token = qr(client, game, "http://127.0.0.1:8080", headers=bearer(game["host_token"]))
    assert host_token.status_code == 401


def test_qr_unknown_game_not_found(client: TestClient, game: dict[str, Any]) -> None:
    unknown = {**game, "game_id": uuid.uuid4().hex}
    response = qr(client, unknown, "http://127.0.0.1:8080")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_game"


@pytest.mark.parametrize(
    ("web_url", "named"),
    [
        ("ftp://127.0.0.1/", "web_url"),
        ("not a url", "web_url"),
        ("http://127.0.0.1:8080/?pin=1", "query or fragment"),
        ("http://127.0.0.1:8080/#top", "query or fragment"),
        ("http://user:secret@127.0.0.1:8080/", "user name or password"),
        ("http://127.0.0.1/" + "a" * 200, "web_url"),
    ],
)
def test_qr_invalid_web_url_rejected(
    client: TestClient, game: dict[str, Any], web_url: str, named: str
) -> None:
    response = qr(client, game, web_url)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert named in error["message"]


def test_qr_missing_web_url_rejected(client: TestClient, game: dict[str, Any]) -> None:
    response = client.get(f"/games/{game['game_id']}/qr.svg", headers=game["host"]["headers"])
    assert response.status_code == 400
    assert "web_url" in response.json()["error"]["message"]


def test_qr_ended_game_conflicts(
    client: TestClient, game: dict[str, Any], store: GameStore
) -> None:
    store.redis.hset(store.key(game["game_id"], "game"), "phase", "ended")
    response = qr(client, game, "http://127.0.0.1:8080")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "game_ended"


def connect(token: str) -> str:
    connection_id = f"{uuid.uuid4().hex[:15]}="
    event = load_event("ws-connect.json")
    event["requestContext"]["connectionId"] = connection_id
    event["queryStringParameters"] = {"token": token}
    event["multiValueQueryStringParameters"] = {"token": [token]}
    assert connect_function.connect(event, context("connect")) == {"statusCode": 200}
    return connection_id


def test_players_in_join_order(client: TestClient, game: dict[str, Any], store: GameStore) -> None:
    joined = {}
    for nickname in ("Ada", "Grace", "Linus", "Barbara"):
        response = client.post("/games/join", json={"pin": game["pin"], "nickname": nickname})
        assert response.status_code == 201, response.text
        joined[nickname] = response.json()
    connect(joined["Grace"]["player_token"])
    connect(game["host_token"])
    store.kick(GameId(game["game_id"]), PlayerId(joined["Linus"]["player_id"]))

    response = client.get(f"/games/{game['game_id']}/players", headers=game["host"]["headers"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["game_id"] == game["game_id"]
    assert body["phase"] == "lobby"
    assert body["locked"] is False
    assert [player["nickname"] for player in body["players"]] == ["Ada", "Grace", "Barbara"]
    assert [player["rank"] for player in body["players"]] == [1, 2, 3]
    assert [player["score"] for player in body["players"]] == [0, 0, 0]
    assert [player["online"] for player in body["players"]] == [False, True, False]
    assert body["players"][1]["player_id"] == joined["Grace"]["player_id"]


def test_players_shows_lock(client: TestClient, game: dict[str, Any], store: GameStore) -> None:
    store.set_locked(GameId(game["game_id"]), True)
    response = client.get(f"/games/{game['game_id']}/players", headers=game["host"]["headers"])
    assert response.status_code == 200
    assert response.json()["locked"] is True
    assert response.json()["players"] == []


def test_players_other_user_forbidden(
    client: TestClient, game: dict[str, Any], register: Callable[..., Any]
) -> None:
    stranger = register()
    response = client.get(f"/games/{game['game_id']}/players", headers=stranger["headers"])
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_game_host"
    anonymous = client.get(f"/games/{game['game_id']}/players")
    assert anonymous.status_code == 401
