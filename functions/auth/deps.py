"""FastAPI dependencies of the REST API: settings, MySQL, the game store and bearer tokens.

Tests replace ``settings`` through ``app.dependency_overrides``. Every other dependency is
derived from it, so one override points the whole app at test databases.
"""

from functools import lru_cache
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine

from livequiz import db, tokens
from livequiz.config import Settings, get_settings
from livequiz.ids import UserId
from livequiz.store import GameStore, connect_redis
from livequiz.tokens import Claims, TokenKind


def settings() -> Settings:
    return get_settings()


SettingsDep = Annotated[Settings, Depends(settings)]


def engine(settings: SettingsDep) -> Engine:
    return db.engine(settings.mysql_url)


@lru_cache(maxsize=4)
def _game_store(redis_url: str, game_ttl_s: int, connection_ttl_s: int) -> GameStore:
    return GameStore(connect_redis(redis_url), game_ttl_s, connection_ttl_s)


def game_store(settings: SettingsDep) -> GameStore:
    return _game_store(settings.redis_url, settings.game_ttl_s, settings.connection_ttl_s)


EngineDep = Annotated[Engine, Depends(engine)]
GameStoreDep = Annotated[GameStore, Depends(game_store)]

# auto_error=False so that a missing token is reported by tokens.verify in the error envelope.
bearer = HTTPBearer(auto_error=False, description="An access token from /auth/login")
CredentialsDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def access_claims(settings: SettingsDep, credentials: CredentialsDep) -> Claims:
    token = credentials.credentials if credentials is not None else None
    return tokens.verify(settings, token, TokenKind.ACCESS)


def current_user(claims: Annotated[Claims, Depends(access_claims)]) -> UserId:
    return UserId(int(claims.subject))


def optional_user(settings: SettingsDep, credentials: CredentialsDep) -> UserId | None:
    """Return the logged-in user, or None without a token. An invalid token is still rejected."""
    if credentials is None:
        return None
    claims = tokens.verify(settings, credentials.credentials, TokenKind.ACCESS)
    return UserId(int(claims.subject))


CurrentUser = Annotated[UserId, Depends(current_user)]
OptionalUser = Annotated[UserId | None, Depends(optional_user)]
