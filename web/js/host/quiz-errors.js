// The API's quiz validation errors in the editor's words. The API joins them as
// "questions[0].choices[1]: message; title: message": each field path is 0-based and uses the
// quiz format's field names, while the form numbers questions and choices from 1 and labels
// its fields in words.

// The form's label of each field of the quiz format.
const FIELD_LABELS = {
  title: "Title",
  description: "Description",
  text: "Question text",
  time_limit: "Time limit (seconds)",
  points: "Points",
  choices: "Choices",
  correct: "Right answer",
  accepted: "Accepted answers",
  min: "Minimum",
  max: "Maximum",
  step: "Step",
  tolerance: "Tolerance",
  items: "Items",
  scoring: "Scoring",
  image_url: "Image URL",
  explanation: "Explanation",
  category: "Category",
  type: "Type",
};

// The label of one entry of a list field, numbered from 1 as the form shows it.
const ENTRY_LABELS = {
  choices: "Choice",
  accepted: "Accepted answer",
  items: "Item",
};

// Plain words for pydantic's messages on the quiz format's fields, as the API passes them on.
const REWORDINGS = [
  [/^String should have at least 1 character$/, () => "must not be empty"],
  [/^String should have at most (\d+) characters?$/, (count) => `must be at most ${count} characters`],
  [/^Input should be greater than or equal to (\S+)$/, (low) => `must be at least ${low}`],
  [/^Input should be less than or equal to (\S+)$/, (high) => `must be at most ${high}`],
  [/^Input should be greater than (\S+)$/, (low) => `must be more than ${low}`],
  [/^List should have at least (\d+) items? after validation, not \d+$/, (count) => `needs at least ${count}`],
  [/^List should have at most (\d+) items? after validation, not \d+$/, (count) => `takes at most ${count}`],
  [/^Field required$/, () => "is missing"],
  [/^Input should be a valid (number|integer).*$/, (kind) => `must be ${kind === "integer" ? "a whole number" : "a number"}`],
];

// A path at the start of one error, as the API writes it.
const PATH = /^(title|description|questions|body)((?:\[\d+\]|\.\w+)*): /;

/**
 * Split the API's message of an invalid quiz into errors, each {path, question, label,
 * message}. `question` is the 0-based question index, or null for a field of the quiz.
 * Returns an empty list when the message has no field paths.
 */
export function parseQuizErrors(detail) {
  const parts = String(detail).split(/; (?=(?:title|description|questions|body)(?:\[\d+\]|\.\w+)*: )/);
  const errors = [];
  for (const part of parts) {
    const match = PATH.exec(part);
    if (!match) {
      return [];
    }
    const path = match[1] + match[2];
    const questionMatch = /^questions\[(\d+)\]/.exec(path);
    errors.push({
      path,
      question: questionMatch ? Number(questionMatch[1]) : null,
      label: labelOf(path),
      message: reword(part.slice(match[0].length)),
    });
  }
  return errors;
}

/** Name a field path as the form does: "questions[1].choices[0]" is "Question 2, Choice 1". */
export function labelOf(path) {
  const words = [];
  const steps = path.match(/\w+|\[\d+\]/g) || [];
  let previous = null;
  for (const step of steps) {
    const index = /^\[(\d+)\]$/.exec(step);
    if (index) {
      const number = Number(index[1]) + 1;
      if (previous === "questions") {
        words.push(`Question ${number}`);
      } else if (ENTRY_LABELS[previous]) {
        // The entry replaces the list's own label: "Choice 2", not "Choices, choice 2".
        words[words.length - 1] = `${ENTRY_LABELS[previous]} ${number}`;
      } else {
        words.push(`entry ${number}`);
      }
    } else if (step === "questions") {
      words.push("Questions");
    } else if (step !== "body") {
      words.push(FIELD_LABELS[step] || step);
    }
    previous = step;
  }
  // "Questions, Question 2" names the question alone.
  if (words[0] === "Questions" && words.length > 1) {
    words.shift();
  }
  return words.join(", ") || "The quiz";
}

/**
 * Reword one error's message: pydantic's wording in plain words, and the 0-based numbers and
 * field names of validator messages as the form shows them.
 */
export function reword(message) {
  for (const [pattern, build] of REWORDINGS) {
    const match = pattern.exec(message);
    if (match) {
      return build(...match.slice(1));
    }
  }
  return message
    .replace(/\b(choices|items|accepted answers) (\d+) and (\d+)\b/g, (_, name, first, second) =>
      `${name} ${Number(first) + 1} and ${Number(second) + 1}`,
    )
    .replace(/\baccepted answer (\d+)\b/g, (_, index) => `accepted answer ${Number(index) + 1}`)
    .replace(/\bmax - min\b/g, "maximum minus minimum")
    .replace(/\bmin \(/g, "the minimum (")
    .replace(/\bmax \(/g, "the maximum (")
    .replace(/\bcorrect \(/g, "the right value (");
}

// A field path of the quiz format on its own, such as "choices" or "questions[2].items[0]".
const FIELD_PATH = new RegExp(
  `^(?:questions|body|${Object.keys(FIELD_LABELS).join("|")})(?:\\[\\d+\\]|\\.\\w+)*$`,
);

// The place a file format's error starts with, such as "line 3" or "row 9, column H".
const PLACE = /^(?:line|row) \d+/;

/**
 * Reword the message of an import error as the editor words its errors. A quiz error such as
 * "questions[1].choices: choices 0 and 1 are both 'a'" reads "Question 2, Choices: choices 1
 * and 2 are both 'a'". A file format's error keeps its place, such as "line 3:", and has its
 * field path and validator message reworded the same way.
 */
export function rewordImportError(detail) {
  const errors = parseQuizErrors(detail);
  if (errors.length > 0) {
    return errors.map(({ label, message }) => `${label}: ${message}`).join("; ");
  }
  return String(detail).split("; ").map(rewordFormatError).join("; ");
}

function rewordFormatError(part) {
  const pieces = part.split(": ");
  const place = [];
  while (pieces.length > 1 && (PLACE.test(pieces[0]) || FIELD_PATH.test(pieces[0]))) {
    const piece = pieces.shift();
    place.push(FIELD_PATH.test(piece) ? labelOf(piece) : piece);
  }
  return [...place, reword(pieces.join(": "))].join(": ");
}
