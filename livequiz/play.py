"""Game actions: answering, opening, closing and ending, over the store and the publisher.

Each action reads the state, asks ``livequiz.rules`` for a decision and applies it in Redis
with a compare-and-set. The events that a change of phase calls for are written to the game's
outbox in the same Lua call, then published in order, then removed from the outbox. One action
at a time publishes the outbox, under a lease with a TTL. If a publish fails, the events stay
there, and every later action on the game publishes them first, so a retry of the failed
action, an answer, a deadline or a disconnect heals it. Event ids are stable, so an event that
goes out twice is stored once.

Answers do not go through the outbox, to keep the hot path at one script call: a repeated or
late answer of a player whose answer is stored re-publishes the stored one instead.
"""

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from livequiz import rules
from livequiz.config import Settings
from livequiz.errors import ConflictError
from livequiz.events import DEADLINE_ROUTING_KEY, Event, OutboxEntry, Publisher
from livequiz.ids import GameId, PlayerId
from livequiz.rules import Action, GamePhase, GameState, ScoredAnswer
from livequiz.store import AnswerOutcome, GameStore, Transition

logger = logging.getLogger(__name__)

REJECTIONS = {
    "already_answered": "you have already answered question {question}",
    "too_late": "the time for question {question} has run out",
    "question_not_open": "question {question} is not open for answers",
}
# Stands in for the answered count in a close entry that the answer script completes.
ANSWERED_PLACEHOLDER = -1


@dataclass
class Play:
    settings: Settings
    store: GameStore
    publisher: Publisher

    def _state(self, game_id: GameId, now_ms: int) -> GameState:
        """Read the state, first publishing whatever an earlier action left in the outbox."""
        state, pending = self.store.state_and_outbox(game_id)
        if pending:
            token = uuid.uuid4().hex
            # A held lease means another action is publishing the outbox, in order, and will
            # not release it before the outbox is empty.
            if self.store.take_lease(game_id, token):
                logger.warning(
                    "publishing %d events that game %s left in its outbox", pending, game_id
                )
                self._drain(game_id, token, now_ms)
        return state

    def _drain(self, game_id: GameId, token: str, now_ms: int) -> None:
        """Publish the outbox in order under the lease ``token``, until it is empty.

        On a failure the lease is released at once, so the next action takes over.
        """
        try:
            while True:
                for raw in self.store.outbox(game_id):
                    self.publisher.deliver(OutboxEntry.from_json(raw), now_ms)
                    self.store.remove_from_outbox(game_id, raw)
                released = self.store.release_lease(game_id, token, drained=True)
                if released != 0:
                    if released < 0:
                        logger.warning(
                            "the outbox lease of game %s expired while publishing", game_id
                        )
                    return
        except BaseException:
            self.store.release_lease(game_id, token, drained=False)
            raise

    def flush(self, game_id: GameId, now_ms: int) -> None:
        """Publish what the game's outbox still holds, for an action that changes nothing."""
        self._state(game_id, now_ms)

    # Answers

    def answer(
        self, game_id: GameId, player_id: PlayerId, question: int, choice: int, now_ms: int
    ) -> dict[str, Any]:
        """Score and record one answer, and return the reply frame for the player."""
        state = self._state(game_id, now_ms)
        try:
            scored = rules.score_answer(state, question, choice, now_ms)
        except ConflictError:
            # The question closed, maybe while this player's first try failed to publish.
            self._republish_answer(game_id, player_id, question)
            raise
        head, tail = self._split_closed_entry(game_id, state, now_ms, "all_answered")
        token = uuid.uuid4().hex
        outcome = self.store.record_answer(
            game_id, player_id, state, scored, now_ms, (head, tail), token
        )
        if not outcome.accepted:
            self._republish_answer(game_id, player_id, question)
            raise ConflictError(
                outcome.status, REJECTIONS[outcome.status].format(question=question)
            )
        if outcome.closed:
            logger.info(
                "question %d of game %s closed: every connected player answered", question, game_id
            )
            # First, so that the lease the script took is released even if a publish fails.
            if outcome.leased:
                self._drain(game_id, token, now_ms)
        self._publish_answer(game_id, player_id, scored, outcome, now_ms)
        scores = {"question": question, "answered": outcome.answered, "online": outcome.online}
        event_id = f"scores:{game_id}:{question}:{player_id}"
        self.publisher.publish(
            "scores.changed", Event("scores.changed", game_id, event_id, now_ms, scores)
        )
        return {
            "type": "answer_result",
            "question": question,
            "accepted": True,
            "points": scored.points,
            "total": outcome.total,
        }

    def _publish_answer(
        self,
        game_id: GameId,
        player_id: PlayerId,
        scored: ScoredAnswer,
        outcome: AnswerOutcome,
        answered_at_ms: int,
    ) -> None:
        data = {
            "player_id": player_id,
            "question": scored.question,
            "choice": scored.choice,
            "correct": scored.correct,
            "points": scored.points,
            "elapsed_ms": scored.elapsed_ms,
            "answered_at_ms": answered_at_ms,
            "total": outcome.total,
            "reached_seq": outcome.reached_seq,
        }
        event_id = f"answer:{game_id}:{scored.question}:{player_id}"
        event = Event("answer.accepted", game_id, event_id, answered_at_ms, data)
        self.publisher.publish("answer.accepted", event)

    def _republish_answer(self, game_id: GameId, player_id: PlayerId, question: int) -> None:
        stored = self.store.answer(game_id, question, player_id)
        if stored is None:
            return
        # The total and sequence number at the time of the first answer are not kept. The
        # current ones are at least as high, and persist only ever moves a total forward.
        total, reached = self.store.player_score(game_id, player_id)
        outcome = AnswerOutcome("accepted", total, 0, 0, False, reached)
        scored = ScoredAnswer(
            question, stored["choice"], stored["correct"], stored["points"], stored["elapsed_ms"]
        )
        self._publish_answer(game_id, player_id, scored, outcome, stored["at_ms"])

    # Host actions

    def open_next(self, game_id: GameId, action: Action, now_ms: int) -> dict[str, Any]:
        """Run the host's ``start`` or ``next``: open the next question, or end after the last."""
        state = self._state(game_id, now_ms)
        if (
            action is Action.NEXT
            and state.phase is GamePhase.QUESTION_CLOSED
            and rules.is_last_question(state)
        ):
            self.end(game_id, state, now_ms)
            return {"type": "ok", "action": action.value, "phase": GamePhase.ENDED.value}
        rules.check_phase(state, action)

        question = self.store.question(game_id, state.question + 1)
        decision = rules.open_question(
            state,
            action,
            now_ms,
            question["limit_ms"],
            question["correct"],
            len(question["choices"]),
        )

        entries = []
        if action is Action.START:
            started = {"question_count": state.question_count, "started_at_ms": now_ms}
            event = Event("game.started", game_id, f"started:{game_id}", now_ms, started)
            entries.append(OutboxEntry("game.started", event))

        deadline = {
            "question": decision.index,
            "round": decision.round,
            "deadline_ms": decision.deadline_ms,
        }
        event_id = f"deadline:{game_id}:{decision.round}"
        deadline_event = Event("question.deadline", game_id, event_id, now_ms, deadline)
        entries.append(OutboxEntry(DEADLINE_ROUTING_KEY, deadline_event, decision.deadline_ms))

        opened = {
            "question": decision.index,
            "round": decision.round,
            "count": state.question_count,
            "text": question["text"],
            "choices": question["choices"],
            "limit_ms": decision.limit_ms,
            "deadline_ms": decision.deadline_ms,
        }
        event_id = f"opened:{game_id}:{decision.round}"
        opened_event = Event("question.opened", game_id, event_id, now_ms, opened)
        entries.append(OutboxEntry("question.opened", opened_event))

        self._apply(game_id, state, decision.fields(), entries, now_ms)
        self.store.touch(game_id)
        logger.info(
            "game %s opened question %d (round %d)", game_id, decision.index, decision.round
        )
        return {
            "type": "ok",
            "action": action.value,
            "question": decision.index,
            "deadline_ms": decision.deadline_ms,
        }

    def _apply(
        self,
        game_id: GameId,
        state: GameState,
        fields: dict[str, Any],
        entries: list[OutboxEntry],
        now_ms: int,
    ) -> None:
        """Change the state and queue the entries atomically, then publish the outbox."""
        raws = [entry.to_json() for entry in entries]
        token = uuid.uuid4().hex
        result = self.store.transition(game_id, state, fields, raws, token)
        if result is Transition.MOVED_ON:
            raise ConflictError(
                "state_changed", "the game changed while this action ran: try again"
            )
        if result is Transition.APPLIED:
            self._drain(game_id, token, now_ms)

    def end(self, game_id: GameId, state: GameState, now_ms: int) -> None:
        ranking = self.store.ranking(game_id)
        players = [
            {
                "player_id": entry.player_id,
                "total": entry.score,
                "reached_seq": entry.reached_seq,
                "rank": entry.rank,
            }
            for entry in ranking
        ]
        data = {"ended_at_ms": now_ms, "players": players}
        event = Event("game.ended", game_id, f"ended:{game_id}", now_ms, data)
        fields = {"phase": GamePhase.ENDED.value, "ended_at_ms": now_ms}
        self._apply(game_id, state, fields, [OutboxEntry("game.ended", event)], now_ms)
        logger.info("game %s ended with %d players", game_id, len(players))

    # Closing

    def close_at_deadline(self, game_id: GameId, question: int, round_: int, now_ms: int) -> bool:
        """Close ``question`` if it is still open in ``round_``, and return whether it closed."""
        state = self._state(game_id, now_ms)
        if (
            state.phase is not GamePhase.QUESTION_OPEN
            or state.round != round_
            or state.question != question
        ):
            logger.debug("deadline of game %s round %d ignored: the game moved on", game_id, round_)
            return False
        if not self._close(game_id, state, now_ms, "deadline"):
            return False
        logger.info("question %d of game %s closed at its deadline", question, game_id)
        return True

    def close_if_everyone_answered(self, game_id: GameId, now_ms: int) -> bool:
        """Close the open question when the players still connected have all answered.

        Runs after a disconnect: the player who left may have been the last one missing.
        """
        state = self._state(game_id, now_ms)
        if state.phase is not GamePhase.QUESTION_OPEN:
            return False
        if not self.store.everyone_online_answered(game_id, state.question):
            return False
        if not self._close(game_id, state, now_ms, "all_answered"):
            return False
        logger.info(
            "question %d of game %s closed: every player still connected answered",
            state.question,
            game_id,
        )
        return True

    def _close(self, game_id: GameId, state: GameState, now_ms: int, reason: str) -> bool:
        head, tail = self._split_closed_entry(game_id, state, now_ms, reason)
        token = uuid.uuid4().hex
        closed = self.store.close_question(game_id, state, now_ms, (head, tail), token)
        if closed is None:
            return False
        _, leased = closed
        if leased:
            self._drain(game_id, token, now_ms)
        return True

    def _split_closed_entry(
        self, game_id: GameId, state: GameState, now_ms: int, reason: str
    ) -> tuple[str, str]:
        """Return the close entry split where its answered count goes, for a Lua script to fill."""
        entry = self._closed_entry(game_id, state, now_ms, reason, ANSWERED_PLACEHOLDER)
        marker = f'"answered":{ANSWERED_PLACEHOLDER}'
        head, _, tail = entry.to_json().partition(marker)
        return head + '"answered":', tail

    @staticmethod
    def _closed_entry(
        game_id: GameId, state: GameState, now_ms: int, reason: str, answered: int
    ) -> OutboxEntry:
        data = {
            "question": state.question,
            "round": state.round,
            "correct": state.correct,
            "reason": reason,
            "answered": answered,
        }
        event = Event("question.closed", game_id, f"closed:{game_id}:{state.round}", now_ms, data)
        return OutboxEntry("question.closed", event)
