// Answer inputs, one kind per question type. Each builder takes the question's public view
// (livequiz.questions.public_view) and `submit(fields)`, which sends the answer message's
// fields: {choice}, {choices}, {text}, {value} or {order}.
//
// Every builder returns {node, onKey(event), disable(), focus()}. onKey handles the number
// keys 1 to 6 and returns whether it used the key.

import { el } from "../lib/dom.js";
import { decimals, formatDecimal, snapToStep } from "../lib/numbers.js";
import { optionShape, paintOption } from "../lib/options.js";

/** Build the answer input of a question view. */
export function answerInput(view, submit) {
  switch (view.type) {
    case "multiple":
      return multipleInput(view, submit);
    case "type_answer":
      return typedInput(submit);
    case "slider":
      return sliderInput(view, submit);
    case "ordering":
      return orderingInput(view, submit);
    default:
      // single, true_false and poll: one choice, sent at once.
      return choiceInput(view, submit);
  }
}

function optionButton(index, text, onClick) {
  const button = el(
    "button",
    {
      type: "button",
      class: "option",
      on: { click: onClick },
      attrs: { "aria-keyshortcuts": index < 9 ? String(index + 1) : null },
    },
    optionShape(index),
    el("span", { class: "label", text }),
    index < 9 ? el("span", { class: "key", text: String(index + 1), attrs: { "aria-hidden": "true" } }) : null,
  );
  return paintOption(button, index);
}

/**
 * Build the hint that number keys pick options too. CSS shows it only where a keyboard is
 * likely, a screen with a fine pointer that can hover, and not on touch phones.
 */
function keysHint(count, verb) {
  const keys = count === 2 ? "Keys 1 and 2" : `Keys 1 to ${count}`;
  return el("span", { class: "key-hint", text: ` ${keys} ${verb} too.` });
}

function hasModifier(event) {
  return event.altKey || event.ctrlKey || event.metaKey;
}

/** Return the option index of a number key 1 to 9, or -1. */
function keyIndex(event) {
  if (hasModifier(event)) {
    return -1;
  }
  return /^[1-9]$/.test(event.key) ? Number(event.key) - 1 : -1;
}

function choiceInput(view, submit) {
  const choices = view.choices || [];
  let sent = false;
  const choose = (index) => {
    if (sent) {
      return;
    }
    sent = true;
    buttons.forEach((button, other) => {
      button.disabled = true;
      button.setAttribute("aria-pressed", String(other === index));
    });
    submit({ choice: index });
  };
  const buttons = choices.map((text, index) => optionButton(index, text, () => choose(index)));
  const hint = view.type === "poll" ? "Pick one. A poll has no right answer." : "Pick one.";
  const node = el(
    "div",
    { class: "stack" },
    el("p", { class: "muted" }, hint, keysHint(choices.length, "choose")),
    el("div", { class: "options", attrs: { role: "group", "aria-label": "Choices" } }, buttons),
  );
  return {
    node,
    onKey(event) {
      const index = keyIndex(event);
      if (index < 0 || index >= buttons.length || sent) {
        return false;
      }
      buttons[index].focus();
      choose(index);
      return true;
    },
    disable() {
      sent = true;
      buttons.forEach((button) => {
        button.disabled = true;
      });
    },
    focus() {
      buttons[0]?.focus();
    },
  };
}

function multipleInput(view, submit) {
  const choices = view.choices || [];
  const picked = new Set();
  const send = el("button", { type: "submit", class: "wide", text: "Submit answer", disabled: true });
  const toggle = (index) => {
    if (picked.has(index)) {
      picked.delete(index);
    } else {
      picked.add(index);
    }
    buttons[index].setAttribute("aria-pressed", String(picked.has(index)));
    send.disabled = picked.size === 0;
  };
  const buttons = choices.map((text, index) => {
    const button = optionButton(index, text, () => toggle(index));
    button.setAttribute("aria-pressed", "false");
    return button;
  });
  let sent = false;
  const form = el(
    "form",
    {
      class: "stack",
      on: {
        submit: (event) => {
          event.preventDefault();
          if (picked.size > 0 && !sent) {
            disable();
            submit({ choices: [...picked].sort((a, b) => a - b) });
          }
        },
      },
    },
    el(
      "p",
      { class: "muted" },
      "Pick every right answer, then submit.",
      keysHint(choices.length, "pick"),
      el("span", { class: "key-hint", text: " Enter submits." }),
    ),
    el("div", { class: "options", attrs: { role: "group", "aria-label": "Choices" } }, buttons),
    send,
  );
  const disable = () => {
    sent = true;
    buttons.forEach((button) => {
      button.disabled = true;
    });
    send.disabled = true;
  };
  return {
    node: form,
    onKey(event) {
      // A number key moves the focus onto its option, where Enter would toggle that option
      // again, so Enter submits the picks from anywhere but the submit button, which submits
      // by itself. Space still toggles the focused option.
      if (event.key === "Enter" && event.target !== send && !hasModifier(event)) {
        if (picked.size === 0 || sent) {
          return false;
        }
        form.requestSubmit(send);
        return true;
      }
      const index = keyIndex(event);
      if (index < 0 || index >= buttons.length || buttons[index].disabled) {
        return false;
      }
      buttons[index].focus();
      toggle(index);
      return true;
    },
    disable,
    focus() {
      buttons[0]?.focus();
    },
  };
}

function typedInput(submit) {
  const input = el("input", {
    type: "text",
    id: "typed-answer",
    autocomplete: "off",
    maxLength: 400,
    attrs: { autocapitalize: "off", spellcheck: "false", enterkeyhint: "send" },
  });
  const send = el("button", { type: "submit", class: "wide", text: "Submit answer" });
  const error = el("p", { class: "notice error", attrs: { role: "alert" } });
  const form = el(
    "form",
    {
      class: "stack",
      on: {
        submit: (event) => {
          event.preventDefault();
          const text = input.value.trim();
          if (!text) {
            error.textContent = "Type an answer first.";
            input.focus();
            return;
          }
          error.textContent = "";
          input.disabled = true;
          send.disabled = true;
          submit({ text });
        },
      },
    },
    el("label", { htmlFor: "typed-answer", text: "Your answer" }),
    input,
    error,
    send,
  );
  return {
    node: form,
    onKey: () => false,
    disable() {
      input.disabled = true;
      send.disabled = true;
    },
    focus() {
      input.focus();
    },
  };
}

function sliderInput(view, submit) {
  const min = Number(view.min);
  const max = Number(view.max);
  const step = Number(view.step) || 1;
  const places = Math.max(decimals(min), decimals(step));
  // The nearest position on a step, halves rounded up, as the server snaps a value.
  const snap = (value) => snapToStep(value, view);
  // Start in the middle, on a step.
  const start = snap(min + (max - min) / 2);
  const range = el("input", {
    type: "range",
    id: "slider-range",
    min: String(min),
    max: String(max),
    step: String(step),
    value: String(start),
  });
  // step "any": the browser takes any number in range, and the page snaps it to a step.
  const number = el("input", {
    type: "number",
    id: "slider-number",
    min: String(min),
    max: String(max),
    step: "any",
    value: String(start),
    attrs: { inputmode: places > 0 ? "decimal" : "numeric", "aria-describedby": "slider-snap" },
  });
  const shown = (value) => formatDecimal(value, places);
  const readout = el("output", { class: "slider-value", htmlFor: "slider-range", text: shown(start) });
  const snapNote = el("p", { class: "muted", id: "slider-snap", attrs: { "aria-live": "polite" } });

  range.addEventListener("input", () => {
    number.value = range.value;
    readout.textContent = shown(range.value);
    snapNote.textContent = "";
  });
  number.addEventListener("input", () => {
    const typed = Number(number.value);
    if (number.value === "" || !Number.isFinite(typed) || typed < min || typed > max) {
      snapNote.textContent = "";
      return;
    }
    const snapped = snap(typed);
    range.value = String(snapped);
    readout.textContent = shown(snapped);
    snapNote.textContent = snapped === typed ? "" : `${number.value} counts as ${shown(snapped)}, the nearest step.`;
  });

  const send = el("button", { type: "submit", class: "wide", text: "Submit answer" });
  const error = el("p", { class: "notice error", attrs: { role: "alert" } });
  const form = el(
    "form",
    {
      class: "stack",
      attrs: { novalidate: true },
      on: {
        submit: (event) => {
          event.preventDefault();
          const value = Number(number.value);
          if (number.value === "" || !Number.isFinite(value) || value < min || value > max) {
            error.textContent = `Choose a number from ${shown(min)} to ${shown(max)}.`;
            number.focus();
            return;
          }
          error.textContent = "";
          range.disabled = true;
          number.disabled = true;
          send.disabled = true;
          submit({ value: snap(value) });
        },
      },
    },
    readout,
    el("label", { htmlFor: "slider-range", class: "visually-hidden", text: "Slider" }),
    range,
    el("div", { class: "row muted" }, el("span", { text: shown(min) }), el("span", { text: "to" }), el("span", { text: shown(max) })),
    el("label", { htmlFor: "slider-number", text: "Or type the number" }),
    number,
    snapNote,
    error,
    send,
  );
  return {
    node: form,
    onKey: () => false,
    disable() {
      range.disabled = true;
      number.disabled = true;
      send.disabled = true;
    },
    focus() {
      range.focus();
    },
  };
}

function orderingInput(view, submit) {
  const items = view.items || [];
  // order[place] is the position of an item in the list as shown.
  const order = items.map((_, index) => index);
  const list = el("ol", { class: "ordering", attrs: { "aria-label": "Your order, first place first" } });
  const status = el("p", { class: "visually-hidden", attrs: { role: "status" } });
  let disabled = false;

  const move = (place, offset) => {
    const target = place + offset;
    if (disabled || target < 0 || target >= order.length) {
      return;
    }
    [order[place], order[target]] = [order[target], order[place]];
    render();
    status.textContent = `${items[order[target]]} is now number ${target + 1}.`;
    // Keep the focus on the same button of the moved item, or on its other button at an end.
    const row = list.children[target];
    const same = row.querySelector(offset < 0 ? ".up" : ".down");
    const other = row.querySelector(offset < 0 ? ".down" : ".up");
    if (same.disabled) {
      other.focus();
    } else {
      same.focus();
    }
  };

  const render = () => {
    list.replaceChildren(
      ...order.map((position, place) => {
        const text = items[position];
        return el(
          "li",
          {},
          el("span", { class: "place", text: `${place + 1}.` }),
          el("span", { class: "label", text }),
          el("button", {
            type: "button",
            class: "secondary up",
            text: "\u2191",
            disabled: disabled || place === 0,
            attrs: { "aria-label": `Move ${text} up` },
            on: { click: () => move(place, -1) },
          }),
          el("button", {
            type: "button",
            class: "secondary down",
            text: "\u2193",
            disabled: disabled || place === order.length - 1,
            attrs: { "aria-label": `Move ${text} down` },
            on: { click: () => move(place, 1) },
          }),
        );
      }),
    );
  };
  render();

  const send = el("button", { type: "submit", class: "wide", text: "Submit order" });
  const form = el(
    "form",
    {
      class: "stack",
      on: {
        submit: (event) => {
          event.preventDefault();
          disable();
          submit({ order: [...order] });
        },
      },
    },
    el("p", { class: "muted", text: "Put the items in order, first place at the top, then submit." }),
    list,
    status,
    send,
  );
  const disable = () => {
    disabled = true;
    send.disabled = true;
    render();
  };
  return {
    node: form,
    onKey: () => false,
    disable,
    focus() {
      list.querySelector("button:not(:disabled)")?.focus();
    },
  };
}
