"""The streak bonus through the answer handler: runs, resets, and questions that do not count."""

from collections.abc import Callable

from tests.game.conftest import Table, of_type, single


def stored(table: Table, nickname: str, question: int) -> tuple[int, int, int]:
    """Return the points, bonus and streak stored with a player's answer."""
    answer = table.game.store.answer(table.game_id, question, table.game.players[nickname])
    assert answer is not None, f"{nickname} has no answer to question {question}"
    return answer["points"], answer["bonus"], answer["streak"]


def test_streak_runs_and_resets(make_table: Callable[..., Table]) -> None:
    table = make_table([single() for _ in range(8)], scoring="accuracy", streak_bonus=True)
    # Ada: right three times, wrong, right twice, missing, right. Bob is always right.
    ada_choices = [1, 1, 1, 0, 1, 1, None, 1]
    for index, choice in enumerate(ada_choices):
        opened = table.command("start" if index == 0 else "next")
        table.clock.advance(1000)
        if choice is not None:
            assert table.answer("Ada", index, choice=choice)["accepted"] is True
        assert table.answer("Bob", index, choice=1)["accepted"] is True
        if choice is None:
            table.clock.ms = opened["deadline_ms"]
            assert table.fire(table.timers(10_000))["closed"] == 1
        assert table.phase() == "question_closed"

    ada = [stored(table, "Ada", index) for index in (0, 1, 2, 3, 4, 5, 7)]
    assert ada == [
        (1000, 0, 1),
        (1100, 100, 2),
        (1200, 200, 3),
        (0, 0, 0),
        (1000, 0, 1),
        (1100, 100, 2),
        (1000, 0, 1),
    ]
    assert table.game.store.answer(table.game_id, 6, table.game.players["Ada"]) is None
    assert table.game.total("Ada") == 6400
    bob = [stored(table, "Bob", index)[1] for index in range(8)]
    assert bob == [0, 100, 200, 300, 400, 500, 500, 500]
    assert table.game.total("Bob") == 10_500


def test_streak_in_answer_events(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single(), single()], scoring="accuracy", streak_bonus=True)
    for index, choice in enumerate([1, 1, 2]):
        table.command("start" if index == 0 else "next")
        table.answer("Ada", index, choice=choice)
        table.answer("Bob", index, choice=1)
    accepted = of_type(table.events(table.settings.persist_queue), "answer.accepted")
    ada = [
        event["data"]
        for event in accepted
        if event["data"]["player_id"] == table.game.players["Ada"]
    ]
    assert [(data["points"], data["bonus"], data["streak"]) for data in ada] == [
        (1000, 0, 1),
        (1100, 100, 2),
        (0, 0, 0),
    ]
    assert [data["total"] for data in ada] == [1000, 2100, 2100]


def test_no_bonus_without_option(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single(), single()], scoring="accuracy")
    for index in range(3):
        table.command("start" if index == 0 else "next")
        table.answer("Ada", index, choice=1)
        table.answer("Bob", index, choice=1)
    assert [stored(table, "Ada", index) for index in range(3)] == [
        (1000, 0, 1),
        (1000, 0, 2),
        (1000, 0, 3),
    ]
    assert table.game.total("Ada") == 3000


def test_poll_keeps_streak(make_table: Callable[..., Table]) -> None:
    poll = {"type": "poll", "text": "Tea or coffee?", "choices": ["tea", "coffee"]}
    practice = single(points=0)
    questions = [single(), poll, single(), practice, single()]
    table = make_table(questions, scoring="accuracy", streak_bonus=True)

    table.command("start")
    table.answer("Ada", 0, choice=1)
    table.answer("Bob", 0, choice=1)
    # Bob does not vote, so the host closes the poll.
    table.command("next")
    table.answer("Ada", 1, choice=0)
    assert table.command("skip") == {"type": "ok", "action": "skip"}
    for index in (2, 3, 4):
        table.command("next")
        table.answer("Ada", index, choice=1)
        table.answer("Bob", index, choice=1)

    assert stored(table, "Ada", 1) == (0, 0, 1)
    assert stored(table, "Ada", 2) == (1100, 100, 2)
    # A right answer to a 0x question earns nothing and leaves the streak as it was.
    assert stored(table, "Ada", 3) == (0, 0, 2)
    assert stored(table, "Ada", 4) == (1200, 200, 3)
    assert stored(table, "Bob", 2) == (1100, 100, 2)
    assert stored(table, "Bob", 4) == (1200, 200, 3)
    assert table.game.total("Ada") == 3300
    assert table.game.total("Bob") == 3300
