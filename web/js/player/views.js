// The player page's screens, built from frames. Every user text (nicknames, questions,
// choices, explanations) goes through el()'s text, so it is shown as text, never as markup.

import { el } from "../lib/dom.js";
import { formatDecimal, sliderPlaces } from "../lib/numbers.js";
import { optionShape, paintOption } from "../lib/options.js";

const POINTS_NOTE = { 0: "No points", 2: "Double points" };

/** Build the join form; `onSubmit(pin, nickname)` runs when it is sent. */
export function joinView({ pin = "", nickname = "", onSubmit }) {
  const pinInput = el("input", {
    id: "join-pin",
    name: "pin",
    class: "pin",
    value: pin,
    required: true,
    autocomplete: "off",
    maxLength: 8,
    attrs: { inputmode: "numeric", "aria-describedby": "join-pin-help" },
  });
  const nameInput = el("input", {
    id: "join-nickname",
    name: "nickname",
    type: "text",
    value: nickname,
    autocomplete: "nickname",
    maxLength: 60,
    attrs: { "aria-describedby": "join-nickname-help", enterkeyhint: "go" },
  });
  const button = el("button", { type: "submit", class: "wide", text: "Join" });
  const error = el("p", { id: "join-error", class: "notice error", attrs: { role: "alert" } });
  const form = el(
    "form",
    {
      class: "card stack",
      attrs: { "aria-labelledby": "join-title", novalidate: true },
      on: {
        submit: (event) => {
          event.preventDefault();
          onSubmit(pinInput.value, nameInput.value);
        },
      },
    },
    el("h1", { id: "join-title", text: "Join a game" }),
    el("label", { htmlFor: "join-pin", text: "Game PIN" }),
    pinInput,
    el("p", { id: "join-pin-help", class: "muted", text: "The 6 digits on the host's screen." }),
    el("label", { htmlFor: "join-nickname", text: "Nickname" }),
    nameInput,
    el("p", {
      id: "join-nickname-help",
      class: "muted",
      text: "Up to 20 characters. Leave it empty to get a generated name.",
    }),
    error,
    button,
  );
  return {
    node: form,
    focus() {
      (pin ? nameInput : pinInput).focus();
    },
    busy(isBusy) {
      button.disabled = isBusy;
      button.textContent = isBusy ? "Joining\u2026" : "Join";
    },
    showError(message, field) {
      error.textContent = message;
      if (field === "pin") {
        pinInput.focus();
        pinInput.select();
      } else if (field === "nickname") {
        nameInput.focus();
        nameInput.select();
      }
    },
  };
}

/** Build a card with a title, lines of text and optional buttons. */
export function messageView(title, lines = [], ...buttons) {
  return el(
    "section",
    { class: "card stack center", attrs: { "aria-labelledby": "message-title" } },
    el("h1", { id: "message-title", text: title }),
    lines.map((line) => el("p", { text: line })),
    buttons.length ? el("div", { class: "row centred" }, buttons) : null,
  );
}

export function lobbyView(nickname) {
  return el(
    "section",
    { class: "card stack center", attrs: { "aria-labelledby": "lobby-title" } },
    el("h1", { id: "lobby-title", text: "You're in!" }),
    el("p", { class: "big", text: nickname }),
    el("p", { text: "See your nickname on the host's screen? The game starts when the host is ready." }),
    el("p", { class: "muted pulse", text: "Waiting for the host to start\u2026" }),
  );
}

function questionHeading(question) {
  const parts = [`Question ${question.index + 1} of ${question.count}`];
  const note = question.scoresHidden ? null : POINTS_NOTE[question.view.points];
  if (note) {
    parts.push(note);
  }
  return el("p", { class: "muted", text: parts.join(" \u00b7 ") });
}

function questionText(question) {
  const view = question.view;
  return [
    el("h1", { class: "question-text", id: "question-text", text: view.text }),
    view.image_url
      ? el("img", {
          class: "question-image",
          src: view.image_url,
          alt: "",
          attrs: { referrerpolicy: "no-referrer", loading: "lazy" },
        })
      : null,
  ];
}

/**
 * Build an open question's screen: its text, the countdown, an optional status line `note`
 * and the answer input.
 */
export function questionView(question, countdown, input, note = null) {
  return el(
    "section",
    { class: "card stack", attrs: { "aria-labelledby": "question-text" }, dataset: { question: question.index } },
    questionHeading(question),
    questionText(question),
    countdown.node,
    note ? el("p", { class: "time-up", id: "time-up", text: note, attrs: { role: "status" } }) : null,
    input.node,
  );
}

/**
 * Build the screen after the player's answer: the answer sent (see yourAnswer), the countdown
 * and how many have answered.
 */
export function receivedView(question, countdown, answered, answer = null) {
  return el(
    "section",
    { class: "card stack center", attrs: { "aria-labelledby": "received-title" }, dataset: { question: question.index } },
    questionHeading(question),
    el("h1", { id: "received-title", text: "Answer received" }),
    yourAnswer(question.view, answer, true),
    el("p", { text: "Results come when the time is up or everyone has answered." }),
    countdown.node,
    answered,
  );
}

/**
 * Build "Your answer:" and the player's answer, or null without one. `answer` is one of
 * {choice}, {choices} (indexes into the view's choices), {text}, {value} or {items} (the
 * ordering items as the player put them).
 */
export function yourAnswer(view, answer, centred = false) {
  if (!answer) {
    return null;
  }
  const choices = view.choices || [];
  let nodes = [];
  if (typeof answer.choice === "number") {
    nodes = [optionTag(answer.choice, choices[answer.choice] ?? `Choice ${answer.choice + 1}`)];
  } else if (Array.isArray(answer.choices)) {
    nodes = answer.choices.map((index) => optionTag(index, choices[index] ?? `Choice ${index + 1}`));
  } else if (typeof answer.text === "string") {
    nodes = [el("span", { class: "typed", text: answer.text })];
  } else if (typeof answer.value === "number") {
    nodes = [el("span", { class: "big", text: formatDecimal(answer.value, sliderPlaces(view)) })];
  } else if (Array.isArray(answer.items)) {
    nodes = [el("ol", {}, answer.items.map((item) => el("li", { text: item })))];
  }
  if (nodes.length === 0) {
    return null;
  }
  return el(
    "div",
    { class: "stack your-answer" },
    el("p", { text: "Your answer:" }),
    el("div", { class: ["row", centred ? "centred" : ""], id: "your-answer" }, nodes),
  );
}

/** Convert a graded response, as a reveal's `you.response` has it, for yourAnswer. */
export function gradedAnswer(type, response, items = []) {
  if (response === undefined || response === null) {
    return null;
  }
  switch (type) {
    case "multiple":
      return { choices: response };
    case "type_answer":
      return { text: String(response) };
    case "slider":
      return { value: Number(response) };
    case "ordering":
      // Indexes into the items in their right order.
      return { items: response.map((index) => items[index]) };
    default:
      return { choice: response };
  }
}

const CLOSE_REASONS = {
  deadline: "Time's up!",
  all_answered: "Everyone has answered.",
  skipped: "The host skipped this question.",
  ended: "The host ended the game.",
};

/** Build the screen of a closed question before its reveal. */
export function closedView(question, reason, answeredIt) {
  const lines = [answeredIt ? "Your answer is in." : "No answer from you this time."];
  lines.push("Waiting for the results\u2026");
  return el(
    "section",
    { class: "card stack center", attrs: { "aria-labelledby": "closed-title" }, dataset: { question: question.index } },
    questionHeading(question),
    el("h1", { id: "closed-title", text: CLOSE_REASONS[reason] || "The question is closed." }),
    lines.map((line) => el("p", { text: line })),
  );
}

/** Build the paused screen, with the frozen `countdown` of an open question or null. */
export function pausedView(reason, countdown) {
  // The server keeps a game paused until the host presses Resume, also after a host who lost
  // their connection has reconnected, and ends it when that host stays away too long.
  const lines =
    reason === "host_gone"
      ? [
          "The host lost their connection.",
          "The game stays paused until the host is back and resumes it. It ends if the host does not come back.",
        ]
      : ["The host paused the game.", "It goes on when the host resumes it."];
  if (countdown) {
    lines.push("The time left for this question is kept until then.");
  }
  return el(
    "section",
    { class: "card stack center", attrs: { "aria-labelledby": "paused-title" } },
    el("h1", { id: "paused-title", text: "Paused" }),
    lines.map((line) => el("p", { text: line })),
    countdown ? countdown.node : null,
  );
}

function optionTag(index, text) {
  return paintOption(el("span", { class: "option-tag" }, optionShape(index), el("span", { text })), index);
}

/** Describe the right answer of a reveal, as nodes, from the question's view. */
function rightAnswer(reveal, view) {
  const correct = reveal.correct;
  if (correct === undefined || correct === null) {
    return [];
  }
  switch (reveal.question_type) {
    case "single":
    case "true_false":
      return [optionTag(correct, (view.choices || [])[correct] ?? `Choice ${correct + 1}`)];
    case "multiple":
      return (correct || []).map((index) => optionTag(index, (view.choices || [])[index] ?? `Choice ${index + 1}`));
    case "type_answer":
      return [el("span", { text: (correct || []).join(" / ") })];
    case "slider": {
      const tolerance = Number(correct?.tolerance) || 0;
      const places = sliderPlaces(view);
      const value = formatDecimal(correct?.value, places);
      const text = tolerance ? `${value} (\u00b1 ${formatDecimal(tolerance, places)})` : value;
      return [el("span", { class: "big", text })];
    }
    case "ordering":
      return [el("ol", {}, (reveal.items || []).map((item) => el("li", { text: item })))];
    default:
      return [];
  }
}

function verdict(you, type) {
  if (type === "poll") {
    return { text: you.answered ? "Thanks for voting!" : "No vote from you", tone: "" };
  }
  if (!you.answered) {
    return { text: "No answer", tone: "wrong" };
  }
  if (you.correct) {
    return { text: "Right!", tone: "right" };
  }
  if (you.points > 0) {
    return { text: "Partly right", tone: "right" };
  }
  return { text: "Wrong", tone: "wrong" };
}

/** Build one tile of the stats list; `note` is a smaller line under the value. */
function stat(label, value, name, note = "") {
  return el(
    "div",
    { dataset: { stat: name } },
    el("dt", { text: label }),
    el("dd", {}, String(value), note ? el("small", { class: "stat-note", text: note }) : null),
  );
}

/**
 * Build the reveal: right or wrong, points, streak, rank, the right answer, the leaderboard.
 * A game in survey mode (`question.scoresHidden`) shows no points and no streak.
 */
export function resultView(reveal, question, nickname, sent = null) {
  const you = reveal.you || { answered: false, points: 0, streak: 0 };
  const outcome = verdict(you, reveal.question_type);
  const stats = [];
  if (reveal.question_type !== "poll" && !question.scoresHidden) {
    const bonus = you.bonus ? `incl. +${you.bonus} streak bonus` : "";
    stats.push(stat("Points", `+${you.points || 0}`, "points", bonus));
    stats.push(stat("Streak", you.streak || 0, "streak"));
  }
  if (you.score !== undefined) {
    stats.push(stat("Score", you.score, "score"));
  }
  if (you.rank !== undefined) {
    const of = reveal.players ? ` of ${reveal.players}` : "";
    stats.push(stat("Rank", `${you.rank}${of}`, "rank"));
  }
  const answer = rightAnswer(reveal, question.view);
  let mine = you.answered ? gradedAnswer(reveal.question_type, you.response, reveal.items || []) : null;
  if (mine && reveal.question_type === "type_answer" && typeof sent?.text === "string") {
    // The server grades a typed answer in a normal form (case, accents and spaces folded), so
    // the words as the player typed them, where this page still has them, read better.
    mine = { text: sent.text.trim() };
  }
  return el(
    "section",
    { class: "stack", attrs: { "aria-labelledby": "result-title" }, dataset: { question: reveal.question } },
    el(
      "div",
      { class: "card stack center" },
      questionHeading(question),
      el("h1", { id: "result-title", class: ["verdict", outcome.tone], text: outcome.text }),
      stats.length ? el("dl", { class: "stats" }, stats) : null,
    ),
    el(
      "div",
      { class: "card stack" },
      el("p", { class: "muted", text: question.view.text }),
      yourAnswer(question.view, mine),
      answer.length ? el("p", { text: "The answer:" }) : null,
      answer.length ? el("div", { class: "row", id: "right-answer" }, answer) : null,
      reveal.explanation ? el("p", { id: "explanation", text: reveal.explanation }) : null,
    ),
    reveal.top ? leaderboardView(reveal.top, nickname, "Leaderboard") : null,
  );
}

export function leaderboardView(top, nickname, title) {
  return el(
    "section",
    { class: "card stack", attrs: { "aria-labelledby": "board-title" } },
    el("h2", { id: "board-title", text: title }),
    el(
      "ol",
      { class: "leaderboard", id: "leaderboard" },
      top.map((entry) =>
        el(
          "li",
          { class: entry.nickname === nickname ? "me" : null },
          el("span", { class: "rank", text: `${entry.rank}.` }),
          el("span", { class: "name", text: entry.nickname }),
          el("span", { class: "score", text: String(entry.score) }),
        ),
      ),
    ),
  );
}

const END_REASONS = {
  host: "The host ended the game.",
  host_gone: "The game ended because the host left.",
};

/**
 * Build the final podium. `top` lists {rank, nickname, score} best first, and `you` is the
 * player's own {rank, score} when the game shows them. `onJoinAnother()` runs on the
 * "Join another game" button.
 */
export function podiumView({ top, you, players, reason, nickname, onJoinAnother }) {
  const steps = (top || []).slice(0, 3);
  const lines = [];
  if (END_REASONS[reason]) {
    lines.push(END_REASONS[reason]);
  }
  if (you && you.rank !== undefined) {
    const of = players ? ` of ${players}` : "";
    lines.push(`You finished ${ordinal(you.rank)}${of} with ${you.score} points.`);
  } else if (you && you.score !== undefined) {
    lines.push(`You scored ${you.score} points.`);
  }
  return el(
    "section",
    { class: "stack", attrs: { "aria-labelledby": "podium-title" } },
    el(
      "div",
      { class: "card stack center" },
      el("h1", { id: "podium-title", text: "Game over" }),
      lines.map((line) => el("p", { text: line })),
      steps.length
        ? el(
            "ol",
            { class: "podium", id: "podium", attrs: { "aria-label": "Podium" } },
            steps.map((entry, place) =>
              el(
                "li",
                { class: ["step", entry.nickname === nickname ? "me" : ""], dataset: { place: place + 1 } },
                el("div", { class: "place", text: ordinal(entry.rank) }),
                el("div", { class: "name", text: entry.nickname }),
                el("div", { class: "muted", text: `${entry.score} points` }),
              ),
            ),
          )
        : el("p", { text: "Thanks for playing!" }),
      el("button", { type: "button", id: "join-another", text: "Join another game", on: { click: onJoinAnother } }),
    ),
    top && top.length > 3 ? leaderboardView(top, nickname, "Final ranking") : null,
  );
}

export function ordinal(rank) {
  const tens = rank % 100;
  if (tens >= 11 && tens <= 13) {
    return `${rank}th`;
  }
  return `${rank}${{ 1: "st", 2: "nd", 3: "rd" }[rank % 10] || "th"}`;
}
