"""Attacks on the REST API: results during a game, kicks and odd input, against the real
services."""

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from functions.answer import handler as answer_function
from functions.auth.app import app
from functions.connect import handler as connect_function
from functions.persist.handler import stored_answers
from livequiz import db, history
from livequiz.config import Settings
from livequiz.events import Event, ReceivedMessage
from tests.support import context, drain, load_event

QUIZ = {
    "title": "Attack quiz",
    "questions": [
        {"text": "One?", "choices": ["zero", "one", "two"], "correct": 1, "time_limit": 60},
        {"text": "Two?", "choices": ["zero", "one", "two"], "correct": 2, "time_limit": 60},
    ],
}


class Game:
    """A game created and joined over REST, played through the WebSocket handlers."""

    def __init__(
        self,
        client: TestClient,
        headers: dict[str, str],
        settings: Settings,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.headers = headers
        self.settings = settings
        quiz = client.post("/quizzes", json=QUIZ, headers=headers)
        assert quiz.status_code == 201, quiz.text
        body = {"quiz_id": quiz.json()["id"], "options": options or {}}
        created = client.post("/games", json=body, headers=headers)
        assert created.status_code == 201, created.text
        self.game_id: str = created.json()["game_id"]
        self.pin: str = created.json()["pin"]
        self.host = self.connect(created.json()["host_token"])
        self.players: dict[str, str] = {}
        self.connections: dict[str, str] = {}

    def connect(self, token: str) -> str:
        connection_id = f"{uuid.uuid4().hex[:15]}="
        event = load_event("ws-connect.json")
        event["requestContext"]["connectionId"] = connection_id
        event["queryStringParameters"] = {"token": token}
        event["multiValueQueryStringParameters"] = {"token": [token]}
        assert connect_function.connect(event, context("connect")) == {"statusCode": 200}
        return connection_id

    def join(self, nickname: str) -> None:
        joined = self.client.post("/games/join", json={"pin": self.pin, "nickname": nickname})
        assert joined.status_code == 201, joined.text
        self.players[nickname] = joined.json()["player_id"]
        self.connections[nickname] = self.connect(joined.json()["player_token"])

    def send(self, connection_id: str, message: dict[str, Any]) -> dict[str, Any]:
        event = load_event("ws-message.json")
        event["requestContext"]["connectionId"] = connection_id
        event["body"] = json.dumps(message)
        reply: dict[str, Any] = json.loads(answer_function.handler(event, context("a"))["body"])
        return reply

    def command(self, action: str, **fields: Any) -> dict[str, Any]:
        return self.send(self.host, {"action": action, **fields})

    def answer(self, nickname: str, question: int, choice: int) -> dict[str, Any]:
        message = {"action": "answer", "question": question, "choice": choice}
        return self.send(self.connections[nickname], message)

    def persist(self) -> None:
        """Run persist on every event of this game that the persist queue holds."""
        queue = self.settings.persist_queue
        messages = []
        for body in drain(self.settings, queue, self.game_id):
            raw = json.dumps(body).encode()
            messages.append(ReceivedMessage(queue, raw, Event.from_json(raw)))
        engine = db.engine(self.settings.mysql_url)
        history.persist_batch(engine, messages, lambda *_: None, stored_answers)


def test_results_hide_open_question(
    client: TestClient, register: Callable[..., dict[str, Any]], api_settings: Settings
) -> None:
    game = Game(client, register()["headers"], api_settings)
    game.join("Ada")
    game.join("Bob")
    assert game.command("start")["type"] == "ok"
    assert game.answer("Ada", 0, 1)["accepted"] is True
    game.persist()
    # Question 0 is still open and unrevealed: Bob has not answered.
    sync = game.command("sync")
    assert sync["phase"] == "question_open"
    results = client.get(f"/games/{game.game_id}/results")
    assert results.status_code == 200
    body = results.json()
    ada = next(player for player in body["players"] if player["nickname"] == "Ada")
    # Anyone, without a token, would learn here that Ada's answer was right.
    assert ada["correct_count"] == 0
    assert ada["score"] == 0
    assert body["questions"][0]["correct_answers"] == 0
    # Once the question is revealed, the results count it.
    assert game.answer("Bob", 0, 0)["accepted"] is True
    game.persist()
    body = client.get(f"/games/{game.game_id}/results").json()
    scores = {player["nickname"]: player["score"] for player in body["players"]}
    assert scores["Ada"] > 0
    assert scores["Bob"] == 0
    assert body["questions"][0] == {"index": 0, "answers": 2, "correct_answers": 1}


def test_kicked_nickname_stays_taken(
    client: TestClient, register: Callable[..., dict[str, Any]], api_settings: Settings
) -> None:
    game = Game(client, register()["headers"], api_settings)
    game.join("Ada")
    assert game.command("kick", player_id=game.players["Ada"])["type"] == "ok"
    rejoined = client.post("/games/join", json={"pin": game.pin, "nickname": "Ada"})
    assert rejoined.status_code == 409, rejoined.text
    assert rejoined.json()["error"]["code"] == "nickname_taken"
    other = client.post("/games/join", json={"pin": game.pin, "nickname": "Ada 2"})
    assert other.status_code == 201, other.text


def test_import_nested_json_is_rejected(
    client: TestClient, register: Callable[..., dict[str, Any]]
) -> None:
    headers = {**register()["headers"], "content-type": "application/json"}
    nested = b"[" * 100_000 + b"]" * 100_000
    with TestClient(app, raise_server_exceptions=False) as raw:
        cases = (("/quizzes/import/json", 422), ("/quizzes/import/opentdb?title=x", 400))
        for path, status in cases:
            response = raw.post(path, content=nested, headers=headers)
            assert response.status_code == status, (path, response.text)
            assert response.json()["error"]["code"] == "invalid_json"


def test_history_huge_offset_is_rejected(
    client: TestClient, register: Callable[..., dict[str, Any]]
) -> None:
    headers = register()["headers"]
    with TestClient(app, raise_server_exceptions=False) as raw:
        response = raw.get("/users/me/history?offset=18446744073709551616", headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_input"


def test_history_hides_open_question_score(
    client: TestClient, register: Callable[..., dict[str, Any]], api_settings: Settings
) -> None:
    game = Game(client, register()["headers"], api_settings)
    player = register("Player")
    joined = client.post(
        "/games/join", json={"pin": game.pin, "nickname": "Ada"}, headers=player["headers"]
    )
    assert joined.status_code == 201, joined.text
    game.players["Ada"] = joined.json()["player_id"]
    game.connections["Ada"] = game.connect(joined.json()["player_token"])
    game.join("Bob")
    assert game.command("start")["type"] == "ok"
    assert game.answer("Ada", 0, 1)["accepted"] is True
    game.persist()
    history = client.get("/users/me/history", headers=player["headers"]).json()
    entry = next(e for e in history["games"] if e["game_id"] == game.game_id)
    assert entry["score"] == 0
    # Revealed, the question counts.
    assert game.answer("Bob", 0, 0)["accepted"] is True
    game.persist()
    history = client.get("/users/me/history", headers=player["headers"]).json()
    entry = next(e for e in history["games"] if e["game_id"] == game.game_id)
    assert entry["score"] > 0
    assert entry["rank"] == 1


@pytest.mark.parametrize(("leaderboard", "hidden_after_end"), [("end", False), ("never", True)])
def test_results_follow_leaderboard_option(
    client: TestClient,
    register: Callable[..., dict[str, Any]],
    api_settings: Settings,
    leaderboard: str,
    hidden_after_end: bool,
) -> None:
    game = Game(client, register()["headers"], api_settings, options={"leaderboard": leaderboard})
    game.join("Ada")
    game.join("Bob")
    game.command("start")
    game.answer("Ada", 0, 1)
    game.answer("Bob", 0, 0)
    game.persist()
    running = client.get(f"/games/{game.game_id}/results").json()
    assert running["players_hidden"] is True
    assert running["players"] == []
    game.command("next")
    game.answer("Ada", 1, 2)
    game.answer("Bob", 1, 2)
    assert game.command("next")["phase"] == "ended"
    game.persist()
    ended = client.get(f"/games/{game.game_id}/results").json()
    assert ended["players_hidden"] is hidden_after_end
    assert len(ended["players"]) == (0 if hidden_after_end else 2)
