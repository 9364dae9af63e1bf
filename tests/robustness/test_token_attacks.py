"""Forged, foreign and malformed tokens on the WebSocket ``$connect`` route."""

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from livequiz.config import Settings
from livequiz.tokens import Claims, TokenKind, issue
from tests.support import GameFixture


def unsigned(payload: dict[str, Any]) -> str:
    """Encode a token with ``alg: none`` and an empty signature, which PyJWT refuses to make."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def claims_for(fixture: GameFixture, nickname: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    payload = {
        "iss": "livequiz",
        "kind": "player",
        "sub": fixture.players[nickname],
        "game": fixture.game_id,
        "iat": now,
        "exp": now + 600,
    }
    payload.update(changes)
    return {key: value for key, value in payload.items() if value is not None}


@pytest.fixture
def lobby(make_game: Callable[..., GameFixture]) -> GameFixture:
    game = make_game()
    game.add_player("Ada")
    return game


def forged_tokens(settings: Settings, game: GameFixture) -> dict[str, str]:
    secret = settings.require_token_secret()
    good = claims_for(game, "Ada")
    return {
        "alg_none": unsigned(good),
        "alg_hs512": jwt.encode(good, secret, algorithm="HS512"),
        "wrong_secret": jwt.encode(good, "x" * 48, algorithm="HS256"),
        "no_exp": jwt.encode(claims_for(game, "Ada", exp=None), secret, algorithm="HS256"),
        "no_iat": jwt.encode(claims_for(game, "Ada", iat=None), secret, algorithm="HS256"),
        "no_kind": jwt.encode(claims_for(game, "Ada", kind=None), secret, algorithm="HS256"),
        "no_sub": jwt.encode(claims_for(game, "Ada", sub=None), secret, algorithm="HS256"),
        "no_game": jwt.encode(claims_for(game, "Ada", game=None), secret, algorithm="HS256"),
        "wrong_issuer": jwt.encode(claims_for(game, "Ada", iss="evil"), secret, algorithm="HS256"),
        "expired": jwt.encode(
            claims_for(game, "Ada", exp=int(time.time()) - 5), secret, algorithm="HS256"
        ),
        "access_kind": jwt.encode(
            claims_for(game, "Ada", kind="access"), secret, algorithm="HS256"
        ),
        "unknown_kind": jwt.encode(
            claims_for(game, "Ada", kind="admin"), secret, algorithm="HS256"
        ),
        "game_list": jwt.encode(
            claims_for(game, "Ada", game=[game.game_id]), secret, algorithm="HS256"
        ),
        "kind_list": jwt.encode(
            claims_for(game, "Ada", kind=["player"]), secret, algorithm="HS256"
        ),
        "huge": "a" * 200_000,
        "garbage": "not.a.token",
        "empty_parts": "..",
    }


@pytest.mark.parametrize(
    "name",
    [
        "alg_none",
        "alg_hs512",
        "wrong_secret",
        "no_exp",
        "no_iat",
        "no_kind",
        "no_sub",
        "no_game",
        "wrong_issuer",
        "expired",
        "access_kind",
        "unknown_kind",
        "game_list",
        "kind_list",
        "huge",
        "garbage",
        "empty_parts",
    ],
)
def test_forged_token_rejected(lobby: GameFixture, settings: Settings, name: str) -> None:
    token = forged_tokens(settings, lobby)[name]
    connection_id, response = lobby.connect(token)
    assert 400 <= response["statusCode"] < 500, response
    assert lobby.store.connection(connection_id) is None


def test_player_token_of_other_game_rejected(
    make_game: Callable[..., GameFixture], settings: Settings
) -> None:
    first = make_game()
    second = make_game()
    first.add_player("Ada")
    second.add_player("Bob")
    # Ada's player id, claimed for the second game.
    claims = Claims(TokenKind.PLAYER, first.players["Ada"], game_id=second.game_id)
    connection_id, response = second.connect(issue(settings, claims))
    assert response["statusCode"] == 404
    assert second.store.connection(connection_id) is None


def test_host_token_of_other_user_rejected(
    make_game: Callable[..., GameFixture], settings: Settings
) -> None:
    game = make_game()
    claims = Claims(TokenKind.HOST, str(game.host_user_id + 1), game_id=game.game_id)
    connection_id, response = game.connect(issue(settings, claims))
    assert response["statusCode"] == 403
    assert game.store.connection(connection_id) is None


def test_player_token_cannot_host(lobby: GameFixture, settings: Settings) -> None:
    connection_id, response = lobby.connect(lobby.player_token("Ada"))
    assert response["statusCode"] == 200
    reply = lobby.send(connection_id, {"action": "start"})
    assert reply["code"] == "not_host"
    assert lobby.store.state(lobby.game_id).phase == "lobby"
