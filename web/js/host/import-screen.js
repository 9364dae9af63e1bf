// Import a quiz file in one of the formats the API takes.

import { ApiError, describeError, importQuiz } from "../lib/api.js";
import { el } from "../lib/dom.js";
import { rewordImportError } from "./quiz-errors.js";
import { countOf } from "./words.js";

const FORMATS = [
  ["json", "livequiz JSON (.json)", ".json,application/json"],
  ["csv", "CSV, one question per row (.csv)", ".csv,.tsv,.txt,text/csv"],
  ["gift", "Moodle GIFT (.gift, .txt)", ".gift,.txt,text/plain"],
  ["kahoot", "Kahoot! spreadsheet (.xlsx)", ".xlsx"],
  ["opentdb", "Open Trivia Database (.json)", ".json,application/json"],
];

// The labels of the form's fields, which the API's messages name by their query parameters.
const TITLE_LABEL = "Quiz title";
const TIME_LIMIT_LABEL = "Time limit for questions the file gives none (seconds)";
const LIMIT_LABEL = "Import only the first questions";
const SKIP_LABEL = "Leave out questions that cannot be played (matching, essays)";

// The API's words for its query parameters, in the form's terms.
const PARAMETER_WORDS = [
  [/\bpass limit=(\d+) or less\b/g, (_, count) => `enter ${count} or less under “${LIMIT_LABEL}”`],
  [/\bimport with skip_unsupported\b/g, () => `tick “${SKIP_LABEL}”`],
  [/\bquery\.title\b/g, () => `“${TITLE_LABEL}”`],
  [/\bquery\.time_limit\b/g, () => `“${TIME_LIMIT_LABEL}”`],
  [/\bquery\.limit\b/g, () => `“${LIMIT_LABEL}”`],
  [/\bquery\.skip_unsupported\b/g, () => `“${SKIP_LABEL}”`],
];

/**
 * Reword an import error in the form's terms: the quiz's fields as the editor names them,
 * counted from 1, and the API's query parameters by the form's labels.
 */
export function inFormTerms(error) {
  if (!(error instanceof ApiError) || !error.detail) {
    return error;
  }
  let detail = rewordImportError(error.detail);
  for (const [pattern, words] of PARAMETER_WORDS) {
    detail = detail.replace(pattern, words);
  }
  if (detail === error.detail) {
    return error;
  }
  const { status, code } = error;
  return new ApiError(describeError(code, detail, status), { status, code, detail });
}

function field(label, control, hint = "") {
  control.id = control.id || `import-${control.name}`;
  return el(
    "div",
    { class: "field" },
    el("label", { attrs: { for: control.id }, text: label }),
    control,
    hint ? el("small", { class: "hint", text: hint }) : null,
  );
}

export function showImport(app) {
  const format = el(
    "select",
    { name: "format" },
    ...FORMATS.map(([value, text]) => el("option", { value, text })),
  );
  const file = el("input", { type: "file", name: "file", required: true });
  const title = el("input", { type: "text", name: "title", attrs: { maxlength: 200 } });
  const timeLimit = el("input", {
    type: "number",
    name: "time_limit",
    attrs: { min: 5, max: 240, placeholder: "20" },
  });
  const limit = el("input", { type: "number", name: "limit", attrs: { min: 1, max: 500 } });
  const skip = el("input", { type: "checkbox", name: "skip_unsupported", id: "import-skip" });
  const titleField = field(TITLE_LABEL, title, "Every format but livequiz JSON needs one");
  const timeField = field(TIME_LIMIT_LABEL, timeLimit, "5 to 240; 20 when empty");
  const limitField = field(LIMIT_LABEL, limit, "Optional");
  const skipField = el(
    "div",
    { class: "field inline" },
    skip,
    el("label", { attrs: { for: skip.id }, text: SKIP_LABEL }),
  );
  const submit = el("button", { type: "submit", text: "Import" });

  const fit = () => {
    const chosen = format.value;
    file.accept = FORMATS.find(([value]) => value === chosen)[2];
    titleField.hidden = chosen === "json";
    timeField.hidden = chosen === "json";
    limitField.hidden = chosen !== "opentdb";
    skipField.hidden = chosen !== "gift";
  };
  format.addEventListener("change", fit);
  fit();

  const form = el(
    "form",
    {
      class: "stack",
      on: {
        submit: async (event) => {
          event.preventDefault();
          app.clearNotice();
          const chosen = format.value;
          if (!file.files.length) {
            app.notify("Choose a file to import first.");
            file.focus();
            return;
          }
          if (chosen !== "json" && !title.value.trim()) {
            app.notify("Give the quiz a title: this format does not carry one.");
            title.focus();
            return;
          }
          const query = {};
          if (chosen !== "json") {
            query.title = title.value.trim();
            query.time_limit = timeLimit.value;
          }
          if (chosen === "opentdb") {
            query.limit = limit.value;
          }
          if (chosen === "gift" && skip.checked) {
            query.skip_unsupported = "true";
          }
          submit.disabled = true;
          try {
            const quiz = await importQuiz(chosen, file.files[0], query, app.login.token);
            app.show("library");
            const skipped = quiz.skipped && quiz.skipped.length;
            app.notify(
              `Imported "${quiz.title}" with ${countOf(quiz.questions.length, "question")}` +
                (skipped ? `, leaving out ${skipped} that cannot be played.` : "."),
              "ok",
            );
          } catch (error) {
            app.fail(inFormTerms(error));
          } finally {
            submit.disabled = false;
          }
        },
      },
    },
    field("File format", format),
    field("File", file),
    titleField,
    timeField,
    limitField,
    skipField,
    el(
      "div",
      { class: "row" },
      submit,
      el("button", {
        type: "button",
        class: "secondary",
        text: "Cancel",
        on: { click: () => app.show("library") },
      }),
    ),
  );
  app.view.append(
    el("section", { class: "card stack" }, el("h1", { text: "Import a quiz" }), form),
  );
}
