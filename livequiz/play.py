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

from livequiz import broadcast, questions, rules
from livequiz.config import Settings
from livequiz.errors import ConflictError, ServiceError
from livequiz.events import DEADLINE_ROUTING_KEY, Event, OutboxEntry, Publisher
from livequiz.ids import GameId, PlayerId
from livequiz.questions import AnyQuestion, Grade
from livequiz.quizzes import stored_question
from livequiz.rules import Action, GamePhase, GameState, ScoredAnswer
from livequiz.store import AnswerOutcome, GameStore, Transition

logger = logging.getLogger(__name__)

REJECTIONS = {
    "already_answered": "you have already answered question {question}",
    "too_late": "the time for question {question} has run out",
    "question_not_open": "question {question} is not open for answers",
}
# Timer events, all on the deadline queue: a question's deadline, the auto-advance to the next
# question, and the checks of a host who left.
ADVANCE_EVENT = "question.advance"
RECHECK_EVENT = "question.recheck"
HOST_CHECK_EVENT = "host.check"
KICK_ATTEMPTS = 3
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

    def spec(self, game_id: GameId, index: int) -> tuple[AnyQuestion, dict[str, Any]]:
        """Return the question model and its stored JSON (which adds limit_ms and shown)."""
        stored = self.store.question(game_id, index)
        return stored_question(stored), stored

    def answer(
        self,
        game_id: GameId,
        player_id: PlayerId,
        question: int,
        response: dict[str, Any],
        now_ms: int,
    ) -> dict[str, Any]:
        """Score and record one answer, and return the reply frame for the player.

        The reply says only that the answer counts: whether it was right, and its points, come
        with the reveal, so that no player can pass the answer on while the question is open.
        """
        state = self._state(game_id, now_ms)
        try:
            rules.check_answerable(state, question, now_ms)
            spec, stored = self.spec(game_id, question)
            scored = rules.score(state, question, spec, response, now_ms, stored.get("shown"))
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
        if outcome.closed:
            self._after_close(game_id, now_ms)
        return {"type": "answer_received", "question": question, "accepted": True}

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
            "response": scored.grade.response,
            "choice": scored.choice,
            "correct": scored.correct,
            "points": scored.points + outcome.bonus,
            "bonus": outcome.bonus,
            "streak": outcome.streak,
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
        bonus = int(stored.get("bonus", 0))
        outcome = AnswerOutcome(
            "accepted", total, 0, 0, False, reached, bonus=bonus, streak=stored.get("streak", 0)
        )
        grade = Grade(stored["correct"], questions.WRONG, stored.get("response"))
        scored = ScoredAnswer(question, grade, stored["points"] - bonus, stored["elapsed_ms"])
        self._publish_answer(game_id, player_id, scored, outcome, stored["at_ms"])

    # Host actions

    def open_next(self, game_id: GameId, action: Action, now_ms: int) -> dict[str, Any]:
        """Run the host's ``start`` or ``next``: open the next question, or end after the last."""
        state = self._state(game_id, now_ms)
        if (
            action is Action.NEXT
            and state.phase is GamePhase.QUESTION_CLOSED
            and state.options.auto_reveal
            and not state.revealed
        ):
            # The reveal after the close failed, for example on a publish: players see it now.
            logger.warning("game %s reveals question %d late", game_id, state.question)
            self.reveal(game_id, state, now_ms)
            state = self.store.state(game_id)
        if (
            action is Action.NEXT
            and state.phase is GamePhase.QUESTION_CLOSED
            and rules.is_last_question(state)
        ):
            self.end(game_id, state, now_ms)
            return {"type": "ok", "action": action.value, "phase": GamePhase.ENDED.value}
        rules.check_phase(state, action)

        _, stored = self.spec(game_id, state.question + 1)
        previous_scored = state.question >= 0 and self.spec(game_id, state.question)[0].scored
        decision = rules.open_question(state, action, now_ms, stored["limit_ms"], previous_scored)

        entries = []
        if action is Action.START:
            started = {"question_count": state.question_count, "started_at_ms": now_ms}
            event = Event("game.started", game_id, f"started:{game_id}", now_ms, started)
            entries.append(OutboxEntry("game.started", event))
        entries += self._opened_entries(
            game_id, state, decision.index, decision.round, decision.deadline_ms, now_ms
        )

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

    def _opened_entries(
        self,
        game_id: GameId,
        state: GameState,
        index: int,
        round_: int,
        deadline_ms: int,
        now_ms: int,
        resumed: bool = False,
    ) -> list[OutboxEntry]:
        """Build the deadline timer and the question frame's event of question ``index`` opening in
        ``round_``, or opening again after a pause when ``resumed``."""
        spec, stored = self.spec(game_id, index)
        data: dict[str, Any] = {
            "question": index,
            "round": round_,
            "count": state.question_count,
            "text": spec.text,
            "view": questions.public_view(spec, stored.get("shown", ())),
            "limit_ms": stored["limit_ms"],
            "deadline_ms": deadline_ms,
        }
        if resumed:
            data["resumed"] = True
        event = Event("question.opened", game_id, f"opened:{game_id}:{round_}", now_ms, data)
        return [
            self._deadline_entry(game_id, index, round_, now_ms, deadline_ms),
            OutboxEntry("question.opened", event),
        ]

    @staticmethod
    def _deadline_entry(
        game_id: GameId, question: int, round_: int, now_ms: int, deadline_ms: int
    ) -> OutboxEntry:
        deadline = {"question": question, "round": round_, "deadline_ms": deadline_ms}
        event_id = f"deadline:{game_id}:{round_}"
        event = Event("question.deadline", game_id, event_id, now_ms, deadline)
        return OutboxEntry(DEADLINE_ROUTING_KEY, event, deadline_ms)

    def host_action(
        self, game_id: GameId, action: Action, now_ms: int, reason: str = "host"
    ) -> dict[str, Any]:
        """Run a host control other than ``start`` and ``next``."""
        if action in (Action.START, Action.NEXT):
            return self.open_next(game_id, action, now_ms)
        state = self._state(game_id, now_ms)
        rules.check_phase(state, action)
        if action is Action.SKIP:
            if not self._close(game_id, state, now_ms, "skipped"):
                raise ConflictError("state_changed", "the question closed meanwhile")
            logger.info("game %s skipped question %d", game_id, state.question)
            self._after_close(game_id, now_ms)
        elif action is Action.PAUSE:
            self._pause(game_id, state, now_ms, reason)
        elif action is Action.RESUME:
            self._resume(game_id, state, now_ms)
            # Players may have left during the pause, so that everyone still here has answered.
            self.close_if_everyone_answered(game_id, now_ms)
        elif action is Action.REVEAL:
            self.reveal(game_id, state, now_ms)
        elif action is Action.END:
            self.end(game_id, state, now_ms, reason)
        return {"type": "ok", "action": action.value}

    def _pause(self, game_id: GameId, state: GameState, now_ms: int, reason: str) -> None:
        fields = rules.pause(state, now_ms, reason)
        data = {
            "question": state.question,
            "round": state.round,
            "remaining_ms": fields["remaining_ms"],
            "reason": reason,
        }
        event = Event("game.paused", game_id, f"paused:{game_id}:{state.round}", now_ms, data)
        self._apply(game_id, state, fields, [OutboxEntry("game.paused", event)], now_ms)
        logger.info("game %s paused (%s) with %s ms left", game_id, reason, fields["remaining_ms"])

    def _resume(self, game_id: GameId, state: GameState, now_ms: int) -> None:
        fields = rules.resume(state, now_ms)
        round_ = int(fields["round"])
        entries = []
        if state.paused_from is GamePhase.QUESTION_OPEN:
            deadline_ms = int(fields["deadline_ms"])
            entries += self._opened_entries(
                game_id, state, state.question, round_, deadline_ms, now_ms, resumed=True
            )
        else:
            data = {"question": state.question, "round": round_}
            event = Event("game.resumed", game_id, f"resumed:{game_id}:{round_}", now_ms, data)
            entries.append(OutboxEntry("game.resumed", event))
            if state.revealed:
                entries.extend(self._advance_entries(game_id, state, round_, now_ms))
        self._apply(game_id, state, fields, entries, now_ms)
        logger.info("game %s resumed in round %d", game_id, round_)

    def reveal(self, game_id: GameId, state: GameState, now_ms: int) -> None:
        """Show the right answer, the explanation and how players answered; then, with
        auto-advance, set the timer of the next question."""
        rules.check_phase(state, Action.REVEAL)
        data = self.reveal_data(game_id, state)
        event_id = f"revealed:{game_id}:{state.round}"
        entries = [
            OutboxEntry(
                "question.revealed", Event("question.revealed", game_id, event_id, now_ms, data)
            )
        ]
        entries.extend(self._advance_entries(game_id, state, state.round, now_ms))
        self._apply(game_id, state, {"revealed": 1}, entries, now_ms)
        logger.info("game %s revealed question %d", game_id, state.question)

    def reveal_data(self, game_id: GameId, state: GameState) -> dict[str, Any]:
        """Build what the reveal of the state's question shows: the right answer, the
        explanation, and how many players answered, answered right and chose each option."""
        spec, stored = self.spec(game_id, state.question)
        answers = self.store.answers(game_id, state.question)
        responses = [answer.get("response", answer.get("choice")) for answer in answers.values()]
        right = sum(1 for answer in answers.values() if answer.get("correct") is True)
        data: dict[str, Any] = {
            "question": state.question,
            "round": state.round,
            "question_type": spec.type,
            "correct": questions.correct_answer(spec, stored.get("shown", ())),
            "answered": len(answers),
            "right": None if isinstance(spec, questions.Poll) else right,
            "distribution": questions.distribution(spec, responses),
        }
        if spec.explanation:
            data["explanation"] = spec.explanation
        if isinstance(spec, questions.Ordering):
            # The items in their right order; a player's response lists indexes into it.
            data["items"] = list(spec.items)
        return data

    def _advance_entries(
        self, game_id: GameId, state: GameState, round_: int, now_ms: int
    ) -> list[OutboxEntry]:
        seconds = state.options.auto_advance_s
        if seconds is None:
            return []
        at_ms = now_ms + seconds * 1000
        data = {"question": state.question, "round": round_, "deadline_ms": at_ms}
        event = Event(ADVANCE_EVENT, game_id, f"advance:{game_id}:{round_}", now_ms, data)
        return [OutboxEntry(DEADLINE_ROUTING_KEY, event, at_ms)]

    def _after_close(self, game_id: GameId, now_ms: int) -> None:
        """Reveal the question that just closed when the game reveals by itself."""
        state = self.store.state(game_id)
        if (
            state.phase is GamePhase.QUESTION_CLOSED
            and state.options.auto_reveal
            and not state.revealed
        ):
            try:
                self.reveal(game_id, state, now_ms)
            except ConflictError as error:
                logger.info("game %s moved on before its reveal: %s", game_id, error.message)

    def advance(self, game_id: GameId, question: int, round_: int, now_ms: int) -> bool:
        """Open the next question when the auto-advance timer of ``round_`` fires."""
        state = self._state(game_id, now_ms)
        if not rules.is_at(state, GamePhase.QUESTION_CLOSED, question, round_):
            logger.debug("advance of game %s round %d ignored: the game moved on", game_id, round_)
            return False
        self.open_next(game_id, Action.NEXT, now_ms)
        return True

    def lock(self, game_id: GameId, locked: bool) -> dict[str, Any]:
        self.store.set_locked(game_id, locked)
        logger.info("game %s %s", game_id, "locked" if locked else "unlocked")
        return {"type": "ok", "action": "lock" if locked else "unlock"}

    def kick(self, game_id: GameId, player_id: PlayerId, now_ms: int) -> dict[str, Any]:
        """Remove a player; their token no longer connects to this game."""
        state = self._state(game_id, now_ms)
        if state.phase is GamePhase.ENDED:
            raise ConflictError("game_ended", "the game has ended: there is no one to kick")
        connection = self.store.kick(game_id, player_id)
        data = {"player_id": player_id, "kicked_at_ms": now_ms, "connection_id": connection}
        event = Event("player.kicked", game_id, f"kicked:{game_id}:{player_id}", now_ms, data)
        entry = OutboxEntry("player.kicked", event)
        # The kick is done; its event must not be lost to an answer or timer that changed the
        # phase meanwhile, so the outbox write is retried on the state it finds.
        for attempt in range(KICK_ATTEMPTS):
            try:
                self._apply(game_id, state, {"last_kick_ms": now_ms}, [entry], now_ms)
                break
            except ConflictError:
                if attempt == KICK_ATTEMPTS - 1:
                    raise
                state = self.store.state(game_id)
        logger.info("game %s kicked player %s (connection %s)", game_id, player_id, connection)
        self.close_if_everyone_answered(game_id, now_ms)
        return {"type": "ok", "action": "kick", "player_id": player_id}

    # The host's presence

    def host_left(self, game_id: GameId, now_ms: int) -> None:
        """Start the grace period after the host's last connection closed."""
        if not self.store.set_host_gone(game_id, now_ms):
            return
        try:
            self._host_check(game_id, now_ms, now_ms, "pause", self.settings.host_grace_s)
        except ServiceError:
            # The disconnect must still succeed. Without the timer the game waits for the host,
            # who can reconnect and go on, or end it.
            logger.exception("could not set the host timer of game %s", game_id)
            return
        logger.info(
            "the host of game %s left; grace period of %d s", game_id, self.settings.host_grace_s
        )

    def host_back(self, game_id: GameId) -> None:
        self.store.set_host_back(game_id)

    def _host_check(
        self, game_id: GameId, gone_at_ms: int, now_ms: int, stage: str, after_s: int
    ) -> None:
        at_ms = now_ms + after_s * 1000
        data = {"gone_at_ms": gone_at_ms, "stage": stage, "deadline_ms": at_ms}
        event = Event(
            HOST_CHECK_EVENT, game_id, f"host:{game_id}:{gone_at_ms}:{stage}", now_ms, data
        )
        self.publisher.deliver(OutboxEntry(DEADLINE_ROUTING_KEY, event, at_ms), now_ms)

    def check_host(self, game_id: GameId, gone_at_ms: int, stage: str, now_ms: int) -> str:
        """Act on a host who is still gone since ``gone_at_ms``: pause, then end the game."""
        state = self._state(game_id, now_ms)
        if state.host_gone_at_ms != gone_at_ms or state.phase is GamePhase.ENDED:
            return "ignored"
        if self.store.host_connected(game_id):
            # The host came back in a way that did not reset the mark: never act on a game
            # whose host is connected.
            logger.warning("host check of game %s found the host connected", game_id)
            self.store.set_host_back(game_id)
            return "ignored"
        if stage == "pause":
            if state.phase in rules.ALLOWED_FROM[Action.PAUSE]:
                self._pause(game_id, state, now_ms, "host_gone")
            self._host_check(game_id, gone_at_ms, now_ms, "end", self.settings.host_abandon_s)
            return "paused"
        self.end(game_id, self.store.state(game_id), now_ms, "host_gone")
        return "ended"

    # State for a client that connects or reconnects

    def sync(self, game_id: GameId, viewer: str, now_ms: int) -> dict[str, Any]:
        """Build the game's state as one client needs it after connecting: the phase, the open
        question with the time left by the server's deadline, a player's own answer and score,
        and after a reveal the reveal frame, also during a pause after it."""
        state = self._state(game_id, now_ms)
        frame: dict[str, Any] = {
            "type": "state",
            "phase": state.phase.value,
            "question": state.question,
            "round": state.round,
            "count": state.question_count,
            "options": state.options.model_dump(),
            "server_ms": now_ms,
        }
        if state.question >= 0 and state.phase is not GamePhase.ENDED:
            spec, stored = self.spec(game_id, state.question)
            frame["view"] = questions.public_view(spec, stored.get("shown", ()))
            frame["limit_ms"] = state.limit_ms
            if state.phase is GamePhase.QUESTION_OPEN:
                frame["deadline_ms"] = state.deadline_ms
                frame["remaining_ms"] = max(state.deadline_ms - now_ms, 0)
            elif state.phase is GamePhase.PAUSED:
                frame["remaining_ms"] = state.remaining_ms
                frame["pause_reason"] = state.pause_reason
                frame["paused_from"] = state.paused_from.value if state.paused_from else None
        closed = state.phase is GamePhase.QUESTION_CLOSED or (
            state.phase is GamePhase.PAUSED and state.paused_from is GamePhase.QUESTION_CLOSED
        )
        if closed and state.revealed:
            # A client that reconnects after the reveal gets the reveal frame it missed, also
            # while the host pauses after it.
            data = self.reveal_data(game_id, state)
            frame["reveal"] = broadcast.reveal_frame(self.store, game_id, state, data, viewer)
        if viewer == "host":
            frame["players"] = self.store.player_count(game_id)
            frame["online"] = self.store.online_count(game_id)
            frame["locked"] = state.locked
            if state.question >= 0:
                frame["answered"] = self.store.answered_count(game_id, state.question)
            return frame
        player_id = PlayerId(viewer)
        total, _ = self.store.player_score(game_id, player_id)
        streak, last = self.store.streak(game_id, player_id)
        you: dict[str, Any] = {"score": total, "streak": streak if last >= state.streak_prev else 0}
        frame["you"] = you
        if state.question >= 0:
            answer = self.store.answer(game_id, state.question, player_id)
            if answer is not None:
                mine: dict[str, Any] = {"response": answer.get("response")}
                spec, _ = self.spec(game_id, state.question)
                if isinstance(spec, questions.Ordering) and answer.get("response") is not None:
                    # The response indexes the items in their right order, which the page
                    # does not know before the reveal, so the items come in the player's order.
                    mine["items"] = [spec.items[index] for index in answer["response"]]
                if state.revealed:
                    mine.update(correct=answer["correct"], points=answer["points"])
                else:
                    # The score and streak with this answer in them would tell the player
                    # whether it was right before the reveal, so they are those from before it.
                    you["score"] = total - int(answer["points"])
                    you["streak"] = self._streak_before(game_id, player_id, state)
                you["answer"] = mine
        if state.options.leaderboard == "never":
            # Survey mode shows no scores, as the reveal frames do not: no total, no streak and
            # no points of the answer.
            you.pop("score")
            you.pop("streak")
            you.get("answer", {}).pop("points", None)
        return frame

    def _streak_before(self, game_id: GameId, player_id: PlayerId, state: GameState) -> int:
        """Return the player's run of right answers up to the last scored question before the
        current one."""
        if state.streak_prev < 0:
            return 0
        previous = self.store.answer(game_id, state.streak_prev, player_id)
        if previous is None or previous.get("correct") is not True:
            return 0
        return int(previous.get("streak", 0))

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

    def end(self, game_id: GameId, state: GameState, now_ms: int, reason: str = "finished") -> None:
        if state.phase is GamePhase.QUESTION_OPEN:
            # Closed first, so that no answer can change the ranking once it has been read.
            self._close(game_id, state, now_ms, "ended")
            state = self.store.state(game_id)
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
        data = {"ended_at_ms": now_ms, "players": players, "reason": reason}
        event = Event("game.ended", game_id, f"ended:{game_id}", now_ms, data)
        fields = {"phase": GamePhase.ENDED.value, "ended_at_ms": now_ms}
        self._apply(game_id, state, fields, [OutboxEntry("game.ended", event)], now_ms)
        logger.info("game %s ended (%s) with %d players", game_id, reason, len(players))

    # Closing

    def close_at_deadline(self, game_id: GameId, question: int, round_: int, now_ms: int) -> bool:
        """Close ``question`` if it is still open in ``round_``, and return whether it closed."""
        state = self._state(game_id, now_ms)
        if not rules.is_at(state, GamePhase.QUESTION_OPEN, question, round_):
            logger.debug("deadline of game %s round %d ignored: the game moved on", game_id, round_)
            return False
        if not self._close(game_id, state, now_ms, "deadline"):
            return False
        logger.info("question %d of game %s closed at its deadline", question, game_id)
        self._after_close(game_id, now_ms)
        return True

    def player_left(self, game_id: GameId, now_ms: int) -> None:
        """Close the open question, after the player grace period, if the players still
        connected have all answered: the player who left may have been the last one missing,
        or may be reloading the page to answer."""
        grace_s = self.settings.player_grace_s
        if grace_s == 0:
            self.close_if_everyone_answered(game_id, now_ms)
            return

        # Read first: the read also publishes the game's outbox, as every action does.
        state = self._state(game_id, now_ms)
        if state.phase is not GamePhase.QUESTION_OPEN:
            return
        if not self.store.everyone_online_answered(game_id, state.question):
            return

        at_ms = now_ms + grace_s * 1000
        data = {"question": state.question, "round": state.round, "deadline_ms": at_ms}
        event_id = f"recheck:{game_id}:{state.round}:{now_ms}"
        event = Event(RECHECK_EVENT, game_id, event_id, now_ms, data)
        try:
            self.publisher.deliver(OutboxEntry(DEADLINE_ROUTING_KEY, event, at_ms), now_ms)
        except ServiceError:
            # The disconnect must still succeed. The question then closes at its deadline.
            logger.exception(
                "setting the answered check of game %s failed; the question closes at its deadline",
                game_id,
            )
            return
        logger.info(
            "a player left question %d of game %s, which everyone connected has answered; "
            "checking again in %d s",
            state.question,
            game_id,
            grace_s,
        )

    def recheck_answered(self, game_id: GameId, question: int, round_: int, now_ms: int) -> bool:
        """Close ``question`` if it is still open in ``round_`` and the players connected now
        have all answered, and return whether it closed."""
        state = self._state(game_id, now_ms)
        if not rules.is_at(state, GamePhase.QUESTION_OPEN, question, round_):
            return False
        return self.close_if_everyone_answered(game_id, now_ms)

    def close_if_everyone_answered(self, game_id: GameId, now_ms: int) -> bool:
        """Close the open question when the players still connected have all answered.

        Runs after a kick or a resume, and a grace period after a disconnect
        (``player_left``): the player who left may have been the last one missing.
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
        self._after_close(game_id, now_ms)
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
            "reason": reason,
            "answered": answered,
        }
        event = Event("question.closed", game_id, f"closed:{game_id}:{state.round}", now_ms, data)
        return OutboxEntry("question.closed", event)
