// The lobby: the PIN, the join link and its QR code, and the players as they join, each
// with a kick button. The players list is also the panel the host opens during the game.

import { gamePlayers, joinQrDataUrl } from "../lib/api.js";
import { el, replace, setText } from "../lib/dom.js";
import { countOf } from "./words.js";

// No frame announces a join to the host, so the page reads the list again this often.
export const PLAYERS_POLL_MS = 2000;

/** Return the web app's address, under which the player page is /play. */
export function webAppUrl() {
  return new URL("./", window.location.href).href.replace(/\/$/, "");
}

export function joinLink(pin) {
  return `${webAppUrl()}/play?pin=${encodeURIComponent(pin)}`;
}

/**
 * The list of players with kick buttons, read from GET /games/{id}/players while started.
 * onKick(player) sends the kick; onChange(players, locked) reports every new reading, with
 * locked null when a lock or unlock went out while the reading was under way, since the
 * reading may then be older than the game's state.
 */
export class PlayersList {
  constructor(app, game, { onKick, onChange }) {
    this.app = app;
    this.game = game;
    this.onKick = onKick;
    this.onChange = onChange;
    this.players = [];
    this.timer = null;
    this.failed = false;
    this.count = el("p", { class: "player-count", attrs: { "aria-live": "polite" } });
    this.list = el("ul", { class: "players" });
    this.node = el("div", { class: "players-panel" }, this.count, this.list);
    this.drawn = "";
    this.lockVersion = 0;
  }

  /** Mark readings under way as stale for the lock state: a lock or unlock went out or came back. */
  lockChanged() {
    this.lockVersion += 1;
  }

  start() {
    if (this.timer === null) {
      this.refresh();
      this.timer = setInterval(() => this.refresh(), PLAYERS_POLL_MS);
    }
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  async refresh() {
    try {
      const version = this.lockVersion;
      const reply = await gamePlayers(this.game.gameId, this.app.login.token);
      this.failed = false;
      this.players = reply.players;
      this.draw();
      this.onChange(reply.players, version === this.lockVersion ? reply.locked : null);
    } catch (error) {
      // Report a failure once until a reading succeeds again, rather than every poll.
      if (!this.failed) {
        this.failed = true;
        this.app.fail(error);
      }
    }
  }

  draw() {
    const online = this.players.filter((player) => player.online).length;
    const total = this.players.length;
    setText(
      this.count,
      total === 0
        ? "No one has joined yet. Share the PIN or the join link."
        : `${countOf(total, "player")} joined, ${online} connected`,
    );
    // Redraw only when the list changed, so a kick button keeps its focus between polls.
    const key = JSON.stringify(this.players.map((p) => [p.player_id, p.online]));
    if (key === this.drawn) {
      return;
    }
    this.drawn = key;
    replace(
      this.list,
      ...this.players.map((player) =>
        el(
          "li",
          { class: ["player", player.online ? "online" : "offline"], dataset: { playerId: player.player_id } },
          el("span", {
            class: "presence",
            attrs: { "aria-label": player.online ? "connected" : "not connected" },
          }),
          el("span", { class: "nickname", text: player.nickname }),
          el("button", {
            type: "button",
            class: "small secondary kick",
            text: "Kick",
            attrs: { "aria-label": `Kick ${player.nickname}` },
            on: { click: () => this.onKick(player) },
          }),
        ),
      ),
    );
  }
}

/** Build the lobby's join panel: PIN, link and QR code. */
export function joinPanel(app, game) {
  const link = joinLink(game.pin);
  const qr = el("img", {
    class: "qr",
    alt: `QR code of the join link ${link}`,
    width: 240,
    height: 240,
  });
  joinQrDataUrl(game.gameId, webAppUrl(), app.login.token)
    .then((url) => {
      qr.src = url;
    })
    .catch((error) => {
      qr.replaceWith(el("p", { class: "muted", text: "The QR code could not be loaded; share the link instead." }));
      app.fail(error);
    });
  return el(
    "div",
    { class: "join-panel" },
    el(
      "div",
      { class: "join-text" },
      el("p", { class: "join-how", text: "Join on your phone at" }),
      el("p", { class: "join-link" }, el("a", { href: link, text: link, target: "_blank", rel: "noopener" })),
      el("p", { class: "join-how", text: "with the game PIN" }),
      el("p", { class: "pin", text: game.pin.replace(/(\d{3})(\d{3})/, "$1 $2"), attrs: { "aria-label": `PIN ${game.pin.split("").join(" ")}` } }),
    ),
    qr,
  );
}
