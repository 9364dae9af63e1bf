import pytest

from livequiz import rules
from livequiz.errors import ConflictError, InvalidInputError, NotFoundError
from livequiz.questions import SingleChoice
from livequiz.rules import Action, GamePhase, GameState, InvalidTransitionError

SPEC = SingleChoice(text="Pick the third", choices=["a", "b", "c", "d"], correct=2)


def open_state(**overrides: int) -> GameState:
    fields = {
        "question_count": 3,
        "question": 0,
        "round": 1,
        "opened_at_ms": 100_000,
        "deadline_ms": 110_000,
        "limit_ms": 10_000,
    }
    fields.update(overrides)
    return GameState(phase=GamePhase.QUESTION_OPEN, **fields)


@pytest.mark.parametrize(
    ("elapsed_ms", "expected"),
    [
        (0, 1000),
        (499, 1000),
        (500, 975),
        (1000, 950),
        (2500, 875),
        (5000, 750),
        (9999, 500),
        (10_000, 500),
        # 1000 * (1 - 0.1234 / 2) = 938.3
        (1234, 938),
    ],
)
def test_points_for_correct_answer(elapsed_ms: int, expected: int) -> None:
    assert rules.points_for(True, elapsed_ms, 10_000) == expected


def test_points_round_half_up() -> None:
    # 1000 * (1 - (3000 / 8000) / 2) = 812.5 rounds up to 813, where round() would give 812.
    assert rules.points_for(True, 3000, 8000) == 813


def test_points_for_wrong_answer() -> None:
    assert rules.points_for(False, 0, 10_000) == 0
    assert rules.points_for(False, 5000, 10_000) == 0


def test_score_answer_uses_server_time() -> None:
    scored = rules.score_answer(open_state(), 0, SPEC, {"choice": 2}, 102_500)
    assert scored.correct
    assert scored.elapsed_ms == 2500
    assert scored.points == 875


def test_score_answer_wrong_choice() -> None:
    scored = rules.score_answer(open_state(), 0, SPEC, {"choice": 1}, 101_000)
    assert not scored.correct
    assert scored.points == 0


def test_score_answer_at_deadline_is_accepted() -> None:
    assert rules.score_answer(open_state(), 0, SPEC, {"choice": 2}, 110_000).points == 500


def test_score_answer_after_deadline_is_too_late() -> None:
    with pytest.raises(ConflictError) as caught:
        rules.score_answer(open_state(), 0, SPEC, {"choice": 2}, 110_200)
    assert caught.value.code == "too_late"


def test_score_answer_unknown_question() -> None:
    with pytest.raises(NotFoundError) as caught:
        rules.score_answer(open_state(), 7, SPEC, {"choice": 2}, 101_000)
    assert caught.value.code == "unknown_question"


def test_score_answer_other_question() -> None:
    with pytest.raises(ConflictError) as caught:
        rules.score_answer(open_state(), 1, SPEC, {"choice": 2}, 101_000)
    assert caught.value.code == "question_not_open"


def test_score_answer_closed_question() -> None:
    closed = GameState(phase=GamePhase.QUESTION_CLOSED, question_count=3, question=0)
    with pytest.raises(ConflictError) as caught:
        rules.score_answer(closed, 0, SPEC, {"choice": 2}, 101_000)
    assert caught.value.code == "question_not_open"


@pytest.mark.parametrize("choice", [-1, 4, 99])
def test_score_answer_choice_out_of_range(choice: int) -> None:
    with pytest.raises(InvalidInputError) as caught:
        rules.score_answer(open_state(), 0, SPEC, {"choice": choice}, 101_000)
    assert caught.value.code == "invalid_choice"


def test_start_opens_first_question() -> None:
    lobby = GameState(phase=GamePhase.LOBBY, question_count=3)
    decision = rules.open_question(lobby, Action.START, 5000, 20_000, previous_scored=True)
    assert decision.index == 0
    assert decision.round == 1
    assert decision.deadline_ms == 25_000


def test_next_opens_following_question_in_new_round() -> None:
    closed = GameState(phase=GamePhase.QUESTION_CLOSED, question_count=3, question=0, round=1)
    decision = rules.open_question(closed, Action.NEXT, 9000, 10_000, previous_scored=True)
    assert decision.index == 1
    assert decision.round == 2


def test_next_while_question_open_names_phases() -> None:
    with pytest.raises(InvalidTransitionError) as caught:
        rules.open_question(open_state(), Action.NEXT, 9000, 10_000, previous_scored=True)
    assert caught.value.expected == (GamePhase.QUESTION_CLOSED,)
    assert caught.value.found is GamePhase.QUESTION_OPEN
    assert "expected the game to be question_closed, found question_open" in caught.value.message


def test_start_twice_is_rejected() -> None:
    with pytest.raises(InvalidTransitionError):
        rules.open_question(open_state(), Action.START, 9000, 10_000, previous_scored=True)


def test_last_question_has_no_next() -> None:
    closed = GameState(phase=GamePhase.QUESTION_CLOSED, question_count=3, question=2, round=3)
    assert rules.is_last_question(closed)
    with pytest.raises(ConflictError):
        rules.open_question(closed, Action.NEXT, 9000, 10_000, previous_scored=True)


def test_rank_score_orders_by_total_then_first_reached() -> None:
    early = rules.rank_score(1500, reached_seq=3)
    late = rules.rank_score(1500, reached_seq=9)
    higher = rules.rank_score(1501, reached_seq=1000)
    assert higher > early > late


def test_rank_score_is_exact_at_max_total() -> None:
    score = rules.rank_score(rules.MAX_TOTAL, reached_seq=0)
    assert score < 2**53
    assert float(score) == score
