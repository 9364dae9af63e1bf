// Small helpers for the host page's sentences.

/** Write a count with its noun, such as "1 question" or "3 questions". */
export function countOf(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
