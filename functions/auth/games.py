"""Routes /games: create a game, join one by PIN, and read its results."""

from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from functions.auth.deps import CurrentUser, EngineDep, GameStoreDep, OptionalUser, SettingsDep
from livequiz import catalog, lobby, nicknames, results, tokens
from livequiz.errors import ForbiddenError
from livequiz.ids import PIN_DIGITS
from livequiz.quizzes import MAX_QUESTIONS, MAX_TIME_LIMIT_S, MIN_TIME_LIMIT_S
from livequiz.rules import GameOptions
from livequiz.tokens import Claims, TokenKind

router = APIRouter(prefix="/games", tags=["games"])


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
