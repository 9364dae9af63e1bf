// The quiz editor: a form of question cards over the model of quiz-model.js. Every field
// writes straight into its question's model, and a card is drawn again only when its
// structure changes (type, number of choices, order).

import { el, replace } from "../lib/dom.js";
import { parseQuizErrors } from "./quiz-errors.js";
import {
  MAX_ACCEPTED,
  MAX_CHOICES,
  MAX_TIME_LIMIT_S,
  MIN_CHOICES,
  MIN_TIME_LIMIT_S,
  QUESTION_TYPES,
  blankQuestion,
  fromQuizJson,
  removeChoice,
  swap,
  toQuizJson,
} from "./quiz-model.js";

// The API's error codes whose message lists invalid fields by their paths.
const FIELD_ERROR_CODES = new Set(["invalid_quiz", "invalid_input"]);

let fieldCount = 0;

function fieldId() {
  fieldCount += 1;
  return `field-${fieldCount}`;
}

/** Build a label and its control, tied by id so that screen readers and tests find it by name. */
function labelled(text, control, hint) {
  control.id = control.id || fieldId();
  const parts = [el("label", { attrs: { for: control.id }, text }), control];
  if (hint) {
    const hintId = `${control.id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    parts.push(el("small", { class: "hint", id: hintId, text: hint }));
  }
  return el("div", { class: "field" }, ...parts);
}

function textInput(value, onInput, props = {}) {
  return el("input", {
    type: "text",
    value,
    on: { input: (event) => onInput(event.target.value) },
    ...props,
  });
}

function numberInput(value, onInput, props = {}) {
  // type=text with inputmode keeps decimals such as 0.1 exactly as typed.
  return el("input", {
    type: "text",
    value,
    attrs: { inputmode: "decimal", ...(props.attrs || {}) },
    on: { input: (event) => onInput(event.target.value) },
    ...Object.fromEntries(Object.entries(props).filter(([key]) => key !== "attrs")),
  });
}

function select(options, value, onChange) {
  const node = el(
    "select",
    { on: { change: (event) => onChange(event.target.value) } },
    ...options.map(([optionValue, text]) => el("option", { value: optionValue, text })),
  );
  node.value = value;
  return node;
}

/** Return a selector of the field whose data-path is `path`, such as "questions[0].type". */
function byPath(path) {
  return `[data-path="${CSS.escape(path)}"]`;
}

/** Return a selector of the button whose aria-label is `label`. */
function byLabel(label) {
  return `button[aria-label="${CSS.escape(label)}"]`;
}

/**
 * Return the path of the list entry to focus after removing entry `index` of `length` entries
 * (the length before the removal): the entry that moved into its place, or the new last one.
 */
function nextEntryPath(listPath, index, length) {
  return `${listPath}[${Math.min(index, length - 2)}]`;
}

function smallButton(text, label, onClick, disabled = false) {
  return el("button", {
    type: "button",
    class: "small",
    text,
    disabled,
    attrs: { "aria-label": label },
    on: { click: onClick },
  });
}

export class QuizEditor {
  /**
   * root: the element the editor draws into. onSave(quizJson) saves and returns a promise,
   * onCancel leaves the editor.
   */
  constructor(root, { onSave, onCancel }) {
    this.root = root;
    this.onSave = onSave;
    this.onCancel = onCancel;
    this.title = "";
    this.description = "";
    this.questions = [blankQuestion()];
    this.cards = [];
  }

  /** Start a new quiz, or edit `quiz` as GET /quizzes/{id} returned it. */
  open(quiz = null) {
    this.quizId = quiz ? quiz.id : null;
    this.title = quiz ? quiz.title : "";
    this.description = quiz ? quiz.description || "" : "";
    this.questions = quiz ? quiz.questions.map(fromQuizJson) : [blankQuestion()];
    this.opened = this.snapshot();
    this.render();
  }

  /** Return the whole editor model as text, to compare with the one at opening. */
  snapshot() {
    return JSON.stringify([this.title, this.description, this.questions]);
  }

  /** Whether the quiz has changes that are not saved. */
  get changed() {
    return this.opened !== undefined && this.snapshot() !== this.opened;
  }

  /** Leave the editor, after a confirmation when that would lose changes. */
  cancel() {
    if (this.changed && !window.confirm("Discard your changes to this quiz?")) {
      return;
    }
    this.onCancel();
  }

  render() {
    this.errorBox = el("div", { class: "notice error", attrs: { role: "alert" }, hidden: true });
    this.list = el("ol", { class: "question-list", dataset: { path: "questions" } });
    // The field errors shown, each {question, remove}.
    this.fieldErrors = [];
    const form = el(
      "form",
      {
        class: "editor",
        attrs: { novalidate: true, "aria-label": "Quiz editor" },
        on: { submit: (event) => this.save(event) },
      },
      el("h1", { text: this.quizId ? "Edit quiz" : "New quiz" }),
      labelled(
        "Title",
        textInput(this.title, (value) => (this.title = value), {
          required: true,
          attrs: { maxlength: 200 },
          dataset: { path: "title" },
        }),
      ),
      labelled(
        "Description",
        el("textarea", {
          value: this.description,
          rows: 2,
          dataset: { path: "description" },
          on: { input: (event) => (this.description = event.target.value) },
        }),
        "Optional",
      ),
      this.list,
      el(
        "div",
        { class: "editor-actions" },
        el("button", {
          type: "button",
          text: "Add question",
          on: { click: () => this.addQuestion() },
        }),
        el("span", { class: "spacer" }),
        el("button", { type: "button", class: "secondary", text: "Cancel", on: { click: () => this.cancel() } }),
        el("button", { type: "submit", class: "primary", text: "Save quiz" }),
      ),
      this.errorBox,
    );
    replace(this.root, form);
    this.drawQuestions();
  }

  drawQuestions() {
    // Questions may have moved, so their errors no longer name the right numbers.
    this.clearFieldErrors((error) => error.question !== null);
    this.cards = this.questions.map((question, index) => this.card(question, index));
    replace(this.list, ...this.cards);
  }

  /**
   * Rebuild the card of question `index`, then focus the first enabled element of the new card
   * that matches one of the CSS selectors `focusSelectors`, in their order. The element that
   * had the focus is gone with the old card, and would leave the focus on the page's body.
   */
  redrawCard(index, ...focusSelectors) {
    this.clearFieldErrors((error) => error.question === index);
    const fresh = this.card(this.questions[index], index);
    this.cards[index].replaceWith(fresh);
    this.cards[index] = fresh;
    for (const selector of focusSelectors) {
      const target = fresh.querySelector(selector);
      if (target && !target.disabled) {
        target.focus();
        return;
      }
    }
  }

  addQuestion() {
    const previous = this.questions[this.questions.length - 1];
    const question = blankQuestion(previous ? previous.type : "single");
    if (previous) {
      question.time_limit = previous.time_limit;
    }
    this.questions.push(question);
    this.drawQuestions();
    this.cards[this.cards.length - 1].querySelector("textarea").focus();
  }

  moveQuestion(index, by) {
    if (swap(this.questions, index, index + by)) {
      this.drawQuestions();
      this.cards[index + by].querySelector("select").focus();
    }
  }

  removeQuestion(index) {
    this.questions.splice(index, 1);
    if (this.questions.length === 0) {
      this.questions.push(blankQuestion());
    }
    this.drawQuestions();
    // The question that moved into the removed one's place, or the new last one.
    const next = this.cards[Math.min(index, this.cards.length - 1)];
    next.querySelector("select").focus();
  }

  card(question, index) {
    const redraw = (...focusSelectors) => this.redrawCard(index, ...focusSelectors);
    const path = `questions[${index}]`;
    const typeSelect = select(QUESTION_TYPES, question.type, (type) => {
      question.type = type;
      if (type === "poll") {
        question.points = "0";
      } else if (question.points === "0") {
        question.points = "1";
      }
      redraw(byPath(`${path}.type`));
    });
    typeSelect.dataset.path = `${path}.type`;
    const last = this.questions.length - 1;
    const number = index + 1;
    const header = el(
      "div",
      { class: "card-header" },
      el("h3", { text: `Question ${number}` }),
      labelled("Type", typeSelect),
      el(
        "div",
        { class: "card-tools" },
        smallButton("↑", `Move question ${number} up`, () => this.moveQuestion(index, -1), index === 0),
        smallButton("↓", `Move question ${number} down`, () => this.moveQuestion(index, 1), index === last),
        smallButton("Remove", `Remove question ${number}`, () => this.removeQuestion(index)),
      ),
    );
    const points = select(
      question.type === "poll"
        ? [["0", "0 (polls score nothing)"]]
        : [
            ["1", "1× (standard)"],
            ["2", "2× (double)"],
            ["0", "0 (practice)"],
          ],
      question.points,
      (value) => (question.points = value),
    );
    points.dataset.path = `${path}.points`;
    return el(
      "li",
      { class: "question-card", dataset: { index: String(index), path } },
      header,
      labelled(
        "Question text",
        el("textarea", {
          value: question.text,
          rows: 2,
          required: true,
          attrs: { maxlength: 500 },
          dataset: { path: `${path}.text` },
          on: { input: (event) => (question.text = event.target.value) },
        }),
      ),
      el(
        "div",
        { class: "field-row" },
        labelled(
          "Time limit (seconds)",
          numberInput(question.time_limit, (value) => (question.time_limit = value), {
            attrs: { inputmode: "numeric" },
            dataset: { path: `${path}.time_limit` },
          }),
          `${MIN_TIME_LIMIT_S} to ${MAX_TIME_LIMIT_S}`,
        ),
        labelled("Points", points),
      ),
      this.answerFields(question, redraw, path),
      el(
        "details",
        { class: "more-fields", open: Boolean(question.image_url || question.explanation || question.category) },
        el("summary", { text: "Image, explanation and category" }),
        labelled(
          "Image URL",
          textInput(question.image_url, (value) => (question.image_url = value), {
            attrs: { inputmode: "url", placeholder: "https://..." },
            dataset: { path: `${path}.image_url` },
          }),
          "Optional, an http or https address",
        ),
        labelled(
          "Explanation",
          el("textarea", {
            value: question.explanation,
            rows: 2,
            attrs: { maxlength: 1000 },
            dataset: { path: `${path}.explanation` },
            on: { input: (event) => (question.explanation = event.target.value) },
          }),
          "Optional, shown with the right answer",
        ),
        labelled(
          "Category",
          textInput(question.category, (value) => (question.category = value), {
            attrs: { maxlength: 200 },
            dataset: { path: `${path}.category` },
          }),
          "Optional",
        ),
      ),
    );
  }

  /** Build the fields of the question's type; `path` is the question's path in API errors. */
  answerFields(question, redraw, path) {
    switch (question.type) {
      case "single":
      case "multiple":
      case "poll":
        return this.choiceFields(question, redraw, path);
      case "true_false":
        return this.trueFalseFields(question, path);
      case "type_answer":
        return this.acceptedFields(question, redraw, path);
      case "slider":
        return this.sliderFields(question, path);
      case "ordering":
        return this.orderingFields(question, redraw, path);
      default:
        return null;
    }
  }

  choiceFields(question, redraw, path) {
    const groupName = fieldId();
    const rows = question.choices.map((choice, index) => {
      const choiceNumber = index + 1;
      let marker = null;
      if (question.type === "single") {
        marker = el("input", {
          type: "radio",
          name: groupName,
          checked: question.correctChoice === index,
          attrs: { "aria-label": `Choice ${choiceNumber} is the right answer` },
          on: { change: () => (question.correctChoice = index) },
        });
      } else if (question.type === "multiple") {
        marker = el("input", {
          type: "checkbox",
          checked: question.correctChoices.includes(index),
          attrs: { "aria-label": `Choice ${choiceNumber} is right` },
          on: {
            change: (event) => {
              const others = question.correctChoices.filter((picked) => picked !== index);
              question.correctChoices = event.target.checked ? [...others, index] : others;
            },
          },
        });
      }
      return el(
        "li",
        { class: "choice-row" },
        marker,
        textInput(choice, (value) => (question.choices[index] = value), {
          attrs: { "aria-label": `Choice ${choiceNumber}`, maxlength: 200 },
          dataset: { path: `${path}.choices[${index}]` },
        }),
        smallButton(
          "✕",
          `Remove choice ${choiceNumber}`,
          () => {
            const length = question.choices.length;
            removeChoice(question, index);
            redraw(byPath(nextEntryPath(`${path}.choices`, index, length)));
          },
          question.choices.length <= MIN_CHOICES,
        ),
      );
    });
    const legend =
      question.type === "single"
        ? "Choices (mark the right one)"
        : question.type === "multiple"
          ? "Choices (tick every right one)"
          : "Choices (a poll has no right answer)";
    const fields = [
      el("legend", { text: legend }),
      el("ol", { class: "choice-list", dataset: { path: `${path}.choices` } }, ...rows),
      el("button", {
        type: "button",
        class: "small",
        text: "Add choice",
        disabled: question.choices.length >= MAX_CHOICES,
        on: {
          click: () => {
            question.choices.push("");
            redraw(byPath(`${path}.choices[${question.choices.length - 1}]`));
          },
        },
      }),
    ];
    if (question.type === "multiple") {
      fields.push(this.scoringField(question, "Partial credit for each right choice", path));
    }
    // The right answer of a choice question is marked in the choice list.
    return el("fieldset", { class: "answer-fields", dataset: { path: `${path}.correct` } }, ...fields);
  }

  scoringField(question, partialText, path) {
    const scoring = select(
      [
        ["exact", "All or nothing"],
        ["partial", partialText],
      ],
      question.scoring,
      (value) => (question.scoring = value),
    );
    scoring.dataset.path = `${path}.scoring`;
    return labelled("Scoring", scoring);
  }

  trueFalseFields(question, path) {
    const groupName = fieldId();
    const option = (value, text) =>
      el(
        "label",
        { class: "inline" },
        el("input", {
          type: "radio",
          name: groupName,
          checked: question.trueFalse === value,
          on: { change: () => (question.trueFalse = value) },
        }),
        text,
      );
    return el(
      "fieldset",
      { class: "answer-fields", dataset: { path: `${path}.correct` } },
      el("legend", { text: "The right answer" }),
      option(true, "True"),
      option(false, "False"),
    );
  }

  acceptedFields(question, redraw, path) {
    const rows = question.accepted.map((answer, index) =>
      el(
        "li",
        { class: "choice-row" },
        textInput(answer, (value) => (question.accepted[index] = value), {
          attrs: { "aria-label": `Accepted answer ${index + 1}`, maxlength: 100 },
          dataset: { path: `${path}.accepted[${index}]` },
        }),
        smallButton(
          "✕",
          `Remove accepted answer ${index + 1}`,
          () => {
            const length = question.accepted.length;
            question.accepted.splice(index, 1);
            redraw(byPath(nextEntryPath(`${path}.accepted`, index, length)));
          },
          question.accepted.length <= 1,
        ),
      ),
    );
    return el(
      "fieldset",
      { class: "answer-fields" },
      el("legend", { text: "Accepted answers (case, accents and spaces are ignored)" }),
      el("ol", { class: "choice-list", dataset: { path: `${path}.accepted` } }, ...rows),
      el("button", {
        type: "button",
        class: "small",
        text: "Add accepted answer",
        disabled: question.accepted.length >= MAX_ACCEPTED,
        on: {
          click: () => {
            question.accepted.push("");
            redraw(byPath(`${path}.accepted[${question.accepted.length - 1}]`));
          },
        },
      }),
    );
  }

  sliderFields(question, path) {
    // The model's keys, and the quiz format's field names that API errors use.
    const field = (label, key, hint, name = key) =>
      labelled(
        label,
        numberInput(question[key], (value) => (question[key] = value), {
          dataset: { path: `${path}.${name}` },
        }),
        hint,
      );
    return el(
      "fieldset",
      { class: "answer-fields" },
      el("legend", { text: "Slider" }),
      el(
        "div",
        { class: "field-row" },
        field("Minimum", "min"),
        field("Maximum", "max"),
        field("Step", "step", "Maximum minus minimum must be a whole number of steps"),
      ),
      el(
        "div",
        { class: "field-row" },
        field("Right value", "sliderCorrect", undefined, "correct"),
        field("Tolerance", "tolerance", "Answers this close to the right value count as right"),
      ),
    );
  }

  orderingFields(question, redraw, path) {
    const rows = question.items.map((item, index) => {
      const itemNumber = index + 1;
      return el(
        "li",
        { class: "choice-row" },
        textInput(item, (value) => (question.items[index] = value), {
          attrs: { "aria-label": `Item ${itemNumber}`, maxlength: 200 },
          dataset: { path: `${path}.items[${index}]` },
        }),
        smallButton(
          "↑",
          `Move item ${itemNumber} up`,
          () =>
            swap(question.items, index, index - 1) &&
            redraw(byLabel(`Move item ${itemNumber - 1} up`), byPath(`${path}.items[${index - 1}]`)),
          index === 0,
        ),
        smallButton(
          "↓",
          `Move item ${itemNumber} down`,
          () =>
            swap(question.items, index, index + 1) &&
            redraw(byLabel(`Move item ${itemNumber + 1} down`), byPath(`${path}.items[${index + 1}]`)),
          index === question.items.length - 1,
        ),
        smallButton(
          "✕",
          `Remove item ${itemNumber}`,
          () => {
            const length = question.items.length;
            question.items.splice(index, 1);
            redraw(byPath(nextEntryPath(`${path}.items`, index, length)));
          },
          question.items.length <= MIN_CHOICES,
        ),
      );
    });
    return el(
      "fieldset",
      { class: "answer-fields" },
      el("legend", { text: "Items in the right order, first to last (players see them shuffled)" }),
      el("ol", { class: "choice-list", dataset: { path: `${path}.items` } }, ...rows),
      el("button", {
        type: "button",
        class: "small",
        text: "Add item",
        disabled: question.items.length >= MAX_CHOICES,
        on: {
          click: () => {
            question.items.push("");
            redraw(byPath(`${path}.items[${question.items.length - 1}]`));
          },
        },
      }),
      this.scoringField(question, "Partial credit for each item in its place", path),
    );
  }

  /** Show an error that names no field, such as a network failure, above the form's end. */
  showError(message) {
    this.clearFieldErrors(() => true);
    this.errorBox.hidden = false;
    replace(this.errorBox, message);
  }

  /**
   * Show the API's errors of an invalid quiz (see quiz-errors.js): each at its field, and all
   * as a list. An error goes away once its field is changed, and the list once it is empty.
   */
  showFieldErrors(errors) {
    this.clearFieldErrors(() => true);
    const list = el("ul", { class: "error-list" });
    replace(
      this.errorBox,
      el("p", { text: "The quiz was not saved. Fix these fields, then save it again:" }),
      list,
    );
    this.errorBox.hidden = false;
    let first = null;
    for (const error of errors) {
      const item = el("li", { text: `${error.label}: ${error.message}.` });
      list.append(item);
      const target = this.fieldOf(error.path);
      const remove = target ? this.markField(target, error.message) : () => {};
      const entry = {
        question: error.question,
        remove: () => {
          remove();
          item.remove();
          if (list.children.length === 0) {
            this.errorBox.hidden = true;
          }
        },
      };
      this.fieldErrors.push(entry);
      if (target) {
        const scope = target.matches("input, select, textarea") ? target : target.closest("fieldset, li, .field") || target;
        const clear = () => {
          scope.removeEventListener("input", clear);
          scope.removeEventListener("change", clear);
          this.fieldErrors = this.fieldErrors.filter((other) => other !== entry);
          entry.remove();
        };
        scope.addEventListener("input", clear);
        scope.addEventListener("change", clear);
        first = first || target;
      }
    }
    const focus = first && first.matches("input, select, textarea") ? first : null;
    if (focus) {
      focus.focus({ preventScroll: true });
    }
    (first || this.errorBox).scrollIntoView({ block: "center" });
  }

  /** Return the element of a field path, or of the nearest path above it that has one. */
  fieldOf(path) {
    for (let current = path; current; current = current.replace(/(\[\d+\]|\.\w+)$/, "")) {
      const found = this.root.querySelector(`[data-path="${CSS.escape(current)}"]`);
      if (found) {
        return found;
      }
      if (!/(\[\d+\]|\.\w+)$/.test(current)) {
        break;
      }
    }
    return null;
  }

  /** Mark one field as invalid with `message` next to it; return a function that unmarks it. */
  markField(target, message) {
    const note = el("p", { class: "field-error", id: fieldId(), text: `${message[0].toUpperCase()}${message.slice(1)}.` });
    const control = target.matches("input, select, textarea");
    if (control) {
      target.setAttribute("aria-invalid", "true");
      target.setAttribute("aria-describedby", [target.getAttribute("aria-describedby"), note.id].filter(Boolean).join(" "));
      (target.closest(".field, .choice-row") || target.parentNode).append(note);
      // A field in the closed "Image, explanation and category" part would stay out of sight.
      const details = target.closest("details");
      if (details) {
        details.open = true;
      }
    } else if (target.classList.contains("question-card")) {
      target.querySelector(".card-header").after(note);
    } else if (target.tagName === "FIELDSET") {
      target.append(note);
    } else {
      target.after(note);
    }
    target.classList.add("has-error");
    return () => {
      note.remove();
      target.classList.remove("has-error");
      if (control) {
        target.removeAttribute("aria-invalid");
        const rest = (target.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== note.id);
        if (rest.length) {
          target.setAttribute("aria-describedby", rest.join(" "));
        } else {
          target.removeAttribute("aria-describedby");
        }
      }
    };
  }

  /** Remove the field errors that `which(error)` picks. */
  clearFieldErrors(which) {
    const picked = (this.fieldErrors || []).filter(which);
    this.fieldErrors = (this.fieldErrors || []).filter((error) => !picked.includes(error));
    for (const error of picked) {
      error.remove();
    }
  }

  async save(event) {
    event.preventDefault();
    this.errorBox.hidden = true;
    const quiz = toQuizJson(this.title, this.description, this.questions);
    const button = this.root.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await this.onSave(quiz, this.quizId);
    } catch (error) {
      const fieldErrors = FIELD_ERROR_CODES.has(error.code) ? parseQuizErrors(error.detail) : [];
      if (fieldErrors.length > 0) {
        this.showFieldErrors(fieldErrors);
      } else {
        this.showError(error.message);
      }
    } finally {
      button.disabled = false;
    }
  }
}
