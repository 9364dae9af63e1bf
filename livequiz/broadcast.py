"""Turn a batch of game events into frames for each connection of each game.

For every game in the batch the ranking and the connections are read from Redis once. Frames
follow the order of the events. Consecutive ``scores.changed`` events collapse into one
``answered`` frame (how many players answered), and one is dropped entirely when a later frame
of the batch closes or reveals the question or ends the game.
"""

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from livequiz import frames
from livequiz.errors import NotFoundError
from livequiz.events import Event, now_ms
from livequiz.ids import ConnectionId, GameId
from livequiz.payloads import Milliseconds
from livequiz.rules import GamePhase, GameState
from livequiz.store import GameStore

# Frame types that include the leaderboard, when the game's options show it. Frames of an open
# or closed question carry no scores, which would tell players who was right before the reveal.
WITH_LEADERBOARD = {"reveal", "game_ended"}
# Frame types that belong to one round and are dropped when they arrive after it.
OF_ROUND = {"question", "question_closed", "reveal"}
# The event of a player who connected while a question is open, with that question's answered
# and connected counts read after the connection was recorded. The connect function publishes
# it, because only an accepted answer publishes ``scores.changed``, and without it the host's
# "answered of connected" line leaves the new player out until the next answer. Its data is
# that of ``scores.changed``, so it becomes the same ``answered`` frame. The persist queue does
# not take it.
CONNECTED_EVENT = "player.connected"
FRAME_TYPES = {
    "scores.changed": "answered",
    CONNECTED_EVENT: "answered",
    "question.opened": "question",
    "question.closed": "question_closed",
    "question.revealed": "reveal",
    "game.paused": "paused",
    "game.resumed": "resumed",
    "game.ended": "game_ended",
}


# The event of a player's connection that a newer connection of the same player replaced. The
# connect function publishes it, because ``$connect`` cannot post to any connection. The
# broadcast function then posts a ``replaced`` frame to the old connection and closes it. The
# broadcast queue takes ``player.*`` and the persist queue only ``player.kicked``, so nothing
# stores this event.
REPLACED_EVENT = "player.replaced"


class PlayerReplaced(BaseModel):
    player_id: str
    # The connection that was replaced, which the game no longer lists.
    connection_id: str
    replaced_at_ms: int = Milliseconds


@dataclass
class PlannedFrame:
    type: str
    data: dict[str, Any]


def plan(events: list[Event], state: GameState | None) -> list[PlannedFrame]:
    """Return the frames one game's events call for, in order, with answered counts coalesced.

    ``state`` is the game as it is now. An answered count of a question that is no longer open
    is dropped: it is out of date, and the question's close frame carries the final count. A
    question, close or reveal frame of an earlier round is dropped too, since a late publish
    must not take clients back to a question the game has left.
    """
    planned: list[PlannedFrame] = []
    for event in events:
        frame_type = FRAME_TYPES.get(event.type)
        if frame_type is None:
            continue
        if frame_type == "answered" and not _is_open(state, event.data["question"]):
            continue
        if _is_stale(frame_type, state, event.data):
            continue
        # The end event lists every player for persist, but the frame carries the leaderboard.
        data = (
            {
                "ended_at_ms": event.data["ended_at_ms"],
                "reason": event.data.get("reason", "finished"),
            }
            if event.type == "game.ended"
            else event.data
        )
        if frame_type == "answered" and planned and planned[-1].type == "answered":
            # Answer handlers run in parallel, so their events can arrive out of order: the
            # highest count is the latest.
            previous = planned[-1].data
            if data["question"] == previous["question"] and data["answered"] < previous["answered"]:
                data = previous
            planned[-1] = PlannedFrame(frame_type, data)
            continue
        planned.append(PlannedFrame(frame_type, data))
    result: list[PlannedFrame] = []
    for index, frame in enumerate(planned):
        superseded = any(
            later.type in ("question_closed", "reveal", "game_ended")
            for later in planned[index + 1 :]
        )
        if frame.type == "answered" and superseded:
            continue
        result.append(frame)
    return result


def _is_open(state: GameState | None, question: int) -> bool:
    return (
        state is not None and state.phase is GamePhase.QUESTION_OPEN and state.question == question
    )


def _is_stale(frame_type: str, state: GameState | None, data: dict[str, Any]) -> bool:
    """Tell whether a frame belongs to a part of the game that has passed.

    A question frame is stale once a later round started: a resume after a pause sends the
    question again in a new round. A close or reveal frame is stale only once a later question
    opened, because a pause and resume after the close also start a new round.
    """
    round_ = data.get("round")
    if state is None or round_ is None or frame_type not in OF_ROUND:
        return False
    if frame_type == "question":
        return state.phase is GamePhase.ENDED or round_ < state.round
    return int(data["question"]) < state.question


def current_state(store: GameStore, game_id: GameId) -> GameState | None:
    try:
        return store.state(game_id)
    except NotFoundError:
        return None


def group_by_game(events: list[Event]) -> dict[GameId, list[Event]]:
    games: dict[GameId, list[Event]] = {}
    for event in events:
        games.setdefault(GameId(event.game_id), []).append(event)
    return games


def shows_leaderboard(state: GameState | None, frame_type: str) -> bool:
    """Tell whether a frame of ``frame_type`` carries the leaderboard under the game's options."""
    if frame_type not in WITH_LEADERBOARD or state is None:
        return False
    shown = state.options.leaderboard
    return shown == "every_question" or (shown == "end" and frame_type == "game_ended")


def render(
    store: GameStore, game_id: GameId, planned: list[PlannedFrame], state: GameState | None = None
) -> dict[ConnectionId, list[bytes]]:
    """Build every connection's frames for one game, reading its ranking once.

    ``state`` is the game as ``plan`` saw it; it is read here when not given.
    """
    connections = store.connections(game_id)
    if not connections or not planned:
        return {}
    if state is None:
        state = current_state(store, game_id)
    with_board = {frame.type for frame in planned if shows_leaderboard(state, frame.type)}
    needs_ranking = bool(with_board) or any(frame.type == "reveal" for frame in planned)
    view = frames.LeaderboardView(store.ranking(game_id) if needs_ranking else [])
    results: dict[int, dict[str, dict[str, Any]]] = {}
    for frame in planned:
        if frame.type == "reveal":
            question = frame.data["question"]
            results[question] = _answers_by_viewer(store, game_id, question)
    last_seq = store.next_frame_seq(game_id, len(planned))
    first_seq = last_seq - len(planned) + 1
    sent_at = now_ms()
    per_viewer: dict[str, list[bytes]] = {}
    output: dict[ConnectionId, list[bytes]] = {}
    for connection_id, viewer in connections.items():
        if viewer not in per_viewer:
            per_viewer[viewer] = [
                _frame(
                    game_id,
                    first_seq + offset,
                    frame,
                    view if frame.type in with_board else None,
                    viewer,
                    sent_at,
                    _your_result(frame, results, view, viewer, state),
                ).encode()
                for offset, frame in enumerate(planned)
            ]
        output[connection_id] = per_viewer[viewer]
    return output


def reveal_frame(
    store: GameStore, game_id: GameId, state: GameState, data: dict[str, Any], viewer: str
) -> dict[str, Any]:
    """Build the reveal frame of ``data`` for one viewer, as ``render`` builds it.

    It has no ``seq``, because it is part of a reply and not one of the game's frames.
    """
    planned = PlannedFrame("reveal", data)
    view = frames.LeaderboardView(store.ranking(game_id))
    question = data["question"]
    results = {question: _answers_by_viewer(store, game_id, question)}
    board = view if shows_leaderboard(state, "reveal") else None
    result = _your_result(planned, results, view, viewer, state)
    body: dict[str, Any] = json.loads(_frame(game_id, 0, planned, board, viewer, now_ms(), result))
    del body["seq"]
    return body


def _answers_by_viewer(
    store: GameStore, game_id: GameId, question: int
) -> dict[str, dict[str, Any]]:
    return {str(player): answer for player, answer in store.answers(game_id, question).items()}


def _your_result(
    frame: PlannedFrame,
    results: dict[int, dict[str, dict[str, Any]]],
    view: frames.LeaderboardView,
    viewer: str,
    state: GameState | None,
) -> dict[str, Any] | None:
    """Build a player's own result in a reveal frame: right or wrong, points, streak, total."""
    if frame.type != "reveal" or viewer == "host":
        return None
    answer = results.get(frame.data["question"], {}).get(viewer)
    standing = dict(view.for_viewer(viewer).get("you", {}))
    # Without the leaderboard after each question a player sees no rank; in survey mode
    # ("never") no score either.
    shown = state.options.leaderboard if state is not None else "never"
    if shown != "every_question":
        standing.pop("rank", None)
    if shown == "never":
        standing.pop("score", None)
    if answer is None:
        result: dict[str, Any] = {"answered": False, "correct": False, "points": 0, "streak": 0}
    else:
        result = {
            "answered": True,
            "correct": answer.get("correct"),
            "points": answer.get("points", 0),
            "bonus": answer.get("bonus", 0),
            "streak": answer.get("streak", 0),
            "response": answer.get("response"),
        }
    if shown == "never":
        # Points per question would add up to the score that survey mode hides.
        for key in ("points", "bonus", "streak"):
            result.pop(key, None)
    return {**result, **standing}


def _frame(
    game_id: GameId,
    seq: int,
    planned: PlannedFrame,
    view: frames.LeaderboardView | None,
    viewer: str,
    sent_at: int,
    result: dict[str, Any] | None = None,
) -> str:
    body: dict[str, Any] = {
        "type": planned.type,
        "game": game_id,
        "seq": seq,
        "sent_at_ms": sent_at,
    }
    body.update(planned.data)
    if planned.type == "question":
        body["remaining_ms"] = max(planned.data["deadline_ms"] - sent_at, 0)
    if view is not None:
        # The host is no player, so its frames have no "you".
        body.update(view.for_viewer(viewer))
    if result is not None:
        body["you"] = result
    return frames.encode(body)
