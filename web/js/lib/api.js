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
  internal_error:
    "The game server failed to handle the request. Try again in a minute, and if it fails again, tell the site's operator.",
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
  if (status === 500) {
    return MESSAGES.internal_error;
  }
  if (status > 500) {
    return MESSAGES.service_unavailable;
  }
  return `The request failed (HTTP ${status}). Reload the page and try again.`;
}

/** Add error messages for more codes, or replace some, for the pages that need them. */
export function addErrorMessages(messages) {
  Object.assign(MESSAGES, messages);
}

/** Capitalise `text` and end it with a full stop, unless it ends with one of .!? already. */
export function sentence(text) {
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

/**
 * Say when to send a request again after a 429, from its Retry-After header: a number of
 * seconds or an HTTP date (RFC 9110, section 10.2.3). Without one, suggest a minute.
 */
export function tooManyRequests(retryAfter, now = Date.now()) {
  const text = String(retryAfter ?? "").trim();
  let seconds = null;
  if (/^\d+$/.test(text)) {
    seconds = Number(text);
  } else if (text) {
    const date = Date.parse(text);
    seconds = Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
  }
  let when;
  if (seconds === null) {
    when = "in a minute";
  } else if (seconds <= 1) {
    when = "now";
  } else if (seconds < 120) {
    when = `in ${seconds} seconds`;
  } else {
    when = `in ${Math.ceil(seconds / 60)} minutes`;
  }
  return `The game server has had too many requests from this page. Try again ${when}.`;
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
  const message =
    response.status === 429
      ? tooManyRequests(response.headers.get("retry-after"))
      : describeError(code, detail, response.status);
  return new ApiError(message, {
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

// Host functions: accounts, quizzes, games and reports. Each takes the host's access token.

/**
 * Add the plain words of the host page's error codes. The host page calls it once, so that
 * the player page keeps its own wording of the codes both pages meet.
 */
export function useHostErrorMessages() {
  addErrorMessages({
    email_taken: "An account with this e-mail address exists. Log in instead.",
    expired_token: "Your login has expired. Log in again.",
    not_quiz_owner: "This quiz belongs to another user. Host or edit one of your own quizzes.",
    not_game_host: "Another user hosts this game. Go back to your quizzes and start your own game.",
    unknown_quiz: "This quiz no longer exists. Go back to your quizzes and reload the list.",
    unknown_game: "This game has ended or expired. Start a new one from your quizzes.",
    game_ended: "This game has ended. Download its report, or start a new game.",
    quiz_in_use:
      "A game was played with this quiz, so it is kept for its reports. Edit it instead of deleting it.",
    invalid_quiz: (detail) => `${questionNumbers(detail)} Fix it, then try again.`,
    invalid_input: (detail) => `${questionNumbers(detail)} Fix it, then try again.`,
    invalid_csv: (detail) => `${sentence(detail)} Fix the file, then import it again.`,
    invalid_gift: (detail) => `${sentence(detail)} Fix the file, then import it again.`,
    invalid_kahoot: (detail) => `${sentence(detail)} Fix the file, then import it again.`,
    invalid_json: (detail) => `${sentence(detail)} Fix the file, then import it again.`,
    invalid_question_count: (detail) => sentence(detail),
    file_too_large: (detail) => `${sentence(detail)} Split the file, or import a smaller one.`,
    missing_file: "Choose a file to import first.",
    empty_file: "The chosen file is empty. Choose the file that contains the quiz, then import it again.",
    no_questions: (detail) => `${sentence(detail)} Check the file's format, then import it again.`,
  });
}

/**
 * Rewrite the API's field paths for people: "questions[1].choices" names the second
 * question, so it reads "question 2, choices".
 */
export function questionNumbers(detail) {
  const named = String(detail).replace(
    /questions\[(\d+)\]\.?/g,
    (_, index) => `question ${Number(index) + 1}, `,
  );
  return sentence(named.replace(/, :/g, ":"));
}

/** Create an account; returns {user_id, access_token, expires_in}. */
export function register(email, password, displayName) {
  return request("/auth/register", {
    body: { email, password, display_name: displayName },
  });
}

/** Log in; returns {user_id, access_token, expires_in}. */
export function login(email, password) {
  return request("/auth/login", { body: { email, password } });
}

/** List the quizzes of user `ownerId`, newest first, reading pages of MAX_QUIZ_PAGE. */
export async function listOwnQuizzes(ownerId) {
  const own = [];
  for (let offset = 0; ; offset += MAX_QUIZ_PAGE) {
    const quizzes = await request("/quizzes", {
      query: { owner: ownerId, limit: MAX_QUIZ_PAGE, offset },
    });
    own.push(...quizzes);
    if (quizzes.length < MAX_QUIZ_PAGE) {
      return own;
    }
  }
}

const MAX_QUIZ_PAGE = 200;

export function getQuiz(quizId, token) {
  return request(`/quizzes/${encodeURIComponent(quizId)}`, { token });
}

/** Save a new quiz (`quizId` null) or replace quiz `quizId` with `quiz`. */
export function saveQuiz(quiz, quizId, token) {
  if (quizId === null || quizId === undefined) {
    return request("/quizzes", { body: quiz, token });
  }
  return request(`/quizzes/${encodeURIComponent(quizId)}`, { method: "PUT", body: quiz, token });
}

export function deleteQuiz(quizId, token) {
  return request(`/quizzes/${encodeURIComponent(quizId)}`, { method: "DELETE", token });
}

/**
 * Import `file` (a File or Blob) in `format`: opentdb, kahoot, gift, csv or json. `query`
 * contains title, time_limit, limit and skip_unsupported as the API takes them.
 */
export async function importQuiz(format, file, query, token) {
  const { restUrl } = await loadConfig();
  const url = new URL(`${restUrl}/quizzes/import/${encodeURIComponent(format)}`);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") {
      url.searchParams.set(name, String(value));
    }
  }
  const body = new FormData();
  body.append("file", file, file.name || "quiz");
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      body,
      headers: { accept: "application/json", authorization: `Bearer ${token}` },
    });
  } catch {
    throw new ApiError(MESSAGES.network_error);
  }
  if (!response.ok) {
    throw await errorFrom(response);
  }
  return response.json();
}

/**
 * Read one page of the games the user hosted or played in, newest first: {games, total,
 * limit, offset}. Each game has `role` "host" or "player".
 */
export function userHistory(token, limit, offset) {
  return request("/users/me/history", { token, query: { limit, offset } });
}

/** Create a game of quiz `quizId`; returns {game_id, pin, host_token}. */
export function createGame(quizId, settings, token) {
  return request("/games", { body: { quiz_id: quizId, ...settings }, token });
}

/**
 * Issue a new host token for the user's live game `gameId`, so that a host who closed the
 * tab can resume it; returns {game_id, pin, host_token}.
 */
export function resumeGame(gameId, token) {
  return request(`/games/${encodeURIComponent(gameId)}/host-token`, { method: "POST", token });
}

/** Read the live game's players for its host: {phase, locked, players: [...]}. */
export function gamePlayers(gameId, token) {
  return request(`/games/${encodeURIComponent(gameId)}/players`, { token });
}

/**
 * Fetch the QR code of the game's join link under the web app at `webUrl`, as a data: URL
 * for an <img>. The page's Content-Security-Policy admits data: images but not blob: ones.
 */
export async function joinQrDataUrl(gameId, webUrl, token) {
  const response = await request(`/games/${encodeURIComponent(gameId)}/qr.svg`, {
    query: { web_url: webUrl },
    token,
    raw: true,
  });
  const svgText = await response.text();
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svgText)}`;
}

/**
 * Fetch a file download of the API, such as a report or an export, and return
 * {blob, fileName}. The name comes from the response's Content-Disposition when CORS lets
 * the page read it, and is `fallbackName` otherwise.
 */
export async function downloadFile(path, token, fallbackName, query = undefined) {
  const response = await request(path, { token, query, raw: true });
  const disposition = response.headers.get("content-disposition") || "";
  const match = /filename="?([^";]+)"?/i.exec(disposition);
  return { blob: await response.blob(), fileName: match ? match[1] : fallbackName };
}
