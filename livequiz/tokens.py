"""Signed JWT tokens (HS256) for user accounts, game hosts and players.

    kind "access"  sub = user id                 REST calls of a logged-in user
    kind "host"    sub = user id, game = game id  the host's WebSocket connection to one game
    kind "player"  sub = player id, game = game id, uid = user id or null

Every token has ``exp`` and ``iat``, and the signing key comes from ``LIVEQUIZ_TOKEN_SECRET``.
"""

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt

from livequiz.config import Settings
from livequiz.errors import UnauthorizedError

ALGORITHM = "HS256"
ISSUER = "livequiz"


class TokenKind(StrEnum):
    ACCESS = "access"
    HOST = "host"
    PLAYER = "player"


@dataclass(frozen=True)
class Claims:
    kind: TokenKind
    subject: str
    game_id: str | None = None
    user_id: int | None = None


def issue(settings: Settings, claims: Claims, ttl_s: int | None = None) -> str:
    now = int(time.time())
    if ttl_s is None:
        ttl_s = (
            settings.access_token_ttl_s
            if claims.kind is TokenKind.ACCESS
            else settings.player_token_ttl_s
        )
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "kind": claims.kind.value,
        "sub": claims.subject,
        "iat": now,
        "exp": now + ttl_s,
    }
    if claims.game_id is not None:
        payload["game"] = claims.game_id
    if claims.user_id is not None:
        payload["uid"] = claims.user_id
    return jwt.encode(payload, settings.require_token_secret(), algorithm=ALGORITHM)


def verify(settings: Settings, token: str | None, *kinds: TokenKind) -> Claims:
    """Check the signature, expiry and kind of ``token``, raising ``UnauthorizedError``."""
    if not token:
        if TokenKind.ACCESS in kinds:
            hint = "log in and send the access token as Authorization: Bearer <token>"
        else:
            hint = "connect with ?token= and the host or player token of the game"
        raise UnauthorizedError("missing_token", f"a token is required: {hint}")
    try:
        payload = jwt.decode(
            token,
            settings.require_token_secret(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "kind"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise UnauthorizedError(
            "expired_token", "the token has expired: log in or join again"
        ) from error
    except jwt.InvalidTokenError as error:
        raise UnauthorizedError("invalid_token", f"the token is invalid: {error}") from error
    try:
        kind = TokenKind(payload["kind"])
    except ValueError as error:
        raise UnauthorizedError(
            "invalid_token", f"unknown token kind {payload['kind']!r}"
        ) from error
    if kinds and kind not in kinds:
        expected = " or ".join(k.value for k in kinds)
        raise UnauthorizedError(
            "wrong_token_kind",
            f"expected {_article(expected)} token, got {_article(kind.value)} token",
        )
    uid = payload.get("uid")
    return Claims(kind=kind, subject=str(payload["sub"]), game_id=payload.get("game"), user_id=uid)


def _article(words: str) -> str:
    return f"an {words}" if words[0] in "aeiou" else f"a {words}"
