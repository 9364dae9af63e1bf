// The games the host ran, from GET /users/me/history, with their reports to download. The
// game screen offers the reports on its podium only, and a host who left it finds them here.

import { downloadFile, resumeGame, userHistory } from "../lib/api.js";
import { el, setText } from "../lib/dom.js";
import { saveFile } from "./files.js";
import { saveGame } from "./session.js";
import { countOf } from "./words.js";

// Games of the history read per page; the history also lists games the user played in.
const HISTORY_PAGE = 20;

const DATE_FORMAT = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

// The history's `live` is false for a lobby or running game that expired from Redis, whose
// status MySQL still has as "lobby" or "running".
function describe(game) {
  const parts = [DATE_FORMAT.format(new Date(game.date)), countOf(game.player_count, "player")];
  if (game.status === "ended") {
    parts.push(game.winner ? `won by ${game.winner}` : "no winner");
  } else if (!game.live) {
    parts.push(game.status === "running" ? "no longer live" : "never started");
  } else if (game.status === "running") {
    parts.push("still running");
  } else {
    parts.push("waiting in the lobby");
  }
  return parts.join(" · ");
}

function gameRow(app, game) {
  const when = DATE_FORMAT.format(new Date(game.date));
  const download = async (kind) => {
    try {
      const file = await downloadFile(
        `/games/${encodeURIComponent(game.game_id)}/report.${kind}`,
        app.login.token,
        `livequiz-report-${game.game_id}.${kind}`,
      );
      saveFile(file.blob, file.fileName);
    } catch (error) {
      app.fail(error);
    }
  };
  const reportButton = (kind, text) =>
    el("button", {
      type: "button",
      class: "secondary small",
      text: `${text} report`,
      attrs: { "aria-label": `Download the ${text} report of ${game.quiz_title}, ${when}` },
      on: { click: () => download(kind) },
    });
  const summary = el("p", { class: "muted", text: describe(game) });
  // A host who closed the tab of a lobby or running game gets a new host token and its
  // screen back.
  const resume = async (button) => {
    button.disabled = true;
    try {
      const issued = await resumeGame(game.game_id, app.login.token);
      const hosted = {
        gameId: issued.game_id,
        pin: issued.pin,
        hostToken: issued.host_token,
        quizTitle: game.quiz_title,
      };
      saveGame(hosted);
      app.show("game", hosted);
    } catch (error) {
      if (error.code === "unknown_game" || error.code === "game_ended") {
        // The game expired from Redis or ended since the history was read: no retry can work.
        game.live = false;
        setText(summary, describe(game));
        button.remove();
        app.notify(`${game.quiz_title} is no longer live, so it cannot be resumed.`, "warn");
        return;
      }
      button.disabled = false;
      app.fail(error);
    }
  };
  const resumeButton =
    game.live && game.status !== "ended"
      ? el("button", {
          type: "button",
          class: "small",
          text: "Resume hosting",
          attrs: { "aria-label": `Resume hosting ${game.quiz_title}, ${when}` },
          on: { click: (event) => resume(event.currentTarget) },
        })
      : null;
  // A game that never started has no answers to report.
  const started = game.status !== "lobby";
  const actions =
    started || resumeButton
      ? el(
          "div",
          { class: "row quiz-actions" },
          resumeButton,
          started ? reportButton("csv", "CSV") : null,
          started ? reportButton("xlsx", "Excel") : null,
        )
      : null;
  return el(
    "li",
    { class: "quiz-row card past-game", dataset: { gameId: game.game_id } },
    el("div", { class: "quiz-summary" }, el("h3", { class: "quiz-title", text: game.quiz_title }), summary),
    actions,
  );
}

/** Build the "Past games" section, which loads the host's games page by page. */
export function pastGamesSection(app) {
  const list = el("ul", { class: "quiz-list", id: "past-games" });
  const status = el("p", { class: "muted", text: "Loading your past games…" });
  const more = el("button", { type: "button", class: "secondary", text: "Show older games", hidden: true });
  let offset = 0;

  const load = async () => {
    more.disabled = true;
    try {
      const page = await userHistory(app.login.token, HISTORY_PAGE, offset);
      offset += page.games.length;
      const hosted = page.games.filter((game) => game.role === "host");
      list.append(...hosted.map((game) => gameRow(app, game)));
      more.hidden = offset >= page.total || page.games.length === 0;
      status.hidden = list.children.length > 0;
      status.textContent = "You have hosted no games yet.";
    } catch (error) {
      status.textContent = "Your past games could not be loaded.";
      app.fail(error);
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener("click", load);
  load();
  return el(
    "section",
    { class: "stack past-games", attrs: { "aria-labelledby": "past-games-title" } },
    el("h2", { id: "past-games-title", text: "Past games" }),
    status,
    list,
    more,
  );
}
