// Element builders. User text always goes in through textContent, never as markup, so a
// nickname such as "<b>x</b>" shows its angle brackets.

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Create an element.
 *
 * props: `class` (string or array), `text` (set as textContent), `attrs` (attributes),
 * `dataset`, `on` (event name to listener) and any other key, which is set as a property
 * (for example `type`, `value`, `disabled`). Children are nodes or strings; strings become
 * text nodes. null, undefined and false children are skipped.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  applyProps(node, props);
  append(node, ...children);
  return node;
}

/** Create an SVG element; only attributes are set, since SVG has few writable properties. */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    node.setAttribute(name, String(value));
  }
  append(node, ...children);
  return node;
}

/** Append nodes and strings (as text nodes) to `parent`, skipping null and false. */
export function append(parent, ...children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replace every child of `parent` with `children`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, ...children);
}

/** Set a node's text, or clear it with an empty or missing value. */
export function setText(node, text) {
  node.textContent = text === null || text === undefined ? "" : String(text);
  return node;
}

function applyProps(node, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) {
      continue;
    }
    if (key === "class") {
      const names = Array.isArray(value) ? value : String(value).split(/\s+/);
      node.classList.add(...names.filter(Boolean));
    } else if (key === "text") {
      node.textContent = String(value);
    } else if (key === "attrs") {
      for (const [name, attribute] of Object.entries(value)) {
        if (attribute !== null && attribute !== undefined && attribute !== false) {
          node.setAttribute(name, attribute === true ? "" : String(attribute));
        }
      }
    } else if (key === "dataset") {
      Object.assign(node.dataset, value);
    } else if (key === "on") {
      for (const [event, listener] of Object.entries(value)) {
        node.addEventListener(event, listener);
      }
    } else if (key === "innerHTML" || key === "outerHTML") {
      throw new Error(`el() never sets ${key}: pass text or child nodes`);
    } else {
      node[key] = value;
    }
  }
}
