// The host's login and current game, kept in the browser so that a reload keeps both.
// The access token stays in localStorage until it expires or the host logs out. The game
// (its id, PIN and host token) is kept in sessionStorage, so it belongs to one browser tab.

const LOGIN_KEY = "livequiz.host.login";
const GAME_KEY = "livequiz.host.game";
// Treat a token as expired this long before it is, so no request starts with a dying one.
const EXPIRY_MARGIN_MS = 30_000;

function read(storage, key) {
  try {
    const text = storage.getItem(key);
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

function write(storage, key, value) {
  try {
    if (value === null) {
      storage.removeItem(key);
    } else {
      storage.setItem(key, JSON.stringify(value));
    }
  } catch {
    // Private browsing may refuse storage; the page still works until it is reloaded.
  }
}

/**
 * Return {userId, email, displayName, token, expiresAt} of a login that has not expired, or
 * null. displayName is null until the page learns it.
 */
export function currentLogin() {
  const login = read(localStorage, LOGIN_KEY);
  if (!login || !login.token || Date.now() > login.expiresAt - EXPIRY_MARGIN_MS) {
    return null;
  }
  return login;
}

/**
 * Keep a token response of /auth/login or /auth/register. A registration gives the display
 * name; the token response of a login does not carry it.
 */
export function saveLogin(email, tokenResponse, displayName = null) {
  const login = {
    userId: tokenResponse.user_id,
    email,
    displayName,
    token: tokenResponse.access_token,
    expiresAt: Date.now() + tokenResponse.expires_in * 1000,
  };
  write(localStorage, LOGIN_KEY, login);
  return login;
}

/** Keep the display name of the current login, once the page has read it. */
export function saveDisplayName(displayName) {
  const login = currentLogin();
  if (login && displayName && login.displayName !== displayName) {
    write(localStorage, LOGIN_KEY, { ...login, displayName });
  }
}

export function clearLogin() {
  write(localStorage, LOGIN_KEY, null);
}

/** Return {gameId, pin, hostToken, quizTitle} of the game this tab hosts, or null. */
export function currentGame() {
  return read(sessionStorage, GAME_KEY);
}

export function saveGame(game) {
  write(sessionStorage, GAME_KEY, game);
}

export function clearGame() {
  write(sessionStorage, GAME_KEY, null);
}
