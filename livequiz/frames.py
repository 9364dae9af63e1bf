"""Frames sent to WebSocket clients, as JSON text.

Every frame has a ``type``. Frames pushed by the broadcast function also carry ``seq``, a
number that grows by one per frame of a game. A client keeps the highest ``seq`` it has seen
and drops any frame with a lower one that arrives late. Replies to a client's own
message (``answer_result``, ``ok``, ``error``) come back on the route response and carry no
``seq``.

A leaderboard holds the top ``TOP_N`` players, the receiving player's own rank and score, and
the player count, so its size does not grow with the game: with nicknames capped at 64 code
points it stays far under API Gateway's 32 KB frame limit (``MAX_FRAME_BYTES``).
"""

import json
from typing import Any

from livequiz.errors import ClientError
from livequiz.store import RankedPlayer

TOP_N = 10
# API Gateway WebSocket frames are at most 32 KB, and larger messages are split into frames that
# some clients handle badly, so every frame of ours must fit into one.
MAX_FRAME_BYTES = 32 * 1024


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def error_frame(error: ClientError, action: str | None = None) -> str:
    frame: dict[str, Any] = {"type": "error", "code": error.code, "message": error.message}
    if action is not None:
        frame["action"] = action
    return encode(frame)


def top_entries(ranking: list[RankedPlayer]) -> list[dict[str, Any]]:
    return [
        {"rank": entry.rank, "nickname": entry.nickname, "score": entry.score}
        for entry in ranking[:TOP_N]
    ]


class LeaderboardView:
    """The shared part of one leaderboard, built once and specialised per viewer."""

    def __init__(self, ranking: list[RankedPlayer]) -> None:
        self.top = top_entries(ranking)
        self.players = len(ranking)
        self._by_player: dict[str, RankedPlayer] = {entry.player_id: entry for entry in ranking}

    def for_viewer(self, player_id: str) -> dict[str, Any]:
        view: dict[str, Any] = {"top": self.top, "players": self.players}
        entry = self._by_player.get(player_id)
        if entry is not None:
            view["you"] = {"rank": entry.rank, "score": entry.score}
        return view


class FrameOrder:
    """The client's rule for ``seq``: keep a pushed frame only if it is newer than all before it.

    Replies carry no ``seq`` and are always kept.
    """

    def __init__(self) -> None:
        self.last_seq = 0
        self.dropped = 0

    def keep(self, frame: dict[str, Any]) -> bool:
        seq = frame.get("seq")
        if seq is None:
            return True
        if seq <= self.last_seq:
            self.dropped += 1
            return False
        self.last_seq = seq
        return True
