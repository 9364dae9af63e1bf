// The reveal's answer distribution as a bar chart of HTML elements, and the right answer in
// words. Bars are list items whose width is a CSS variable, so the chart needs no library
// and reads as a list to screen readers.

import { el } from "../lib/dom.js";
import { ceilDivide, formatDecimal, formatScaled, scaledCount, sliderPlaces } from "../lib/numbers.js";
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
 * Label the slider's ten ranges by the values on its steps that each holds, first to last,
 * as the server counts them: a value min + i·step falls in range k when
 * k ≤ 10·i·step / (max − min) < k + 1, and the last range also holds max. The sums run in
 * BigInt counts of the step's decimal places, since float error would move a value into the
 * next range once (value − min) / step is large. Returns null when `view` lacks the numbers.
 */
export function rangeLabels(view) {
  const places = sliderPlaces(view);
  const step = Number(view?.step);
  if (!(step > 0) || !Number.isFinite(Number(view?.min)) || !Number.isFinite(Number(view?.max))) {
    return null;
  }
  const minimum = scaledCount(view.min, places);
  const width = scaledCount(view.max, places) - minimum;
  const stepCount = scaledCount(step, places);
  if (width <= 0n || stepCount <= 0n) {
    return null;
  }
  const lastStep = width / stepCount;
  const labels = [];
  for (let range = 0n; range < 10n; range += 1n) {
    const first = ceilDivide(range * width, 10n * stepCount);
    let last = range === 9n ? lastStep : ceilDivide((range + 1n) * width, 10n * stepCount) - 1n;
    if (last > lastStep) {
      last = lastStep;
    }
    const value = (index) => formatScaled(minimum + index * stepCount, places);
    if (last < first) {
      labels.push("no value on a step");
    } else if (last === first) {
      labels.push(value(first));
    } else {
      labels.push(`${value(first)} – ${value(last)}`);
    }
  }
  return labels;
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
    // The values that count as right, within the slider's own range.
    const lowest = Math.max(Number(view?.min ?? -Infinity), correct.value - tolerance);
    const highest = Math.min(Number(view?.max ?? Infinity), correct.value + tolerance);
    const label =
      lowest < highest
        ? `Right: ${formatNumber(lowest, view)} – ${formatNumber(highest, view)}`
        : `Right: ${formatNumber(correct.value, view)}`;
    rows.push(bar(label, within, total, { right: true }));
  }
  const labels = counts.length === 10 ? rangeLabels(view) : null;
  counts.forEach((count, index) => {
    const low = edges[index];
    const high = edges[index + 1];
    if (labels) {
      rows.push(bar(labels[index], count, total));
    } else if (low === undefined || high === undefined) {
      rows.push(bar(`Range ${index + 1}`, count, total));
    } else {
      rows.push(bar(`${formatNumber(low, view)} – ${formatNumber(high, view)}`, count, total));
    }
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
