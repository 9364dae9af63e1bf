from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from functions.auth import deps
from functions.auth.app import app
from livequiz import db, lobby, nicknames
from livequiz.catalog import QuizSummary, StoredQuiz
from livequiz.config import Settings
from livequiz.errors import ConflictError, ServiceError
from livequiz.ids import GameId, PlayerId, QuizId, UserId, new_game_id
from livequiz.quizzes import load_sample_quiz
from livequiz.store import GameStore
from livequiz.tokens import TokenKind, verify

# Nothing listens on port 1, so every MySQL call through this URL fails to connect.
DEAD_MYSQL = "mysql+pymysql://root:@127.0.0.1:1/none"


@pytest.fixture
def dead_mysql() -> Iterator[None]:
    broken = db.create_engine(DEAD_MYSQL)
    app.dependency_overrides[deps.engine] = lambda: broken
    try:
        yield
    finally:
        app.dependency_overrides.pop(deps.engine, None)
        broken.dispose()


def join(client: TestClient, pin: str, nickname: str, **kwargs: Any) -> Any:
    return client.post("/games/join", json={"pin": pin, "nickname": nickname}, **kwargs)


def test_create_game_stores_both(
    client: TestClient,
    register: Callable[..., Any],
    make_quiz: Callable[..., Any],
    api_settings: Settings,
    store: GameStore,
) -> None:
    host = register()
    quiz = make_quiz(host["headers"], question_count=3)
    request = {"quiz_id": quiz["id"], "question_count": 2, "seconds_per_question": 7}
    response = client.post("/games", json=request, headers=host["headers"])
    assert response.status_code == 201
    body = response.json()
    assert body["pin"].isdigit()
    assert len(body["pin"]) == 6
    claims = verify(api_settings, body["host_token"], TokenKind.HOST)
    assert claims.subject == str(host["user_id"])
    assert claims.game_id == body["game_id"]

    game_id = GameId(body["game_id"])
    assert store.game_for_pin(body["pin"]) == game_id
    assert store.state(game_id).question_count == 2
    assert [store.question(game_id, i)["limit_ms"] for i in range(2)] == [7000, 7000]
    with db.engine(api_settings.mysql_url).connect() as connection:
        row = connection.execute(sa.select(db.games).where(db.games.c.id == game_id)).one()
    assert row.status == "lobby"
    assert row.pin == body["pin"]
    assert row.question_count == 2
    assert row.host_user_id == host["user_id"]


def test_create_game_rejects_bad_count(
    client: TestClient, register: Callable[..., Any], make_quiz: Callable[..., Any]
) -> None:
    host = register()
    quiz = make_quiz(host["headers"], question_count=3)
    request = {"quiz_id": quiz["id"], "question_count": 4}
    response = client.post("/games", json=request, headers=host["headers"])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_question_count"
    too_fast = {"quiz_id": quiz["id"], "seconds_per_question": 4}
    response = client.post("/games", json=too_fast, headers=host["headers"])
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("seconds_per_question:")


def test_create_game_unknown_quiz(client: TestClient, register: Callable[..., Any]) -> None:
    host = register()
    response = client.post("/games", json={"quiz_id": 987654321}, headers=host["headers"])
    assert response.status_code == 404


def test_create_game_needs_access_token(client: TestClient, game: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {game['host_token']}"}
    response = client.post("/games", json={"quiz_id": 1}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "wrong_token_kind"


def test_create_game_mysql_down_removes_pin(
    store: GameStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin = next(
        f"{n:06d}" for n in range(999_999, 0, -1) if not store.redis.exists(f"lq:pin:{n:06d}")
    )
    game_id = new_game_id()
    monkeypatch.setattr("livequiz.store.new_pin", lambda: pin)
    monkeypatch.setattr("livequiz.lobby.new_game_id", lambda: game_id)
    summary = QuizSummary(QuizId(1), "Quiz", 8, UserId(1), "Host", "json")
    quiz = StoredQuiz(summary, None, load_sample_quiz().questions)
    broken = db.create_engine(DEAD_MYSQL)
    try:
        with pytest.raises(ServiceError):
            lobby.create_game(broken, store, quiz, UserId(1))
    finally:
        broken.dispose()
    assert not store.redis.exists(f"lq:pin:{pin}")
    assert not store.redis.exists(store.key(game_id, "game"))
    assert not store.redis.exists(store.key(game_id, "questions"))


def test_join_returns_player_token(
    client: TestClient, game: dict[str, Any], api_settings: Settings
) -> None:
    response = join(client, game["pin"], "  Ada   Lovelace ")
    assert response.status_code == 201
    body = response.json()
    assert body["game_id"] == game["game_id"]
    assert body["nickname"] == "Ada Lovelace"
    claims = verify(api_settings, body["player_token"], TokenKind.PLAYER)
    assert claims.subject == body["player_id"]
    assert claims.game_id == game["game_id"]
    assert claims.user_id is None


def test_join_taken_nicknames_rejected(
    client: TestClient, game: dict[str, Any], store: GameStore
) -> None:
    assert join(client, game["pin"], "Sam").status_code == 201
    for taken in ("Sam", "sam ", "Sam\u200b", "SAM"):
        response = join(client, game["pin"], taken)
        assert response.status_code == 409, repr(taken)
        assert response.json()["error"]["code"] == "nickname_taken"
    assert join(client, game["pin"], "Sam 2").status_code == 201
    assert store.player_count(GameId(game["game_id"])) == 2


def test_join_logged_in_links_user(
    client: TestClient, game: dict[str, Any], register: Callable[..., Any], api_settings: Settings
) -> None:
    player = register()
    response = join(client, game["pin"], "Linked", headers=player["headers"])
    assert response.status_code == 201
    claims = verify(api_settings, response.json()["player_token"], TokenKind.PLAYER)
    assert claims.user_id == player["user_id"]
    players = db.game_players.c
    query = sa.select(players.user_id).where(players.player_id == response.json()["player_id"])
    with db.engine(api_settings.mysql_url).connect() as connection:
        assert connection.execute(query).scalar_one() == player["user_id"]


def test_join_invalid_token_rejected(client: TestClient, game: dict[str, Any]) -> None:
    response = join(client, game["pin"], "Eve", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401


def test_join_bad_pins(client: TestClient, store: GameStore) -> None:
    malformed = join(client, "12ab56", "Ann")
    assert malformed.status_code == 400
    assert malformed.json()["error"]["message"].startswith("pin:")
    unused = next(
        f"{n:06d}" for n in range(1, 999_999) if not store.redis.exists(f"lq:pin:{n:06d}")
    )
    unknown = join(client, unused, "Ann")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_pin"


def test_join_invalid_nicknames_rejected(client: TestClient, game: dict[str, Any]) -> None:
    for nickname in ("", " \u200b ", "x" * 33, "tab\x07bell"):
        response = join(client, game["pin"], nickname)
        assert response.status_code == 400, repr(nickname)
        assert response.json()["error"]["code"] == "invalid_nickname"


def test_join_started_game_refused_without_late_join(
    client: TestClient, game: dict[str, Any], store: GameStore
) -> None:
    key = store.key(game["game_id"], "game")
    store.redis.hset(key, mapping={"phase": "question_open", "late_join": 0})
    response = join(client, game["pin"], "Late")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "game_started"


def test_late_join_starts_at_zero(
    client: TestClient, game: dict[str, Any], store: GameStore
) -> None:
    # Late joins are on by default.
    store.redis.hset(store.key(game["game_id"], "game"), "phase", "question_open")
    response = join(client, game["pin"], "Late")
    assert response.status_code == 201
    player = PlayerId(response.json()["player_id"])
    assert store.player_score(GameId(game["game_id"]), player)[0] == 0


@pytest.mark.parametrize(
    ("fields", "code"),
    [({"locked": 1}, "game_locked"), ({"phase": "ended"}, "game_ended")],
)
def test_join_locked_or_ended_game_conflicts(
    client: TestClient, game: dict[str, Any], store: GameStore, fields: dict[str, Any], code: str
) -> None:
    store.redis.hset(store.key(game["game_id"], "game"), mapping=fields)
    response = join(client, game["pin"], "Late")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == code


def test_join_without_nickname_gets_generated_name(
    client: TestClient, game: dict[str, Any]
) -> None:
    response = client.post("/games/join", json={"pin": game["pin"]})
    assert response.status_code == 201, response.text
    nickname = response.json()["nickname"]
    adjective, _, animal = nickname.partition(" ")
    assert adjective in nicknames.ADJECTIVES
    assert animal in nicknames.ANIMALS


def test_join_mysql_down_leaves_nothing(
    client: TestClient, game: dict[str, Any], store: GameStore, dead_mysql: None
) -> None:
    response = join(client, game["pin"], "Ghost")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    game_id = GameId(game["game_id"])
    assert store.players(game_id) == {}
    assert not store.redis.hexists(store.key(game_id, "nicknames"), "ghost")
    assert store.ranking(game_id) == []


def test_join_retry_after_mysql_failure(
    client: TestClient, game: dict[str, Any], api_settings: Settings
) -> None:
    broken = db.create_engine(DEAD_MYSQL)
    app.dependency_overrides[deps.engine] = lambda: broken
    try:
        assert join(client, game["pin"], "Phoenix").status_code == 503
    finally:
        app.dependency_overrides.pop(deps.engine, None)
        broken.dispose()
    assert join(client, game["pin"], "Phoenix").status_code == 201


def test_results_rank_by_total_then_reached(
    client: TestClient, game: dict[str, Any], api_settings: Settings
) -> None:
    markup = "<b>hi</b><i>x</i>"
    names = ["Later", "Earlier", "Leader", markup, "🦊 Fox"]
    ids = {name: join(client, game["pin"], name).json()["player_id"] for name in names}
    scores = {"Later": (900, 5, 1), "Earlier": (900, 3, 1), "Leader": (1500, 7, 2)}
    players = db.game_players.c
    with db.engine(api_settings.mysql_url).begin() as connection:
        # The final ranking: while a game runs, results count only revealed questions.
        connection.execute(
            sa.update(db.games).where(db.games.c.id == game["game_id"]).values(status="ended")
        )
        for name, (total, reached, correct) in scores.items():
            connection.execute(
                sa.update(db.game_players)
                .where(players.player_id == ids[name])
                .values(total_score=total, reached_seq=reached, correct_count=correct)
            )
        for question_index, player, correct in ((0, "Leader", True), (0, "Later", False)):
            connection.execute(
                sa.insert(db.answers).values(
                    game_id=game["game_id"],
                    question_index=question_index,
                    player_id=ids[player],
                    choice=1,
                    correct=correct,
                    points=900 if correct else 0,
                    elapsed_ms=1200,
                    answered_at=sa.func.now(3),
                )
            )

    response = client.get(f"/games/{game['game_id']}/results")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ended"
    assert [player["nickname"] for player in body["players"][:3]] == ["Leader", "Earlier", "Later"]
    assert [player["rank"] for player in body["players"]] == [1, 2, 3, 4, 5]
    assert body["players"][0]["score"] == 1500
    assert body["players"][0]["correct_count"] == 2
    nicknames = {player["nickname"] for player in body["players"]}
    assert markup in nicknames
    assert "🦊 Fox" in nicknames
    assert markup.encode() in response.content
    assert body["questions"] == [
        {"index": 0, "answers": 2, "correct_answers": 1},
        {"index": 1, "answers": 0, "correct_answers": 0},
        {"index": 2, "answers": 0, "correct_answers": 0},
    ]


def test_results_leave_out_kicked_players(
    client: TestClient, game: dict[str, Any], api_settings: Settings
) -> None:
    ids = {name: join(client, game["pin"], name).json()["player_id"] for name in ("Ada", "Bob")}
    players = db.game_players.c
    with db.engine(api_settings.mysql_url).begin() as connection:
        connection.execute(
            sa.update(db.games).where(db.games.c.id == game["game_id"]).values(status="ended")
        )
        connection.execute(
            sa.update(db.game_players)
            .where(players.player_id == ids["Ada"])
            .values(total_score=2000, kicked=True)
        )
    body = client.get(f"/games/{game['game_id']}/results").json()
    assert [(player["nickname"], player["rank"]) for player in body["players"]] == [("Bob", 1)]


def test_results_unknown_game(client: TestClient) -> None:
    response = client.get(f"/games/{new_game_id()}/results")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_game"


def test_concurrent_joins_one_nickname(
    game: dict[str, Any], store: GameStore, api_settings: Settings
) -> None:
    engine = db.engine(api_settings.mysql_url)
    spellings = ["Kim", "kim", "KIM", "Kim ", " kim", "Kim\u2060", "kIm", "KiM"]

    def attempt(nickname: str) -> str:
        try:
            lobby.join_game(engine, store, game["pin"], nickname, None)
        except ConflictError as error:
            return error.code
        return "joined"

    with ThreadPoolExecutor(max_workers=len(spellings)) as pool:
        outcomes = list(pool.map(attempt, spellings))
    assert outcomes.count("joined") == 1
    assert outcomes.count("nickname_taken") == len(spellings) - 1
    players = db.game_players.c
    query = sa.select(sa.func.count()).where(players.game_id == game["game_id"])
    with engine.connect() as connection:
        assert connection.execute(query).scalar_one() == 1


def test_create_game_of_others_quiz_forbidden(
    client: TestClient, register: Callable[..., dict[str, Any]], make_quiz: Callable[..., Any]
) -> None:
    owner = register()
    other = register()
    quiz = make_quiz(owner["headers"])
    response = client.post("/games", json={"quiz_id": quiz["id"]}, headers=other["headers"])
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_quiz_owner"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"auto_reveal": "no"}, "options.auto_reveal"),
        ({"scoring": "fastest"}, "options.scoring"),
        ({"auto_advance_s": 2}, "options.auto_advance_s"),
        ({"confetti": True}, "options.confetti"),
    ],
)
def test_create_game_rejects_bad_options(
    client: TestClient,
    register: Callable[..., Any],
    make_quiz: Callable[..., Any],
    options: dict[str, Any],
    field: str,
) -> None:
    host = register()
    quiz = make_quiz(host["headers"], question_count=1)
    response = client.post(
        "/games", json={"quiz_id": quiz["id"], "options": options}, headers=host["headers"]
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"].startswith(f"{field}: ")


def test_create_game_stores_options(
    client: TestClient,
    register: Callable[..., Any],
    make_quiz: Callable[..., Any],
    store: GameStore,
    api_settings: Settings,
) -> None:
    host = register()
    quiz = make_quiz(host["headers"], question_count=1)
    options = {"scoring": "accuracy", "streak_bonus": True, "auto_advance_s": 5}
    response = client.post(
        "/games", json={"quiz_id": quiz["id"], "options": options}, headers=host["headers"]
    )
    assert response.status_code == 201, response.text
    game_id = GameId(response.json()["game_id"])
    state = store.state(game_id)
    assert state.options.scoring == "accuracy"
    assert state.options.streak_bonus is True
    assert state.options.auto_advance_s == 5
    with db.engine(api_settings.mysql_url).connect() as connection:
        stored = connection.execute(
            sa.select(db.games.c.options).where(db.games.c.id == game_id)
        ).scalar_one()
    assert stored["scoring"] == "accuracy"
