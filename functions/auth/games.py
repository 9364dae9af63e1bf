"""Routes /games: create a game, join one by PIN, and read its results.

The host also reads the game's players and a QR code of its join link from here, for the lobby
screen of the web app.
"""

import io
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints

from functions.auth.deps import CurrentUser, EngineDep, GameStoreDep, OptionalUser, SettingsDep
from livequiz import catalog, lobby, nicknames, results, tokens
from livequiz.errors import ConflictError, ForbiddenError, InvalidInputError
from livequiz.ids import PIN_DIGITS, GameId, UserId
from livequiz.quizzes import MAX_QUESTIONS, MAX_TIME_LIMIT_S, MIN_TIME_LIMIT_S
from livequiz.rules import GameOptions, GamePhase
from livequiz.store import HOST, GameStore
from livequiz.tokens import Claims, TokenKind

router = APIRouter(prefix="/games", tags=["games"])

SVG_MEDIA_TYPE = "image/svg+xml"
# Keeps the join link within 216 characters, which fit a QR code of version 11 at level M
# (61x61 modules): larger codes get harder for a phone camera to read off a projector.
MAX_WEB_URL_LENGTH = 200

HOST_ONLY: dict[int | str, dict[str, Any]] = {
    403: {"description": "The user does not host this game"},
    404: {"description": "The game does not exist or has expired from Redis"},
}


class CreateGameRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quiz_id: int
    # Play only the first question_count questions of the quiz.
    question_count: int | None = Field(default=None, ge=1, le=MAX_QUESTIONS)
    # Replaces every question's own time limit.
    seconds_per_question: int | None = Field(default=None, ge=MIN_TIME_LIMIT_S, le=MAX_TIME_LIMIT_S)
    options: GameOptions = Field(default_factory=GameOptions)


class CreateGameResponse(BaseModel):
    game_id: str
    pin: str
    # Token for the host's WebSocket connection to this game.
    host_token: str


class HostTokenResponse(BaseModel):
    game_id: str
    pin: str
    # A new token for the host's WebSocket connection to this game.
    host_token: str


class JoinRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pin: Annotated[str, StringConstraints(strip_whitespace=True, pattern=rf"^\d{{{PIN_DIGITS}}}$")]
    # The nickname as typed: nicknames.normalise applies the rules after normalising. Leave it
    # out to be given a generated adjective + animal name.
    nickname: str | None = Field(default=None, max_length=1000)


class JoinResponse(BaseModel):
    game_id: str
    player_id: str
    # The nickname as stored: normalised, which may differ from the one sent.
    nickname: str
    # Token for the player's WebSocket connection to this game.
    player_token: str


class LobbyPlayerOut(BaseModel):
    player_id: str
    nickname: str
    # Ranked by score, ties by who reached it first; in the lobby that is the join order.
    rank: int
    score: int
    # Whether the player has a live WebSocket connection.
    online: bool


class PlayersResponse(BaseModel):
    game_id: str
    phase: str
    locked: bool
    # Kicked players are left out.
    players: list[LobbyPlayerOut]


class PlayerResultOut(BaseModel):
    rank: int
    player_id: str
    nickname: str
    score: int
    correct_count: int


class QuestionResultOut(BaseModel):
    index: int
    answers: int
    correct_answers: int


class ResultsResponse(BaseModel):
    game_id: str
    status: str
    question_count: int
    # True when the game's leaderboard option keeps the ranking from being shown.
    players_hidden: bool
    players: list[PlayerResultOut]
    questions: list[QuestionResultOut]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_game(
    request: CreateGameRequest,
    user_id: CurrentUser,
    settings: SettingsDep,
    engine: EngineDep,
    store: GameStoreDep,
) -> CreateGameResponse:
    """Open a lobby for a quiz; players join it with the returned PIN."""
    quiz = catalog.load_quiz(engine, request.quiz_id)
    # A game sends every correct answer to its clients, so only the owner may host a quiz.
    if quiz.summary.owner_id != user_id:
        raise ForbiddenError(
            "not_quiz_owner", f"quiz {request.quiz_id} belongs to another user: host your own quiz"
        )
    game = lobby.create_game(
        engine,
        store,
        quiz,
        user_id,
        request.question_count,
        request.seconds_per_question,
        request.options,
    )
    host_token = tokens.issue(settings, Claims(TokenKind.HOST, str(user_id), game_id=game.game_id))
    return CreateGameResponse(game_id=game.game_id, pin=game.pin, host_token=host_token)


@router.post("/join", status_code=status.HTTP_201_CREATED)
def join_game(
    request: JoinRequest,
    user_id: OptionalUser,
    settings: SettingsDep,
    engine: EngineDep,
    store: GameStoreDep,
) -> JoinResponse:
    """Join a game's lobby under a nickname, linked to the user if an access token is sent."""
    extra = [word.strip() for word in settings.blocked_words.split(",") if word.strip()]
    blocked = [*nicknames.DEFAULT_BLOCKED, *extra]
    player = lobby.join_game(engine, store, request.pin, request.nickname, user_id, blocked)
    claims = Claims(TokenKind.PLAYER, player.player_id, game_id=player.game_id, user_id=user_id)
    return JoinResponse(
        game_id=player.game_id,
        player_id=player.player_id,
        nickname=player.nickname,
        player_token=tokens.issue(settings, claims),
    )


@router.get("/{game_id}/results")
def game_results(game_id: str, engine: EngineDep) -> ResultsResponse:
    """Read the ranking and per-question answer counts that MySQL has recorded so far."""
    found = results.game_results(engine, game_id)
    return ResultsResponse(
        game_id=found.game_id,
        status=found.status,
        question_count=found.question_count,
        players_hidden=found.players_hidden,
        players=[
            PlayerResultOut.model_validate(player, from_attributes=True) for player in found.players
        ],
        questions=[
            QuestionResultOut.model_validate(question, from_attributes=True)
            for question in found.questions
        ],
    )


def _hosted_game(store: GameStore, game_id: str, user_id: UserId, resource: str) -> dict[str, str]:
    """Read the live game's fields from Redis, if ``user_id`` hosts it."""
    info = store.game_info(GameId(game_id))
    if info.get("host_user_id") != str(user_id):
        raise ForbiddenError(
            "not_game_host",
            f"game {game_id} is hosted by another user: only its host can read its {resource}",
        )
    return info


@router.get("/{game_id}/players", responses=HOST_ONLY)
def game_players(game_id: str, user_id: CurrentUser, store: GameStoreDep) -> PlayersResponse:
    """List the live game's players for its host, with who is connected, from Redis."""
    info = _hosted_game(store, game_id, user_id, "players")
    connected = set(store.connections(GameId(game_id)).values()) - {HOST}
    players = [
        LobbyPlayerOut(
            player_id=player.player_id,
            nickname=player.nickname,
            rank=player.rank,
            score=player.score,
            online=player.player_id in connected,
        )
        for player in store.ranking(GameId(game_id))
    ]
    return PlayersResponse(
        game_id=game_id,
        phase=info["phase"],
        locked=info.get("locked") == "1",
        players=players,
    )


def join_link(web_url: HttpUrl, pin: str) -> str:
    """Build the player page's address for ``pin`` under the web app at ``web_url``."""
    if web_url.query is not None or web_url.fragment is not None:
        raise InvalidInputError(
            "invalid_input",
            f"query.web_url: {web_url} has a query or fragment: send the web app's address alone",
        )
    if web_url.username is not None or web_url.password is not None:
        raise InvalidInputError(
            "invalid_input",
            "query.web_url: the address contains a user name or password: remove it",
        )
    return f"{str(web_url).rstrip('/')}/play?pin={pin}"


def render_qr_svg(link: str) -> bytes:
    """Render ``link`` as a QR code in SVG that scales to the size its element is given."""
    qr = segno.make(link, error="m", micro=False)
    output = io.BytesIO()
    # A viewBox without width and height lets CSS size the image. The light modules are drawn
    # white, because a scanner needs the quiet zone lighter than the code on any page colour.
    qr.save(output, kind="svg", omitsize=True, border=4, dark="#000", light="#fff", title=link)
    return output.getvalue()


@router.post(
    "/{game_id}/host-token",
    responses={**HOST_ONLY, 409: {"description": "The game has ended, so it has nothing to host"}},
)
def host_token(
    game_id: str, user_id: CurrentUser, settings: SettingsDep, store: GameStoreDep
) -> HostTokenResponse:
    """Issue a new host token for the user's live game, so a host who lost theirs can resume.

    The connect function lets a host hold several connections, so the new one replaces none.
    """
    info = _hosted_game(store, game_id, user_id, "host token")
    if info["phase"] == GamePhase.ENDED.value:
        raise ConflictError(
            "game_ended",
            f"game {game_id} has ended, so it cannot be hosted again: start a new game",
        )
    claims = Claims(TokenKind.HOST, str(user_id), game_id=game_id)
    return HostTokenResponse(
        game_id=game_id, pin=info["pin"], host_token=tokens.issue(settings, claims)
    )


@router.get(
    "/{game_id}/qr.svg",
    response_class=Response,
    responses={
        **HOST_ONLY,
        200: {"content": {SVG_MEDIA_TYPE: {}}, "description": "The join link as a QR code"},
        409: {"description": "The game has ended, so its PIN no longer joins it"},
    },
)
def join_qr(
    game_id: str,
    user_id: CurrentUser,
    store: GameStoreDep,
    web_url: Annotated[
        HttpUrl,
        Query(
            max_length=MAX_WEB_URL_LENGTH,
            description="Address of the web app whose /play page players open, such as "
            "http://127.0.0.1:8080",
        ),
    ],
) -> Response:
    """Render the game's join link, ``{web_url}/play?pin={pin}``, as a QR code for its host."""
    info = _hosted_game(store, game_id, user_id, "join QR code")
    if info["phase"] == GamePhase.ENDED.value:
        raise ConflictError(
            "game_ended", f"game {game_id} has ended: its PIN joins no game, create a new one"
        )
    link = join_link(web_url, info["pin"])
    # The PIN belongs to this game only while it lasts, so no cache may keep the image.
    headers = {"Cache-Control": "no-store"}
    return Response(content=render_qr_svg(link), media_type=SVG_MEDIA_TYPE, headers=headers)
