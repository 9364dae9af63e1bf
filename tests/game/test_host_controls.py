"""Host controls through the answer handler: lock, kick, skip, pause, reveal, end, auto-advance,
and what happens when the host's connection goes away."""

from collections.abc import Callable

import pytest

from livequiz.errors import ConflictError
from tests.game.conftest import START_MS, Table, of_type, single

# Lock


def test_lock_rejects_joins(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()])
    assert table.command("lock") == {"type": "ok", "action": "lock"}
    with pytest.raises(ConflictError) as raised:
        table.game.add_player("Cy")
    assert raised.value.code == "game_locked"
    assert table.game.store.player_count(table.game_id) == 2


def test_unlock_allows_joins(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()])
    table.command("lock")
    assert table.command("unlock") == {"type": "ok", "action": "unlock"}
    table.join("Cy")
    assert table.game.store.player_count(table.game_id) == 3


def test_lock_during_game(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()])
    table.command("start")
    table.command("lock")
    with pytest.raises(ConflictError) as raised:
        table.game.add_player("Cy")
    assert raised.value.code == "game_locked"
    assert table.command("sync")["locked"] is True


def test_player_cannot_lock(make_table: Callable[..., Table]) -> None:
    table = make_table([single()])
    reply = table.game.send(table.connections["Ada"], {"action": "lock"})
    assert reply["code"] == "not_host"
    assert table.game.store.state(table.game_id).locked is False


# Kick


def test_kick_rejects_reconnect(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()])
    bob = table.game.players["Bob"]
    assert table.command("kick", player_id=bob) == {
        "type": "ok",
        "action": "kick",
        "player_id": bob,
    }
    _, response = table.game.connect(table.game.player_token("Bob"))
    assert response == {"statusCode": 403, "body": "the host removed you from this game"}
    assert table.game.store.connection(table.connections["Bob"]) is None


def test_kick_removes_from_ranking(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()])
    table.command("start")
    table.clock.advance(1000)
    table.answer("Bob", 0, choice=1)
    table.command("kick", player_id=table.game.players["Bob"])
    ranking = table.game.store.ranking(table.game_id)
    assert [entry.player_id for entry in ranking] == [table.game.players["Ada"]]
    # The old connection is gone too, so it can no longer answer.
    reply = table.answer("Bob", 0, choice=1)
    assert reply["code"] == "not_connected"


def test_kick_queues_event(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()])
    bob = table.game.players["Bob"]
    table.command("kick", player_id=bob)
    expected = {
        "player_id": bob,
        "kicked_at_ms": START_MS,
        "connection_id": table.connections["Bob"],
    }
    for queue in (table.settings.persist_queue, table.settings.broadcast_queue):
        kicked = of_type(table.events(queue), "player.kicked")
        assert [event["data"] for event in kicked] == [expected], queue
        assert kicked[0]["id"] == f"kicked:{table.game_id}:{bob}"


def test_kick_closes_when_rest_answered(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()])
    table.command("start")
    table.answer("Ada", 0, choice=1)
    assert table.phase() == "question_open"
    table.command("kick", player_id=table.game.players["Bob"])
    assert table.phase() == "question_closed"
    closed = of_type(table.events(), "question.closed")
    assert [event["data"]["reason"] for event in closed] == ["all_answered"]


def test_kick_leaves_player_count(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()], players=("Ada", "Bob", "Cy"))
    bob = table.game.players["Bob"]
    table.command("kick", player_id=bob)
    sync = table.command("sync")
    assert sync["players"] == 2
    assert sync["online"] == 2
    assert table.command("kick", player_id=bob)["code"] == "unknown_player"


def test_kick_unknown_player(make_table: Callable[..., Table]) -> None:
    table = make_table([single()])
    assert table.command("kick", player_id="nobody")["code"] == "unknown_player"
    assert table.command("kick")["code"] == "missing_field"


# Skip


def test_skip_closes_question(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()])
    table.command("start")
    table.clock.advance(1000)
    table.answer("Ada", 0, choice=1)
    assert table.command("skip") == {"type": "ok", "action": "skip"}
    assert table.phase() == "question_closed"
    closed = of_type(table.events(), "question.closed")
    assert [event["data"] for event in closed] == [
        {"question": 0, "round": 1, "reason": "skipped", "answered": 1}
    ]
    assert table.answer("Bob", 0, choice=1)["code"] == "question_not_open"
    assert table.command("skip")["code"] == "wrong_phase"


# Pause and resume


def test_pause_rejects_answers(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()])
    table.command("start")
    table.clock.advance(4000)
    assert table.command("pause") == {"type": "ok", "action": "pause"}
    assert table.phase() == "paused"
    reply = table.answer("Ada", 0, choice=1)
    assert reply["code"] == "paused"
    assert table.game.store.answers(table.game_id, 0) == {}
    paused = of_type(table.events(), "game.paused")
    assert [event["data"] for event in paused] == [
        {"question": 0, "round": 1, "remaining_ms": 6000, "reason": "host"}
    ]


def test_resume_restores_time_left(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()])
    table.command("start")
    table.clock.advance(4000)
    table.command("pause")
    table.clock.advance(60_000)
    resumed_at = table.clock.ms
    assert table.command("resume") == {"type": "ok", "action": "resume"}
    state = table.game.store.state(table.game_id)
    assert state.phase == "question_open"
    assert state.round == 2
    assert state.deadline_ms == resumed_at + 6000
    opened = of_type(table.events(), "question.opened")
    assert [event["data"]["round"] for event in opened] == [1, 2]
    assert opened[1]["data"]["deadline_ms"] == resumed_at + 6000
    assert opened[1]["data"]["resumed"] is True


def test_pause_excluded_from_elapsed(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()])
    table.command("start")
    table.clock.advance(4000)
    table.command("pause")
    table.clock.advance(60_000)
    table.command("resume")
    table.clock.advance(2000)
    assert table.answer("Ada", 0, choice=1)["accepted"] is True
    answer = table.game.store.answer(table.game_id, 0, table.game.players["Ada"])
    assert answer is not None
    assert answer["elapsed_ms"] == 6000
    # 1000 * (1 - 0.6 / 2)
    assert answer["points"] == 700


def test_old_timer_ignored_after_resume(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()])
    table.command("start")
    table.clock.advance(4000)
    table.command("pause")
    table.clock.advance(60_000)
    table.command("resume")
    resumed_at = table.clock.ms
    old = table.timers(10_000)
    assert [timer.data["round"] for timer in old] == [1]
    assert table.fire(old) == {"processed": 1, "closed": 0}
    assert table.phase() == "question_open"

    new = table.timers(6000)
    assert [timer.data for timer in new] == [
        {"question": 0, "round": 2, "deadline_ms": resumed_at + 6000}
    ]
    table.clock.ms = resumed_at + 6000
    assert table.fire(new) == {"processed": 1, "closed": 1}
    assert table.phase() == "question_closed"


# Reveal


def test_close_without_auto_reveal(make_table: Callable[..., Table]) -> None:
    explained = single(explanation="One is the only odd choice")
    table = make_table([explained, single()], auto_reveal=False)
    table.command("start")
    table.answer("Ada", 0, choice=1)
    table.answer("Bob", 0, choice=0)
    assert table.phase() == "question_closed"
    events = table.events()
    closed = of_type(events, "question.closed")
    assert [event["data"] for event in closed] == [
        {"question": 0, "round": 1, "reason": "all_answered", "answered": 2}
    ]
    assert of_type(events, "question.revealed") == []
    # Until the reveal, a player sees their own response but not whether it was right.
    mine = table.game.send(table.connections["Ada"], {"action": "sync"})["you"]["answer"]
    assert mine == {"response": 1}


def test_reveal_sends_answer(make_table: Callable[..., Table]) -> None:
    explained = single(explanation="One is the only odd choice")
    table = make_table([explained, single()], auto_reveal=False)
    table.command("start")
    assert table.command("reveal")["code"] == "wrong_phase"
    table.answer("Ada", 0, choice=1)
    table.answer("Bob", 0, choice=0)
    assert table.command("reveal") == {"type": "ok", "action": "reveal"}
    revealed = of_type(table.events(), "question.revealed")
    assert [event["data"] for event in revealed] == [
        {
            "question": 0,
            "round": 1,
            "question_type": "single",
            "correct": 1,
            "answered": 2,
            "right": 1,
            "distribution": {"counts": [1, 1, 0, 0]},
            "explanation": "One is the only odd choice",
        }
    ]
    mine = table.game.send(table.connections["Ada"], {"action": "sync"})["you"]["answer"]
    assert mine == {"response": 1, "correct": True, "points": 1000}


# End early


def test_end_from_open_question(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single(), single()])
    table.command("start")
    table.clock.advance(1000)
    table.answer("Ada", 0, choice=1)
    assert table.command("end") == {"type": "ok", "action": "end"}
    assert table.phase() == "ended"
    ended = of_type(table.events(table.settings.persist_queue), "game.ended")
    assert len(ended) == 1
    assert ended[0]["data"]["reason"] == "host"
    assert [player["total"] for player in ended[0]["data"]["players"]] == [950, 0]
    assert table.answer("Bob", 0, choice=1)["code"] == "question_not_open"
    # The question's timer finds the game over.
    table.clock.advance(9000)
    assert table.fire(table.timers(10_000)) == {"processed": 1, "closed": 0}
    assert table.phase() == "ended"


# Auto-advance


def test_auto_advance_opens_next(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single(), single()], auto_advance_s=5)
    table.command("start")
    table.clock.advance(1000)
    table.answer("Ada", 0, choice=1)
    table.answer("Bob", 0, choice=1)
    advance = table.timers(5000)
    assert [(timer.type, timer.data) for timer in advance] == [
        ("question.advance", {"question": 0, "round": 1, "deadline_ms": START_MS + 6000})
    ]
    table.clock.ms = START_MS + 6000
    table.fire(advance)
    state = table.game.store.state(table.game_id)
    assert state.phase == "question_open"
    assert state.question == 1
    assert state.round == 2
    assert state.deadline_ms == START_MS + 16_000


def test_stale_advance_does_nothing(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single(), single()], auto_advance_s=5)
    table.command("start")
    table.answer("Ada", 0, choice=1)
    table.answer("Bob", 0, choice=1)
    first = table.timers(5000)
    table.clock.advance(5000)
    table.fire(first)
    table.answer("Ada", 1, choice=1)
    table.answer("Bob", 1, choice=1)
    # The advance of round 1 comes again while question 1 is closed in round 2.
    table.clock.advance(1000)
    table.fire(first)
    state = table.game.store.state(table.game_id)
    assert state.phase == "question_closed"
    assert state.question == 1
    second = table.timers(5000)
    assert [timer.data["round"] for timer in second] == [2]
    table.clock.advance(5000)
    table.fire(second)
    assert table.game.store.state(table.game_id).question == 2


def test_pause_after_reveal_moves_advance(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()], auto_advance_s=5)
    table.command("start")
    table.answer("Ada", 0, choice=1)
    table.answer("Bob", 0, choice=1)
    first = table.timers(5000)
    table.clock.advance(1000)
    assert table.command("pause") == {"type": "ok", "action": "pause"}
    # The advance set at the reveal fires while the game is paused.
    table.clock.advance(4000)
    table.fire(first)
    assert table.phase() == "paused"
    table.clock.advance(55_000)
    table.command("resume")
    assert table.phase() == "question_closed"
    second = table.timers(5000)
    assert [timer.data for timer in second] == [
        {"question": 0, "round": 2, "deadline_ms": START_MS + 65_000}
    ]
    table.fire(first)
    assert table.phase() == "question_closed"
    table.clock.ms = START_MS + 65_000
    table.fire(second)
    state = table.game.store.state(table.game_id)
    assert state.phase == "question_open"
    assert state.question == 1
    assert state.round == 3


# The host's presence


def test_host_gone_pauses_then_ends(make_table: Callable[..., Table]) -> None:
    # A minute to answer, so the question is still open when the grace period ends.
    table = make_table([single(time_limit=60), single()])
    table.command("start")
    table.clock.advance(2000)
    table.game.disconnect(table.host)
    grace_ms = table.settings.host_grace_s * 1000
    checks = table.timers(grace_ms)
    assert [(timer.type, timer.data) for timer in checks] == [
        (
            "host.check",
            {
                "gone_at_ms": START_MS + 2000,
                "stage": "pause",
                "deadline_ms": START_MS + 2000 + grace_ms,
            },
        )
    ]
    table.clock.advance(grace_ms)
    assert table.fire(checks) == {"processed": 1, "closed": 0}
    state = table.game.store.state(table.game_id)
    assert state.phase == "paused"
    assert state.pause_reason == "host_gone"
    assert state.remaining_ms == 60_000 - 2000 - grace_ms

    abandon_ms = table.settings.host_abandon_s * 1000
    ends = table.timers(abandon_ms)
    assert [timer.data["stage"] for timer in ends] == ["end"]
    table.clock.advance(abandon_ms)
    table.fire(ends)
    assert table.phase() == "ended"
    ended = of_type(table.events(table.settings.persist_queue), "game.ended")
    assert [event["data"]["reason"] for event in ended] == ["host_gone"]


def test_host_back_cancels_check(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()])
    table.command("start")
    table.game.disconnect(table.host)
    checks = table.timers(table.settings.host_grace_s * 1000)
    table.clock.advance(1000)
    table.host, response = table.game.connect(table.game.host_token())
    assert response == {"statusCode": 200}
    table.clock.advance(table.settings.host_grace_s * 1000)
    table.fire(checks)
    assert table.phase() == "question_open"
    assert table.timers(table.settings.host_abandon_s * 1000) == []
    assert table.command("skip") == {"type": "ok", "action": "skip"}


def test_host_second_connection_keeps_game(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()])
    table.command("start")
    table.game.connect(table.game.host_token())
    table.game.disconnect(table.host)
    assert table.timers(table.settings.host_grace_s * 1000) == []
    assert table.game.store.state(table.game_id).host_gone_at_ms == 0


def test_host_check_of_earlier_absence(make_table: Callable[..., Table]) -> None:
    table = make_table([single(time_limit=60), single()])
    table.command("start")
    table.game.disconnect(table.host)
    grace_ms = table.settings.host_grace_s * 1000
    earlier = table.timers(grace_ms)
    table.clock.advance(1000)
    table.host, _ = table.game.connect(table.game.host_token())
    table.clock.advance(1000)
    table.game.disconnect(table.host)
    later = table.timers(grace_ms)
    assert [timer.data["gone_at_ms"] for timer in later] == [START_MS + 2000]
    # The check of the first absence comes due first and finds the host gone since later.
    table.clock.ms = START_MS + grace_ms
    table.fire(earlier)
    assert table.phase() == "question_open"
    table.clock.ms = START_MS + 2000 + grace_ms
    table.fire(later)
    assert table.phase() == "paused"


def test_resume_closes_when_everyone_left_answered(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()])
    table.command("start")
    table.clock.advance(1000)
    assert table.answer("Ada", 0, choice=1)["accepted"] is True
    table.command("pause")
    # Bob, the one player missing an answer, leaves during the pause.
    table.game.disconnect(table.connections["Bob"])
    assert table.phase() == "paused"
    table.command("resume")
    assert table.phase() == "question_closed"
    closed = of_type(table.events(), "question.closed")
    assert [event["data"]["reason"] for event in closed] == ["all_answered"]


def test_host_leaving_ended_game_sets_no_timer(make_table: Callable[..., Table]) -> None:
    table = make_table([single()])
    table.command("start")
    table.command("end")
    assert table.phase() == "ended"
    table.game.disconnect(table.host)
    assert table.timers(table.settings.host_grace_s * 1000) == []
    assert table.game.store.state(table.game_id).host_gone_at_ms == 0


def test_next_reveals_a_missed_reveal_first(make_table: Callable[..., Table]) -> None:
    table = make_table([single(), single()])
    table.command("start")
    table.clock.advance(1000)
    table.answer("Ada", 0, choice=1)
    table.answer("Bob", 0, choice=0)
    assert table.phase() == "question_closed"
    # As if the reveal that follows the close had failed to publish.
    table.game.store.redis.hset(table.game.store.key(table.game_id, "game"), "revealed", 0)
    table.events()
    table.command("next")
    kinds = [event["type"] for event in table.events()]
    assert kinds.index("question.revealed") < kinds.index("question.opened")
