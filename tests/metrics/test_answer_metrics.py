import json
import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from livequiz import metrics
from livequiz.local.runtime import LocalRuntime, RuntimeConfig
from tests.handlers.conftest import Clock
from tests.metrics.samples import sample
from tests.support import GameFixture

ACCEPTED = {"result": "accepted", "reason": ""}
ALREADY_ANSWERED = {"result": "rejected", "reason": "already_answered"}


def answer_twice(make_game, clock: Clock) -> None:
    """Start a game with two players and send Ada's answer twice."""
    game: GameFixture = make_game()
    game.add_player("Ada")
    game.add_player("Bob")
    player, _ = game.connect(game.player_token("Ada"))
    # Bob is connected but never answers, so the question stays open for the duplicate.
    game.connect(game.player_token("Bob"))
    host, _ = game.connect(game.host_token())
    assert game.send(host, {"action": "start"})["type"] == "ok"
    clock.advance(2000)
    first = game.send(player, {"action": "answer", "question": 0, "choice": 1})
    assert first == {"type": "answer_received", "question": 0, "accepted": True}
    second = game.send(player, {"action": "answer", "question": 0, "choice": 1})
    assert second["code"] == "already_answered"


@pytest.fixture
def runtime() -> Iterator[LocalRuntime]:
    config = RuntimeConfig.on_free_ports(mappings={}, rest_app=None)
    with LocalRuntime(config).start_in_thread() as running:
        yield running.runtime


@pytest.mark.usefixtures("off_lambda")
def test_answer_and_duplicate_counted(make_game, clock: Clock) -> None:
    accepted = sample("answers_total", ACCEPTED)
    duplicates = sample("answers_total", ALREADY_ANSWERED)
    latencies = sample("answer_seconds_count")
    answer_twice(make_game, clock)
    assert sample("answers_total", ACCEPTED) == accepted + 1
    assert sample("answers_total", ALREADY_ANSWERED) == duplicates + 1
    assert sample("answer_seconds_count") == latencies + 2
    # The +Inf bucket counts every observation, and the host's start message is not one.
    assert sample("answer_seconds_bucket", {"le": "+Inf"}) == latencies + 2


def answers_counted() -> float:
    """Sum answers_total over every result and reason."""
    return sum(
        item.value
        for family in metrics.REGISTRY.collect()
        if family.name == "livequiz_answers"
        for item in family.samples
        if item.name == "livequiz_answers_total"
    )


@pytest.mark.usefixtures("off_lambda")
def test_answer_seconds_within_wall_time(make_game, clock: Clock) -> None:
    game: GameFixture = make_game()
    game.add_player("Ada")
    player, _ = game.connect(game.player_token("Ada"))
    host, _ = game.connect(game.host_token())
    assert game.send(host, {"action": "start"})["type"] == "ok"
    clock.advance(2000)
    observed_before = sample("answer_seconds_sum")
    started = time.perf_counter()
    reply = game.send(player, {"action": "answer", "question": 0, "choice": 1})
    elapsed_s = time.perf_counter() - started
    assert reply["type"] == "answer_received"
    observed_s = sample("answer_seconds_sum") - observed_before
    # The handler's own time cannot exceed the wall time around the call, in seconds; a value
    # in milliseconds would exceed it a thousandfold.
    assert observed_s > 0
    assert observed_s <= elapsed_s


@pytest.mark.usefixtures("off_lambda")
def test_rejected_host_action_not_an_answer(make_game, clock: Clock) -> None:
    game: GameFixture = make_game()
    game.add_player("Ada")
    player, _ = game.connect(game.player_token("Ada"))
    answers = answers_counted()
    latencies = sample("answer_seconds_count")
    # A player may not start the game, so the message is rejected, but it is no answer.
    reply = game.send(player, {"action": "start"})
    assert reply["type"] == "error"
    unknown = game.send(player, {"action": "dance"})
    assert unknown["code"] == "unknown_action"
    assert answers_counted() == answers
    assert sample("answer_seconds_count") == latencies


@pytest.mark.usefixtures("off_lambda")
def test_invalid_answer_counted_by_code(make_game, clock: Clock) -> None:
    labels = {"result": "rejected", "reason": "missing_field"}
    before = sample("answers_total", labels)
    game: GameFixture = make_game()
    game.add_player("Ada")
    player, _ = game.connect(game.player_token("Ada"))
    reply = game.send(player, {"action": "answer", "choice": 1})
    assert reply["code"] == "missing_field"
    assert sample("answers_total", labels) == before + 1


@pytest.mark.usefixtures("off_lambda")
def test_no_emf_output_off_lambda(make_game, clock: Clock, capsys) -> None:
    answer_twice(make_game, clock)
    assert "_aws" not in capsys.readouterr().out


@pytest.mark.usefixtures("off_lambda")
def test_metrics_served_over_http(make_game, clock: Clock, runtime: LocalRuntime) -> None:
    answer_twice(make_game, clock)
    response = httpx.get(runtime.metrics_url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = {
        (item.name, tuple(sorted(item.labels.items()))): item.value
        for family in text_string_to_metric_families(response.text)
        for item in family.samples
    }
    assert samples[("livequiz_answers_total", tuple(sorted(ACCEPTED.items())))] == sample(
        "answers_total", ACCEPTED
    )
    assert samples[("livequiz_answers_total", tuple(sorted(ALREADY_ANSWERED.items())))] == sample(
        "answers_total", ALREADY_ANSWERED
    )
    assert samples[("livequiz_answer_seconds_count", ())] == sample("answer_seconds_count")
    assert samples[("livequiz_answer_seconds_count", ())] >= 2


@pytest.mark.usefixtures("on_lambda")
def test_emf_output_on_lambda(make_game, clock: Clock, capsys) -> None:
    capsys.readouterr()
    answer_twice(make_game, clock)
    documents = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("{") and '"_aws"' in line
    ]
    by_dimensions = {}
    for document in documents:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "livequiz"
        names = tuple(sorted(metric["Name"] for metric in directive["Metrics"]))
        # The connect function's documents of the same game are tested with that function.
        if not set(names) <= {"answers_total", "answer_seconds"}:
            continue
        (dimension_set,) = directive["Dimensions"]
        assert document["service"] == "livequiz"
        dimensions = tuple(sorted(dimension_set))
        by_dimensions.setdefault(dimensions, []).append((names, document))
    # The start message is no answer, and each answer's invocation flushes its own documents.
    accepted = by_dimensions[("result", "service")]
    assert [names for names, _ in accepted] == [("answers_total",)]
    assert accepted[0][1]["result"] == "accepted"
    assert accepted[0][1]["answers_total"] == [1.0]
    rejected = by_dimensions[("reason", "result", "service")]
    assert [names for names, _ in rejected] == [("answers_total",)]
    assert rejected[0][1]["reason"] == "already_answered"
    latency = by_dimensions[("service",)]
    assert [names for names, _ in latency] == [("answer_seconds",), ("answer_seconds",)]
    for _, document in latency:
        (metric,) = document["_aws"]["CloudWatchMetrics"][0]["Metrics"]
        assert metric == {"Name": "answer_seconds", "Unit": "Seconds"}
        (seconds,) = document["answer_seconds"]
        assert 0 < seconds < 5
