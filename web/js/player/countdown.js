// The countdown of an open question. It runs from the server's remaining_ms, taken when the
// frame arrives, on the browser's monotonic clock: a phone whose clock is minutes off still
// shows the time the server will accept answers for.

import { el } from "../lib/dom.js";

const TICK_MS = 200;

export class Countdown {
  /** `onExpire()` runs once each time a running countdown reaches zero. */
  constructor(onExpire = () => {}) {
    this.onExpire = onExpire;
    // Whether the countdown ran to zero since the last run(): the time is up by this page's
    // clock, although the server closes the question only at its own deadline.
    this.expired = false;
    this.seconds = el("span", { class: "seconds", text: "" });
    this.bar = el("progress", { max: 1, value: 1, attrs: { "aria-hidden": "true" } });
    this.node = el(
      "div",
      { class: "countdown", attrs: { role: "timer", "aria-label": "Time left" } },
      this.seconds,
      this.bar,
    );
    this.deadline = 0;
    this.limitMs = 1;
    this.timer = null;
    this.shown = null;
  }

  /** Run from `remainingMs` of a question whose whole time is `limitMs`. */
  run(remainingMs, limitMs) {
    this.limitMs = Math.max(limitMs || remainingMs || 1, 1);
    this.deadline = performance.now() + Math.max(remainingMs, 0);
    this.node.dataset.paused = "false";
    this.expired = false;
    this.stopTicking();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.tick();
  }

  /** Freeze at `remainingMs`, as the server does while the game is paused. */
  pause(remainingMs, limitMs) {
    this.stopTicking();
    this.expired = false;
    this.limitMs = Math.max(limitMs || this.limitMs, 1);
    this.node.dataset.paused = "true";
    this.show(Math.max(remainingMs, 0));
  }

  /** Stop at zero, when the question has closed. */
  finish() {
    this.stopTicking();
    this.show(0);
  }

  stopTicking() {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  get remainingMs() {
    return Math.max(this.deadline - performance.now(), 0);
  }

  tick() {
    const remaining = this.remainingMs;
    this.show(remaining);
    if (remaining <= 0 && this.timer !== null) {
      this.stopTicking();
      this.expired = true;
      this.onExpire();
    }
  }

  show(remainingMs) {
    const seconds = Math.ceil(remainingMs / 1000);
    if (seconds !== this.shown) {
      this.shown = seconds;
      this.seconds.textContent = String(seconds);
      this.node.setAttribute("aria-label", `${seconds} seconds left`);
    }
    this.bar.value = Math.min(remainingMs / this.limitMs, 1);
  }
}
