// The player's seat in a game, kept in localStorage so that a reload, a closed tab or a
// network drop resumes as the same player. It stores the player token keyed by game, and the
// game of each PIN joined from this browser.

const PREFIX = "livequiz.player.";
const PIN_PREFIX = "livequiz.pin.";
const LAST_KEY = "livequiz.player.last";

function storage() {
  try {
    return window.localStorage;
  } catch {
    // Storage can be switched off; the game still works until the page is reloaded.
    return null;
  }
}

/** Read the expiry (seconds since the epoch) from a JWT's payload, or null. */
export function tokenExpiry(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload));
    return typeof claims.exp === "number" ? claims.exp : null;
  } catch {
    return null;
  }
}

function isLive(session) {
  if (!session || !session.token || !session.gameId) {
    return false;
  }
  const expiry = tokenExpiry(session.token);
  return expiry === null || expiry * 1000 > Date.now();
}

/** Store a joined player: the join response plus the PIN it was joined with. */
export function saveSession(pin, joined) {
  const session = {
    gameId: joined.game_id,
    playerId: joined.player_id,
    nickname: joined.nickname,
    token: joined.player_token,
    pin,
    joinedAt: Date.now(),
  };
  const store = storage();
  if (store) {
    store.setItem(PREFIX + session.gameId, JSON.stringify(session));
    store.setItem(PIN_PREFIX + pin, session.gameId);
    store.setItem(LAST_KEY, session.gameId);
  }
  return session;
}

/** Return the stored session of a game, or null when there is none or its token expired. */
export function loadSession(gameId) {
  const store = storage();
  if (!store || !gameId) {
    return null;
  }
  let session = null;
  try {
    session = JSON.parse(store.getItem(PREFIX + gameId) || "null");
  } catch {
    session = null;
  }
  if (!isLive(session)) {
    forgetSession(gameId);
    return null;
  }
  return session;
}

/** Return the session of the game last joined with `pin`, or of the last game without one. */
export function findSession(pin) {
  const store = storage();
  if (!store) {
    return null;
  }
  const gameId = pin ? store.getItem(PIN_PREFIX + pin) : store.getItem(LAST_KEY);
  return gameId ? loadSession(gameId) : null;
}

/** Drop a game's session, after a kick or when the player chooses to join anew. */
export function forgetSession(gameId) {
  const store = storage();
  if (!store || !gameId) {
    return;
  }
  let pin = null;
  try {
    pin = JSON.parse(store.getItem(PREFIX + gameId) || "null")?.pin ?? null;
  } catch {
    pin = null;
  }
  store.removeItem(PREFIX + gameId);
  if (pin && store.getItem(PIN_PREFIX + pin) === gameId) {
    store.removeItem(PIN_PREFIX + pin);
  }
  if (store.getItem(LAST_KEY) === gameId) {
    store.removeItem(LAST_KEY);
  }
}

/**
 * Stop offering a game that has ended to /play without a PIN, which then shows the join form.
 * The session stays, so /play with the game's PIN still shows its podium.
 */
export function forgetLastGame(gameId) {
  const store = storage();
  if (store && store.getItem(LAST_KEY) === gameId) {
    store.removeItem(LAST_KEY);
  }
}
