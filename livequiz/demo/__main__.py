"""Play one whole game with simulated players against the local stack, then check MySQL.

    python -m livequiz.demo [--players N] [--questions N] [--quiz FILE]
                            [--seconds-per-question S] [--accuracy P]

Exits with 1 when MySQL does not hold every accepted answer exactly once, or when its totals
differ from those in Redis.
"""

import argparse
import asyncio
import json
import logging
import random
import signal
import statistics
import sys
import time
import uuid
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from rich.console import Console

from livequiz import quizzes
from livequiz.config import get_settings
from livequiz.demo.check import compare, wait_until_persisted
from livequiz.demo.display import GameView, podium
from livequiz.demo.players import Host, SimulatedPlayer, Tally
from livequiz.demo.stack import LocalStack
from livequiz.errors import InvalidInputError
from livequiz.formats import opentdb
from livequiz.ids import GameId
from livequiz.store import GameStore, connect_redis

logger = logging.getLogger("livequiz.demo")

# Handshakes in flight at once: enough to connect 200 players in about a second without
# queueing the gateway's handler threads behind a burst.
CONNECT_CONCURRENCY = 50
PERSIST_TIMEOUT_S = 60.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m livequiz.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--players", type=int, default=200, help="simulated players (default 200)")
    parser.add_argument(
        "--questions", type=int, default=None, help="questions to play (default: all)"
    )
    parser.add_argument(
        "--quiz",
        type=Path,
        default=None,
        help="quiz file: our JSON format or an Open Trivia Database JSON file "
        "(default: the sample quiz)",
    )
    parser.add_argument(
        "--seconds-per-question",
        type=int,
        default=8,
        help="time limit of every question in seconds, 5 to 240 (default 8)",
    )
    parser.add_argument(
        "--accuracy",
        type=float,
        default=0.7,
        help="probability that a player answers correctly, 0 to 1 (default 0.7)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed for the players")
    parser.add_argument(
        "--log",
        type=Path,
        default=Path("out/demo/stack.log"),
        help="where the local stack writes its log (default out/demo/stack.log)",
    )
    args = parser.parse_args(argv)
    if args.players < 1:
        parser.error("--players must be at least 1")
    if args.questions is not None and args.questions < 1:
        parser.error("--questions must be at least 1")
    if not 5 <= args.seconds_per_question <= 240:
        parser.error("--seconds-per-question must be between 5 and 240")
    if not 0 <= args.accuracy <= 1:
        parser.error("--accuracy must be between 0 and 1")
    if args.quiz is not None and not args.quiz.exists():
        parser.error(f"--quiz {args.quiz}: no such file")
    if args.quiz is not None and not args.quiz.is_file():
        parser.error(f"--quiz {args.quiz}: not a file")
    try:
        args.quiz_document = load_quiz(args.quiz, args.questions)
    except QuizFileError as error:
        parser.error(f"--quiz: {error}")
    return args


def load_quiz(path: Path | None, limit: int | None) -> tuple[str, dict[str, Any]]:
    """Read and validate the quiz file; return ("opentdb" or "json", the parsed document).

    The file is checked here, before the stack starts, with the same validation the REST API
    applies, so a bad file fails fast with a message that names it.
    """
    if path is None:
        text = resources.files("livequiz").joinpath("sample_quiz.json").read_text()
        return "json", json.loads(text)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise QuizFileError(f"{path} is not UTF-8 text: {error}") from error
    except ValueError as error:
        raise QuizFileError(f"{path} is not valid JSON: {error}") from error
    kind = "opentdb" if isinstance(document, dict) and "results" in document else "json"
    try:
        if kind == "opentdb":
            opentdb.questions_from_opentdb(document, limit=limit)
        else:
            quizzes.parse_quiz(document)
    except InvalidInputError as error:
        raise QuizFileError(f"{path} is not a valid quiz: {error.message}") from error
    return kind, document


class QuizFileError(Exception):
    """The ``--quiz`` file cannot be read as a quiz."""


def expect(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 400:
        raise RuntimeError(f"{what} failed with HTTP {response.status_code}: {response.text}")
    body: dict[str, Any] = response.json()
    return body


async def set_up_game(rest: httpx.AsyncClient, args: argparse.Namespace) -> dict[str, Any]:
    email = f"demo-host-{uuid.uuid4().hex[:12]}@example.com"
    password = uuid.uuid4().hex
    account = expect(
        await rest.post(
            "/auth/register",
            json={"email": email, "password": password, "display_name": "Demo host"},
        ),
        "registering the host",
    )
    auth = {"Authorization": f"Bearer {account['access_token']}"}
    kind, document = args.quiz_document
    if kind == "opentdb":
        params: dict[str, Any] = {"title": args.quiz.stem}
        if args.questions is not None:
            params["limit"] = args.questions
        quiz = expect(
            await rest.post("/quizzes/import/opentdb", params=params, json=document, headers=auth),
            "importing the quiz",
        )
    else:
        quiz = expect(await rest.post("/quizzes", json=document, headers=auth), "creating the quiz")
    full = expect(await rest.get(f"/quizzes/{quiz['id']}", headers=auth), "reading the quiz")
    count = (
        len(full["questions"])
        if args.questions is None
        else min(args.questions, len(full["questions"]))
    )
    game = expect(
        await rest.post(
            "/games",
            headers=auth,
            json={
                "quiz_id": quiz["id"],
                "question_count": count,
                "seconds_per_question": args.seconds_per_question,
            },
        ),
        "creating the game",
    )
    game["answer_key"] = full["questions"][:count]
    game["title"] = full["title"]
    return game


async def join_players(rest: httpx.AsyncClient, pin: str, count: int) -> list[dict[str, Any]]:
    limit = asyncio.Semaphore(20)

    async def join(number: int) -> dict[str, Any]:
        async with limit:
            response = await rest.post(
                "/games/join", json={"pin": pin, "nickname": f"Player {number:03d}"}
            )
        return expect(response, f"joining player {number}")

    return list(await asyncio.gather(*(join(number) for number in range(1, count + 1))))


async def play(
    stack: LocalStack, args: argparse.Namespace, console: Console
) -> tuple[GameId, Tally, dict[str, Any] | None]:
    async with httpx.AsyncClient(base_url=stack.rest_url, timeout=30) as rest:
        game = await set_up_game(rest, args)
        console.print(
            f"Game {game['game_id']}, PIN {game['pin']}: {game['title']!r}, "
            f"{len(game['answer_key'])} questions, {args.players} players"
        )
        joined = await join_players(rest, game["pin"], args.players)
    rng = random.Random(args.seed)
    tally = Tally()
    ready = asyncio.Semaphore(CONNECT_CONCURRENCY)
    connected = [asyncio.Event() for _ in joined]
    players = [
        SimulatedPlayer(
            entry["player_id"],
            entry["nickname"],
            entry["player_token"],
            game["answer_key"],
            args.accuracy,
            args.seconds_per_question * 0.7,
            tally,
            random.Random(rng.random()),
        )
        for entry in joined
    ]
    with GameView(console, args.players) as view:
        host = Host(game["host_token"], reveal_s=1.0, on_frame=view.on_frame)
        everyone = asyncio.gather(*(event.wait() for event in connected))
        tasks = [
            asyncio.create_task(player.play(stack.ws_url, event, ready))
            for player, event in zip(players, connected, strict=True)
        ]
        await host.run(stack.ws_url, everyone)
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
    return GameId(game["game_id"]), tally, host.final


def percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so that leaving the ``with LocalStack`` block stops the
    stack's processes: otherwise they would outlive the demo and consume its queues."""

    def exit_now(signal_number: int, _frame: object) -> None:
        raise SystemExit(128 + signal_number)

    signal.signal(signal.SIGTERM, exit_now)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    stop_on_sigterm()
    console = Console()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    started = time.perf_counter()
    with LocalStack(args.log) as stack:
        console.print(f"Local stack up: {stack.ws_url} (WebSocket), {stack.rest_url} (REST)")
        game_id, tally, final = asyncio.run(play(stack, args, console))
        if final is not None:
            console.print()
            podium(console, final)
        engine = sa.create_engine(settings.mysql_url)
        store = GameStore(
            connect_redis(settings.redis_url), settings.game_ttl_s, settings.connection_ttl_s
        )
        persisted = wait_until_persisted(engine, game_id, tally.accepted, PERSIST_TIMEOUT_S)
        result = compare(engine, store, game_id, tally.accepted)
        if not persisted:
            result.problems.insert(0, f"persist did not finish within {PERSIST_TIMEOUT_S:.0f} s")
    elapsed = time.perf_counter() - started
    rejected = (
        ", ".join(f"{code} {count}" for code, count in sorted(tally.rejected.items())) or "none"
    )
    latencies_ms = [sample * 1000 for sample in tally.latencies]
    console.print(f"players: {args.players}")
    console.print(f"answers accepted: {tally.accepted} (rejected: {rejected})")
    console.print(f"answers in MySQL: {result.answers_in_mysql}")
    console.print(
        f"answer-to-frame latency: p50 {percentile(latencies_ms, 0.5):.1f} ms, "
        f"p99 {percentile(latencies_ms, 0.99):.1f} ms over {len(latencies_ms)} answers"
        f" (mean {statistics.fmean(latencies_ms) if latencies_ms else float('nan'):.1f} ms)"
    )
    console.print(f"late frames dropped by sequence number: {tally.stale_frames}")
    console.print(f"wall time: {elapsed:.1f} s")
    if not result.passed:
        for problem in result.problems[:20]:
            console.print(f"[red]check failed:[/red] {problem}")
        return 1
    console.print(
        "[green]check passed:[/green] MySQL holds every accepted answer once, "
        "and its totals equal those in Redis"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
