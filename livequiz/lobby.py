"""Creating games and joining them: the steps that write to both Redis and MySQL.

Redis contains the live game and decides which PINs and nicknames are free. MySQL keeps the
record that results are read from. Neither store can join a transaction with the other, so each
operation writes Redis first and undoes that write if the MySQL write then fails. That way no
one ever receives a PIN or a player token for a game or player that MySQL does not know.
"""

import logging
import random
from collections.abc import Collection
from dataclasses import dataclass

import redis
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from livequiz import db, nicknames
from livequiz.catalog import StoredQuiz
from livequiz.errors import ConflictError, InvalidInputError, ServiceError
from livequiz.ids import GameId, GamePin, PlayerId, UserId, new_game_id, new_player_id
from livequiz.quizzes import redis_questions
from livequiz.rules import GameOptions
from livequiz.store import GameStore

logger = logging.getLogger(__name__)

# Every key that ``GameStore.create_game`` and ``GameStore.add_player`` write for a game.
GAME_KEYS = ("game", "questions", "players", "nicknames", "totals", "reached", "ranking", "rankseq")
GENERATED_NAME_ATTEMPTS = 20


@dataclass(frozen=True)
class CreatedGame:
    game_id: GameId
    pin: GamePin
    question_count: int


@dataclass(frozen=True)
class JoinedPlayer:
    game_id: GameId
    player_id: PlayerId
    nickname: str


def create_game(
    engine: Engine,
    store: GameStore,
    quiz: StoredQuiz,
    host_user_id: UserId,
    question_count: int | None = None,
    seconds_per_question: int | None = None,
    options: GameOptions | None = None,
) -> CreatedGame:
    """Put a game of ``quiz`` in the lobby in Redis, then record it in MySQL.

    ``question_count`` plays only the first questions, and ``seconds_per_question`` replaces
    each question's own time limit.
    """
    available = len(quiz.questions)
    count = available if question_count is None else question_count
    if not 1 <= count <= available:
        raise InvalidInputError(
            "invalid_question_count",
            f"question_count is {count}: quiz {quiz.summary.id} has {available} questions, "
            f"so choose 1 to {available}",
        )
    options = options or GameOptions()
    game_id = new_game_id()
    questions = redis_questions(quiz.questions[:count], seconds_per_question)
    pin = store.create_game(
        game_id, quiz.summary.id, host_user_id, quiz.summary.title, questions, options
    )
    row = {
        "id": game_id,
        "quiz_id": quiz.summary.id,
        "host_user_id": host_user_id,
        "pin": pin,
        "status": db.GameStatus.LOBBY.value,
        "question_count": count,
        "options": options.model_dump(mode="json"),
        "questions": questions,
    }
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(db.games).values(row))
    except sa.exc.SQLAlchemyError as error:
        logger.error(
            "recording game %s in MySQL failed, removing it from Redis: %s", game_id, error
        )
        _remove_game(store, game_id, pin)
        raise ServiceError(f"recording game {game_id} failed: {error}") from error
    logger.info(
        "user %s created game %s of quiz %s with %d questions",
        host_user_id,
        game_id,
        quiz.summary.id,
        count,
    )
    return CreatedGame(game_id=game_id, pin=pin, question_count=count)


def join_game(
    engine: Engine,
    store: GameStore,
    pin: str,
    raw_nickname: str | None,
    user_id: UserId | None,
    blocked: Collection[str] = (),
) -> JoinedPlayer:
    """Add a player to the lobby of the game with ``pin`` under a nickname unique in that game.

    Raises ``InvalidInputError`` for an invalid nickname, ``NotFoundError`` for an unknown PIN
    and ``ConflictError`` for a taken nickname or a game that has started.
    """
    game_id = store.game_for_pin(pin)
    player_id = new_player_id()
    if raw_nickname is None:
        nickname = _add_with_generated_name(store, game_id, player_id, user_id)
    else:
        nickname = nicknames.normalise(raw_nickname, blocked)
        store.add_player(game_id, player_id, nickname, nicknames.folded(nickname), user_id)
    nickname_key = nicknames.folded(nickname)
    row = {
        "game_id": game_id,
        "player_id": player_id,
        "nickname": nickname,
        "nickname_key": nickname_key,
        "user_id": user_id,
    }
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(db.game_players).values(row))
    except sa.exc.SQLAlchemyError as error:
        logger.error(
            "recording player %s of game %s in MySQL failed, removing the player from Redis: %s",
            player_id,
            game_id,
            error,
        )
        _remove_player(store, game_id, player_id, nickname_key)
        if isinstance(error, sa.exc.IntegrityError) and "uq_game_players_nickname" in str(error):
            raise ConflictError(
                "nickname_taken", f"the nickname {nickname!r} is taken in this game: choose another"
            ) from error
        raise ServiceError(f"recording player {player_id} failed: {error}") from error
    logger.info("player %s joined game %s (user %s)", player_id, game_id, user_id)
    return JoinedPlayer(game_id=game_id, player_id=player_id, nickname=nickname)


def _add_with_generated_name(
    store: GameStore, game_id: GameId, player_id: PlayerId, user_id: UserId | None
) -> str:
    """Add the player under a generated adjective + animal name that is free in the game."""
    rng = random.SystemRandom()
    for _ in range(GENERATED_NAME_ATTEMPTS):
        nickname = nicknames.generated_name(rng)
        try:
            store.add_player(game_id, player_id, nickname, nicknames.folded(nickname), user_id)
        except ConflictError as error:
            if error.code != "nickname_taken":
                raise
            continue
        return nickname
    raise ConflictError("no_free_name", "no free generated name was found: type a nickname")


def _remove_game(store: GameStore, game_id: GameId, pin: GamePin) -> None:
    # The PIN was never returned, so no player can have joined and deleting every key is enough.
    try:
        store.redis.delete(f"lq:pin:{pin}", *(store.key(game_id, name) for name in GAME_KEYS))
    except redis.RedisError as error:
        logger.error(
            "removing game %s from Redis failed, it expires with its TTL: %s", game_id, error
        )


def _remove_player(
    store: GameStore, game_id: GameId, player_id: PlayerId, nickname_key: str
) -> None:
    # The player never received a token, so no connection or answer refers to it yet. The
    # nickname maps to this player because add_player reserved it with HSETNX.
    pipe = store.redis.pipeline(transaction=True)
    pipe.hdel(store.key(game_id, "nicknames"), nickname_key)
    for name in ("players", "totals", "reached"):
        pipe.hdel(store.key(game_id, name), player_id)
    pipe.zrem(store.key(game_id, "ranking"), player_id)
    try:
        pipe.execute()
    except redis.RedisError as error:
        logger.error(
            "removing player %s from game %s in Redis failed, the nickname stays reserved: %s",
            player_id,
            game_id,
            error,
        )
