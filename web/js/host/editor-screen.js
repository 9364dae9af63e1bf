// The screen around the quiz editor: load the quiz, save it, go back to the list.

import { getQuiz, saveQuiz } from "../lib/api.js";
import { el } from "../lib/dom.js";
import { QuizEditor } from "./editor.js";
import { countOf } from "./words.js";

export function showEditor(app, quizId = null) {
  const root = el("section", { class: "card editor-card" });
  app.view.append(root);
  const editor = new QuizEditor(root, {
    onSave: async (quiz, id) => {
      const saved = await saveQuiz(quiz, id, app.login.token);
      app.show("library");
      app.notify(`Saved "${saved.title}" with ${countOf(saved.questions.length, "question")}.`, "ok");
    },
    onCancel: () => app.show("library"),
  });
  // The browser asks before a reload or a link leaves unsaved changes behind.
  const warn = (event) => {
    if (editor.changed) {
      event.preventDefault();
      event.returnValue = "";
    }
  };
  window.addEventListener("beforeunload", warn);
  const stop = () => window.removeEventListener("beforeunload", warn);
  if (quizId === null) {
    editor.open();
    return stop;
  }
  root.append(el("p", { class: "muted", text: "Loading the quiz…" }));
  getQuiz(quizId, app.login.token)
    .then((quiz) => editor.open(quiz))
    .catch((error) => app.fail(error));
  return stop;
}
