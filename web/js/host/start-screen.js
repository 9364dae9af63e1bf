// Choose a game's options and open its lobby.

import { createGame } from "../lib/api.js";
import { el } from "../lib/dom.js";
import { saveGame } from "./session.js";

function field(label, control, hint = "") {
  return el(
    "div",
    { class: "field" },
    el("label", { attrs: { for: control.id }, text: label }),
    control,
    hint ? el("small", { class: "hint", text: hint }) : null,
  );
}

function choice(id, options, value) {
  const node = el(
    "select",
    { id },
    ...options.map(([optionValue, text]) => el("option", { value: optionValue, text })),
  );
  node.value = value;
  return node;
}

function checkbox(id, label, checked) {
  const box = el("input", { type: "checkbox", id, checked });
  return [box, el("div", { class: "field inline" }, box, el("label", { attrs: { for: id }, text: label }))];
}

function optionalNumber(input) {
  const text = input.value.trim();
  return text === "" ? undefined : Number(text);
}

export function showStart(app, quiz) {
  const scoring = choice(
    "start-scoring",
    [
      ["speed", "Speed: faster right answers earn more"],
      ["accuracy", "Accuracy: every right answer earns 1000"],
    ],
    "speed",
  );
  const leaderboard = choice(
    "start-leaderboard",
    [
      ["every_question", "After every question"],
      ["end", "Only at the end"],
      ["never", "Never (survey mode, no scores for players)"],
    ],
    "every_question",
  );
  const [streak, streakField] = checkbox("start-streak", "Streak bonus: +100 per right answer in a row", false);
  const [lateJoin, lateJoinField] = checkbox("start-late", "Let players join after the first question", true);
  const [autoReveal, autoRevealField] = checkbox(
    "start-reveal",
    "Reveal the answer as soon as a question closes",
    true,
  );
  const autoAdvance = el("input", {
    type: "number",
    id: "start-advance",
    attrs: { min: 3, max: 120, placeholder: "off" },
  });
  const questionCount = el("input", {
    type: "number",
    id: "start-count",
    attrs: { min: 1, max: quiz.question_count, placeholder: String(quiz.question_count) },
  });
  const seconds = el("input", {
    type: "number",
    id: "start-seconds",
    attrs: { min: 5, max: 240, placeholder: "each question's own" },
  });
  const submit = el("button", { type: "submit", text: "Open the lobby" });

  const form = el(
    "form",
    {
      class: "stack",
      on: {
        submit: async (event) => {
          event.preventDefault();
          app.clearNotice();
          const options = {
            scoring: scoring.value,
            leaderboard: leaderboard.value,
            streak_bonus: streak.checked,
            late_join: lateJoin.checked,
            auto_reveal: autoReveal.checked,
          };
          const advance = optionalNumber(autoAdvance);
          if (advance !== undefined) {
            options.auto_advance_s = advance;
          }
          const settings = { options };
          const count = optionalNumber(questionCount);
          if (count !== undefined) {
            settings.question_count = count;
          }
          const perQuestion = optionalNumber(seconds);
          if (perQuestion !== undefined) {
            settings.seconds_per_question = perQuestion;
          }
          submit.disabled = true;
          try {
            const created = await createGame(quiz.id, settings, app.login.token);
            const game = {
              gameId: created.game_id,
              pin: created.pin,
              hostToken: created.host_token,
              quizTitle: quiz.title,
            };
            saveGame(game);
            app.show("game", game);
          } catch (error) {
            app.fail(error);
            submit.disabled = false;
          }
        },
      },
    },
    // Two columns on a wide screen, so that the form and its button fit a projector's height.
    el(
      "div",
      { class: "option-columns" },
      el(
        "div",
        { class: "stack" },
        field("Scoring", scoring),
        field("Leaderboard", leaderboard),
        streakField,
        lateJoinField,
        autoRevealField,
      ),
      el(
        "div",
        { class: "stack" },
        field("Open the next question by itself after (seconds)", autoAdvance, "3 to 120; empty: wait for you"),
        field("Play only the first questions", questionCount, `1 to ${quiz.question_count}; empty: all`),
        field("Seconds for every question", seconds, "5 to 240; empty: each question's own limit"),
      ),
    ),
    el(
      "div",
      { class: "row" },
      submit,
      el("button", {
        type: "button",
        class: "secondary",
        text: "Back",
        on: { click: () => app.show("library") },
      }),
    ),
  );
  app.view.append(
    el(
      "section",
      { class: "card stack" },
      el("h1", { text: "Host a game" }),
      el("p", { class: "quiz-title", text: quiz.title }),
      form,
    ),
  );
}
