import uuid

import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from pydantic import SecretStr

from livequiz import accounts, db
from livequiz.config import Settings
from livequiz.tokens import Claims, TokenKind, issue, verify


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


def test_register_returns_access_token(client: TestClient, api_settings: Settings) -> None:
    response = client.post(
        "/auth/register",
        json={"email": new_email(), "password": "long enough", "display_name": "Ada"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == api_settings.access_token_ttl_s
    claims = verify(api_settings, body["access_token"], TokenKind.ACCESS)
    assert claims.subject == str(body["user_id"])


def test_register_taken_email_conflicts(client: TestClient) -> None:
    email = new_email()
    first = {"email": email, "password": "long enough", "display_name": "Ada"}
    assert client.post("/auth/register", json=first).status_code == 201
    again = {"email": email.upper(), "password": "another one", "display_name": "Bob"}
    response = client.post("/auth/register", json=again)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"


def test_register_short_password_rejected(client: TestClient) -> None:
    body = {"email": new_email(), "password": "short", "display_name": "Ada"}
    response = client.post("/auth/register", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["message"].startswith("password:")


def test_register_invalid_email_rejected(client: TestClient) -> None:
    body = {"email": "not an address", "password": "long enough", "display_name": "Ada"}
    response = client.post("/auth/register", json=body)
    assert response.status_code == 400
    assert "email" in response.json()["error"]["message"]


def test_login_returns_same_user(client: TestClient) -> None:
    email = new_email()
    registered = client.post(
        "/auth/register", json={"email": email, "password": "long enough", "display_name": "Ada"}
    ).json()
    response = client.post("/auth/login", json={"email": f" {email} ", "password": "long enough"})
    assert response.status_code == 200
    assert response.json()["user_id"] == registered["user_id"]
    assert response.json()["token_type"] == "bearer"


def test_login_failures_share_message(client: TestClient) -> None:
    email = new_email()
    client.post(
        "/auth/register", json={"email": email, "password": "long enough", "display_name": "Ada"}
    )
    wrong_password = client.post("/auth/login", json={"email": email, "password": "not it at all"})
    unknown_email = client.post("/auth/login", json={"email": new_email(), "password": "whatever1"})
    assert wrong_password.status_code == 401
    assert unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["error"]["code"] == "invalid_credentials"


def test_protected_route_token_errors(client: TestClient, api_settings: Settings) -> None:
    expired = issue(api_settings, Claims(TokenKind.ACCESS, "1"), ttl_s=-60)
    player = issue(api_settings, Claims(TokenKind.PLAYER, "p" * 32, game_id="g" * 32))
    cases = {
        "missing_token": {},
        "invalid_token": {"Authorization": "Bearer not.a.token"},
        "expired_token": {"Authorization": f"Bearer {expired}"},
        "wrong_token_kind": {"Authorization": f"Bearer {player}"},
    }
    for code, headers in cases.items():
        response = client.post("/quizzes", json={}, headers=headers)
        assert response.status_code == 401, code
        assert response.json()["error"]["code"] == code
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_token_signed_with_other_key_rejected(client: TestClient, api_settings: Settings) -> None:
    other = api_settings.model_copy(update={"token_secret": SecretStr("x" * 48)})
    forged = issue(other, Claims(TokenKind.ACCESS, "1"))
    response = client.get("/quizzes/1", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_healthz_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_unknown_route_uses_envelope(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_openapi_docs_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/games/join" in paths
    assert "/quizzes/import/{format}" in paths


def test_login_rehashes_weak_hash(client: TestClient, api_settings: Settings) -> None:
    email = new_email()
    body = {"email": email, "password": "long enough", "display_name": "Ada"}
    user_id = client.post("/auth/register", json=body).json()["user_id"]
    weak_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("long enough")
    users = db.users.c
    engine = db.engine(api_settings.mysql_url)
    with engine.begin() as connection:
        connection.execute(
            sa.update(db.users).where(users.id == user_id).values(password_hash=weak_hash)
        )

    response = client.post("/auth/login", json={"email": email, "password": "long enough"})
    assert response.status_code == 200
    with engine.connect() as connection:
        stored = connection.execute(
            sa.select(users.password_hash).where(users.id == user_id)
        ).scalar_one()
    assert stored != weak_hash
    assert not accounts.hasher.check_needs_rehash(stored)
    assert client.post("/auth/login", json={"email": email, "password": "long enough"}).is_success
