// REST client of the livequiz API. Every failure becomes an ApiError whose message states in
// plain words what went wrong and what to do next; `code` keeps the API's error code.
//
// The API answers errors with {"error": {"code": ..., "message": ...}}.

let configPromise = null;

/** Raised for every failed call: an error response, a network failure or a bad reply. */
export class ApiError extends Error {
  constructor(message, { status = 0, code = "network_error", detail = "" } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    // The API's own message, which names the field or value at fault.
    this.detail = detail;
  }
}

// Plain words per API error code. A function gets the API's message, for codes whose
// message already names the value and the fix.
const MESSAGES = {
  network_error:
    "Cannot reach the game server. Check your internet connection, then try again.",
  service_unavailable: "The game server is busy or restarting. Wait a few seconds, then try again.",
  unknown_pin: "No game has this PIN. Check the number on the host's screen and try again.",
  invalid_pin: "A game PIN has 6 digits. Check the number on the host's screen and try again.",
  game_locked: "The host has locked this game, so no one can join. Ask the host to unlock it.",
  game_started:
    "This game has already started and does not take late players. Ask the host for the next game.",
  game_ended: "This game has ended. Ask the host for the PIN of a new game.",
  unknown_game: "This game no longer exists. Ask the host for the PIN of a new game.",
  no_free_name: "No free name could be generated. Type a nickname of your own.",
  invalid_nickname: (detail) => `${sentence(detail)} Choose another nickname.`,
  nickname_blocked: "The nickname contains a blocked word. Choose another nickname.",
  nickname_taken: (detail) => `${sentence(detail)}`,
  missing_token: "You are not logged in. Log in, then try again.",
  invalid_token: "Your session has expired or is invalid. Log in again.",
  invalid_credentials: "The e-mail address or password is wrong. Check both, then try again.",
  not_found: "The server does not know this address. Reload the page.",
};

/** Turn an API error code and its message into plain words with the next step. */
export function describeError(code, detail = "", status = 0) {
  const known = MESSAGES[code];
  if (typeof known === "function") {
    return known(detail);
  }
  if (known) {
    return known;
  }
  if (detail) {
    return sentence(detail);
  }
  if (status >= 500) {
    return MESSAGES.service_unavailable;
  }
  return `The request failed (HTTP ${status}). Reload the page and try again.`;
}

/** Add error messages for more codes, or replace some, for the pages that need them. */
export function addErrorMessages(messages) {
  Object.assign(MESSAGES, messages);
}

function sentence(text) {
  const trimmed = String(text).trim();
  if (!trimmed) {
    return "";
  }
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** Load /config.json once: {"rest_url": ..., "ws_url": ...}. */
export function loadConfig() {
  if (configPromise === null) {
    configPromise = fetch("/config.json", { cache: "no-store" })
      .then(async (response) => {
        if (!response.ok) {
          throw new ApiError(
            `The page's settings (/config.json) could not be loaded (HTTP ${response.status}). ` +
              "Reload the page.",
            { status: response.status, code: "config_missing" },
          );
        }
        const config = await response.json();
        if (!config.rest_url || !config.ws_url) {
          throw new ApiError(
            "The page's settings (/config.json) lack rest_url or ws_url. Ask the site's operator.",
            { code: "config_invalid" },
          );
        }
        return {
          restUrl: String(config.rest_url).replace(/\/+$/, ""),
          wsUrl: String(config.ws_url).replace(/\/+$/, ""),
        };
      })
      .catch((error) => {
        configPromise = null;
        if (error instanceof ApiError) {
          throw error;
        }
        throw new ApiError(MESSAGES.network_error);
      });
  }
  return configPromise;
}

/**
 * Call the REST API and return the parsed JSON body (null for an empty one).
 *
 * options: `method` (default GET, or POST with a body), `body` (sent as JSON), `token` (sent
 * as a bearer token), `query` (an object of query parameters), `raw` (return the Response).
 */
export async function request(path, { method, body, token, query, raw = false } = {}) {
  const { restUrl } = await loadConfig();
  const url = new URL(restUrl + path);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null) {
      url.searchParams.set(name, String(value));
    }
  }

  const headers = { accept: "application/json" };
  const init = { method: method || (body === undefined ? "GET" : "POST"), headers };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (token) {
    headers.authorization = `Bearer ${token}`;
  }

  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(MESSAGES.network_error);
  }
  if (!response.ok) {
    throw await errorFrom(response);
  }
  if (raw) {
    return response;
  }

  const text = await response.text();
  if (!text) {
    return null;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError("The server sent a reply that is not JSON. Reload the page and try again.", {
      status: response.status,
      code: "invalid_reply",
    });
  }
}

async function errorFrom(response) {
  let code = `http_${response.status}`;
  let detail = "";
  try {
    const body = await response.json();
    if (body && body.error) {
      code = String(body.error.code || code);
      detail = String(body.error.message || "");
    }
  } catch {
    // A proxy or gateway error page, whose status is all there is to report.
  }
  return new ApiError(describeError(code, detail, response.status), {
    status: response.status,
    code,
    detail,
  });
}

/**
 * Join the game with `pin`. Without a nickname the server picks a free generated one.
 * Returns {game_id, player_id, nickname, player_token}.
 */
export function joinGame(pin, nickname) {
  const cleanPin = String(pin).replace(/\s+/g, "");
  if (!/^\d{6}$/.test(cleanPin)) {
    return Promise.reject(new ApiError(MESSAGES.invalid_pin, { code: "invalid_pin" }));
  }
  const body = { pin: cleanPin };
  const trimmed = (nickname || "").trim();
  if (trimmed) {
    body.nickname = trimmed;
  }
  return request("/games/join", { body });
}

/** Read a game's ranking from MySQL: the final podium once the game has ended. */
export function gameResults(gameId) {
  return request(`/games/${encodeURIComponent(gameId)}/results`);
}
