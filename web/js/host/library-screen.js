// The host's quizzes: host, edit, export or delete each, or make a new one. Below them, the
// games the host ran, with their reports.

import { deleteQuiz, downloadFile, listOwnQuizzes } from "../lib/api.js";
import { el, replace } from "../lib/dom.js";
import { saveFile } from "./files.js";
import { pastGamesSection } from "./past-games.js";
import { saveDisplayName } from "./session.js";
import { countOf } from "./words.js";

const SOURCES = {
  json: "made here or imported as JSON",
  opentdb: "from Open Trivia Database",
  kahoot: "from a Kahoot! spreadsheet",
  gift: "from Moodle GIFT",
  csv: "from CSV",
};

function quizRow(app, quiz, reload) {
  const exportSelect = el(
    "select",
    { attrs: { "aria-label": `Export format for ${quiz.title}` } },
    el("option", { value: "json", text: "JSON" }),
    el("option", { value: "gift", text: "GIFT" }),
    el("option", { value: "csv", text: "CSV" }),
  );
  const exportQuiz = async () => {
    try {
      const format = exportSelect.value;
      const file = await downloadFile(
        `/quizzes/${quiz.id}/export`,
        app.login.token,
        `quiz-${quiz.id}.${format === "gift" ? "gift.txt" : format}`,
        { format },
      );
      saveFile(file.blob, file.fileName);
    } catch (error) {
      app.fail(error);
    }
  };
  const remove = async () => {
    if (!window.confirm(`Delete the quiz "${quiz.title}"? This cannot be undone.`)) {
      return;
    }
    try {
      await deleteQuiz(quiz.id, app.login.token);
      app.notify(`Deleted "${quiz.title}".`, "ok");
      reload();
    } catch (error) {
      app.fail(error);
    }
  };
  const count = countOf(quiz.question_count, "question");
  return el(
    "li",
    { class: "quiz-row card" },
    el(
      "div",
      { class: "quiz-summary" },
      el("h3", { class: "quiz-title", text: quiz.title }),
      el("p", { class: "muted", text: `${count}, ${SOURCES[quiz.source] || quiz.source}` }),
    ),
    el(
      "div",
      { class: "row quiz-actions" },
      el("button", {
        type: "button",
        text: "Host",
        attrs: { "aria-label": `Host ${quiz.title}` },
        on: { click: () => app.show("start", quiz) },
      }),
      el("button", {
        type: "button",
        class: "secondary",
        text: "Edit",
        attrs: { "aria-label": `Edit ${quiz.title}` },
        on: { click: () => app.show("editor", quiz.id) },
      }),
      el(
        "span",
        { class: "row export" },
        exportSelect,
        el("button", {
          type: "button",
          class: "secondary",
          text: "Export",
          attrs: { "aria-label": `Export ${quiz.title}` },
          on: { click: exportQuiz },
        }),
      ),
      el("button", {
        type: "button",
        class: "secondary danger",
        text: "Delete",
        attrs: { "aria-label": `Delete ${quiz.title}` },
        on: { click: remove },
      }),
    ),
  );
}

export function showLibrary(app) {
  const list = el("ul", { class: "quiz-list", attrs: { "aria-live": "polite" } });
  const status = el("p", { class: "muted", text: "Loading your quizzes…" });
  const section = el(
    "section",
    { class: "library stack" },
    el(
      "div",
      { class: "row library-head" },
      el("h1", { text: "Your quizzes" }),
      el("span", { class: "spacer" }),
      el("button", { type: "button", text: "New quiz", on: { click: () => app.show("editor") } }),
      el("button", {
        type: "button",
        class: "secondary",
        text: "Import a file",
        on: { click: () => app.show("import") },
      }),
    ),
    status,
    list,
  );
  app.view.append(section, pastGamesSection(app));

  const load = async () => {
    try {
      const quizzes = await listOwnQuizzes(app.login.userId);
      // NOTE: the API has no route that returns the user's own account, so after a login the
      // header learns the display name only from the owner of one of the host's quizzes.
      if (quizzes.length > 0) {
        saveDisplayName(quizzes[0].owner.display_name);
        app.drawAccount();
      }
      status.textContent =
        quizzes.length === 0 ? "You have no quizzes yet. Make one, or import a file." : "";
      status.hidden = quizzes.length > 0;
      replace(list, ...quizzes.map((quiz) => quizRow(app, quiz, load)));
    } catch (error) {
      status.textContent = "Your quizzes could not be loaded.";
      app.fail(error);
    }
  };
  load();
}
