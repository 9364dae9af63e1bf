"""Identifier types shared by every function, so a game id is never passed as a player id."""

import secrets
import uuid
from typing import NewType

GameId = NewType("GameId", str)
PlayerId = NewType("PlayerId", str)
UserId = NewType("UserId", int)
QuizId = NewType("QuizId", int)
ConnectionId = NewType("ConnectionId", str)
GamePin = NewType("GamePin", str)

PIN_DIGITS = 6


def new_game_id() -> GameId:
    return GameId(uuid.uuid4().hex)


def new_player_id() -> PlayerId:
    return PlayerId(uuid.uuid4().hex)


def new_pin() -> GamePin:
    """Return a random numeric game PIN; a leading zero is allowed, so it stays a string."""
    return GamePin(f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}")
