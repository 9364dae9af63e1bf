// WebSocket client of a game: connects with ?token=, sends {"action": ...} messages, and
// reconnects by itself with exponential backoff after a drop, sending {"action": "sync"} on
// every (re)connection so that the page can resume from the game's state.
//
// Events (CustomEvent, the payload in `detail`):
//   "frame"   every frame kept: pushed frames in `seq` order, and replies to our messages
//   "status"  {state, attempt, delayMs, failures}: state is "connecting", "open",
//             "reconnecting" or "closed"; failures counts the attempts in a row that never
//             opened (a browser cannot see why a handshake was refused: a bad token, a
//             kicked player and a network failure look the same)

const DEFAULT_BASE_DELAY_MS = 500;
const DEFAULT_MAX_DELAY_MS = 10_000;
// Messages sent while disconnected wait for the next connection, up to this many.
const MAX_QUEUED = 20;
// Replies to sync dropped as older than a pushed frame, in a row, before one is kept anyway:
// the functions that stamp the two run on different machines, whose clocks may differ.
const MAX_STALE_STATES = 3;

export class GameSocket extends EventTarget {
  constructor(wsUrl, token, options = {}) {
    super();
    this.url = `${wsUrl}?token=${encodeURIComponent(token)}`;
    this.baseDelayMs = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
    this.maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    this.socket = null;
    this.attempt = 0;
    this.failures = 0;
    this.lastSeq = 0;
    // The server time of the newest pushed frame kept, and the stale replies to sync in a row.
    this.lastSentAtMs = 0;
    this.staleStates = 0;
    this.queue = [];
    this.stopped = false;
    this.timer = null;
    this.onOnline = () => this.reconnectNow();
    this.onVisible = () => {
      if (document.visibilityState === "visible") {
        this.reconnectNow();
      }
    };
  }

  /** Open the connection; from now on it reconnects until close() is called. */
  start() {
    this.stopped = false;
    window.addEventListener("online", this.onOnline);
    document.addEventListener("visibilitychange", this.onVisible);
    this.open();
    return this;
  }

  /** Whether the connection is open now. */
  get isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  /**
   * Send one message, such as {action: "answer", question: 0, choice: 1}. While the
   * connection is down it waits and goes out right after the next sync; returns whether it
   * went out at once.
   */
  send(message) {
    if (this.isOpen) {
      this.socket.send(JSON.stringify(message));
      return true;
    }
    if (this.queue.length >= MAX_QUEUED) {
      this.queue.shift();
    }
    this.queue.push(message);
    return false;
  }

  /** Close for good: no more reconnects. */
  close() {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    document.removeEventListener("visibilitychange", this.onVisible);
    clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
    if (this.socket !== null) {
      const socket = this.socket;
      this.socket = null;
      socket.close(1000, "closed by the page");
    }
    this.emitStatus("closed");
  }

  /** Skip the remaining backoff delay, for example when the browser is back online. */
  reconnectNow() {
    if (this.stopped || this.socket !== null) {
      return;
    }
    clearTimeout(this.timer);
    this.timer = null;
    this.open();
  }

  open() {
    this.emitStatus(this.attempt === 0 ? "connecting" : "reconnecting");
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      this.attempt = 0;
      this.failures = 0;
      this.emitStatus("open");
      socket.send(JSON.stringify({ action: "sync" }));
      const waiting = this.queue;
      this.queue = [];
      for (const message of waiting) {
        socket.send(JSON.stringify(message));
      }
    });
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", () => {
      if (this.socket !== socket) {
        return;
      }
      this.socket = null;
      if (!opened) {
        this.failures += 1;
      }
      if (!this.stopped) {
        this.scheduleReconnect();
      }
    });
  }

  scheduleReconnect() {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** this.attempt);
    // A random delay between half and all of the ceiling, so a crowd of players that lost the
    // same network does not reconnect in step.
    const delayMs = Math.round(ceiling * (0.5 + Math.random() * 0.5));
    this.attempt += 1;
    this.emitStatus("reconnecting", delayMs);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.open();
    }, delayMs);
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      console.warn("livequiz: ignored a frame that is not JSON", data);
      return;
    }
    if (frame === null || typeof frame !== "object") {
      return;
    }
    // Pushed frames carry seq; one that arrives after a newer one is out of date.
    if (typeof frame.seq === "number") {
      if (frame.seq <= this.lastSeq) {
        return;
      }
      this.lastSeq = frame.seq;
      if (typeof frame.sent_at_ms === "number") {
        this.lastSentAtMs = Math.max(this.lastSentAtMs, frame.sent_at_ms);
      }
    } else if (frame.type === "state" && typeof frame.server_ms === "number") {
      // The reply to sync and the pushed frames travel apart, so a reply can arrive after a
      // frame sent later, such as the first question after a lobby reply, and would take the
      // page back. Such a reply is dropped and the state asked for again.
      if (frame.server_ms < this.lastSentAtMs && this.staleStates < MAX_STALE_STATES) {
        this.staleStates += 1;
        this.send({ action: "sync" });
        return;
      }
      this.staleStates = 0;
    }
    this.dispatchEvent(new CustomEvent("frame", { detail: frame }));
  }

  emitStatus(state, delayMs = 0) {
    const detail = { state, attempt: this.attempt, delayMs, failures: this.failures };
    this.dispatchEvent(new CustomEvent("status", { detail }));
  }
}
