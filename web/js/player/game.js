// One player's game: turns the frames of the WebSocket API into screens, sends answers, and
// resumes from the server's state after every (re)connection (the socket sends "sync").

import { gameResults, sentence } from "../lib/api.js";
import { el, replace, setText } from "../lib/dom.js";
import { GameSocket } from "../lib/socket.js";
import { answerInput } from "./answers.js";
import { Countdown } from "./countdown.js";
import { forgetLastGame, forgetSession } from "./session.js";
import {
  closedView,
  gradedAnswer,
  lobbyView,
  messageView,
  pausedView,
  podiumView,
  questionView,
  receivedView,
  resultView,
} from "./views.js";

// Connection attempts in a row that never opened before the page shows a notice. A browser
// cannot tell a refused handshake (a kicked player, an expired token) from a network failure.
const FAILURES_BEFORE_NOTICE = 4;
// Reads of the final ranking before the page shows it from a game that MySQL does not have
// as ended yet: the persist function writes the end shortly after the game_ended frame.
const RESULT_TRIES = 5;
const RESULT_RETRY_MS = 1000;
// A failed read of the final ranking is retried after 1 s, then twice as long each time, up
// to this delay.
const RESULT_MAX_RETRY_MS = 30_000;

// Plain words for the WebSocket API's error codes, for the replies a player can get.
const FRAME_ERRORS = {
  too_late: "Too late: the time ran out before your answer arrived.",
  question_not_open: "This question is closed, so the answer was not counted.",
  paused: "The game is paused. Answer again when it goes on.",
  unknown_question: "This question is no longer open. Wait for the next one.",
  game_ended: "The game has ended.",
  not_connected: "The connection was lost. It is coming back by itself; wait a moment.",
  message_too_large: "The answer is too long. Shorten it and send it again.",
};

/** Convert the fields of an answer message, as answers.js sends them, for yourAnswer. */
function sentAnswer(view, fields) {
  if (Array.isArray(fields.order)) {
    // Positions in the list as shown.
    return { items: fields.order.map((position) => (view.items || [])[position]) };
  }
  return fields;
}

/** Convert the player's answer in the reply to sync, for yourAnswer. */
function syncedAnswer(view, answer) {
  if (view.type === "ordering") {
    return Array.isArray(answer.items) ? { items: answer.items } : null;
  }
  return gradedAnswer(view.type, answer.response);
}

export class PlayerGame {
  /**
   * `playerName` is the header's nickname. With `joinIfEnded`, a game that the first reply to
   * sync finds ended goes to the join form (`onLeave("")`) instead of its podium: /play
   * without a PIN resumes the last game only while it runs.
   */
  constructor({ screen, notice, connection, playerName, session, wsUrl, onLeave, joinIfEnded = false }) {
    this.screen = screen;
    this.notice = notice;
    this.connection = connection;
    this.playerName = playerName;
    this.joinIfEnded = joinIfEnded;
    this.session = session;
    this.wsUrl = wsUrl;
    this.onLeave = onLeave;
    this.socket = null;
    this.phase = null;
    this.options = {};
    // The current question: {index, count, round, view, limitMs}.
    this.question = null;
    this.input = null;
    this.answeredNode = el("p", { class: "muted", id: "answered-count" });
    this.countdown = new Countdown(() => this.timeUp());
    this.answered = new Set();
    // The player's answer of each question, in the form views.yourAnswer takes.
    this.answers = new Map();
    this.reveals = new Map();
    // The answer sent and not yet confirmed: {question, queued}. `queued` is true while it
    // waits in the socket's queue for the next connection.
    this.pendingAnswer = null;
    this.screenKey = null;
    // The timer of the final ranking's next read, and the number of the current read. A reply
    // to an older read is dropped.
    this.resultsTimer = null;
    this.resultsRead = 0;
    this.synced = false;
    this.onKey = (event) => this.handleKey(event);
  }

  start() {
    this.show("connecting", () => messageView("Connecting\u2026", ["Getting the game's state."]));
    this.socket = new GameSocket(this.wsUrl, this.session.token);
    this.socket.addEventListener("frame", (event) => this.handleFrame(event.detail));
    this.socket.addEventListener("status", (event) => this.handleStatus(event.detail));
    document.addEventListener("keydown", this.onKey);
    this.socket.start();
  }

  stop() {
    this.cancelResults();
    document.removeEventListener("keydown", this.onKey);
    this.countdown.stopTicking();
    if (this.socket !== null) {
      this.socket.close();
    }
  }

  // Connection

  handleStatus({ state, failures }) {
    const labels = { open: "Online", connecting: "Connecting\u2026", reconnecting: "Reconnecting\u2026", closed: "Offline" };
    this.connection.hidden = state === "closed" && this.phase === "ended";
    this.connection.dataset.state = state;
    setText(this.connection, labels[state] || state);
    if (state === "open") {
      if (this.notice.dataset.kind === "connection") {
        this.clearNotice();
      }
      return;
    }
    if (state === "reconnecting" && failures >= FAILURES_BEFORE_NOTICE) {
      this.showNotice(
        "Cannot connect to the game. It keeps trying; if the game has ended or the host " +
          "removed you, join again.",
        "connection",
        el("button", { type: "button", class: "secondary", text: "Join again", on: { click: () => this.leave() } }),
      );
    }
  }

  /** Drop this game's session and go to the join form, with `pin` filled in. */
  leave(pin = this.session.pin) {
    this.stop();
    forgetSession(this.session.gameId);
    this.clearNotice();
    this.onLeave(pin);
  }

  // Frames

  handleFrame(frame) {
    switch (frame.type) {
      case "state":
        this.applyState(frame);
        break;
      case "question":
        this.openQuestion(frame);
        break;
      case "answered":
        this.showAnsweredCount(frame);
        break;
      case "question_closed":
        this.closeQuestion(frame);
        break;
      case "reveal":
        this.reveal(frame);
        break;
      case "paused":
        this.pause(frame);
        break;
      case "resumed":
        this.resume();
        break;
      case "game_ended":
        this.end(frame);
        break;
      case "kicked":
        this.kicked();
        break;
      case "replaced":
        this.replaced();
        break;
      case "answer_received":
        this.answerReceived(frame);
        break;
      case "error":
        this.replyError(frame);
        break;
      default:
        // "ok" and frame types of later versions.
        break;
    }
  }

  applyState(state) {
    const joinIfEnded = this.joinIfEnded;
    this.joinIfEnded = false;
    if (state.phase === "ended" && joinIfEnded) {
      this.stop();
      forgetLastGame(this.session.gameId);
      this.onLeave("");
      return;
    }
    this.synced = true;
    this.options = state.options || {};
    const you = state.you || {};
    if (state.question >= 0 && state.view) {
      this.setQuestion(state.question, state.count, state.round, state.view, state.limit_ms);
      if (you.answer) {
        this.pendingAnswer = null;
        this.answered.add(state.question);
        if (!this.answers.has(state.question)) {
          this.answers.set(state.question, syncedAnswer(state.view, you.answer));
        }
      } else if (state.phase === "question_open") {
        this.dropLostAnswer(state.question);
      }
    }
    this.phase = state.phase;
    if (state.phase === "lobby") {
      this.show("lobby", () => lobbyView(this.session.nickname));
    } else if (state.phase === "question_open") {
      this.countdown.run(state.remaining_ms, state.limit_ms);
      this.renderOpen();
    } else if (state.phase === "question_closed") {
      this.countdown.finish();
      if (state.reveal) {
        // Revealed while this page was away: the reply carries the reveal frame it missed.
        this.reveals.set(state.question, state.reveal);
      }
      const reveal = this.reveals.get(state.question);
      if (reveal) {
        this.renderReveal(reveal);
      } else {
        this.show(`closed:${state.question}`, () => closedView(this.question, null, Boolean(you.answer)));
      }
    } else if (state.phase === "paused") {
      if (state.reveal) {
        // Paused after the reveal: the reveal shows again once the host resumes.
        this.reveals.set(state.question, state.reveal);
      }
      const open = state.paused_from !== "question_closed";
      this.showPaused(state.pause_reason, open ? state.remaining_ms : null, state.limit_ms);
    } else if (state.phase === "ended") {
      this.showFinalResults();
    }
  }

  setQuestion(index, count, round, view, limitMs) {
    if (this.question === null || this.question.index !== index) {
      const scoresHidden = this.options.leaderboard === "never";
      this.question = { index, count, round, view, limitMs, scoresHidden };
      this.input = null;
      this.pendingAnswer = null;
      setText(this.answeredNode, "");
      this.screenKey = null;
    } else {
      Object.assign(this.question, { count, round, view: view || this.question.view, limitMs });
    }
  }

  openQuestion(frame) {
    this.setQuestion(frame.question, frame.count, frame.round, frame.view, frame.limit_ms);
    this.phase = "question_open";
    this.countdown.run(frame.remaining_ms, frame.limit_ms);
    if (!frame.resumed) {
      this.clearNotice();
    }
    this.renderOpen();
  }

  renderOpen() {
    const question = this.question;
    if (this.answered.has(question.index)) {
      const answer = this.answers.get(question.index);
      this.show(`received:${question.index}`, () => receivedView(question, this.countdown, this.answeredNode, answer));
      return;
    }
    if (this.input === null) {
      this.input = answerInput(question.view, (fields) => this.sendAnswer(fields));
    }
    if (this.countdown.expired) {
      // The server would reject an answer as too late, so the input takes none.
      this.input.disable();
      const note = "Time's up. Waiting for the question to close\u2026";
      this.show(`timeup:${question.index}`, () => questionView(question, this.countdown, this.input, note));
      return;
    }
    const key = `open:${question.index}`;
    if (this.show(key, () => questionView(question, this.countdown, this.input))) {
      this.focusFirst();
    }
  }

  /**
   * Let the player answer `index` again when the reply to sync has no answer of theirs. The
   * server's state is the truth after a reconnect: an answer sent on a connection that died
   * before it arrived is lost, and the input that sent it is still disabled.
   */
  dropLostAnswer(index) {
    const pending = this.pendingAnswer?.question === index ? this.pendingAnswer : null;
    if (pending?.queued) {
      // The socket sends its queue right after sync, so the reply to the answer comes next.
      pending.queued = false;
      return;
    }
    if (pending === null && !this.answered.has(index)) {
      return;
    }
    this.pendingAnswer = null;
    this.answered.delete(index);
    this.answers.delete(index);
    this.input = null;
    this.screenKey = null;
    this.showNotice("Your answer did not reach the game, because the connection was lost. Answer again.", "answer");
  }

  /** Close the input of the open question when the countdown reaches zero. */
  timeUp() {
    if (this.phase === "question_open" && this.question !== null) {
      this.renderOpen();
    }
  }

  sendAnswer(fields) {
    const question = this.question;
    this.answers.set(question.index, sentAnswer(question.view, fields));
    const sentNow = this.socket.send({ action: "answer", question: question.index, ...fields });
    this.pendingAnswer = { question: question.index, queued: !sentNow };
    if (!sentNow) {
      this.showNotice("The connection is down. Your answer goes out as soon as it is back.", "connection");
    }
  }

  answerReceived(frame) {
    this.pendingAnswer = null;
    this.answered.add(frame.question);
    if (this.question && this.question.index === frame.question && this.phase === "question_open") {
      this.clearNotice();
      this.renderOpen();
    }
  }

  replyError(frame) {
    if (frame.action === "answer") {
      this.pendingAnswer = null;
      if (frame.code === "already_answered") {
        if (this.question) {
          this.answerReceived({ question: this.question.index });
        }
        return;
      }
      const message = FRAME_ERRORS[frame.code] || `${sentence(frame.message || "the answer was not accepted")} Try again.`;
      this.showNotice(message, "answer");
      if (this.phase === "question_open" && this.question) {
        // A fresh input, so that the player can answer again while the question is open.
        this.input = null;
        this.screenKey = null;
        this.renderOpen();
      }
      return;
    }
    if (frame.code === "game_ended") {
      this.showFinalResults();
      return;
    }
    this.showNotice(FRAME_ERRORS[frame.code] || frame.message || "The server rejected a message.", "reply");
  }

  showAnsweredCount(frame) {
    if (this.question && frame.question === this.question.index) {
      setText(this.answeredNode, `${frame.answered} of ${frame.online} players have answered.`);
    }
  }

  closeQuestion(frame) {
    if (!this.question || frame.question !== this.question.index) {
      return;
    }
    this.phase = "question_closed";
    this.countdown.finish();
    if (this.input) {
      this.input.disable();
    }
    if (!this.reveals.has(frame.question)) {
      const answered = this.answered.has(frame.question);
      this.show(`closed:${frame.question}`, () => closedView(this.question, frame.reason, answered));
    }
  }

  reveal(frame) {
    this.phase = "question_closed";
    this.reveals.set(frame.question, frame);
    this.countdown.finish();
    this.clearNotice();
    this.renderReveal(frame);
  }

  renderReveal(reveal) {
    const question =
      this.question && this.question.index === reveal.question
        ? this.question
        : {
            index: reveal.question,
            count: this.question?.count ?? reveal.question + 1,
            view: { type: reveal.question_type, text: "" },
            scoresHidden: this.options.leaderboard === "never",
          };
    const sent = this.answers.get(reveal.question);
    this.show(`reveal:${reveal.question}`, () => resultView(reveal, question, this.session.nickname, sent));
  }

  pause(frame) {
    // A closed question has no time left to show.
    const open = this.phase === "question_open";
    this.phase = "paused";
    this.showPaused(frame.reason, open ? frame.remaining_ms : null, this.question?.limitMs);
  }

  showPaused(reason, remainingMs, limitMs) {
    const frozen = typeof remainingMs === "number" && this.question !== null;
    if (frozen) {
      this.countdown.pause(remainingMs, limitMs);
    }
    this.show(`paused:${reason}`, () => pausedView(reason, frozen ? this.countdown : null));
  }

  resume() {
    // A question that was open comes again as a "question" frame; this is a closed one.
    this.phase = "question_closed";
    const reveal = this.question ? this.reveals.get(this.question.index) : null;
    if (reveal) {
      this.renderReveal(reveal);
    } else if (this.question) {
      this.show(`closed:${this.question.index}`, () => closedView(this.question, null, this.answered.has(this.question.index)));
    }
  }

  end(frame) {
    this.cancelResults();
    this.phase = "ended";
    forgetLastGame(this.session.gameId);
    this.countdown.stopTicking();
    this.socket.close();
    this.show("ended", () =>
      podiumView({
        top: frame.top,
        you: frame.you,
        players: frame.players,
        reason: frame.reason,
        nickname: this.session.nickname,
        onJoinAnother: () => this.leave(""),
      }),
    );
    this.focusHeading();
  }

  /** After a sync found the game over: the podium from the results that MySQL has. */
  showFinalResults() {
    this.phase = "ended";
    forgetLastGame(this.session.gameId);
    this.countdown.stopTicking();
    this.socket.close();
    this.show("ended", () => messageView("Game over", ["Loading the final ranking\u2026"]));
    this.readResults(0, 1);
  }

  /**
   * Read the final ranking, and retry a failed read with backoff until one succeeds. The
   * screen says when the next try is, with a button to try at once. `failures` counts the
   * failed reads before this one, and `tries` the reads that found the game not ended yet.
   */
  async readResults(failures, tries) {
    this.cancelResults();
    const read = this.resultsRead;
    let results;
    try {
      results = await gameResults(this.session.gameId);
    } catch (error) {
      if (read === this.resultsRead) {
        this.showResultsFailure(error, failures);
      }
      return;
    }
    if (read !== this.resultsRead) {
      return;
    }
    if (results.status !== "ended" && tries < RESULT_TRIES) {
      this.resultsTimer = setTimeout(() => this.readResults(0, tries + 1), RESULT_RETRY_MS);
      return;
    }
    this.showPodiumFromResults(results);
  }

  showResultsFailure(error, failures) {
    const delayMs = Math.min(RESULT_RETRY_MS * 2 ** failures, RESULT_MAX_RETRY_MS);
    const retry = () => this.readResults(failures + 1, 1);
    this.resultsTimer = setTimeout(retry, delayMs);
    this.show(`ended:failed:${failures}`, () =>
      messageView(
        "Game over",
        [
          `The final ranking could not be loaded. ${sentence(error.message)}`,
          `The page tries again in ${Math.round(delayMs / 1000)} s.`,
        ],
        el("button", { type: "button", text: "Try again now", on: { click: retry } }),
      ),
    );
  }

  /** Stop the reads of the final ranking, and drop the reply of one under way. */
  cancelResults() {
    clearTimeout(this.resultsTimer);
    this.resultsTimer = null;
    this.resultsRead += 1;
  }

  showPodiumFromResults(results) {
    const players = results.players || [];
    const mine = players.find((player) => player.player_id === this.session.playerId);
    this.screenKey = null;
    this.show("ended", () =>
      podiumView({
        top: results.players_hidden ? null : players.slice(0, 10),
        you: mine ? { rank: mine.rank, score: mine.score } : null,
        players: players.length || null,
        reason: null,
        nickname: this.session.nickname,
        onJoinAnother: () => this.leave(""),
      }),
    );
  }

  kicked() {
    this.phase = "kicked";
    this.stop();
    forgetSession(this.session.gameId);
    this.connection.hidden = true;
    setText(this.playerName, "");
    this.show("kicked", () =>
      messageView(
        "You were removed",
        ["The host removed you from this game."],
        el("button", { type: "button", text: "Join another game", on: { click: () => this.onLeave("") } }),
      ),
    );
    this.focusHeading();
  }

  /**
   * Another tab or device of this player connected, and the server closes this connection.
   * The page stops reconnecting, since a reconnect would take the seat back from the other
   * tab, and offers to do that on request.
   */
  replaced() {
    this.stop();
    this.connection.dataset.state = "replaced";
    setText(this.connection, "Playing elsewhere");
    this.clearNotice();
    this.show("replaced", () =>
      messageView(
        "Playing in another tab",
        [
          "This game is now open in another tab or on another device, and your answers go from there.",
          "Press \u201cPlay here\u201d to play in this tab instead.",
        ],
        el("button", { type: "button", text: "Play here", on: { click: () => this.start() } }),
      ),
    );
    this.focusHeading();
  }

  // Screens and keys

  /**
   * Show the screen `key`, built by `build()`, unless it is up already; return whether it
   * changed. The build runs only on a change, because views take the shared countdown,
   * answered count and answer input into themselves. A view built for nothing would take
   * them off the screen that is up.
   */
  show(key, build) {
    if (key === this.screenKey) {
      return false;
    }
    this.screenKey = key;
    replace(this.screen, build());
    this.screen.dataset.screen = key.split(":")[0];
    return true;
  }

  focusHeading() {
    const heading = this.screen.querySelector("h1");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }

  focusFirst() {
    if (this.question?.view.type === "type_answer" && this.input) {
      this.input.focus();
    } else {
      this.focusHeading();
    }
  }

  handleKey(event) {
    if (this.phase !== "question_open" || this.input === null || this.answered.has(this.question.index)) {
      return;
    }
    const target = event.target;
    if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) {
      return;
    }
    if (this.input.onKey(event)) {
      event.preventDefault();
    }
  }

  showNotice(message, kind, ...actions) {
    this.notice.dataset.kind = kind;
    replace(this.notice, el("span", { text: message }), actions.length ? " " : null, actions);
  }

  clearNotice() {
    delete this.notice.dataset.kind;
    this.notice.replaceChildren();
  }
}
