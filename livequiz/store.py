"""Live game state in Redis: games, players, connections, answers and the ranking.

Every key of one game carries the game id as a hash tag (``lq:{<game>}:...``), so the Lua
scripts that touch several keys of a game also run on a Redis cluster. Connection records are
keyed by connection id alone, because a WebSocket message names only its connection.

Keys of a game:

    lq:{g}:game         hash   phase, question, round, deadline and the game's metadata
    lq:{g}:questions    list   one JSON object per question, in play order
    lq:{g}:players      hash   player id -> {"nickname", "user_id"} as JSON
    lq:{g}:nicknames    hash   case-folded nickname -> player id
    lq:{g}:totals       hash   player id -> total points
    lq:{g}:reached      hash   player id -> rank sequence number of the last score change
    lq:{g}:streaks      hash   player id -> "count:question" of their run of right answers
    lq:{g}:kicked       set    player ids the host removed, whose tokens no longer connect
    lq:{g}:ranking      zset   player id -> rules.rank_score(total, reached)
    lq:{g}:rankseq      string counter behind the rank sequence numbers
    lq:{g}:answers:<i>  hash   player id -> answer JSON for question i
    lq:{g}:conns        hash   connection id -> player id, or "host"
    lq:{g}:online       hash   player id -> its live connection id
    lq:{g}:frameseq     string sequence number of the last frame broadcast to the game
    lq:{g}:outbox       list   events a state change called for, until the broker confirms them
    lq:{g}:outbox_lease string held by the action publishing the outbox, with a short TTL
    lq:conn:<c>         hash   game, role and player of connection c, with a TTL
    lq:pin:<pin>        string game id of a live game PIN
"""

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from importlib import resources
from typing import Any, cast

import redis

from livequiz.errors import ConflictError, NotFoundError
from livequiz.ids import ConnectionId, GameId, GamePin, PlayerId, UserId, new_pin
from livequiz.rules import (
    RANK_SEQ_SPAN,
    STREAK_CAP,
    STREAK_STEP,
    GameOptions,
    GamePhase,
    GameState,
    ScoredAnswer,
)

logger = logging.getLogger(__name__)

HOST = "host"
# The keys of a game whose TTL each question renews. Each answers:<i> gets its TTL when written.
GAME_KEYS = (
    "game",
    "questions",
    "players",
    "nicknames",
    "totals",
    "reached",
    "streaks",
    "kicked",
    "ranking",
    "rankseq",
    "conns",
    "online",
    "frameseq",
)
# How long an action that wrote outbox entries may take to publish them before another action
# takes over, long enough for a few confirms with a broker reconnect.
OUTBOX_LEASE_MS = 5000
# Stands in for the points, bonus and streak in a stored answer that answer.lua completes.
ANSWER_PLACEHOLDER = -1
PIN_ATTEMPTS = 20
QUESTION_CACHE_SIZE = 10_000


class Role(StrEnum):
    PLAYER = "player"
    HOST = "host"


class Transition(IntEnum):
    MOVED_ON = 0
    APPLIED = 1
    # Applied, but another action holds the outbox lease and publishes the new entries too.
    APPLIED_LEASE_HELD = 2


@dataclass(frozen=True)
class ConnectionRecord:
    connection_id: ConnectionId
    game_id: GameId
    role: Role
    # The player id, or "host" for the host's connections.
    player_id: str


@dataclass(frozen=True)
class AnswerOutcome:
    status: str
    total: int
    answered: int
    online: int
    closed: bool
    reached_seq: int
    # Whether closing the question took the outbox lease.
    leased: bool = False
    bonus: int = 0
    streak: int = 0

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"


@dataclass(frozen=True)
class RankedPlayer:
    rank: int
    player_id: PlayerId
    nickname: str
    score: int
    reached_seq: int


def _script(name: str) -> str:
    return resources.files("livequiz").joinpath(f"lua/{name}.lua").read_text()


class GameStore:
    """Operations on live game state, each multi-key write being one Lua script."""

    def __init__(self, client: redis.Redis, game_ttl_s: int, connection_ttl_s: int) -> None:
        self.redis = client
        self.game_ttl_s = game_ttl_s
        self.connection_ttl_s = connection_ttl_s
        self._answer = client.register_script(_script("answer"))
        self._transition = client.register_script(_script("transition"))
        self._join = client.register_script(_script("join"))
        self._connect = client.register_script(_script("connect"))
        self._disconnect = client.register_script(_script("disconnect"))
        self._close = client.register_script(_script("close"))
        self._release = client.register_script(_script("release"))
        self._kick = client.register_script(_script("kick"))
        self._set_if_live = client.register_script(_script("set_if_live"))
        self._host_gone = client.register_script(_script("host_gone"))
        self._questions: dict[tuple[str, int], dict[str, Any]] = {}

    @staticmethod
    def key(game_id: str, name: str) -> str:
        return f"lq:{{{game_id}}}:{name}"

    def _keys(self, game_id: str, *names: str) -> list[str]:
        return [self.key(game_id, name) for name in names]

    # Games

    def create_game(
        self,
        game_id: GameId,
        quiz_id: int,
        host_user_id: UserId,
        title: str,
        questions: list[dict[str, Any]],
        options: GameOptions | None = None,
    ) -> GamePin:
        """Store a new game in the lobby and reserve a PIN for it, which is returned."""
        options = options or GameOptions()
        pipe = self.redis.pipeline(transaction=True)
        game_key, questions_key = self._keys(game_id, "game", "questions")
        pipe.hset(
            game_key,
            mapping={
                "phase": GamePhase.LOBBY.value,
                "question_count": len(questions),
                "question": -1,
                "round": 0,
                "quiz_id": quiz_id,
                "host_user_id": host_user_id,
                "title": title,
                "options": options.model_dump_json(),
                # Read by join.lua, which does not parse the options.
                "late_join": int(options.late_join),
                "locked": 0,
            },
        )
        pipe.rpush(questions_key, *[json.dumps(question) for question in questions])
        pipe.expire(game_key, self.game_ttl_s)
        pipe.expire(questions_key, self.game_ttl_s)
        pipe.execute()
        for _ in range(PIN_ATTEMPTS):
            pin = new_pin()
            if self.redis.set(f"lq:pin:{pin}", game_id, nx=True, ex=self.game_ttl_s):
                self.redis.hset(game_key, "pin", pin)
                return pin
            logger.info("game PIN %s is taken, drawing another for game %s", pin, game_id)
        self.redis.delete(game_key, questions_key)
        raise ConflictError("no_free_pin", "no free game PIN was found: try again")

    def game_for_pin(self, pin: str) -> GameId:
        game_id = cast(str | None, self.redis.get(f"lq:pin:{pin}"))
        if game_id is None:
            raise NotFoundError("unknown_pin", f"no live game has PIN {pin}: check the PIN")
        return GameId(game_id)

    def game_info(self, game_id: GameId) -> dict[str, str]:
        fields = cast(dict[str, str], self.redis.hgetall(self.key(game_id, "game")))
        if not fields:
            raise NotFoundError("unknown_game", f"game {game_id} does not exist or has expired")
        return fields

    def live_games(self, game_ids: Sequence[str]) -> set[str]:
        """Return the games of ``game_ids`` that Redis still contains and that have not ended."""
        pipe = self.redis.pipeline(transaction=False)
        for game_id in game_ids:
            pipe.hget(self.key(game_id, "game"), "phase")
        phases = cast(list[str | None], pipe.execute())
        return {
            game_id
            for game_id, phase in zip(game_ids, phases, strict=True)
            if phase is not None and phase != GamePhase.ENDED.value
        }

    def state(self, game_id: GameId) -> GameState:
        return GameState.from_hash(self.game_info(game_id))

    def question(self, game_id: GameId, index: int) -> dict[str, Any]:
        """Read one stored question. A game's questions never change, so they are cached."""
        cached = self._questions.get((game_id, index))
        if cached is not None:
            return cached
        raw = self.redis.lindex(self.key(game_id, "questions"), index)
        if raw is None:
            raise NotFoundError("unknown_question", f"game {game_id} has no question {index}")
        question = cast(dict[str, Any], json.loads(raw))
        if len(self._questions) >= QUESTION_CACHE_SIZE:
            self._questions.clear()
        self._questions[(game_id, index)] = question
        return question

    def set_locked(self, game_id: GameId, locked: bool) -> None:
        """Lock or unlock joining, while the game exists and has not ended."""
        if not self._set_if_live(
            keys=[self.key(game_id, "game")], args=["locked", int(locked), self.game_ttl_s]
        ):
            raise ConflictError("game_ended", f"game {game_id} has ended or expired")

    def set_host_back(self, game_id: GameId) -> None:
        """Record that the host is connected again."""
        self._set_if_live(
            keys=[self.key(game_id, "game")], args=["host_gone_at_ms", 0, self.game_ttl_s]
        )

    def set_host_gone(self, game_id: GameId, gone_at_ms: int) -> bool:
        """Record when the host left, unless a host connection remains or the game has
        ended; return whether it was recorded."""
        keys = self._keys(game_id, "game", "conns")
        return bool(self._host_gone(keys=keys, args=[gone_at_ms, self.game_ttl_s]))

    def host_connected(self, game_id: GameId) -> bool:
        return HOST in self.connections(game_id).values()

    def kick(self, game_id: GameId, player_id: PlayerId) -> ConnectionId | None:
        """Remove a player from the game and the ranking for good, and return their live
        connection, whose record is deleted. The nickname stays taken in this game."""
        if not self.redis.hexists(self.key(game_id, "players"), player_id):
            raise NotFoundError("unknown_player", f"player {player_id} is not in game {game_id}")
        keys = self._keys(game_id, "players", "ranking", "online", "conns", "kicked")
        connection = self._kick(keys=keys, args=[player_id, self.game_ttl_s])
        if connection:
            self.redis.delete(f"lq:conn:{connection}")
            return ConnectionId(connection)
        return None

    def is_kicked(self, game_id: GameId, player_id: str) -> bool:
        return bool(self.redis.sismember(self.key(game_id, "kicked"), player_id))

    def streak(self, game_id: GameId, player_id: PlayerId) -> tuple[int, int]:
        """Return the player's run of right answers and the question of the last one."""
        kept = cast(str | None, self.redis.hget(self.key(game_id, "streaks"), player_id))
        if not kept:
            return 0, -1
        count, _, last = kept.partition(":")
        return int(count), int(last)

    def transition(
        self,
        game_id: GameId,
        expected: GameState,
        fields: dict[str, Any],
        outbox: Sequence[str] = (),
        lease_token: str = "",
    ) -> Transition:
        """Write ``fields`` and queue ``outbox`` only if the game is still in ``expected``'s
        phase and round, taking the outbox lease under ``lease_token`` if it is free."""
        args: list[Any] = [expected.phase.value, expected.round, self.game_ttl_s]
        args += [OUTBOX_LEASE_MS, lease_token, len(outbox), *outbox]
        for name, value in fields.items():
            args += [name, value]
        keys = self._keys(game_id, "game", "outbox", "outbox_lease")
        return Transition(int(self._transition(keys=keys, args=args)))

    def touch(self, game_id: GameId) -> None:
        """Renew the TTL of every key of the game, so that a game in play never expires."""
        pipe = self.redis.pipeline(transaction=False)
        for name in GAME_KEYS:
            pipe.expire(self.key(game_id, name), self.game_ttl_s)
        pipe.execute()

    def state_and_outbox(self, game_id: GameId) -> tuple[GameState, int]:
        """Read the game's state and the number of events waiting in its outbox, in one trip."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(self.key(game_id, "game"))
        pipe.llen(self.key(game_id, "outbox"))
        fields, pending = pipe.execute()
        if not fields:
            raise NotFoundError("unknown_game", f"game {game_id} does not exist or has expired")
        return GameState.from_hash(fields), int(pending)

    def outbox(self, game_id: GameId) -> list[str]:
        return cast(list[str], self.redis.lrange(self.key(game_id, "outbox"), 0, -1))

    def take_lease(self, game_id: GameId, token: str) -> bool:
        key = self.key(game_id, "outbox_lease")
        return bool(self.redis.set(key, token, nx=True, px=OUTBOX_LEASE_MS))

    def release_lease(self, game_id: GameId, token: str, drained: bool) -> int:
        """Release the lease if ``token`` holds it, only once the outbox is empty if ``drained``.

        Returns 1 when released, 0 when entries remain, -1 when the lease is not ours.
        """
        keys = self._keys(game_id, "outbox", "outbox_lease")
        mode = "drained" if drained else "always"
        return int(self._release(keys=keys, args=[token, mode]))

    def close_question(
        self,
        game_id: GameId,
        state: GameState,
        now_ms: int,
        close_entry: tuple[str, str],
        lease_token: str,
    ) -> tuple[int, bool] | None:
        """Close ``state``'s question if it is still open in that round, and queue the close
        entry with the answered count filled in. Returns the count and whether the outbox
        lease was taken, or None if the question was not open."""
        keys = self._keys(game_id, "game", f"answers:{state.question}", "outbox", "outbox_lease")
        args: list[str | int] = [state.round, self.game_ttl_s, OUTBOX_LEASE_MS, now_ms]
        args += [*close_entry, lease_token]
        answered, leased = self._close(keys=keys, args=args)
        return None if int(answered) < 0 else (int(answered), bool(leased))

    def remove_from_outbox(self, game_id: GameId, entry: str) -> None:
        self.redis.lrem(self.key(game_id, "outbox"), 1, entry)

    # Players

    def add_player(
        self,
        game_id: GameId,
        player_id: PlayerId,
        nickname: str,
        folded: str,
        user_id: UserId | None,
    ) -> None:
        player = json.dumps({"nickname": nickname, "user_id": user_id, "folded": folded})
        keys = self._keys(
            game_id, "game", "nicknames", "players", "totals", "reached", "ranking", "rankseq"
        )
        args: list[str | int] = [player_id, folded, player, RANK_SEQ_SPAN, self.game_ttl_s]
        status = self._join(keys=keys, args=args)
        if status == "joined":
            return
        if status == "not_found":
            raise NotFoundError("unknown_game", f"game {game_id} does not exist or has expired")
        if status == "nickname_taken":
            raise ConflictError(
                "nickname_taken", f"the nickname {nickname!r} is taken in this game: choose another"
            )
        if status == "locked":
            raise ConflictError("game_locked", "the host has locked this game: no one can join")
        if status == "ended":
            raise ConflictError("game_ended", "the game has ended: ask the host for a new PIN")
        raise ConflictError(
            "game_started", "the game has already started and does not take late players"
        )

    def players(self, game_id: GameId) -> dict[PlayerId, dict[str, Any]]:
        raw = cast(dict[str, str], self.redis.hgetall(self.key(game_id, "players")))
        return {PlayerId(player): json.loads(value) for player, value in raw.items()}

    def player_count(self, game_id: GameId) -> int:
        return int(self.redis.hlen(self.key(game_id, "players")))

    # Connections

    def connect(self, record: ConnectionRecord) -> ConnectionId | None:
        """Record a connection and return the id of the connection it replaced, if any."""
        conn_key = f"lq:conn:{record.connection_id}"
        self.redis.hset(
            conn_key,
            mapping={"game": record.game_id, "role": record.role.value, "player": record.player_id},
        )
        self.redis.expire(conn_key, self.connection_ttl_s)
        keys = self._keys(record.game_id, "conns", "online")
        args = [record.connection_id, record.player_id, record.role.value, self.game_ttl_s]
        replaced = self._connect(keys=keys, args=args)
        if replaced:
            self.redis.delete(f"lq:conn:{replaced}")
            return ConnectionId(replaced)
        return None

    def games_of(self, connection_ids: Sequence[str]) -> dict[ConnectionId, GameId]:
        """Return the game of each connection that has a record; others are left out."""
        pipe = self.redis.pipeline(transaction=False)
        for connection_id in connection_ids:
            pipe.hget(f"lq:conn:{connection_id}", "game")
        games = cast(list[str | None], pipe.execute())
        return {
            ConnectionId(connection_id): GameId(game)
            for connection_id, game in zip(connection_ids, games, strict=True)
            if game
        }

    def connection_count(self, game_id: GameId) -> int:
        """Return the number of the game's recorded connections, the host's included."""
        return int(self.redis.hlen(self.key(game_id, "conns")))

    def connection(self, connection_id: str) -> ConnectionRecord | None:
        fields = cast(dict[str, str], self.redis.hgetall(f"lq:conn:{connection_id}"))
        if not fields:
            return None
        return ConnectionRecord(
            connection_id=ConnectionId(connection_id),
            game_id=GameId(fields["game"]),
            role=Role(fields["role"]),
            player_id=fields["player"],
        )

    def disconnect(self, connection_id: str) -> ConnectionRecord | None:
        """Remove a connection's records and return them, or None if there were none."""
        record = self.connection(connection_id)
        if record is None:
            return None
        keys = self._keys(record.game_id, "conns", "online")
        self._disconnect(keys=keys, args=[connection_id, record.player_id])
        self.redis.delete(f"lq:conn:{connection_id}")
        return record

    def drop_connection(self, game_id: GameId, connection_id: str, player_id: str) -> None:
        """Remove a connection found gone, even when its own record has already expired."""
        keys = self._keys(game_id, "conns", "online")
        self._disconnect(keys=keys, args=[connection_id, player_id])
        self.redis.delete(f"lq:conn:{connection_id}")

    def connections(self, game_id: GameId) -> dict[ConnectionId, str]:
        raw = cast(dict[str, str], self.redis.hgetall(self.key(game_id, "conns")))
        return {ConnectionId(connection): player for connection, player in raw.items()}

    def online_count(self, game_id: GameId) -> int:
        return int(self.redis.hlen(self.key(game_id, "online")))

    def answered_and_online(self, game_id: GameId, question: int) -> tuple[int, int]:
        """Return how many players answered ``question`` and how many are connected, read in
        one transaction so that the two counts belong to the same moment."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hlen(self.key(game_id, f"answers:{question}"))
        pipe.hlen(self.key(game_id, "online"))
        answered, online = pipe.execute()
        return int(answered), int(online)

    def everyone_online_answered(self, game_id: GameId, question: int) -> bool:
        pipe = self.redis.pipeline(transaction=False)
        pipe.hkeys(self.key(game_id, "online"))
        pipe.hkeys(self.key(game_id, f"answers:{question}"))
        online, answered = pipe.execute()
        # With nobody connected there is nobody to wait for, but also nobody to show a result
        # to: the question then stays open until its deadline.
        return bool(online) and set(online) <= set(answered)

    # Answers and ranking

    def record_answer(
        self,
        game_id: GameId,
        player_id: PlayerId,
        state: GameState,
        answer: ScoredAnswer,
        now_ms: int,
        close_entry: tuple[str, str],
        lease_token: str = "",
    ) -> AnswerOutcome:
        """Record the answer atomically, adding the streak bonus. ``close_entry`` is the outbox
        entry of the question's close, split around its answered count, which the script
        fills in if it closes."""
        keys = self._keys(
            game_id,
            "game",
            f"answers:{answer.question}",
            "totals",
            "reached",
            "ranking",
            "rankseq",
            "online",
            "outbox",
            "outbox_lease",
            "streaks",
        )
        stored = json.dumps(
            {
                "response": answer.grade.response,
                "choice": answer.choice,
                "correct": answer.correct,
                "elapsed_ms": answer.elapsed_ms,
                "at_ms": now_ms,
                "points": ANSWER_PLACEHOLDER,
            },
            separators=(",", ":"),
        )
        head, _, tail = stored.partition(f'"points":{ANSWER_PLACEHOLDER}')
        # The streak rule of answer.lua: "-" leaves the streak as it is.
        if not answer.scored:
            right = "-"
        elif answer.correct:
            right = "1"
        else:
            right = "0"
        step, cap = (STREAK_STEP, STREAK_CAP) if state.options.streak_bonus else (0, 0)
        args: list[str | int] = [
            player_id,
            state.round,
            now_ms,
            answer.points,
            head,
            tail,
            RANK_SEQ_SPAN,
            self.game_ttl_s,
            *close_entry,
            OUTBOX_LEASE_MS,
            lease_token,
            right,
            state.streak_prev,
            answer.question,
            step,
            cap,
        ]
        status, total, answered, online, closed, reached, leased, bonus, streak = self._answer(
            keys=keys, args=args
        )
        return AnswerOutcome(
            status=str(status),
            total=int(total),
            answered=int(answered),
            online=int(online),
            closed=bool(closed),
            reached_seq=int(reached),
            leased=bool(leased),
            bonus=int(bonus),
            streak=int(streak),
        )

    def player_score(self, game_id: GameId, player_id: PlayerId) -> tuple[int, int]:
        """Return the player's total and the rank sequence number at which it was reached."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(self.key(game_id, "totals"), player_id)
        pipe.hget(self.key(game_id, "reached"), player_id)
        total, reached = pipe.execute()
        return int(total or 0), int(reached or 0)

    def answered_count(self, game_id: GameId, question: int) -> int:
        return int(self.redis.hlen(self.key(game_id, f"answers:{question}")))

    def answer(self, game_id: GameId, question: int, player_id: PlayerId) -> dict[str, Any] | None:
        raw = self.redis.hget(self.key(game_id, f"answers:{question}"), player_id)
        return None if raw is None else cast(dict[str, Any], json.loads(cast(str, raw)))

    def all_answers(self, game_id: GameId) -> list[tuple[int, PlayerId, dict[str, Any]]]:
        """Read every stored answer of the game in one round trip: (question, player, answer)."""
        count = int(self.game_info(game_id)["question_count"])
        pipe = self.redis.pipeline(transaction=False)
        for question in range(count):
            pipe.hgetall(self.key(game_id, f"answers:{question}"))
        stored: list[tuple[int, PlayerId, dict[str, Any]]] = []
        for question, answers in enumerate(pipe.execute()):
            for player, raw in answers.items():
                stored.append((question, PlayerId(player), json.loads(raw)))
        return stored

    def answers(self, game_id: GameId, question: int) -> dict[PlayerId, dict[str, Any]]:
        raw = cast(dict[str, str], self.redis.hgetall(self.key(game_id, f"answers:{question}")))
        return {PlayerId(player): json.loads(value) for player, value in raw.items()}

    def ranking(self, game_id: GameId) -> list[RankedPlayer]:
        """Read the whole ranking in one round trip, best first, ties by who reached it first."""
        pipe = self.redis.pipeline(transaction=False)
        for name in ("ranking", "totals", "reached", "players"):
            key = self.key(game_id, name)
            if name == "ranking":
                pipe.zrevrange(key, 0, -1)
            else:
                pipe.hgetall(key)
        order, totals, reached, players = pipe.execute()
        return [
            RankedPlayer(
                rank=position,
                player_id=PlayerId(player),
                nickname=json.loads(players[player])["nickname"] if player in players else "",
                score=int(totals.get(player, 0)),
                reached_seq=int(reached.get(player, 0)),
            )
            for position, player in enumerate(order, start=1)
        ]

    def next_frame_seq(self, game_id: GameId, count: int = 1) -> int:
        """Reserve ``count`` frame sequence numbers and return the last one."""
        key = self.key(game_id, "frameseq")
        pipe = self.redis.pipeline(transaction=True)
        pipe.incrby(key, count)
        pipe.expire(key, self.game_ttl_s)
        return int(pipe.execute()[0])


# Every command of the game is one round trip of a few milliseconds, so a Redis that does not
# answer within these is down or stalled, and the caller gets redis.TimeoutError instead of a
# thread (or the local gateway's event loop) held for good.
REDIS_CONNECT_TIMEOUT_S = 2.0
REDIS_SOCKET_TIMEOUT_S = 5.0


def connect_redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        health_check_interval=30,
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
        socket_timeout=REDIS_SOCKET_TIMEOUT_S,
    )
