// The open question's countdown. It follows the server's deadline through the frame's
// remaining_ms, taken against this page's monotonic clock when the frame arrives, so a
// host computer whose wall clock is off still counts down right.

import { el, setText } from "../lib/dom.js";

export class Countdown {
  constructor() {
    this.seconds = el("span", { class: "seconds", attrs: { "aria-hidden": "true" } });
    this.bar = el("progress", { max: 1, value: 1, attrs: { "aria-hidden": "true" } });
    // Read out every ten seconds rather than every tick.
    this.spoken = el("span", { class: "visually-hidden", attrs: { "aria-live": "polite" } });
    this.node = el("div", { class: "countdown" }, this.seconds, this.bar, this.spoken);
    this.timer = null;
    this.lastSpoken = null;
  }

  /** Count down `remainingMs` of a question whose whole limit is `limitMs`. */
  start(remainingMs, limitMs) {
    this.stop();
    this.limitMs = Math.max(limitMs || remainingMs, 1);
    this.endsAt = performance.now() + remainingMs;
    this.node.dataset.paused = "false";
    this.tick();
    this.timer = setInterval(() => this.tick(), 200);
  }

  /** Freeze the countdown at `remainingMs`, as a paused game keeps its time left. */
  pause(remainingMs, limitMs) {
    this.stop();
    this.limitMs = Math.max(limitMs || remainingMs, 1);
    this.node.dataset.paused = "true";
    this.draw(remainingMs);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  tick() {
    const left = Math.max(0, this.endsAt - performance.now());
    this.draw(left);
    if (left === 0) {
      this.stop();
    }
  }

  draw(leftMs) {
    const seconds = Math.ceil(leftMs / 1000);
    setText(this.seconds, seconds);
    this.bar.value = Math.min(1, leftMs / this.limitMs);
    if (seconds % 10 === 0 && seconds !== this.lastSpoken) {
      this.lastSpoken = seconds;
      setText(this.spoken, `${seconds} seconds left`);
    }
  }
}
