// The running game: one WebSocket connection with the host token, the controls bar, and the
// stage, which follows the game's frames from the lobby to the podium.

import { downloadFile, gamePlayers, gameResults, loadConfig } from "../lib/api.js";
import { el, replace, setText } from "../lib/dom.js";
import { GameSocket } from "../lib/socket.js";
import { Countdown } from "./countdown.js";
import { saveFile } from "./files.js";
import { PlayersList, joinPanel } from "./lobby.js";
import { clearGame } from "./session.js";
import { closedNote, podium, questionView, revealView } from "./stage.js";

// Plain words for the WebSocket API's error codes that a host can meet.
const SOCKET_ERRORS = {
  wrong_phase: "That cannot be done at this point of the game.",
  no_more_questions: "There is no question after this one. Press “Finish game”.",
  state_changed: "The game changed while that ran. Try again.",
  game_ended: "The game has ended. Download the report or go back to your quizzes.",
  unknown_player: "That player has already left the game.",
  not_host: "This connection is not the host's. Reload the page.",
  not_connected: "The connection to the game was lost. Wait for it to reconnect, then try again.",
};

// Failed connection attempts in a row before the page says that it cannot reach the game.
// The page already reads the game's phase after the first failure, because $connect rejects a
// host token of an ended game, and a reload on the podium must still show it.
const FAILURES_BEFORE_CHECK = 3;
// The waits before each new reading of the final ranking after a failed one, in milliseconds.
// After the last, the page stops and leaves the host a "Try again" button.
const RESULTS_RETRY_MS = [1000, 2000, 4000, 8000, 16000];

const PHASE_TEXT = {
  lobby: "Lobby",
  question_open: "Question open",
  question_closed: "Question closed",
  paused: "Paused",
  ended: "Game over",
};

function button(text, onClick, extra = {}) {
  return el("button", { type: "button", text, on: { click: onClick }, ...extra });
}

class GameScreen {
  constructor(app, game) {
    this.app = app;
    this.game = game;
    this.phase = "lobby";
    this.question = -1;
    this.count = 0;
    this.options = { auto_reveal: true, leaderboard: "every_question" };
    this.view = null;
    this.limitMs = 0;
    this.answered = 0;
    this.online = 0;
    this.locked = false;
    this.reveal = null;
    this.pausedFrom = null;
    this.countdown = new Countdown();
    this.players = new PlayersList(app, game, {
      onKick: (player) => this.kick(player),
      onChange: (players, locked) => {
        if (locked !== null) {
          this.locked = locked;
        }
        this.online = players.filter((player) => player.online).length;
        this.drawControls();
      },
    });
    this.build();
  }

  build() {
    this.status = el("span", { class: "connection", dataset: { state: "connecting" }, text: "Connecting…" });
    this.phaseLabel = el("span", { class: "phase", text: PHASE_TEXT.lobby });
    this.primary = button("Start game", () => this.primaryAction(), { class: "primary-action" });
    this.revealButton = button("Reveal answer", () => this.send("reveal"));
    this.skipButton = button("Skip question", () => this.send("skip"), { class: "secondary" });
    this.pauseButton = button("Pause", () => this.send(this.phase === "paused" ? "resume" : "pause"), {
      class: "secondary",
    });
    this.lockButton = button("Lock joining", () => this.toggleLock(), {
      class: "secondary",
    });
    this.playersButton = button("Players", () => this.togglePlayers(), {
      class: "secondary",
      attrs: { "aria-expanded": "false", "aria-controls": "players-drawer" },
    });
    this.endButton = button("End game", () => this.endGame(), { class: "secondary danger" });

    this.controls = el(
      "div",
      { class: "controls", attrs: { role: "toolbar", "aria-label": "Host controls" } },
      this.primary,
      this.revealButton,
      this.skipButton,
      this.pauseButton,
      this.lockButton,
      this.playersButton,
      this.endButton,
    );
    this.stage = el("section", { class: "stage card", attrs: { "aria-live": "polite" } });
    this.drawer = el(
      "aside",
      { class: "players-drawer card", id: "players-drawer", hidden: true },
      el("h2", { text: "Players" }),
      this.players.node,
    );
    this.answeredLine = el("p", { class: "answered-count", attrs: { "aria-live": "polite" } });

    this.root = el(
      "div",
      { class: "game" },
      el(
        "header",
        { class: "game-head" },
        el("span", { class: "game-title", text: this.game.quizTitle || "Game" }),
        el("span", { class: "game-pin", text: `PIN ${this.game.pin}` }),
        this.phaseLabel,
        this.status,
      ),
      this.controls,
      this.drawer,
      this.stage,
    );
    this.app.view.append(this.root);
    this.drawLobby();
    this.drawControls();
  }

  async connect() {
    try {
      const { wsUrl } = await loadConfig();
      this.socket = new GameSocket(wsUrl, this.game.hostToken);
    } catch (error) {
      this.app.fail(error);
      return;
    }
    this.socket.addEventListener("frame", (event) => this.receive(event.detail));
    this.socket.addEventListener("status", (event) => this.connectionStatus(event.detail));
    this.socket.start();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.resultsTimer);
    this.countdown.stop();
    this.players.stop();
    if (this.socket) {
      this.socket.close();
    }
  }

  connectionStatus({ state, failures }) {
    const words = {
      connecting: "Connecting…",
      open: "Connected",
      reconnecting: "Reconnecting…",
      closed: "Disconnected",
    };
    this.status.dataset.state = state;
    setText(this.status, words[state] || state);
    if (state === "open") {
      this.app.clearNotice();
    } else if (state === "reconnecting" && (failures === 1 || failures === FAILURES_BEFORE_CHECK)) {
      this.checkGame(failures);
    }
  }

  /**
   * After a refused connection, tell an ended or expired game from a network failure. An
   * ended game gets its podium, an expired one sends the host back to the library, and a
   * live one that still refuses after FAILURES_BEFORE_CHECK attempts gets a warning.
   */
  async checkGame(failures) {
    const warn = failures >= FAILURES_BEFORE_CHECK;
    let reply;
    try {
      reply = await gamePlayers(this.game.gameId, this.app.login.token);
    } catch (error) {
      if (error.code === "unknown_game" || error.code === "not_game_host") {
        clearGame();
        this.app.show("library");
        this.app.notify("That game has ended or expired. Start a new one from your quizzes.", "warn");
      } else if (warn) {
        this.app.fail(error);
      }
      return;
    }
    if (this.stopped) {
      return;
    }
    if (reply.phase === "ended") {
      this.socket.close();
      if (this.phase !== "ended") {
        this.endedFrame({});
      }
    } else if (warn) {
      this.app.notify("Cannot reach the game. The page keeps trying: check your connection.", "warn");
    }
  }

  send(action, fields = {}) {
    if (!this.socket) {
      return;
    }
    const sent = this.socket.send({ action, ...fields });
    if (!sent) {
      this.app.notify("Not connected right now: the command goes out once the connection is back.", "warn");
    }
  }

  toggleLock() {
    this.players.lockChanged();
    this.send(this.locked ? "unlock" : "lock");
  }

  primaryAction() {
    if (this.phase === "lobby") {
      this.send("start");
    } else if (this.phase === "question_closed") {
      this.send("next");
    }
  }

  endGame() {
    if (window.confirm("End the game now for everyone? The scores so far become final.")) {
      this.send("end");
    }
  }

  kick(player) {
    if (window.confirm(`Kick ${player.nickname} out of the game? They cannot come back under this name.`)) {
      this.send("kick", { player_id: player.player_id });
    }
  }

  /** Open or close the players panel of a running game; the lobby lists them on its stage. */
  togglePlayers(open = this.drawer.hidden) {
    this.drawer.hidden = !open;
    this.playersButton.setAttribute("aria-expanded", String(open));
    if (open) {
      this.drawer.append(this.players.node);
      this.players.start();
    } else {
      this.players.stop();
    }
  }

  receive(frame) {
    switch (frame.type) {
      case "state":
        this.applyState(frame);
        break;
      case "ok":
        this.replyOk(frame);
        break;
      case "error":
        this.app.notify(SOCKET_ERRORS[frame.code] || `${frame.message || frame.code}.`, "error");
        break;
      case "question":
        this.openQuestion(frame);
        break;
      case "answered":
        this.answered = frame.answered;
        this.online = frame.online;
        this.drawAnswered();
        break;
      case "question_closed":
        this.closeQuestion(frame);
        break;
      case "reveal":
        this.showReveal(frame);
        break;
      case "paused":
        this.pause(frame);
        break;
      case "resumed":
        this.phase = this.pausedFrom === "question_closed" ? "question_closed" : this.phase;
        if (this.phase === "question_closed") {
          this.drawStageForClosed();
        }
        this.drawControls();
        break;
      case "game_ended":
        this.endedFrame(frame);
        break;
      default:
        break;
    }
  }

  replyOk(frame) {
    if (frame.action === "kick") {
      this.players.refresh();
    } else if (frame.action === "lock" || frame.action === "unlock") {
      this.players.lockChanged();
      this.locked = frame.action === "lock";
      this.drawControls();
      this.app.notify(this.locked ? "Joining is locked." : "Joining is open again.", "ok");
    }
  }

  /** Take the game's state from the reply to sync, after each (re)connection. */
  applyState(frame) {
    this.count = frame.count;
    this.options = frame.options || this.options;
    this.locked = Boolean(frame.locked);
    this.online = frame.online ?? this.online;
    this.answered = frame.answered ?? 0;
    const sameQuestion = this.question === frame.question && this.phase === frame.phase;
    this.question = frame.question;
    this.phase = frame.phase;
    if (frame.view) {
      this.view = frame.view;
      this.limitMs = frame.limit_ms;
    }
    if (frame.phase === "lobby") {
      this.drawLobby();
    } else if (frame.phase === "question_open") {
      if (!sameQuestion || !this.countdown.timer) {
        this.drawQuestion();
      }
      this.countdown.start(frame.remaining_ms, frame.limit_ms);
    } else if (frame.phase === "question_closed") {
      if (frame.reveal) {
        // Revealed while this page was away: the reply carries the reveal frame it missed.
        this.reveal = frame.reveal;
        this.drawStageForClosed();
      } else if (!sameQuestion || !this.reveal) {
        this.drawStageForClosed();
      }
    } else if (frame.phase === "paused") {
      this.pausedFrom = frame.paused_from || this.pausedFrom || "question_open";
      if (this.pausedFrom === "question_closed") {
        // Paused after the close: the stage shows the closed question, with its reveal if the
        // reply carries one.
        this.reveal = frame.reveal || this.reveal;
        this.drawStageForClosed();
      } else {
        this.drawQuestion();
        this.countdown.pause(frame.remaining_ms || 0, frame.limit_ms);
      }
      this.drawPaused(frame.pause_reason);
    } else if (frame.phase === "ended") {
      this.drawEnd(null);
    }
    // The branches above redraw the stage only for a new question. Without this line the
    // reply's counts would wait for the next answered frame, and a question opened just after
    // a join would keep the online count of the lobby's last players reading.
    this.drawAnswered();
    this.drawControls();
  }

  openQuestion(frame) {
    const resumed = frame.resumed === true && frame.question === this.question;
    this.phase = "question_open";
    this.question = frame.question;
    this.count = frame.count;
    this.view = frame.view;
    this.limitMs = frame.limit_ms;
    if (!resumed) {
      // A message about the previous question, such as a refused command, is out of date.
      this.app.clearNotice();
      this.answered = 0;
      this.reveal = null;
      // Only answered frames carry the count of connected players, and the first comes with
      // the first answer, so the reply to sync gives it for the start of the question.
      this.send("sync");
    }
    this.drawQuestion();
    this.countdown.start(frame.remaining_ms, frame.limit_ms);
    this.drawControls();
  }

  closeQuestion(frame) {
    this.countdown.stop();
    this.phase = "question_closed";
    this.answered = frame.answered ?? this.answered;
    this.closedReason = frame.reason;
    this.drawStageForClosed();
    this.drawControls();
  }

  showReveal(frame) {
    this.phase = "question_closed";
    this.reveal = frame;
    this.countdown.stop();
    this.drawStageForClosed();
    this.drawControls();
  }

  pause(frame) {
    if (this.phase !== "paused") {
      this.pausedFrom = this.phase;
    }
    this.phase = "paused";
    if (this.pausedFrom === "question_open") {
      this.countdown.pause(frame.remaining_ms, this.limitMs);
    }
    this.drawPaused(frame.reason);
    this.drawControls();
  }

  endedFrame(frame) {
    this.phase = "ended";
    this.app.clearNotice();
    this.countdown.stop();
    this.players.stop();
    this.drawEnd(frame.top || null);
    this.drawControls();
  }

  // Drawing

  drawLobby() {
    this.players.start();
    replace(
      this.stage,
      el("h1", { class: "stage-title", text: "Waiting for players" }),
      joinPanel(this.app, this.game),
      this.players.node,
    );
  }

  drawQuestion() {
    if (this.phase !== "lobby" && this.drawer.hidden) {
      this.players.stop();
    }
    if (!this.view) {
      replace(this.stage, el("p", { class: "muted", text: "Loading the question…" }));
      return;
    }
    replace(
      this.stage,
      ...questionView(this.view, this.question, this.count),
      this.countdown.node,
      this.answeredLine,
    );
    this.drawAnswered();
  }

  drawStageForClosed() {
    if (!this.view) {
      replace(this.stage, el("p", { class: "muted", text: "Question closed." }));
      return;
    }
    const heading = el("p", { class: "question-number", text: `Question ${this.question + 1} of ${this.count}` });
    const text = el("h2", { class: "question-text", text: this.view.text });
    if (this.reveal && this.reveal.question === this.question) {
      replace(this.stage, heading, text, ...revealView(this.reveal, this.view));
    } else {
      replace(this.stage, heading, text, closedNote(this.closedReason, this.options.auto_reveal), this.answeredLine);
      this.drawAnswered();
    }
  }

  drawPaused(reason) {
    const words =
      reason === "host_gone"
        ? "Paused because the host's connection was lost. Press “Resume” to go on."
        : "Paused. Press “Resume” to go on.";
    const note = el("p", { class: "paused-note", text: words });
    const existing = this.stage.querySelector(".paused-note");
    if (existing) {
      existing.replaceWith(note);
    } else {
      this.stage.prepend(note);
    }
  }

  drawAnswered() {
    setText(this.answeredLine, `${this.answered} of ${this.online} connected players answered`);
  }

  drawEnd(top) {
    const board = el("div", { class: "final" });
    const downloads = el(
      "div",
      { class: "row downloads" },
      button("Download report (CSV)", () => this.download("csv")),
      button("Download report (Excel)", () => this.download("xlsx")),
      button("Back to quizzes", () => this.leave(), { class: "secondary" }),
    );
    replace(this.stage, el("h1", { class: "stage-title", text: "Game over" }), board, downloads);
    if (top && top.length > 0) {
      replace(board, podium(top));
      return;
    }
    replace(board, el("p", { class: "muted", text: "Loading the final ranking…" }));
    this.loadResults(board);
  }

  /**
   * Read the final ranking from MySQL, which persist fills a moment after the game ends.
   * `attempt` counts the readings of a game not yet ended, `failures` the failed readings in
   * a row, which are retried after the waits of RESULTS_RETRY_MS.
   */
  async loadResults(board, attempt = 0, failures = 0) {
    clearTimeout(this.resultsTimer);
    // Only the latest reading draws: a reload or "Try again" can start one while another is
    // still on its way, and the older one's late failure must not hide a podium.
    this.resultsReading = (this.resultsReading || 0) + 1;
    const reading = this.resultsReading;
    let results;
    try {
      results = await gameResults(this.game.gameId);
    } catch (error) {
      if (!this.stopped && reading === this.resultsReading) {
        this.resultsFailed(board, error, attempt, failures);
      }
      return;
    }
    if (this.stopped || reading !== this.resultsReading) {
      return;
    }
    if (results.players_hidden) {
      replace(board, el("p", { class: "muted", text: "This game shows no ranking (survey mode)." }));
    } else if (results.status !== "ended" && attempt < 10) {
      this.resultsTimer = setTimeout(() => this.loadResults(board, attempt + 1), 1000);
    } else {
      replace(board, podium(results.players));
    }
  }

  /** Say that the final ranking failed to load, retry it after a wait, and offer a button. */
  resultsFailed(board, error, attempt, failures) {
    console.error("livequiz host: reading the final ranking failed:", error);
    const retryNow = button("Try again", () => {
      replace(board, el("p", { class: "muted", text: "Loading the final ranking…" }));
      this.loadResults(board, attempt, 0);
    });
    const waitMs = RESULTS_RETRY_MS[failures];
    const next =
      waitMs === undefined
        ? "Press “Try again” when the connection is back."
        : `Trying again in ${waitMs / 1000} s.`;
    replace(
      board,
      el("p", { class: "results-error", text: `The final ranking could not be loaded. ${error.message} ${next}` }),
      retryNow,
    );
    if (waitMs !== undefined) {
      this.resultsTimer = setTimeout(() => this.loadResults(board, attempt, failures + 1), waitMs);
    }
  }

  async download(kind) {
    try {
      const file = await downloadFile(
        `/games/${encodeURIComponent(this.game.gameId)}/report.${kind}`,
        this.app.login.token,
        `livequiz-report-${this.game.gameId}.${kind}`,
      );
      saveFile(file.blob, file.fileName);
    } catch (error) {
      this.app.fail(error);
    }
  }

  leave() {
    clearGame();
    this.app.show("library");
  }

  drawControls() {
    const phase = this.phase;
    const ended = phase === "ended";
    const last = this.question >= this.count - 1;
    this.primary.hidden = ended;
    if (phase === "lobby") {
      setText(this.primary, "Start game");
      this.primary.disabled = false;
    } else {
      setText(this.primary, last ? "Finish game" : "Next question");
      this.primary.disabled = phase !== "question_closed";
    }
    const waitingReveal = phase === "question_closed" && !this.reveal;
    this.revealButton.hidden = this.options.auto_reveal !== false || ended;
    this.revealButton.disabled = !waitingReveal;
    this.skipButton.disabled = phase !== "question_open";
    setText(this.pauseButton, phase === "paused" ? "Resume" : "Pause");
    this.pauseButton.disabled = !["question_open", "question_closed", "paused"].includes(phase);
    setText(this.lockButton, this.locked ? "Unlock joining" : "Lock joining");
    this.lockButton.disabled = ended;
    this.endButton.disabled = ended;
    // After the last question "Finish game" ends the game, so a second way to end it would
    // only raise the question which one to press.
    this.endButton.hidden = phase === "question_closed" && last;
    this.playersButton.hidden = phase === "lobby" || ended;
    if (this.playersButton.hidden && !this.drawer.hidden) {
      this.togglePlayers(false);
    }
    // Once the game is over no control applies, and the stage offers the next steps.
    this.controls.hidden = ended;
    const revealed = phase === "question_closed" && this.reveal;
    setText(this.phaseLabel, revealed ? "Answer revealed" : PHASE_TEXT[phase] || phase);
    this.root.dataset.phase = phase;
  }
}

export function showGame(app, game) {
  const screen = new GameScreen(app, game);
  screen.connect();
  return () => screen.stop();
}
