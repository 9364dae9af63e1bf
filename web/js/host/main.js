// The host page: log in, manage quizzes, start a game and run it. Each screen is a function
// that draws into <main id="view">; `app` carries what they share.

import { useHostErrorMessages } from "../lib/api.js";
import { el, replace, setText } from "../lib/dom.js";
import { showLogin } from "./auth-screen.js";
import { showGame } from "./game-screen.js";
import { showImport } from "./import-screen.js";
import { showLibrary } from "./library-screen.js";
import { showEditor } from "./editor-screen.js";
import { showStart } from "./start-screen.js";
import { clearGame, clearLogin, currentGame, currentLogin } from "./session.js";

useHostErrorMessages();

// How long a confirmation such as "Saved ..." stays above the screen.
const OK_NOTICE_MS = 6000;

// Codes after which the access token is no use: the host has to log in again.
const LOGIN_CODES = new Set(["invalid_token", "expired_token", "missing_token"]);

const view = document.getElementById("view");
const notice = document.getElementById("notice");
const who = document.getElementById("who");
const logoutButton = document.getElementById("logout");

const app = {
  view,
  login: currentLogin(),
  stopScreen: null,
  noticeTimer: null,

  /** Show a message above the screen; kind is "error", "warn" or "ok". */
  notify(message, kind = "error") {
    notice.className = `notice ${kind}`;
    setText(notice, message);
    clearTimeout(this.noticeTimer);
    if (message && kind === "error") {
      notice.scrollIntoView({ block: "nearest" });
    } else if (message && kind === "ok") {
      // A confirmation has done its work once read; errors and warnings stay until replaced.
      this.noticeTimer = setTimeout(() => this.clearNotice(), OK_NOTICE_MS);
    }
  },

  clearNotice() {
    setText(notice, "");
  },

  /**
   * Show an error of the API in plain words; an expired or invalid login takes the host
   * back to the login form.
   */
  fail(error) {
    if (LOGIN_CODES.has(error.code)) {
      this.logout(error.message);
      return;
    }
    this.notify(error.message || String(error));
    console.error("livequiz host:", error);
  },

  /** Replace the current screen, stopping its timers and connections first. */
  show(screen, ...args) {
    if (this.stopScreen) {
      this.stopScreen();
      this.stopScreen = null;
    }
    this.clearNotice();
    replace(view);
    const screens = {
      login: showLogin,
      library: showLibrary,
      editor: showEditor,
      import: showImport,
      start: showStart,
      game: showGame,
    };
    if (screen !== "login" && !currentLogin()) {
      this.login = null;
      showLogin(this, "Log in to host a game.");
    } else {
      const stop = screens[screen](this, ...args);
      this.stopScreen = typeof stop === "function" ? stop : null;
    }
    this.drawAccount();
    // A new screen starts at its top, not at the scroll position of the one before it.
    window.scrollTo(0, 0);
    const heading = view.querySelector("h1, h2");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  },

  loggedIn(login) {
    this.login = login;
    this.show("library");
  },

  logout(message = "") {
    clearLogin();
    clearGame();
    this.login = null;
    this.show("login");
    if (message) {
      this.notify(message, "warn");
    }
  },

  /** Show who is logged in: the display name, or the e-mail address until the name is known. */
  drawAccount() {
    const login = currentLogin();
    logoutButton.hidden = !login;
    const account = login
      ? el("span", { class: "muted", text: login.displayName || login.email, attrs: { title: login.email } })
      : null;
    replace(who, account);
  },
};

logoutButton.addEventListener("click", () => app.logout());

if (!app.login) {
  app.show("login");
} else if (currentGame()) {
  app.show("game", currentGame());
} else {
  app.show("library");
}
