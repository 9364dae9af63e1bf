"""POST /games/{id}/host-token: a new host token for the owner of a live game."""

import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from livequiz import tokens
from livequiz.config import Settings
from livequiz.ids import GameId
from livequiz.store import HOST, GameStore
from livequiz.tokens import TokenKind
from tests.auth.test_game_lobby_api import connect


def host_token(client: TestClient, game_id: str, headers: dict[str, str]) -> Any:
    return client.post(f"/games/{game_id}/host-token", headers=headers)


def test_host_token_issued_to_owner(
    client: TestClient, game: dict[str, Any], api_settings: Settings
) -> None:
    response = host_token(client, game["game_id"], game["host"]["headers"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["game_id"] == game["game_id"]
    assert body["pin"] == game["pin"]
    claims = tokens.verify(api_settings, body["host_token"])
    assert claims.kind is TokenKind.HOST
    assert claims.game_id == game["game_id"]
    assert claims.subject == str(game["host"]["user_id"])


def test_host_token_connects_beside_old(
    client: TestClient, game: dict[str, Any], store: GameStore
) -> None:
    first = connect(game["host_token"])
    body = host_token(client, game["game_id"], game["host"]["headers"]).json()
    second = connect(body["host_token"])
    connections = store.connections(GameId(game["game_id"]))
    assert connections.get(first) == HOST
    assert connections.get(second) == HOST


def test_host_token_running_game(
    client: TestClient, game: dict[str, Any], store: GameStore
) -> None:
    store.redis.hset(store.key(game["game_id"], "game"), "phase", "question_open")
    response = host_token(client, game["game_id"], game["host"]["headers"])
    assert response.status_code == 200, response.text


def test_host_token_other_user_forbidden(
    client: TestClient, game: dict[str, Any], register: Callable[..., Any]
) -> None:
    stranger = register()
    response = host_token(client, game["game_id"], stranger["headers"])
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_game_host"


def test_host_token_needs_access_token(client: TestClient, game: dict[str, Any]) -> None:
    anonymous = client.post(f"/games/{game['game_id']}/host-token")
    assert anonymous.status_code == 401
    with_host_token = host_token(
        client, game["game_id"], {"Authorization": f"Bearer {game['host_token']}"}
    )
    assert with_host_token.status_code == 401


def test_host_token_unknown_game(client: TestClient, game: dict[str, Any]) -> None:
    response = host_token(client, uuid.uuid4().hex, game["host"]["headers"])
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_game"


def test_host_token_ended_game_conflicts(
    client: TestClient, game: dict[str, Any], store: GameStore
) -> None:
    store.redis.hset(store.key(game["game_id"], "game"), "phase", "ended")
    response = host_token(client, game["game_id"], game["host"]["headers"])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "game_ended"


def hosted_entry(client: TestClient, game: dict[str, Any]) -> Any:
    response = client.get("/users/me/history", headers=game["host"]["headers"])
    assert response.status_code == 200, response.text
    entries = [entry for entry in response.json()["games"] if entry["game_id"] == game["game_id"]]
    assert len(entries) == 1
    return entries[0]


def test_history_marks_live_lobby(client: TestClient, game: dict[str, Any]) -> None:
    entry = hosted_entry(client, game)
    assert entry["status"] == "lobby"
    assert entry["live"] is True


def test_history_marks_expired_game(
    client: TestClient, game: dict[str, Any], store: GameStore
) -> None:
    store.redis.delete(store.key(game["game_id"], "game"))
    entry = hosted_entry(client, game)
    assert entry["status"] == "lobby"
    assert entry["live"] is False


def test_history_marks_ended_game(
    client: TestClient, game: dict[str, Any], store: GameStore
) -> None:
    store.redis.hset(store.key(game["game_id"], "game"), "phase", "ended")
    assert hosted_entry(client, game)["live"] is False
