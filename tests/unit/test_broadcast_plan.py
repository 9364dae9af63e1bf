from typing import Any

from livequiz.broadcast import plan
from livequiz.events import Event
from livequiz.rules import GamePhase, GameState

OPEN_Q1 = GameState(phase=GamePhase.QUESTION_OPEN, question_count=3, question=1, round=2)
CLOSED_Q1 = GameState(phase=GamePhase.QUESTION_CLOSED, question_count=3, question=1, round=2)


def event(kind: str, **data: Any) -> Event:
    return Event(kind, "g", f"{kind}:{len(data)}", 0, data)


def scores(question: int, answered: int) -> Event:
    return event("scores.changed", question=question, answered=answered, online=5)


def test_plan_coalesces_answered_counts_to_highest() -> None:
    planned = plan([scores(1, 3), scores(1, 5), scores(1, 4)], OPEN_Q1)
    assert [frame.type for frame in planned] == ["answered"]
    assert planned[0].data["answered"] == 5


def test_plan_drops_answered_count_of_closed_question() -> None:
    assert plan([scores(1, 4)], CLOSED_Q1) == []


def test_plan_drops_answered_count_of_earlier_question() -> None:
    assert plan([scores(0, 4)], OPEN_Q1) == []


def test_plan_drops_answered_count_before_close_frame() -> None:
    closed = event("question.closed", question=1, correct=2, reason="deadline", answered=5)
    planned = plan([scores(1, 5), closed], OPEN_Q1)
    assert [frame.type for frame in planned] == ["question_closed"]


def test_plan_keeps_event_order() -> None:
    opened = event(
        "question.opened",
        question=1,
        count=3,
        text="t",
        choices=["a", "b"],
        limit_ms=10_000,
        deadline_ms=20_000,
    )
    planned = plan([opened, scores(1, 1)], OPEN_Q1)
    assert [frame.type for frame in planned] == ["question", "answered"]


def test_plan_strips_player_list_from_end_frame() -> None:
    ended = event("game.ended", ended_at_ms=99, players=[{"player_id": "p", "total": 5}])
    [frame] = plan([ended], None)
    assert frame.type == "game_ended"
    assert frame.data == {"ended_at_ms": 99, "reason": "finished"}


def test_plan_drops_close_of_earlier_round() -> None:
    late = event("question.closed", question=0, round=1, correct=2, reason="deadline", answered=5)
    assert plan([late], OPEN_Q1) == []


def test_plan_keeps_close_of_current_round() -> None:
    closed = event("question.closed", question=1, round=2, correct=2, reason="deadline", answered=5)
    [frame] = plan([closed], CLOSED_Q1)
    assert frame.type == "question_closed"


def test_plan_drops_question_after_game_ended() -> None:
    ended = GameState(phase=GamePhase.ENDED, question_count=3, question=2, round=3)
    opened = event(
        "question.opened",
        question=2,
        round=3,
        count=3,
        text="t",
        choices=["a", "b"],
        limit_ms=10_000,
        deadline_ms=20_000,
    )
    assert plan([opened], ended) == []
