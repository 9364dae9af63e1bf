"""Simulated players and host, each over its own real WebSocket connection."""

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from livequiz.frames import FrameOrder

logger = logging.getLogger(__name__)

Frame = dict[str, Any]


@dataclass
class Tally:
    """The simulated players' results, added up for the summary."""

    # Answer messages sent, whatever their reply. The fields below count the replies.
    sent: int = 0
    accepted: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    points: dict[str, int] = field(default_factory=dict)
    # Seconds from sending an answer to the first broadcast frame that shows its result.
    latencies: list[float] = field(default_factory=list)
    stale_frames: int = 0


class SequencedConnection:
    """A client connection that keeps only broadcast frames newer than the last one it saw."""

    def __init__(self, websocket: ClientConnection) -> None:
        self.websocket = websocket
        self.order = FrameOrder()

    @property
    def stale(self) -> int:
        return self.order.dropped

    async def frames(self) -> Any:
        try:
            async for raw in self.websocket:
                frame = json.loads(raw)
                if self.order.keep(frame):
                    yield frame
        except ConnectionClosed:
            return

    async def send(self, message: Frame) -> None:
        await self.websocket.send(json.dumps(message))


@dataclass
class SimulatedPlayer:
    player_id: str
    nickname: str
    token: str
    # Each question in our format, with its answer, as the quiz's owner reads it.
    answer_key: list[dict[str, Any]]
    accuracy: float
    answer_window_s: float
    tally: Tally
    rng: random.Random
    _pending_since: float | None = None
    _acknowledged: bool = False

    async def play(self, ws_url: str, connected: asyncio.Event, ready: asyncio.Semaphore) -> None:
        async with ready:
            websocket = await connect(f"{ws_url}?token={self.token}", open_timeout=30)
        connected.set()
        connection = SequencedConnection(websocket)
        tasks: set[asyncio.Task[None]] = set()
        async with websocket:
            async for frame in connection.frames():
                if frame["type"] == "question":
                    task = asyncio.create_task(self._answer(connection, frame))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                elif frame["type"] in ("answer_received", "error"):
                    self._on_reply(frame)
                elif frame["type"] in ("answered", "question_closed", "reveal", "game_ended"):
                    self._on_broadcast(frame)
                if frame["type"] == "game_ended":
                    break
        self.tally.stale_frames += connection.stale

    async def _answer(self, connection: SequencedConnection, frame: Frame) -> None:
        index = frame["question"]
        window = min(self.answer_window_s, frame["remaining_ms"] / 1000 * 0.8)
        await asyncio.sleep(self.rng.uniform(0.2, max(window, 0.3)))
        right = self.rng.random() < self.accuracy
        response = answer_for(self.answer_key[index], frame["view"], right, self.rng)
        self._pending_since = time.perf_counter()
        self._acknowledged = False
        self.tally.sent += 1
        await connection.send({"action": "answer", "question": index, **response})

    def _on_reply(self, frame: Frame) -> None:
        if frame["type"] == "answer_received":
            self.tally.accepted += 1
            self._acknowledged = True
        else:
            self.tally.rejected[frame["code"]] = self.tally.rejected.get(frame["code"], 0) + 1
            self._pending_since = None

    def _on_broadcast(self, frame: Frame) -> None:
        if frame.get("you", {}).get("score") is not None:
            self.tally.points[self.player_id] = frame["you"]["score"]
        # The first frame after the acknowledgement already counts the answer.
        if self._pending_since is None or not self._acknowledged:
            return
        self.tally.latencies.append(time.perf_counter() - self._pending_since)
        self._pending_since = None


def answer_for(
    question: dict[str, Any], view: dict[str, Any], right: bool, rng: random.Random
) -> dict[str, Any]:
    """The response fields of an answer to ``question``: its right answer, or a wrong one."""
    kind = question.get("type", "single")
    if kind in ("single", "true_false", "poll"):
        count = len(view["choices"])
        if kind == "poll":
            return {"choice": rng.randrange(count)}
        correct = question["correct"]
        if kind == "true_false":
            correct = 0 if correct else 1
        wrong = [choice for choice in range(count) if choice != correct]
        return {"choice": correct if right else rng.choice(wrong)}
    if kind == "multiple":
        correct = sorted(question["correct"])
        if right:
            return {"choices": correct}
        others = [choice for choice in range(len(view["choices"])) if choice not in correct]
        return {"choices": [*correct[:-1], *others[:1]] or [correct[0], others[0]]}
    if kind == "type_answer":
        # Typed differently from the accepted answer, to show that case and spaces do not count.
        return {"text": f"  {question['accepted'][0].upper()} " if right else "no idea"}
    if kind == "slider":
        if right:
            return {"value": question["correct"]}
        low, high = question["min"], question["max"]
        return {"value": high if question["correct"] - low < high - question["correct"] else low}
    # Ordering: the frame shows the items shuffled; the answer lists positions in that list.
    shown = view["items"]
    order = [shown.index(item) for item in question["items"]]
    return {"order": order if right else order[::-1]}


class Host:
    """The host: starts the game, moves on after each reveal, and feeds frames to the display."""

    def __init__(
        self, token: str, reveal_s: float, on_frame: Callable[[Frame], Awaitable[None]]
    ) -> None:
        self.token = token
        self.reveal_s = reveal_s
        self.on_frame = on_frame
        self.final: Frame | None = None

    async def run(self, ws_url: str, everyone_connected: Awaitable[Any]) -> None:
        async with connect(f"{ws_url}?token={self.token}", open_timeout=30) as websocket:
            connection = SequencedConnection(websocket)
            await everyone_connected
            await connection.send({"action": "start"})
            async for frame in connection.frames():
                await self.on_frame(frame)
                if frame["type"] == "error":
                    raise RuntimeError(
                        f"the host's {frame.get('action')} was rejected: {frame['message']}"
                    )
                if frame["type"] == "reveal":
                    await asyncio.sleep(self.reveal_s)
                    await connection.send({"action": "next"})
                elif frame["type"] == "game_ended":
                    self.final = frame
                    return
