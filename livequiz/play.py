"""Game actions: answering, opening, closing and ending, over the store and the publisher.

Each action reads the state, asks ``livequiz.rules`` for a decision, applies it in Redis with a
compare-and-set, and only then publishes events. A publish that fails after Redis changed is
healed by a retry: a repeated answer re-publishes the stored one (same event id, so persist
stores it once), and a repeated close or end is ignored by the compare-and-set.
"""

import logging
from dataclasses import dataclass
from typing import Any

from livequiz import rules
from livequiz.config import Settings
from livequiz.errors import ConflictError
from livequiz.events import Event, Publisher
from livequiz.ids import GameId, PlayerId
from livequiz.rules import Action, GamePhase, GameState
from livequiz.store import AnswerOutcome, GameStore

logger = logging.getLogger(__name__)

REJECTIONS = {
    "already_answered": "you have already answered question {question}",
    "too_late": "the time for question {question} has run out",
    "question_not_open": "question {question} is not open for answers",
}


@dataclass
class Play:
    settings: Settings
    store: GameStore
    publisher: Publisher

    def answer(
        self, game_id: GameId, player_id: PlayerId, question: int, choice: int, now_ms: int
    ) -> dict[str, Any]:
        """Score and record one answer, and return the reply frame for the player."""
        state = self.store.state(game_id)
        scored = rules.score_answer(state, question, choice, now_ms)
        outcome = self.store.record_answer(game_id, player_id, state, scored, now_ms)
        if outcome.status == "already_answered":
            self._republish_answer(game_id, player_id, question)
        if not outcome.accepted:
            raise ConflictError(
                outcome.status, REJECTIONS[outcome.status].format(question=question)
            )
        self._publish_answer(
            game_id,
            player_id,
            question,
            outcome,
            scored.choice,
            scored.correct,
            scored.points,
            scored.elapsed_ms,
            now_ms,
        )
        scores = {"question": question, "answered": outcome.answered, "online": outcome.online}
        self.publisher.publish(
            "scores.changed",
            Event(
                "scores.changed",
                game_id,
                f"scores:{game_id}:{question}:{player_id}",
                now_ms,
                scores,
            ),
        )
        if outcome.closed:
            logger.info(
                "question %d of game %s closed: every connected player answered", question, game_id
            )
            self._publish_closed(game_id, state, now_ms, "all_answered")
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
        question: int,
        outcome: AnswerOutcome,
        choice: int,
        correct: bool,
        points: int,
        elapsed_ms: int,
        answered_at_ms: int,
    ) -> None:
        data = {
            "player_id": player_id,
            "question": question,
            "choice": choice,
            "correct": correct,
            "points": points,
            "elapsed_ms": elapsed_ms,
            "answered_at_ms": answered_at_ms,
            "total": outcome.total,
            "reached_seq": outcome.reached_seq,
        }
        event = Event(
            "answer.accepted",
            game_id,
            f"answer:{game_id}:{question}:{player_id}",
            answered_at_ms,
            data,
        )
        self.publisher.publish("answer.accepted", event)

    def _republish_answer(self, game_id: GameId, player_id: PlayerId, question: int) -> None:
        stored = self.store.answers(game_id, question).get(player_id)
        if stored is None:
            return
        # The total and sequence number at the time of the first answer are not kept. The
        # current ones are at least as high, and persist only ever moves a total forward.
        total, reached = self.store.player_score(game_id, player_id)
        outcome = AnswerOutcome("accepted", total, 0, 0, False, reached)
        self._publish_answer(
            game_id,
            player_id,
            question,
            outcome,
            stored["choice"],
            stored["correct"],
            stored["points"],
            stored["elapsed_ms"],
            stored["at_ms"],
        )

    def open_next(self, game_id: GameId, action: Action, now_ms: int) -> dict[str, Any]:
        """Run the host's ``start`` or ``next``: open the next question, or end after the last."""
        state = self.store.state(game_id)
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
        if not self.store.transition(game_id, state, decision.fields()):
            raise ConflictError(
                "state_changed", "the game changed while this action ran: try again"
            )
        logger.info(
            "game %s opened question %d (round %d)", game_id, decision.index, decision.round
        )
        if action is Action.START:
            started = {"question_count": state.question_count, "started_at_ms": now_ms}
            self.publisher.publish(
                "game.started",
                Event("game.started", game_id, f"started:{game_id}", now_ms, started),
            )
        deadline = {
            "question": decision.index,
            "round": decision.round,
            "deadline_ms": decision.deadline_ms,
        }
        self.publisher.publish_after(
            decision.limit_ms,
            Event(
                "question.deadline",
                game_id,
                f"deadline:{game_id}:{decision.round}",
                now_ms,
                deadline,
            ),
        )
        opened = {
            "question": decision.index,
            "count": state.question_count,
            "text": question["text"],
            "choices": question["choices"],
            "limit_ms": decision.limit_ms,
            "deadline_ms": decision.deadline_ms,
        }
        event_id = f"opened:{game_id}:{decision.round}"
        self.publisher.publish(
            "question.opened", Event("question.opened", game_id, event_id, now_ms, opened)
        )
        return {
            "type": "ok",
            "action": action.value,
            "question": decision.index,
            "deadline_ms": decision.deadline_ms,
        }

    def close_at_deadline(self, game_id: GameId, question: int, round_: int, now_ms: int) -> bool:
        """Close ``question`` if it is still open in ``round_``, and return whether it closed."""
        state = self.store.state(game_id)
        if (
            state.phase is not GamePhase.QUESTION_OPEN
            or state.round != round_
            or state.question != question
        ):
            logger.debug("deadline of game %s round %d ignored: the game moved on", game_id, round_)
            return False
        fields = {"phase": GamePhase.QUESTION_CLOSED.value, "closed_at_ms": now_ms}
        if not self.store.transition(game_id, state, fields):
            return False
        logger.info("question %d of game %s closed at its deadline", question, game_id)
        self._publish_closed(game_id, state, now_ms, "deadline")
        return True

    def close_if_everyone_answered(self, game_id: GameId, now_ms: int) -> bool:
        """Close the open question when the players still connected have all answered.

        Runs after a disconnect: the player who left may have been the last one missing.
        """
        state = self.store.state(game_id)
        if state.phase is not GamePhase.QUESTION_OPEN:
            return False
        if not self.store.everyone_online_answered(game_id, state.question):
            return False
        fields = {"phase": GamePhase.QUESTION_CLOSED.value, "closed_at_ms": now_ms}
        if not self.store.transition(game_id, state, fields):
            return False
        logger.info(
            "question %d of game %s closed: every player still connected answered",
            state.question,
            game_id,
        )
        self._publish_closed(game_id, state, now_ms, "all_answered")
        return True

    def _publish_closed(self, game_id: GameId, state: GameState, now_ms: int, reason: str) -> None:
        data = {
            "question": state.question,
            "correct": state.correct,
            "reason": reason,
            "answered": self.store.answered_count(game_id, state.question),
        }
        event = Event("question.closed", game_id, f"closed:{game_id}:{state.round}", now_ms, data)
        self.publisher.publish("question.closed", event)

    def end(self, game_id: GameId, state: GameState, now_ms: int) -> None:
        fields = {"phase": GamePhase.ENDED.value, "ended_at_ms": now_ms}
        if not self.store.transition(game_id, state, fields):
            raise ConflictError(
                "state_changed", "the game changed while this action ran: try again"
            )
        self.publish_end(game_id, now_ms)

    def publish_end(self, game_id: GameId, now_ms: int) -> None:
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
        logger.info("game %s ended with %d players", game_id, len(players))
        self.publisher.publish(
            "game.ended", Event("game.ended", game_id, f"ended:{game_id}", now_ms, data)
        )
