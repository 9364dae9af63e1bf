// The quiz editor's model: one plain object per question that keeps the fields of every type,
// so that switching a question's type in the editor loses nothing typed so far. toQuizJson
// picks the fields the chosen type takes in the REST API's quiz format.

export const QUESTION_TYPES = [
  ["single", "Single choice"],
  ["true_false", "True or false"],
  ["multiple", "Multiple select"],
  ["type_answer", "Type answer"],
  ["slider", "Slider"],
  ["ordering", "Ordering"],
  ["poll", "Poll"],
];

export const TYPE_LABELS = Object.fromEntries(QUESTION_TYPES);

// Limits of the quiz format, checked again by the API.
export const MIN_CHOICES = 2;
export const MAX_CHOICES = 6;
export const MAX_ACCEPTED = 10;
export const MIN_TIME_LIMIT_S = 5;
export const MAX_TIME_LIMIT_S = 240;
export const DEFAULT_TIME_LIMIT_S = 20;

/** Make an editor question of `type` with empty fields. */
export function blankQuestion(type = "single") {
  return {
    type,
    text: "",
    time_limit: String(DEFAULT_TIME_LIMIT_S),
    points: type === "poll" ? "0" : "1",
    image_url: "",
    explanation: "",
    category: "",
    choices: ["", "", "", ""],
    // Indexes into choices: one for single, any number for multiple.
    correctChoice: 0,
    correctChoices: [],
    trueFalse: true,
    accepted: [""],
    // Slider fields are kept as typed, so that "0.1" stays the decimal the author wrote.
    min: "0",
    max: "10",
    step: "1",
    sliderCorrect: "",
    tolerance: "0",
    items: ["", "", ""],
    scoring: "exact",
  };
}

/** Make an editor question from a question as GET /quizzes/{id} returns it to its owner. */
export function fromQuizJson(question) {
  const type = question.type || "single";
  const model = blankQuestion(type);
  model.text = question.text ?? "";
  model.time_limit = String(question.time_limit ?? DEFAULT_TIME_LIMIT_S);
  model.points = String(question.points ?? 1);
  model.image_url = question.image_url ?? "";
  model.explanation = question.explanation ?? "";
  model.category = question.category ?? "";
  if (question.scoring) {
    model.scoring = question.scoring;
  }
  if (type === "single" || type === "multiple" || type === "poll") {
    model.choices = [...question.choices];
  }
  if (type === "single") {
    model.correctChoice = question.correct;
  } else if (type === "multiple") {
    model.correctChoices = [...question.correct];
  } else if (type === "true_false") {
    model.trueFalse = question.correct === true;
  } else if (type === "type_answer") {
    model.accepted = [...question.accepted];
  } else if (type === "slider") {
    model.min = String(question.min);
    model.max = String(question.max);
    model.step = String(question.step);
    model.sliderCorrect = String(question.correct);
    model.tolerance = String(question.tolerance ?? 0);
  } else if (type === "ordering") {
    model.items = [...question.items];
  }
  return model;
}

/**
 * Convert a number field as typed. An empty field is left out so that the API names it as
 * missing, and text that is no number is sent as it is, so that the API's message names it.
 */
function number(text) {
  const trimmed = String(text).trim();
  if (trimmed === "") {
    return undefined;
  }
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : trimmed;
}

function optionalText(text) {
  const trimmed = String(text).trim();
  return trimmed === "" ? undefined : trimmed;
}

/** Convert one editor question to the quiz format's JSON. */
export function toQuestionJson(model) {
  const json = {
    type: model.type,
    text: model.text.trim(),
    time_limit: number(model.time_limit),
    points: number(model.points),
    image_url: optionalText(model.image_url),
    explanation: optionalText(model.explanation),
    category: optionalText(model.category),
  };
  switch (model.type) {
    case "single":
      json.choices = model.choices.map((choice) => choice.trim());
      json.correct = model.correctChoice;
      break;
    case "true_false":
      json.correct = model.trueFalse;
      break;
    case "multiple":
      json.choices = model.choices.map((choice) => choice.trim());
      json.correct = [...model.correctChoices].sort((a, b) => a - b);
      json.scoring = model.scoring;
      break;
    case "type_answer":
      json.accepted = model.accepted.map((answer) => answer.trim()).filter(Boolean);
      break;
    case "slider":
      json.min = number(model.min);
      json.max = number(model.max);
      json.step = number(model.step);
      json.correct = number(model.sliderCorrect);
      json.tolerance = number(model.tolerance);
      break;
    case "ordering":
      json.items = model.items.map((item) => item.trim());
      json.scoring = model.scoring;
      break;
    case "poll":
      json.choices = model.choices.map((choice) => choice.trim());
      json.points = 0;
      break;
    default:
      throw new Error(`unknown question type ${model.type}`);
  }
  for (const [key, value] of Object.entries(json)) {
    if (value === undefined) {
      delete json[key];
    }
  }
  return json;
}

/** Convert the editor's quiz to the body of POST /quizzes and PUT /quizzes/{id}. */
export function toQuizJson(title, description, questions) {
  const quiz = { title: title.trim(), questions: questions.map(toQuestionJson) };
  const about = description.trim();
  if (about !== "") {
    quiz.description = about;
  }
  return quiz;
}

/** Remove choice `index` of a question and keep its right answers pointing at the same text. */
export function removeChoice(model, index) {
  model.choices.splice(index, 1);
  if (model.correctChoice === index) {
    model.correctChoice = 0;
  } else if (model.correctChoice > index) {
    model.correctChoice -= 1;
  }
  model.correctChoices = model.correctChoices
    .filter((choice) => choice !== index)
    .map((choice) => (choice > index ? choice - 1 : choice));
}

/** Swap two entries of a list, used to move ordering items and questions up and down. */
export function swap(list, first, second) {
  if (second < 0 || second >= list.length) {
    return false;
  }
  [list[first], list[second]] = [list[second], list[first]];
  return true;
}
