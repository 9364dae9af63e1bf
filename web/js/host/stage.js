// The projector's views of a game: the open question, the reveal with its chart, the
// leaderboard and the final podium.

import { el } from "../lib/dom.js";
import { optionShape, paintOption } from "../lib/options.js";
import { correctAnswer, distributionChart, formatNumber } from "./chart.js";

const CLOSE_REASONS = {
  deadline: "Time is up.",
  all_answered: "Everyone has answered.",
  skipped: "The question was skipped.",
  ended: "The game was ended.",
};

/** Build the open question as players see it: text, image and the options or the answer form. */
export function questionView(view, index, count) {
  const parts = [
    el(
      "p",
      { class: "question-number" },
      `Question ${index + 1} of ${count}`,
      view.points === 2 ? el("span", { class: "badge", text: "Double points" }) : null,
      view.points === 0 && view.type !== "poll" ? el("span", { class: "badge", text: "No points" }) : null,
    ),
    el("h2", { class: "question-text", text: view.text }),
  ];
  if (view.image_url) {
    parts.push(el("img", { class: "question-image", src: view.image_url, alt: "", referrerPolicy: "no-referrer" }));
  }
  if (view.choices) {
    parts.push(
      el(
        "ul",
        { class: "options host-options" },
        ...view.choices.map((choice, choiceIndex) =>
          paintOption(
            el(
              "li",
              { class: "option" },
              optionShape(choiceIndex),
              el("span", { class: "label", text: choice }),
            ),
            choiceIndex,
          ),
        ),
      ),
    );
    if (view.select === "several") {
      parts.push(el("p", { class: "hint-line", text: "Pick every right answer." }));
    }
  } else if (view.items) {
    parts.push(
      el("p", { class: "hint-line", text: "Put these in the right order:" }),
      el("ul", { class: "ordering host-items" }, ...view.items.map((item) => el("li", { text: item }))),
    );
  } else if (view.type === "slider") {
    parts.push(
      el("p", {
        class: "hint-line",
        text: `Pick a number from ${formatNumber(view.min, view)} to ${formatNumber(view.max, view)}` +
          (view.step !== 1 ? ` in steps of ${formatNumber(view.step, view)}` : "") + ".",
      }),
    );
  } else if (view.type === "type_answer") {
    parts.push(el("p", { class: "hint-line", text: "Type your answer on your phone." }));
  }
  return parts;
}

export function closedNote(reason, autoReveal) {
  const why = CLOSE_REASONS[reason] || "The question is closed.";
  return el("p", {
    class: "closed-note",
    text: autoReveal ? `${why} Revealing the answer…` : `${why} Press “Reveal answer” to show it.`,
  });
}

/** Build the leaderboard of a frame's `top`, or null when the frame has none. */
export function leaderboard(top, title = "Leaderboard") {
  if (!Array.isArray(top) || top.length === 0) {
    return null;
  }
  return el(
    "section",
    { class: "board" },
    el("h3", { text: title }),
    el(
      "ol",
      { class: "leaderboard" },
      ...top.map((entry) =>
        el(
          "li",
          {},
          el("span", { class: "rank", text: String(entry.rank) }),
          el("span", { class: "name", text: entry.nickname }),
          el("span", { class: "score", text: String(entry.score) }),
        ),
      ),
    ),
  );
}

/** Build the reveal: the right answer, the distribution, the explanation and the ranking. */
export function revealView(reveal, view) {
  const answered = reveal.answered ?? 0;
  const summary =
    reveal.right === null || reveal.right === undefined
      ? `${answered} answered`
      : `${reveal.right} of ${answered} answered right`;
  // Two columns on a projector: the answer and its chart, and beside them the explanation
  // and the leaderboard. One column on a narrower screen, in the same order.
  return [
    el("p", { class: "reveal-summary", text: summary }),
    el(
      "div",
      { class: "reveal-body" },
      el("div", { class: "reveal-main" }, correctAnswer(reveal, view), distributionChart(reveal, view)),
      el(
        "div",
        { class: "reveal-side" },
        reveal.explanation
          ? el("p", { class: "explanation" }, el("strong", { text: "Why: " }), el("span", { text: reveal.explanation }))
          : null,
        leaderboard(reveal.top),
      ),
    ),
  ];
}

/** Build the podium of the top three, then the rest of the ranking. */
export function podium(players) {
  if (!players || players.length === 0) {
    return el("p", { class: "muted", text: "No ranking to show: no player scored, or this game hides it." });
  }
  // Second place goes left of the winner and third right, as on a real podium.
  const places = [players[1], players[0], players[2]];
  return el(
    "div",
    { class: "podium-block" },
    el(
      "ol",
      { class: "podium", attrs: { "aria-label": "Podium" } },
      ...places.map((player) =>
        player
          ? el(
              "li",
              { class: "step", dataset: { place: String(player.rank) } },
              el("div", { class: "place", text: String(player.rank) }),
              el("div", { class: "name", text: player.nickname }),
              el("div", { class: "score", text: `${player.score} points` }),
            )
          : el("li", { class: "step empty", attrs: { "aria-hidden": "true" } }),
      ),
    ),
    players.length > 3 ? leaderboard(players.slice(3), "The rest") : null,
  );
}
