"""What tracing sends contains no password and no token.

The game test gives Redis, RabbitMQ and MySQL users of its own, each with a random password
in its URL. It plays a game over them, sends REST requests with tokens in their query
strings, and makes the connect and persist handlers fail on a closed port. Then it searches
every byte that reached the fake intake for a piece of each password and token.
"""

import asyncio
import secrets
import subprocess
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis
import sqlalchemy as sa
from elasticapm.conf.constants import BASE_SANITIZE_FIELD_NAMES
from sqlalchemy.engine import make_url

from functions.auth.app import app
from functions.connect import handler as connect_function
from functions.persist import handler as persist_function
from livequiz import accounts, services, tokens, tracing
from livequiz.config import Settings, get_settings
from livequiz.events import Event, now_ms
from livequiz.local.routes import LambdaContext
from livequiz.tokens import Claims, TokenKind
from tests.support import rmq_event
from tests.tracing.conftest import play_short_game
from tests.tracing.servers import ClosedPort, FakeIntake

PLAYERS = 3
QUESTIONS = 1
# A secret counts as sent if any run of this many of its characters reached the intake. A
# random run that long does not turn up by chance in a few megabytes of events.
FRAGMENT_LENGTH = 12
FIELD_NAMES = BASE_SANITIZE_FIELD_NAMES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "amqp://livequiz:Br0ker-pass@127.0.0.1:5672/%2F",
            "amqp://livequiz:[REDACTED]@127.0.0.1:5672/%2F",
        ),
        ("redis://:abc@127.0.0.1:6379/0", "redis://:[REDACTED]@127.0.0.1:6379/0"),
        # No password, nothing to mask.
        ("mysql+pymysql://root:@127.0.0.1:3306/test", "mysql+pymysql://root:@127.0.0.1:3306/test"),
        (
            "Settings(redis_url='redis://u:p1@h:1/0', mysql_url='mysql://u:p2@h:2/d')",
            "Settings(redis_url='redis://u:[REDACTED]@h:1/0', mysql_url='mysql://u:[REDACTED]@h:2/d')",
        ),
        (
            "http://testserver/games/abc/qr.svg?web_url=http%3A%2F%2Fa&token=T0k&limit=1",
            "http://testserver/games/abc/qr.svg?web_url=http%3A%2F%2Fa&token=[REDACTED]&limit=1",
        ),
        ("?player_token=abc&Api_Key=def", "?player_token=[REDACTED]&Api_Key=[REDACTED]"),
        ("?limit=1&offset=20&owner=3", "?limit=1&offset=20&owner=3"),
        ("Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl, next", "Bearer [REDACTED], next"),
        ("answer.accepted", "answer.accepted"),
    ],
)
def test_mask_text_cases(text: str, expected: str) -> None:
    assert tracing.mask_text(text, FIELD_NAMES) == expected


def test_mask_text_known_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing, "_secrets", ("s3cret/with@odd:chars", "abcd"))
    masked = tracing.mask_text("failed with s3cret/with@odd:chars and abcdef", FIELD_NAMES)
    assert masked == "failed with [REDACTED] and [REDACTED]ef"


def test_secret_values_of_settings() -> None:
    settings = Settings(
        redis_url="redis://:r%40dis-pw@127.0.0.1:6379/0",
        rabbitmq_url="amqp://guest:guest@127.0.0.1:5672/%2F",
        mysql_url="mysql+pymysql://root:@127.0.0.1:3306/test",
        token_secret="t" * 40,
    )

    class Config:
        secret_token = "apm-secret-token"
        api_key = None

    class Agent:
        config = Config()

    found = tracing.secret_values(settings, Agent())  # type: ignore[arg-type]
    assert set(found) == {"r%40dis-pw", "r@dis-pw", "guest", "t" * 40, "apm-secret-token"}
    # The longest first, so that no shorter secret breaks up a longer one.
    assert [len(value) for value in found] == sorted((len(value) for value in found), reverse=True)


def test_mask_secrets_walks_event() -> None:
    class Config:
        sanitize_field_names = FIELD_NAMES

    class Agent:
        config = Config()

    event = {
        "context": {"request": {"url": {"search": "?token=abc", "port": 80}}},
        "exception": {"cause": [{"message": "amqp://u:pw@h failed"}]},
        "flags": [True, None, 1.5],
    }
    masked = tracing.mask_secrets(Agent(), event)  # type: ignore[arg-type]
    assert masked["context"]["request"]["url"] == {"search": "?token=[REDACTED]", "port": 80}
    assert masked["exception"]["cause"] == [{"message": "amqp://u:[REDACTED]@h failed"}]
    assert masked["flags"] == [True, None, 1.5]


@dataclass
class Credentials:
    """URLs of users made for one test, each with a password of its own."""

    redis_url: str
    rabbitmq_url: str
    mysql_url: str
    passwords: list[str]


def with_user(url: str, user: str, password: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts._replace(netloc=f"{user}:{password}@{parts.hostname}:{parts.port}").geturl()


def on_port(url: str, port: int) -> str:
    parts = urllib.parse.urlsplit(url)
    user_info, _, _ = parts.netloc.rpartition("@")
    return parts._replace(netloc=f"{user_info}@{parts.hostname}:{port}").geturl()


def rabbitmqctl(*arguments: str) -> None:
    subprocess.run(
        ["rabbitmqctl", "--quiet", *arguments], check=True, capture_output=True, timeout=60
    )


@pytest.fixture
def credentials(settings: Settings) -> Iterator[Credentials]:
    """Create a Redis, a RabbitMQ and a MySQL user, named alike, and delete them afterwards."""
    user = f"lqtrace{uuid.uuid4().hex[:8]}"
    redis_password, rabbitmq_password, mysql_password = (
        secrets.token_urlsafe(18) for _ in range(3)
    )

    admin_redis = redis.Redis.from_url(settings.redis_url)
    admin_redis.acl_setuser(
        user,
        enabled=True,
        passwords=[f"+{redis_password}"],
        keys=["*"],
        channels=["*"],
        commands=["+@all"],
    )

    vhost = urllib.parse.unquote(urllib.parse.urlsplit(settings.rabbitmq_url).path[1:]) or "/"
    rabbitmqctl("add_user", user, rabbitmq_password)
    rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")

    admin_url = make_url(settings.mysql_url)
    admin_mysql = sa.create_engine(admin_url)
    with admin_mysql.begin() as connection:
        connection.execute(
            sa.text("CREATE USER :user@'%' IDENTIFIED BY :password"),
            {"user": user, "password": mysql_password},
        )
        connection.execute(
            sa.text(f"GRANT ALL PRIVILEGES ON `{admin_url.database}`.* TO :user@'%'"),
            {"user": user},
        )
    mysql_url = admin_url.set(username=user, password=mysql_password)

    try:
        yield Credentials(
            redis_url=with_user(settings.redis_url, user, redis_password),
            rabbitmq_url=with_user(settings.rabbitmq_url, user, rabbitmq_password),
            mysql_url=mysql_url.render_as_string(hide_password=False),
            passwords=[redis_password, rabbitmq_password, mysql_password],
        )
    finally:
        with admin_mysql.begin() as connection:
            connection.execute(sa.text("DROP USER IF EXISTS :user@'%'"), {"user": user})
        admin_mysql.dispose()
        rabbitmqctl("delete_user", user)
        admin_redis.acl_deluser(user)
        admin_redis.close()


@pytest.fixture
def issued_tokens(monkeypatch: pytest.MonkeyPatch) -> list[tuple[TokenKind, str]]:
    """Record every token that this process issues, with its kind."""
    issued: list[tuple[TokenKind, str]] = []
    issue = tokens.issue

    def recording_issue(settings: Settings, claims: Claims, ttl_s: int | None = None) -> str:
        token = issue(settings, claims, ttl_s)
        issued.append((claims.kind, token))
        return token

    monkeypatch.setattr(tokens, "issue", recording_issue)
    return issued


@pytest.fixture
def account_passwords(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the password of every account that this process registers."""
    passwords: list[str] = []
    register = accounts.register

    def recording_register(engine: sa.Engine, email: str, password: str, name: str) -> Any:
        passwords.append(password)
        return register(engine, email, password, name)

    monkeypatch.setattr(accounts, "register", recording_register)
    return passwords


def send_rest(requests: list[tuple[str, str]]) -> list[int]:
    """Send ``(path, bearer token)`` GET requests to the REST app in this process."""

    async def send() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            statuses = []
            for path, token in requests:
                response = await http.get(path, headers={"Authorization": f"Bearer {token}"})
                statuses.append(response.status_code)
            return statuses

    return asyncio.run(send())


def fragments(secret: str) -> set[bytes]:
    encoded = secret.encode()
    if len(encoded) <= FRAGMENT_LENGTH:
        return {encoded}
    last = len(encoded) - FRAGMENT_LENGTH
    return {encoded[start : start + FRAGMENT_LENGTH] for start in range(last + 1)}


def sent_pieces(raw: bytes, secret: str) -> list[bytes]:
    return sorted(piece for piece in fragments(secret) if piece in raw)


@pytest.mark.timeout(240)
def test_no_secret_reaches_intake(
    switch_on,
    intake: FakeIntake,
    credentials: Credentials,
    closed_port: ClosedPort,
    issued_tokens: list[tuple[TokenKind, str]],
    account_passwords: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = switch_on(
        intake.url,
        LIVEQUIZ_APM_FLUSH_INTERVAL_S="30",
        LIVEQUIZ_REDIS_URL=credentials.redis_url,
        LIVEQUIZ_RABBITMQ_URL=credentials.rabbitmq_url,
        LIVEQUIZ_MYSQL_URL=credentials.mysql_url,
    )
    # The game store is built once per process, from the first Redis URL it is given.
    services.game_store.cache_clear()
    try:
        game = play_short_game(settings, PLAYERS, QUESTIONS)
        assert game.check.passed, game.check.problems
        player_token = next(token for kind, token in issued_tokens if kind is TokenKind.PLAYER)
        access_token = next(token for kind, token in issued_tokens if kind is TokenKind.ACCESS)

        # Tokens in query strings, which the REST transactions keep in their URLs.
        working = send_rest(
            [
                (f"/games/{game.game_id}/results?token={player_token}", access_token),
                (f"/quizzes?limit=1&player_token={player_token}", access_token),
            ]
        )
        assert working == [200, 200]

        # Redis and MySQL on a closed port, with the passwords still in their URLs.
        monkeypatch.setenv("LIVEQUIZ_REDIS_URL", on_port(credentials.redis_url, closed_port.port))
        failing_mysql = make_url(credentials.mysql_url).set(port=closed_port.port)
        monkeypatch.setenv(
            "LIVEQUIZ_MYSQL_URL", failing_mysql.render_as_string(hide_password=False)
        )
        get_settings.cache_clear()
        services.game_store.cache_clear()
        connect = {
            "requestContext": {"routeKey": "$connect", "connectionId": "Secret0Conn="},
            "queryStringParameters": {"token": player_token},
            "multiValueQueryStringParameters": {"token": [player_token]},
        }
        with pytest.raises(redis.ConnectionError):
            connect_function.connect(connect, LambdaContext("connect", 30.0, "us-east-1"))
        ended = Event("game.ended", game.game_id, f"game.ended:{game.game_id}:secrets", now_ms())
        batch = rmq_event(get_settings().persist_queue, [ended])
        with pytest.raises(sa.exc.OperationalError):
            persist_function.handler(batch, LambdaContext("persist", 30.0, "us-east-1"))
        failing = send_rest([(f"/quizzes?limit=1&token={player_token}", access_token)])
        assert failing == [503]
    finally:
        get_settings.cache_clear()
        services.game_store.cache_clear()
    tracing.close()

    # The intake got the game, the requests and both failures.
    names = {transaction["name"] for transaction in intake.of_kind("transaction")}
    assert {"answer answer", "POST /games/join", "connect $connect", "GET /quizzes"} <= names
    errors = {error["exception"]["type"] for error in intake.of_kind("error")}
    assert {"ConnectionError", "OperationalError"} <= errors
    urls = [
        transaction["context"]["request"]["url"]["full"]
        for transaction in intake.of_kind("transaction")
        if transaction["name"] == "GET /quizzes"
    ]
    assert any("player_token=[REDACTED]" in url for url in urls), urls
    assert any("token=[REDACTED]" in url for url in urls), urls

    raw = bytes(intake.raw)
    secret_token = settings.token_secret.get_secret_value() if settings.token_secret else ""
    named = {"LIVEQUIZ_TOKEN_SECRET": secret_token}
    named |= {f"password {index}": value for index, value in enumerate(credentials.passwords)}
    named |= {f"account password {index}": value for index, value in enumerate(account_passwords)}
    named |= {f"{kind} token {index}": token for index, (kind, token) in enumerate(issued_tokens)}
    assert account_passwords
    assert len(issued_tokens) >= PLAYERS + 2
    # Tokens share their JWT header, so a piece of one token can name several.
    sent = {name: sent_pieces(raw, secret) for name, secret in named.items()}
    assert {name: pieces for name, pieces in sent.items() if pieces} == {}
