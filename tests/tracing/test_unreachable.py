"""With tracing on and the APM server unreachable, a whole game still plays and persists.

No test here measures time. The black-hole server holds every connection until the test
releases it after the game. The agent sends its first events a moment into the game, and it
is configured to wait an hour for the reply. A handler that waited for the agent's requests
or flushes could not return before the test timeout, so the game could not finish.
"""

import logging

import pytest

from livequiz import tracing
from livequiz.config import Settings
from tests.tracing.conftest import play_short_game
from tests.tracing.servers import BlackHole, ClosedPort

PLAYERS = 4
QUESTIONS = 2
HOUR_S = "3600"


@pytest.mark.timeout(240)
def test_game_plays_while_server_never_replies(
    switch_on, black_hole: BlackHole, settings: Settings
) -> None:
    switch_on(
        black_hole.url,
        LIVEQUIZ_APM_SERVER_TIMEOUT_S=HOUR_S,
        LIVEQUIZ_APM_FLUSH_INTERVAL_S="0.1",
    )
    game = play_short_game(settings, PLAYERS, QUESTIONS)
    # The agent reached the server and is still waiting for its reply.
    assert black_hole.connections >= 1
    assert bytes(black_hole.received).startswith(b"POST /intake/v2/events")
    assert not black_hole.released.is_set()
    black_hole.release()
    tracing.close()

    assert game.tally.rejected == {}
    assert game.tally.accepted == PLAYERS * QUESTIONS
    assert game.persisted
    assert game.check.passed, game.check.problems
    assert game.check.answers_in_mysql == PLAYERS * QUESTIONS


@pytest.mark.timeout(240)
def test_game_plays_while_port_is_closed(
    switch_on, closed_port: ClosedPort, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    switch_on(closed_port.url)
    with caplog.at_level(logging.ERROR, logger="elasticapm.transport"):
        game = play_short_game(settings, PLAYERS, QUESTIONS)
        tracing.close()

    assert game.tally.rejected == {}
    assert game.tally.accepted == PLAYERS * QUESTIONS
    assert game.persisted
    assert game.check.passed, game.check.problems
    assert game.check.answers_in_mysql == PLAYERS * QUESTIONS
    # The agent tried to send, and its failures went to the log instead of a handler.
    failures = [
        record
        for record in caplog.records
        if record.name == "elasticapm.transport" and closed_port.url in record.getMessage()
    ]
    assert failures
