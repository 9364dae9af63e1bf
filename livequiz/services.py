"""Clients built once per process (once per Lambda execution environment, at cold start)."""

from functools import lru_cache

from livequiz.config import get_settings
from livequiz.events import publisher
from livequiz.play import Play
from livequiz.store import GameStore, connect_redis


@lru_cache(maxsize=1)
def game_store() -> GameStore:
    settings = get_settings()
    return GameStore(
        connect_redis(settings.redis_url), settings.game_ttl_s, settings.connection_ttl_s
    )


def play() -> Play:
    """Return the game actions over this thread's publisher (pika connections are per thread)."""
    settings = get_settings()
    return Play(settings, game_store(), publisher(settings))
