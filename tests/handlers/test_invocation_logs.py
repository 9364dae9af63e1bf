"""The keys of the functions' JSON logs when invocations run one after another and at once."""

import io
import json
import logging
import threading
from typing import Any

import pytest

from functions import logs
from functions.logs import FunctionLogger, entry_point
from tests.support import context


def json_logger(stream: io.StringIO, service: str) -> FunctionLogger:
    """Return a logger writing to ``stream``. Powertools configures one logger per service
    name, so each test takes a name of its own."""
    return FunctionLogger(service=service, logger_handler=logging.StreamHandler(stream))


def records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_keys_cleared_between_invocations() -> None:
    stream = io.StringIO()
    logger = json_logger(stream, "livequiz-logtest-sequential")

    @entry_point("answer", logger)
    def handler(event: dict[str, Any], context: Any) -> None:
        if "game" in event:
            logger.append_keys(game_id=event["game"])
        logger.info("handled")

    first, second = context("answer"), context("answer")
    handler({"game": "g1"}, first)
    handler({}, second)
    one, two = records(stream)
    assert one["function_request_id"] == first.aws_request_id
    assert one["game_id"] == "g1"
    assert one["function_name"] == "answer"
    assert two["function_request_id"] == second.aws_request_id
    assert "game_id" not in two
    assert two["cold_start"] is False


def test_concurrent_invocations_keep_their_keys() -> None:
    stream = io.StringIO()
    logger = json_logger(stream, "livequiz-logtest-concurrent")
    # Both invocations append their keys before either logs, so shared keys would mix.
    both_appended = threading.Barrier(2)

    @entry_point("connect", logger)
    def handler(event: dict[str, Any], context: Any) -> None:
        logger.append_keys(game_id=event["game"], connection_id=event["connection"])
        both_appended.wait(timeout=10)
        logger.info("connected")

    contexts = {"g1": context("connect"), "g2": context("connect")}
    threads = [
        threading.Thread(target=handler, args=({"game": game, "connection": f"c-{game}"}, ctx))
        for game, ctx in contexts.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    by_game = {record["game_id"]: record for record in records(stream)}
    assert set(by_game) == {"g1", "g2"}
    for game, ctx in contexts.items():
        assert by_game[game]["function_request_id"] == ctx.aws_request_id
        assert by_game[game]["connection_id"] == f"c-{game}"


def test_cold_start_per_function(monkeypatch: pytest.MonkeyPatch) -> None:
    # The local runtime runs every function in one process, so each has its own cold start.
    monkeypatch.setattr(logs, "_warm", set())
    stream = io.StringIO()
    logger = json_logger(stream, "livequiz-logtest-cold-start")

    def handler(event: dict[str, Any], context: Any) -> None:
        logger.info("handled")

    answer = entry_point("answer", logger)(handler)
    connect = entry_point("connect", logger)(handler)
    answer({}, context("answer"))
    answer({}, context("answer"))
    connect({}, context("connect"))
    connect({}, context("connect"))
    flags = [(record["function_name"], record["cold_start"]) for record in records(stream)]
    assert flags == [("answer", True), ("answer", False), ("connect", True), ("connect", False)]
