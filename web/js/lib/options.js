// A colour and a shape per option index, so that options stay apart without colour vision.
// The colours are from the Okabe-Ito palette, chosen to stay distinct under the common forms
// of colour blindness. `ink` is the text colour, with a contrast of at least 4.5:1 on each.

import { svg } from "./dom.js";

export const OPTION_STYLES = Object.freeze([
  { name: "blue triangle", colour: "#0072B2", ink: "#ffffff", shape: "triangle" },
  { name: "orange diamond", colour: "#E69F00", ink: "#000000", shape: "diamond" },
  { name: "green circle", colour: "#009E73", ink: "#000000", shape: "circle" },
  { name: "pink square", colour: "#CC79A7", ink: "#000000", shape: "square" },
  { name: "sky blue star", colour: "#56B4E9", ink: "#000000", shape: "star" },
  { name: "red hexagon", colour: "#D55E00", ink: "#000000", shape: "hexagon" },
]);

// Outlines in a 24 x 24 box.
const SHAPES = {
  triangle: () => svg("polygon", { points: "12,2 23,21 1,21" }),
  diamond: () => svg("polygon", { points: "12,1 23,12 12,23 1,12" }),
  circle: () => svg("circle", { cx: 12, cy: 12, r: 10.5 }),
  square: () => svg("rect", { x: 2, y: 2, width: 20, height: 20 }),
  star: () =>
    svg("polygon", {
      points: "12,1 14.9,8.6 23,9 16.7,14.1 18.8,22 12,17.6 5.2,22 7.3,14.1 1,9 9.1,8.6",
    }),
  hexagon: () => svg("polygon", { points: "6.5,2 17.5,2 23,12 17.5,22 6.5,22 1,12" }),
};

/** Return the style of option `index`; indexes past the palette wrap around. */
export function optionStyle(index) {
  return OPTION_STYLES[index % OPTION_STYLES.length];
}

/** Build the option's shape as an SVG icon, filled with `fill` (default: the text colour). */
export function optionShape(index, fill = "currentColor") {
  const style = optionStyle(index);
  const icon = svg(
    "svg",
    { viewBox: "0 0 24 24", class: "option-shape", "aria-hidden": "true", focusable: "false" },
    SHAPES[style.shape](),
  );
  icon.setAttribute("fill", fill);
  icon.dataset.shape = style.shape;
  return icon;
}

/** Colour `node` as option `index`, through the CSS variables that app.css reads. */
export function paintOption(node, index) {
  const style = optionStyle(index);
  node.style.setProperty("--option-colour", style.colour);
  node.style.setProperty("--option-ink", style.ink);
  node.dataset.option = String(index);
  return node;
}
