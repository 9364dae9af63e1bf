// The player page, /play: join a game by PIN (or the link /play?pin=...), then play it.
// A stored session for the PIN resumes the game as the same player after a reload.

import { ApiError, joinGame, loadConfig } from "../lib/api.js";
import { el, replace } from "../lib/dom.js";
import { PlayerGame } from "./game.js";
import { findSession, saveSession } from "./session.js";
import { joinView, messageView } from "./views.js";

// Error codes of the join request, by the form field they concern.
const PIN_ERRORS = new Set(["invalid_pin", "unknown_pin", "game_locked", "game_started", "game_ended", "unknown_game"]);
const NICKNAME_ERRORS = new Set(["invalid_nickname", "nickname_blocked", "nickname_taken", "no_free_name"]);

const screen = document.getElementById("screen");
const notice = document.getElementById("notice");
const connection = document.getElementById("connection");
const playerName = document.getElementById("player-name");

function pinFromUrl() {
  const raw = new URLSearchParams(window.location.search).get("pin") || "";
  return raw.replace(/\s+/g, "");
}

function showJoin(pin, config) {
  playerName.textContent = "";
  connection.hidden = true;
  document.title = "Join · livequiz";
  const view = joinView({
    pin,
    onSubmit: async (pinTyped, nickname) => {
      const cleanPin = pinTyped.replace(/\s+/g, "");
      view.busy(true);
      try {
        const joined = await joinGame(cleanPin, nickname);
        const session = saveSession(cleanPin, joined);
        window.history.replaceState(null, "", `/play?pin=${encodeURIComponent(cleanPin)}`);
        play(session, config);
      } catch (error) {
        view.busy(false);
        const message = error instanceof ApiError ? error.message : "Joining failed. Reload the page and try again.";
        const field = PIN_ERRORS.has(error.code) ? "pin" : NICKNAME_ERRORS.has(error.code) ? "nickname" : null;
        view.showError(message, field);
      }
    },
  });
  replace(screen, view.node);
  screen.dataset.screen = "join";
  view.focus();
}

/** Play the game of `session`; see PlayerGame for `joinIfEnded`. */
function play(session, config, joinIfEnded = false) {
  playerName.textContent = session.nickname;
  connection.hidden = false;
  document.title = "Play · livequiz";
  const game = new PlayerGame({
    screen,
    notice,
    connection,
    playerName,
    session,
    wsUrl: config.wsUrl,
    onLeave: (pin) => {
      window.history.replaceState(null, "", pin ? `/play?pin=${encodeURIComponent(pin)}` : "/play");
      showJoin(pin, config);
    },
    joinIfEnded,
  });
  game.start();
}

async function boot() {
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    replace(
      screen,
      messageView(
        "The game cannot start",
        [error.message],
        el("button", { type: "button", text: "Reload", on: { click: () => window.location.reload() } }),
      ),
    );
    return;
  }
  const pin = pinFromUrl();
  const session = findSession(pin || null);
  if (session) {
    // Without a PIN the session is the last game joined, which may have ended since.
    play(session, config, !pin);
  } else {
    showJoin(pin, config);
  }
}

boot();
