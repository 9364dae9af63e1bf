"""A real Prometheus scrapes a LocalRuntime while a short game plays, and its counters match.

The game is the demo's: players join over the REST API and play over WebSocket connections,
one of them a Troublemaker of scripts/dashboard_demo.py whose invalid, duplicate and late
answers are rejected. Two more handshakes are rejected for their tokens. The runtime serves all
metrics of its process at ``metrics_url``, which Prometheus scrapes every 0.5 s.
"""

import asyncio
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from functions.broadcast import handler as broadcast_function
from livequiz.config import Settings
from livequiz.demo.__main__ import join_players, set_up_game
from livequiz.demo.__main__ import parse_args as parse_demo_arguments
from livequiz.demo.players import Host, SimulatedPlayer, Tally
from livequiz.fanout import Fanout
from livequiz.local.runtime import LocalRuntime, RuntimeConfig, RuntimeThread
from livequiz.metrics import METRICS
from scripts.dashboard_demo import Troublemaker, try_handshake
from scripts.local_prometheus import PrometheusProcess, local_config
from tests.conftest import scaled
from tests.monitoring.promql import exported_samples

JOB = "livequiz-runtime"
SCRAPE_INTERVAL_S = 0.5
PLAYERS = 3
QUESTIONS = 2
# The handshakes that are rejected, by the query string they send and the reason counted.
BAD_HANDSHAKES = {"invalid_token": "?token=not-a-token", "missing_token": ""}
GAME_TIMEOUT_S = scaled(90)


Counters = dict[str, dict[str, float]]
# The game, and the counters of a scrape before it and of one after it.
Played = tuple["PlayedGame", Counters, Counters]


@dataclass
class PlayedGame:
    tally: Tally
    # HTTP status of each rejected handshake, by the reason it should be counted under.
    handshakes: dict[str, int] = field(default_factory=dict)
    # Handshakes accepted: every player, the Troublemaker and the host.
    connected: int = 0


@pytest.fixture(scope="module")
def runtime(settings: Settings) -> Iterator[RuntimeThread]:
    """The whole local stack in this process: gateway, REST API and the queue mappings."""
    with (
        LocalRuntime(RuntimeConfig.on_free_ports()).start_in_thread() as running,
        pytest.MonkeyPatch.context() as patch,
    ):
        # The broadcast function keeps its first fan-out, which an earlier test's runtime
        # may have built; this one posts to this runtime's @connections API.
        local = settings.model_copy(update={"management_url": running.management_url})
        fanout = Fanout(local)
        patch.setattr(broadcast_function, "_fanout", lambda: fanout)
        yield running


@pytest.fixture(scope="module")
def prometheus(runtime: RuntimeThread) -> Iterator[PrometheusProcess]:
    address = urlsplit(runtime.metrics_url)
    assert address.path == "/metrics", "prometheus.yml scrapes the default metrics path"
    config = local_config({JOB: [address.netloc]}, SCRAPE_INTERVAL_S)
    with PrometheusProcess(config) as server:
        yield server


async def play_game(runtime: RuntimeThread) -> PlayedGame:
    arguments = parse_demo_arguments(
        ["--players", str(PLAYERS), "--questions", str(QUESTIONS), "--seconds-per-question", "5"]
    )
    assert runtime.rest_url is not None
    async with httpx.AsyncClient(base_url=runtime.rest_url, timeout=30) as rest:
        game = await set_up_game(rest, arguments)
        joined = await join_players(rest, game["pin"], PLAYERS + 1)
    played = PlayedGame(Tally())
    for reason, query in BAD_HANDSHAKES.items():
        played.handshakes[reason] = await try_handshake(runtime.ws_url, query)
    rng = random.Random(11)
    players = [
        SimulatedPlayer(
            entry["player_id"],
            entry["nickname"],
            entry["player_token"],
            game["answer_key"],
            0.5,
            2.0,
            played.tally,
            random.Random(rng.random()),
        )
        for entry in joined[:PLAYERS]
    ]
    troublemaker = Troublemaker(
        joined[-1]["player_token"], game["answer_key"], played.tally, random.Random(5)
    )
    connected = [asyncio.Event() for _ in joined]
    ready = asyncio.Semaphore(PLAYERS)
    tasks = [
        asyncio.create_task(player.play(runtime.ws_url, event, ready))
        for player, event in zip(players, connected, strict=False)
    ]
    tasks.append(asyncio.create_task(troublemaker.play(runtime.ws_url, connected[-1])))

    async def ignore(frame: dict[str, Any]) -> None:
        return None

    host = Host(game["host_token"], reveal_s=0.2, on_frame=ignore)
    everyone = asyncio.gather(*(event.wait() for event in connected))
    await asyncio.wait_for(host.run(runtime.ws_url, everyone), GAME_TIMEOUT_S)
    assert host.final is not None, "the game did not end"
    await asyncio.wait_for(asyncio.gather(*tasks), GAME_TIMEOUT_S)
    played.connected = len(joined) + 1
    return played


def counts_by(prometheus: PrometheusProcess, expression: str, label: str) -> dict[str, float]:
    """Return an expression's values by one label, the label's absence as ''."""
    return {
        sample["metric"].get(label, ""): float(sample["value"][1])
        for sample in prometheus.query(expression)
    }


def snapshot(prometheus: PrometheusProcess) -> Counters:
    """Read the answer and connect counters, by result and by rejection reason."""
    return {
        "answers": counts_by(prometheus, "sum by (result) (livequiz_answers_total)", "result"),
        "answer_rejections": counts_by(
            prometheus,
            'sum by (reason) (livequiz_answers_total{result="rejected"})',
            "reason",
        ),
        "connects": counts_by(prometheus, "sum by (result) (livequiz_connects_total)", "result"),
        "connect_rejections": counts_by(
            prometheus,
            'sum by (reason) (livequiz_connects_total{result="rejected"})',
            "reason",
        ),
    }


def increase(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Return the keys whose value changed, with the change; a new key counts from 0."""
    changes = {key: value - before.get(key, 0.0) for key, value in after.items()}
    return {key: change for key, change in changes.items() if change}


@pytest.fixture(scope="module")
def played_under_prometheus(runtime: RuntimeThread, prometheus: PrometheusProcess) -> Played:
    """Play the game between two scrapes; return it and the counters of both scrapes."""
    prometheus.wait_for_scrape(JOB, after=time.time(), timeout_s=scaled(30))
    before = snapshot(prometheus)
    played = asyncio.run(play_game(runtime))
    prometheus.wait_for_scrape(JOB, after=time.time(), timeout_s=scaled(30))
    return played, before, snapshot(prometheus)


def test_counters_match_the_game(played_under_prometheus: Played) -> None:
    played, before, after = played_under_prometheus
    tally = played.tally
    assert tally.accepted > 0
    answers = increase(before["answers"], after["answers"])
    # Every answer message the players sent is counted once, whether or not its reply came.
    assert answers.get("accepted", 0) + answers.get("rejected", 0) == tally.sent
    assert answers.get("accepted", 0) == tally.accepted
    assert answers.get("rejected", 0) == sum(tally.rejected.values())
    rejections = increase(before["answer_rejections"], after["answer_rejections"])
    assert rejections == tally.rejected
    # Every question got one answer to a question that does not exist and one without its
    # question from the Troublemaker.
    assert tally.rejected.get("unknown_question") == QUESTIONS
    assert tally.rejected.get("missing_field") == QUESTIONS


def test_connects_match_the_game(played_under_prometheus: Played) -> None:
    played, before, after = played_under_prometheus
    assert played.handshakes == {reason: 401 for reason in BAD_HANDSHAKES}
    connects = increase(before["connects"], after["connects"])
    assert connects.get("accepted", 0) == PLAYERS + 2
    assert played.connected == PLAYERS + 2
    assert connects.get("rejected", 0) == len(BAD_HANDSHAKES)
    rejections = increase(before["connect_rejections"], after["connect_rejections"])
    assert rejections == {reason: 1 for reason in BAD_HANDSHAKES}


def test_scraped_names_are_in_the_table(
    played_under_prometheus: Played, prometheus: PrometheusProcess
) -> None:
    samples = exported_samples(METRICS)
    names = prometheus.api("label/__name__/values")
    scraped = [name for name in names if name.startswith("livequiz_")]
    # prometheus-client adds a _created sample of each counter and histogram series.
    unknown = [
        name
        for name in scraped
        if name not in samples
        and name.removesuffix("_created") + "_total" not in samples
        and name.removesuffix("_created") + "_count" not in samples
    ]
    assert not unknown, f"scraped metrics missing from METRICS: {unknown}"
    assert "livequiz_answers_total" in scraped


def test_alert_rules_evaluate_without_error(
    played_under_prometheus: Played, prometheus: PrometheusProcess
) -> None:
    groups = prometheus.api("rules")["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert rules, "Prometheus loaded no rule from alerts.yml"
    for rule in rules:
        assert rule["health"] == "ok", (rule["name"], rule.get("lastError"))
    # The runtime responded to every scrape, so it is not reported down.
    firing = {
        alert["labels"]["alertname"]
        for alert in prometheus.api("alerts")["alerts"]
        if alert["state"] == "firing"
    }
    assert "LivequizRuntimeDown" not in firing
