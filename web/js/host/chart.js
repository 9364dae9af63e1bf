// The reveal's answer distribution as a bar chart of HTML elements, and the right answer in
// words. Bars are list items whose width is a CSS variable, so the chart needs no library
// and reads as a list to screen readers.

import { el } from "../lib/dom.js";
import { formatDecimal, sliderPlaces } from "../lib/numbers.js";
import { optionShape, paintOption } from "../lib/options.js";

/**
 * Format a number of the slider question `view` with the decimal places of its step, or with
 * the value's own places when `view` is missing.
 */
export function formatNumber(value, view = null) {
  return formatDecimal(value, view ? sliderPlaces(view) : 0);
}

function bar(label, count, total, { index = null, right = false, note = "" } = {}) {
  const share = total > 0 ? count / total : 0;
  const row = el(
    "li",
    { class: ["bar", right ? "right" : null] },
    el(
      "span",
      { class: "bar-label" },
      index === null ? null : optionShape(index),
      el("span", { class: "bar-text", text: label }),
      right ? el("span", { class: "bar-mark", text: "✓", attrs: { "aria-label": "right answer" } }) : null,
    ),
    el(
      "span",
      { class: "bar-track" },
      el("span", { class: "bar-fill" }),
    ),
    el("span", {
      class: "bar-count",
      text: note ? `${count} ${note}` : String(count),
    }),
  );
  row.style.setProperty("--share", String(share));
  if (index !== null) {
    paintOption(row, index);
  }
  return row;
}

/**
 * Build the chart of one reveal frame. `view` is the question as its question frame showed
 * it, for the choice and item texts. Returns null for a question without counts.
 */
export function distributionChart(reveal, view) {
  const distribution = reveal.distribution || {};
  const counts = distribution.counts || [];
  const correct = reveal.correct;
  const type = reveal.question_type;
  const total = Math.max(1, ...counts, distribution.other || 0);
  let rows;
  let caption;
  if (type === "single" || type === "true_false" || type === "poll" || type === "multiple") {
    const choices = (view && view.choices) || counts.map((_, index) => `Choice ${index + 1}`);
    let rightIndexes = [];
    if (Array.isArray(correct)) {
      rightIndexes = correct;
    } else if (correct !== null && correct !== undefined) {
      rightIndexes = [correct];
    }
    const rightSet = new Set(rightIndexes);
    rows = counts.map((count, index) =>
      bar(choices[index] ?? `Choice ${index + 1}`, count, total, {
        index,
        right: rightSet.has(index),
      }),
    );
    caption = type === "multiple" ? "Players who picked each choice" : "Answers per choice";
  } else if (type === "ordering") {
    const items = reveal.items || [];
    rows = counts.map((count, place) =>
      bar(`${place + 1}. ${items[place] ?? ""}`, count, Math.max(1, reveal.answered || 0), {
        note: "in place",
      }),
    );
    caption = "Players who put each item in its right place";
  } else if (type === "type_answer") {
    const accepted = Array.isArray(correct) ? correct : [];
    rows = counts.map((count, index) =>
      bar(accepted[index] ?? `Answer ${index + 1}`, count, total, { right: true }),
    );
    rows.push(bar("Something else", distribution.other || 0, total));
    caption = "Typed answers";
  } else if (type === "slider") {
    rows = sliderRows(distribution, correct, view);
    caption = "Answers per range";
  } else {
    return null;
  }
  const chart = el(
    "figure",
    { class: "chart", attrs: { "aria-label": caption } },
    el("figcaption", { text: caption }),
    el("ol", { class: "bars" }, ...rows),
  );
  return chart;
}

/**
 * Return the values on the slider's steps from `low` up to `high`, as [first, last], or null
 * when no step falls there. `high` itself counts only for the last range, which holds the max.
 */
function stepsWithin(low, high, view, last) {
  const min = Number(view?.min ?? low);
  const step = Number(view?.step) || 0;
  if (!(step > 0)) {
    return null;
  }
  // Float error in the edges must not move a step across them.
  const slack = 1e-9;
  const first = Math.ceil((low - min) / step - slack);
  const end = (high - min) / step;
  const lastIndex = last ? Math.floor(end + slack) : Math.ceil(end - slack) - 1;
  if (lastIndex < first) {
    return null;
  }
  return [min + first * step, min + lastIndex * step];
}

/**
 * Build the slider's rows: first the players within the tolerance, marked right, then the
 * ten equal ranges from min to max. A range can hold right and wrong values at once, so no
 * range is marked right, and each is labelled by the steps it holds so that none overlap.
 */
function sliderRows(distribution, correct, view) {
  const counts = distribution.counts || [];
  const edges = distribution.edges || [];
  const within = typeof distribution.within === "number" ? distribution.within : null;
  const total = Math.max(1, ...counts, within || 0);
  const rows = [];
  if (correct && within !== null) {
    const tolerance = Number(correct.tolerance) || 0;
    const label = tolerance
      ? `Right: ${formatNumber(correct.value - tolerance, view)} – ${formatNumber(correct.value + tolerance, view)}`
      : `Right: ${formatNumber(correct.value, view)}`;
    rows.push(bar(label, within, total, { right: true }));
  }
  counts.forEach((count, index) => {
    const low = edges[index];
    const high = edges[index + 1];
    if (low === undefined || high === undefined) {
      rows.push(bar(`Range ${index + 1}`, count, total));
      return;
    }
    const steps = stepsWithin(low, high, view, index === counts.length - 1);
    let label = `${formatNumber(low, view)} – ${formatNumber(high, view)}`;
    if (steps && steps[0] === steps[1]) {
      label = formatNumber(steps[0], view);
    } else if (steps) {
      label = `${formatNumber(steps[0], view)} – ${formatNumber(steps[1], view)}`;
    }
    rows.push(bar(label, count, total));
  });
  return rows;
}

/** Describe the right answer of a reveal frame in words, with the option's shape. */
export function correctAnswer(reveal, view) {
  const correct = reveal.correct;
  const choices = (view && view.choices) || [];
  const tag = (index) =>
    paintOption(
      el("span", { class: "option-tag" }, optionShape(index), el("span", { text: choices[index] ?? `Choice ${index + 1}` })),
      index,
    );
  switch (reveal.question_type) {
    case "single":
    case "true_false":
      return el("p", { class: "correct-answer" }, "Right answer: ", tag(correct));
    case "multiple":
      return el("p", { class: "correct-answer" }, "Right answers: ", ...correct.map(tag));
    case "type_answer":
      return el(
        "p",
        { class: "correct-answer" },
        "Accepted answers: ",
        el("span", { class: "answer-text", text: correct.join(", ") }),
      );
    case "slider":
      return el(
        "p",
        { class: "correct-answer" },
        "Right value: ",
        el("strong", { text: formatNumber(correct.value, view) }),
        correct.tolerance ? `(within ± ${formatNumber(correct.tolerance, view)} counts as right)` : "",
      );
    case "ordering":
      return el(
        "p",
        { class: "correct-answer" },
        "Right order: ",
        el("span", { class: "answer-text", text: (reveal.items || []).join(" → ") }),
      );
    case "poll":
      return el("p", { class: "correct-answer", text: "A poll has no right answer." });
    default:
      return null;
  }
}
