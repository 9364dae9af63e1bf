"""Play demo games under a real Prometheus, then draw the dashboard from it as a PNG.

    .venv/bin/python scripts/dashboard_demo.py [--players N] [--output PNG]

Starts Prometheus (scripts/local_prometheus.py) scraping the demo's local stack, which runs
``python -m livequiz.local`` with its mappings process, and plays two games at once: the
demo's game of simulated players, and a small game whose players also send invalid, duplicate
and late answers and whose clients try handshakes with invalid tokens, so that the rejection
panels have data. Once Prometheus has scraped the end of the games, it renders
monitoring/grafana/dashboards/livequiz.json with scripts/render_dashboard.py.
"""

import argparse
import asyncio
import contextlib
import logging
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from livequiz.demo.__main__ import join_players, play, set_up_game
from livequiz.demo.__main__ import parse_args as parse_demo_arguments
from livequiz.demo.players import Host, SequencedConnection, Tally, answer_for
from livequiz.demo.stack import LocalStack
from scripts.local_prometheus import PrometheusProcess, local_config
from scripts.render_dashboard import render_dashboard

logger = logging.getLogger("livequiz.dashboard_demo")

REPOSITORY = Path(__file__).resolve().parents[1]
# How long a client waits for the replies to its last messages once the game has ended.
REPLY_TIMEOUT_S = 10.0
SCRAPE_TIMEOUT_S = 60.0
JOBS = ("livequiz-runtime", "livequiz-workers")


@dataclass
class Troublemaker:
    """A player who, for every question, sends an answer to a question that does not exist, an
    answer without its question, a real answer twice, and one more answer after the close.

    Every message sent adds to ``tally.sent``, and every reply is added to ``tally``: accepted
    answers, and rejections by error code.
    """

    token: str
    answer_key: list[dict[str, Any]]
    tally: Tally
    rng: random.Random
    sent: int = 0
    replied: int = 0

    async def play(self, ws_url: str, connected: asyncio.Event) -> None:
        async with connect(f"{ws_url}?token={self.token}", open_timeout=30) as websocket:
            connected.set()
            connection = SequencedConnection(websocket)
            frames = connection.frames()
            async for frame in frames:
                if self._on_frame(frame):
                    await self._after(connection, frame)
                if frame["type"] == "game_ended":
                    break
            await asyncio.wait_for(self._drain_replies(frames), REPLY_TIMEOUT_S)

    def _on_frame(self, frame: dict[str, Any]) -> bool:
        """Count a reply; return True for a frame that the player acts on."""
        if frame["type"] == "answer_received":
            self.tally.accepted += 1
            self.replied += 1
            return False
        if frame["type"] == "error":
            code = frame["code"]
            self.tally.rejected[code] = self.tally.rejected.get(code, 0) + 1
            self.replied += 1
            return False
        return frame["type"] in ("question", "question_closed")

    async def _after(self, connection: SequencedConnection, frame: dict[str, Any]) -> None:
        index = frame["question"]
        if frame["type"] == "question_closed":
            await self._send(connection, {"action": "answer", "question": index, "choice": 0})
            return
        await self._send(connection, {"action": "answer", "question": index + 100, "choice": 0})
        await self._send(connection, {"action": "answer", "choice": 0})
        await asyncio.sleep(self.rng.uniform(0.3, 1.5))
        right = self.rng.random() < 0.5
        response = answer_for(self.answer_key[index], frame["view"], right, self.rng)
        for _ in range(2):
            await self._send(connection, {"action": "answer", "question": index, **response})

    async def _send(self, connection: SequencedConnection, message: dict[str, Any]) -> None:
        self.sent += 1
        self.tally.sent += 1
        await connection.send(message)

    async def _drain_replies(self, frames: Any) -> None:
        while self.replied < self.sent:
            frame = await anext(frames)
            self._on_frame(frame)


async def try_handshake(ws_url: str, query: str) -> int:
    """Open a WebSocket with ``query`` and return the handshake's HTTP status."""
    try:
        async with connect(f"{ws_url}{query}", open_timeout=30):
            return 101
    except InvalidStatus as error:
        return error.response.status_code


async def play_troubled_game(
    stack: LocalStack, arguments: argparse.Namespace, players: int, tally: Tally
) -> None:
    """Play a game of Troublemakers only; ``arguments`` are the demo's."""
    async with httpx.AsyncClient(base_url=stack.rest_url, timeout=30) as rest:
        game = await set_up_game(rest, arguments)
        joined = await join_players(rest, game["pin"], players)
    rng = random.Random(arguments.seed)
    troublemakers = [
        Troublemaker(entry["player_token"], game["answer_key"], tally, random.Random(rng.random()))
        for entry in joined
    ]
    connected = [asyncio.Event() for _ in troublemakers]
    tasks = [
        asyncio.create_task(player.play(stack.ws_url, event))
        for player, event in zip(troublemakers, connected, strict=True)
    ]

    async def ignore(frame: dict[str, Any]) -> None:
        return None

    host = Host(game["host_token"], reveal_s=1.0, on_frame=ignore)
    await host.run(stack.ws_url, asyncio.gather(*(event.wait() for event in connected)))
    await asyncio.gather(*tasks)


async def knock(stack: LocalStack, until: asyncio.Event, interval_s: float) -> None:
    """Try a handshake with an invalid token, then one without, every ``interval_s``."""
    while not until.is_set():
        for query in ("?token=not-a-token", ""):
            status = await try_handshake(stack.ws_url, query)
            if status != 401:
                logger.warning("a handshake with query %r returned %d, not 401", query, status)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(until.wait(), interval_s)


async def play_games(stack: LocalStack, arguments: argparse.Namespace, console: Console) -> None:
    demo = parse_demo_arguments(
        [
            "--players",
            str(arguments.players),
            "--seconds-per-question",
            str(arguments.seconds_per_question),
            "--seed",
            str(arguments.seed),
        ]
    )
    troubled = parse_demo_arguments(
        ["--seconds-per-question", str(arguments.seconds_per_question), "--seed", "1"]
    )
    done = asyncio.Event()
    knocking = asyncio.create_task(knock(stack, done, 3.0))
    tally = Tally()
    try:
        await asyncio.gather(
            play(stack, demo, console),
            play_troubled_game(stack, troubled, arguments.troublemakers, tally),
        )
    finally:
        done.set()
        await knocking
    rejected = ", ".join(f"{code} {count}" for code, count in sorted(tally.rejected.items()))
    console.print(f"troubled game: {tally.accepted} answers accepted, rejected: {rejected}")


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python scripts/dashboard_demo.py", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--players", type=int, default=100, help="simulated players of the demo")
    parser.add_argument(
        "--troublemakers", type=int, default=4, help="players of the game of rejected answers"
    )
    parser.add_argument(
        "--seconds-per-question", type=int, default=8, help="time limit of every question, s"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed of the players")
    parser.add_argument(
        "--scrape-interval", type=float, default=2.0, help="Prometheus scrape interval, s"
    )
    parser.add_argument(
        "--tail", type=float, default=20.0, help="seconds to keep scraping after the games"
    )
    parser.add_argument(
        "--output", type=Path, default=REPOSITORY / "docs" / "images" / "dashboard.png"
    )
    parser.add_argument(
        "--log",
        type=Path,
        default=REPOSITORY / "out" / "dashboard" / "stack.log",
        help="where the local stack writes its log",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    console = Console()
    # The demo's stack starts its mappings process with the default metrics port.
    stack = LocalStack(arguments.log)
    config = local_config(
        {
            "livequiz-runtime": [f"127.0.0.1:{stack.management_port}"],
            "livequiz-workers": [f"127.0.0.1:{stack.workers_metrics_port}"],
        },
        arguments.scrape_interval,
    )
    with PrometheusProcess(config) as prometheus:
        started = time.time()
        with stack:
            console.print(f"Prometheus at {prometheus.url}, local stack log in {arguments.log}")
            # A scrape of the idle stack first, so that the gauges rise from 0 in the picture.
            for job in JOBS:
                prometheus.wait_for_scrape(job, time.time(), SCRAPE_TIMEOUT_S)
            asyncio.run(play_games(stack, arguments, console))
            ended = time.time()
            for job in JOBS:
                prometheus.wait_for_scrape(
                    job, ended + arguments.tail, SCRAPE_TIMEOUT_S + arguments.tail
                )
            render_dashboard(
                prometheus.url,
                started,
                time.time(),
                step_s=arguments.scrape_interval,
                scrape_interval_s=arguments.scrape_interval,
                output=arguments.output,
            )
    console.print(f"wrote {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
