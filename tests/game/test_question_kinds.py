"""A whole game over one question of each kind, with the exact points stored per player."""

from collections.abc import Callable
from typing import Any

from tests.game.conftest import Table, of_type, single

QUESTIONS: list[dict[str, Any]] = [
    single(correct=1, points=2),
    {"type": "true_false", "text": "Ice sinks in water", "correct": False, "time_limit": 10},
    {
        "type": "multiple",
        "text": "Which are prime?",
        "choices": ["2", "3", "5", "7", "9", "15"],
        "correct": [0, 1, 2, 3],
        "scoring": "partial",
        "time_limit": 10,
    },
    {
        "type": "type_answer",
        "text": "Capital of France",
        "accepted": ["Paris", "Paname"],
        "time_limit": 10,
    },
    {
        "type": "slider",
        "text": "Where is the middle of 0 to 100?",
        "min": 0,
        "max": 100,
        "correct": 50,
        "tolerance": 10,
        "time_limit": 10,
    },
    {
        "type": "ordering",
        "text": "From smallest to largest",
        "items": ["ant", "cat", "horse", "whale"],
        "scoring": "partial",
        "time_limit": 10,
    },
    {"type": "poll", "text": "Did you enjoy it?", "choices": ["yes", "no"], "time_limit": 10},
]
# Ada answers every question at 2.5 s (875 points when right), Bob at 5 s (750 when right).
ADA_ANSWERS: list[dict[str, Any]] = [
    {"choice": 1},
    {"choice": 1},
    {"choices": [3, 2, 1, 0]},
    {"text": " PARÍS "},
    {"value": 50},
    # The ordering question is shown as [horse, cat, ant, whale]: see the shown order below.
    {"order": [2, 1, 0, 3]},
    {"choice": 0},
]
BOB_ANSWERS: list[dict[str, Any]] = [
    {"choice": 0},
    {"choice": 1},
    # Three right picks and one wrong one: (3 - 1) / 4 of 750.
    {"choices": [0, 1, 2, 4]},
    {"text": "pa\u00adname"},
    # Half the tolerance off: 3/4 of 750 is 562.5, rounded down.
    {"value": 55},
    # cat, ant, horse, whale: horse and whale are in place, 2/4 of 750.
    {"order": [1, 2, 0, 3]},
    {"choice": 1},
]
ADA_POINTS = [1750, 875, 875, 875, 875, 875, 0]
BOB_POINTS = [0, 750, 375, 750, 562, 375, 0]


def play_all(table: Table) -> None:
    for index in range(len(QUESTIONS)):
        reply = table.command("start" if index == 0 else "next")
        assert reply["question"] == index
        table.clock.advance(2500)
        ada = table.answer("Ada", index, **ADA_ANSWERS[index])
        assert ada == {"type": "answer_received", "question": index, "accepted": True}
        table.clock.advance(2500)
        bob = table.answer("Bob", index, **BOB_ANSWERS[index])
        assert bob == {"type": "answer_received", "question": index, "accepted": True}
        assert table.phase() == "question_closed"
        table.clock.advance(1000)


def test_every_kind_scores_exactly(make_table: Callable[..., Table]) -> None:
    table = make_table(QUESTIONS)
    assert table.game.questions[5]["shown"] == [2, 1, 0, 3]
    play_all(table)
    game = table.game
    assert [game.points("Ada", index) for index in range(7)] == ADA_POINTS
    assert [game.points("Bob", index) for index in range(7)] == BOB_POINTS
    assert game.total("Ada") == 6125
    assert game.total("Bob") == 2812


def test_every_kind_stores_graded_response(make_table: Callable[..., Table]) -> None:
    table = make_table(QUESTIONS)
    play_all(table)
    ada = table.game.players["Ada"]
    stored = [table.game.store.answer(table.game_id, index, ada) for index in range(7)]
    assert [answer["response"] for answer in stored if answer] == [
        1,
        1,
        [0, 1, 2, 3],
        "paris",
        50,
        [0, 1, 2, 3],
        0,
    ]
    assert [answer["correct"] for answer in stored if answer] == [
        True,
        True,
        True,
        True,
        True,
        True,
        None,
    ]


def test_every_kind_reveals_answer(make_table: Callable[..., Table]) -> None:
    table = make_table(QUESTIONS)
    play_all(table)
    revealed = of_type(table.events(), "question.revealed")
    assert [event["data"]["correct"] for event in revealed] == [
        1,
        1,
        [0, 1, 2, 3],
        ["Paris", "Paname"],
        {"value": 50.0, "tolerance": 10.0},
        # The right order as positions in the shown list, which is [2, 1, 0, 3] here.
        [2, 1, 0, 3],
        None,
    ]
    assert revealed[5]["data"]["items"] == QUESTIONS[5]["items"]
    assert [event["data"]["right"] for event in revealed] == [1, 2, 1, 2, 2, 1, None]
    assert revealed[3]["data"]["distribution"] == {"counts": [1, 1], "other": 0}
    assert revealed[6]["data"]["distribution"] == {"counts": [1, 1]}


def test_every_kind_final_ranking(make_table: Callable[..., Table]) -> None:
    table = make_table(QUESTIONS)
    play_all(table)
    assert table.command("next") == {"type": "ok", "action": "next", "phase": "ended"}
    ended = of_type(table.events(table.settings.persist_queue), "game.ended")
    assert len(ended) == 1
    players = ended[0]["data"]["players"]
    assert [player["player_id"] for player in players] == [
        table.game.players["Ada"],
        table.game.players["Bob"],
    ]
    assert [player["total"] for player in players] == [6125, 2812]
    assert [player["rank"] for player in players] == [1, 2]


def test_sync_names_ordering_items_in_order(make_table: Callable[..., Table]) -> None:
    table = make_table([QUESTIONS[5], single()])
    table.command("start")
    table.clock.advance(1000)
    # Shown as [horse, cat, ant, whale], so Bob's positions put cat, ant, horse, whale.
    table.answer("Bob", 0, order=[1, 2, 0, 3])
    # Ada has not answered, so the question is open and nothing is revealed.
    reply = table.game.send(table.connections["Bob"], {"action": "sync"})
    assert reply["phase"] == "question_open"
    assert reply["you"]["answer"]["response"] == [1, 0, 2, 3]
    assert reply["you"]["answer"]["items"] == ["cat", "ant", "horse", "whale"]
    assert "correct" not in reply["you"]["answer"]
