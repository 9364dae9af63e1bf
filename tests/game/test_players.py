"""Players who reconnect, join late, or answer twice, through the real handlers."""

from collections.abc import Callable

import pytest

from livequiz.errors import ConflictError
from tests.game.conftest import START_MS, Table, of_type, single


def reconnected_mid_question(make_table: Callable[..., Table]) -> Table:
    """Play question 0, then let Ada answer question 1, drop and reconnect at 7 s."""
    table = make_table([single(), single(), single()], streak_bonus=True)
    table.command("start")
    table.clock.advance(1000)
    table.answer("Ada", 0, choice=1)
    table.answer("Bob", 0, choice=1)
    table.clock.ms = START_MS + 3000
    assert table.command("next")["deadline_ms"] == START_MS + 13_000
    table.clock.advance(2000)
    assert table.answer("Ada", 1, choice=1)["accepted"] is True
    table.game.disconnect(table.connections["Ada"])
    table.clock.advance(1000)
    table.connections["Ada"], response = table.game.connect(table.game.player_token("Ada"))
    assert response == {"statusCode": 200}
    table.clock.advance(1000)
    return table


def test_sync_after_reconnect(make_table: Callable[..., Table]) -> None:
    table = reconnected_mid_question(make_table)
    reply = table.game.send(table.connections["Ada"], {"action": "sync"})
    assert reply["type"] == "state"
    assert reply["phase"] == "question_open"
    assert reply["question"] == 1
    assert reply["round"] == 2
    assert reply["count"] == 3
    assert reply["server_ms"] == START_MS + 7000
    assert reply["view"] == {
        "type": "single",
        "text": "Which one is choice 1?",
        "points": 1,
        "choices": ["zero", "one", "two", "three"],
    }
    assert reply["limit_ms"] == 10_000
    assert reply["deadline_ms"] == START_MS + 13_000
    assert reply["remaining_ms"] == 6000
    assert reply["you"]["answer"] == {"response": 1}


def test_sync_hides_unrevealed_points(make_table: Callable[..., Table]) -> None:
    table = reconnected_mid_question(make_table)
    # Ada has 950 from question 0 and 900 + 100 bonus stored for question 1, which the score
    # must not show before the reveal.
    assert table.game.total("Ada") == 1950
    you = table.game.send(table.connections["Ada"], {"action": "sync"})["you"]
    assert you["score"] == 950
    assert you["streak"] == 1


def test_sync_after_reveal(make_table: Callable[..., Table]) -> None:
    table = reconnected_mid_question(make_table)
    table.answer("Bob", 1, choice=0)
    assert table.phase() == "question_closed"
    you = table.game.send(table.connections["Ada"], {"action": "sync"})["you"]
    assert you == {
        "score": 1950,
        "streak": 2,
        "answer": {"response": 1, "correct": True, "points": 1000},
    }


def test_sync_after_reveal_has_reveal(make_table: Callable[..., Table]) -> None:
    table = reconnected_mid_question(make_table)
    table.answer("Bob", 1, choice=0)
    player = table.game.send(table.connections["Ada"], {"action": "sync"})
    reveal = player["reveal"]
    assert reveal["type"] == "reveal"
    assert reveal["question"] == 1
    assert reveal["question_type"] == "single"
    assert reveal["correct"] == 1
    assert reveal["answered"] == 2
    assert reveal["right"] == 1
    assert reveal["distribution"] == {"counts": [1, 1, 0, 0]}
    assert reveal["you"]["correct"] is True
    assert reveal["you"]["points"] == 1000
    assert reveal["you"]["score"] == 1950
    assert reveal["you"]["rank"] == 1
    assert [entry["score"] for entry in reveal["top"]] == [1950, 950]
    assert "seq" not in reveal
    host = table.command("sync")
    assert host["reveal"]["distribution"] == {"counts": [1, 1, 0, 0]}
    assert "you" not in host["reveal"]
    # Before the reveal there is none to send.
    table.command("next")
    assert "reveal" not in table.game.send(table.connections["Ada"], {"action": "sync"})


def test_sync_while_paused(make_table: Callable[..., Table]) -> None:
    table = reconnected_mid_question(make_table)
    table.command("pause")
    table.clock.advance(30_000)
    reply = table.game.send(table.connections["Ada"], {"action": "sync"})
    assert reply["phase"] == "paused"
    assert reply["remaining_ms"] == 6000
    assert reply["pause_reason"] == "host"
    assert "deadline_ms" not in reply
    assert reply["you"]["score"] == 950
    assert reply["paused_from"] == "question_open"
    assert "reveal" not in reply


def test_sync_paused_after_reveal_has_reveal(make_table: Callable[..., Table]) -> None:
    table = reconnected_mid_question(make_table)
    table.answer("Bob", 1, choice=0)
    table.command("pause")
    player = table.game.send(table.connections["Ada"], {"action": "sync"})
    assert player["phase"] == "paused"
    assert player["paused_from"] == "question_closed"
    assert player["reveal"]["question"] == 1
    assert player["reveal"]["correct"] == 1
    assert player["reveal"]["you"]["points"] == 1000
    host = table.command("sync")
    assert host["paused_from"] == "question_closed"
    assert host["reveal"]["distribution"] == {"counts": [1, 1, 0, 0]}
    # After the resume the game is closed and revealed again, as before the pause.
    table.command("resume")
    resumed = table.game.send(table.connections["Bob"], {"action": "sync"})
    assert resumed["phase"] == "question_closed"
    assert resumed["reveal"]["you"]["correct"] is False


# Late joins


def test_late_player_answers_open_question(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()])
    table.command("start")
    table.clock.advance(1000)
    table.answer("Ada", 0, choice=1)
    table.join("Cy")
    assert table.game.total("Cy") == 0
    you = table.game.send(table.connections["Cy"], {"action": "sync"})["you"]
    assert you == {"score": 0, "streak": 0}
    table.answer("Bob", 0, choice=1)
    # Cy is connected and has not answered, so the question stays open.
    assert table.phase() == "question_open"
    table.clock.advance(2000)
    assert table.answer("Cy", 0, choice=1)["accepted"] is True
    assert table.phase() == "question_closed"
    assert table.game.points("Cy", 0) == 850
    assert table.game.total("Cy") == 850


def test_late_join_refused(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()], late_join=False)
    table.join("Cy")
    table.command("start")
    with pytest.raises(ConflictError) as raised:
        table.game.add_player("Dee")
    assert raised.value.code == "game_started"
    assert table.game.store.player_count(table.game_id) == 3


# The answered count of scores.changed


def test_duplicate_answer_keeps_count(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()], players=("Ada", "Bob", "Cy"))
    table.command("start")
    table.answer("Ada", 0, choice=1)
    assert table.answer("Ada", 0, choice=2)["code"] == "already_answered"
    assert table.answer("Ada", 0, choice=1)["code"] == "already_answered"
    table.answer("Bob", 0, choice=0)
    changed = of_type(table.events(), "scores.changed")
    assert [event["data"] for event in changed] == [
        {"question": 0, "answered": 1, "online": 3},
        {"question": 0, "answered": 2, "online": 3},
    ]
    assert table.game.store.answered_count(table.game_id, 0) == 2
    assert table.command("sync")["answered"] == 2
