"""The answer function's fixtures, shared with the handler tests."""

from tests.handlers.conftest import clock, make_game

__all__ = ["clock", "make_game"]
