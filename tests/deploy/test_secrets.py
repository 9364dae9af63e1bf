"""Settings built from Secrets Manager, against moto's Secrets Manager API over HTTP.

moto runs in server mode on 127.0.0.1 and boto3 reaches it through its standard
``AWS_ENDPOINT_URL_SECRETS_MANAGER`` variable, the way the functions reach LocalStack.
"""

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pika
import pytest
from moto.server import ThreadedMotoServer
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from livequiz import secrets
from livequiz.config import Settings, get_settings
from livequiz.errors import ConfigError

REGION = "eu-west-1"
# A password with every character that a URL must quote.
PASSWORD = "p@ss:w/rd?#%&+ é"
TOKEN_SECRET = "t" * 40


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def aws(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point boto3 at moto with fake credentials, and start each test with an empty cache."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    # conftest sets a token secret for the session, which would clash with the secret ARNs.
    monkeypatch.delenv("LIVEQUIZ_TOKEN_SECRET")
    secrets.clear_cache()
    yield
    monkeypatch.undo()
    secrets.clear_cache()


@pytest.fixture
def admin() -> Any:
    """A Secrets Manager client of the test's own, to create and delete secrets."""
    return boto3.client("secretsmanager", region_name=REGION)


def create_secret(admin: Any, value: str, *, binary: bool = False) -> str:
    name = f"livequiz-test/{uuid.uuid4().hex[:12]}"
    if binary:
        response = admin.create_secret(Name=name, SecretBinary=value.encode())
    else:
        response = admin.create_secret(Name=name, SecretString=value)
    arn: str = response["ARN"]
    return arn


def credentials(username: str, password: str) -> str:
    return json.dumps({"username": username, "password": password})


def aws_settings(**values: Any) -> Settings:
    return Settings(**values)


def count_reads() -> list[str]:
    """Record the SecretId of every GetSecretValue call that livequiz.secrets sends."""
    reads: list[str] = []
    client = secrets.secrets_manager_client(REGION)

    def record(params: dict[str, Any], **_: Any) -> None:
        reads.append(params["SecretId"])

    # The client is cached per region, so livequiz.secrets sends its calls through this one.
    client.meta.events.register("provide-client-params.secrets-manager.GetSecretValue", record)
    return reads


def test_mysql_url_from_secret(admin: Any) -> None:
    arn = create_secret(admin, credentials("quiz admin", PASSWORD))
    settings = secrets.resolve_secrets(
        aws_settings(
            mysql_host="db.example.internal",
            mysql_port=3307,
            mysql_database="livequiz",
            mysql_secret_arn=arn,
        )
    )
    assert settings.mysql_url == (
        "mysql+pymysql://quiz%20admin:p%40ss%3Aw%2Frd%3F%23%25%26%2B%20%C3%A9"
        "@db.example.internal:3307/livequiz"
    )
    url = make_url(settings.mysql_url)
    assert url.username == "quiz admin"
    assert url.password == PASSWORD
    assert url.host == "db.example.internal"
    assert url.port == 3307
    assert url.database == "livequiz"


def test_mysql_port_defaults_to_3306(admin: Any) -> None:
    arn = create_secret(admin, credentials("admin", "secret"))
    settings = secrets.resolve_secrets(
        aws_settings(mysql_host="db", mysql_database="livequiz", mysql_secret_arn=arn)
    )
    assert settings.mysql_url == "mysql+pymysql://admin:secret@db:3306/livequiz"


def test_rabbitmq_url_from_secret(admin: Any) -> None:
    arn = create_secret(admin, credentials("broker", PASSWORD))
    host = "b-1234.mq.eu-west-1.amazonaws.com"
    settings = secrets.resolve_secrets(aws_settings(rabbitmq_host=host, rabbitmq_secret_arn=arn))
    assert settings.rabbitmq_url == (
        f"amqps://broker:p%40ss%3Aw%2Frd%3F%23%25%26%2B%20%C3%A9@{host}:5671/%2F"
    )
    parameters = pika.URLParameters(settings.rabbitmq_url)
    assert parameters.host == host
    assert parameters.port == 5671
    assert parameters.virtual_host == "/"
    assert parameters.ssl_options is not None
    assert isinstance(parameters.credentials, pika.PlainCredentials)
    assert parameters.credentials.username == "broker"
    assert parameters.credentials.password == PASSWORD


def test_rabbitmq_without_tls(admin: Any) -> None:
    arn = create_secret(admin, credentials("guest", "guest"))
    settings = secrets.resolve_secrets(
        aws_settings(
            rabbitmq_host="rabbitmq",
            rabbitmq_port=5672,
            rabbitmq_tls=False,
            rabbitmq_secret_arn=arn,
        )
    )
    assert settings.rabbitmq_url == "amqp://guest:guest@rabbitmq:5672/%2F"


def test_token_secret_from_secret(admin: Any) -> None:
    arn = create_secret(admin, TOKEN_SECRET)
    settings = secrets.resolve_secrets(aws_settings(token_secret_arn=arn))
    assert settings.token_secret is not None
    assert settings.token_secret.get_secret_value() == TOKEN_SECRET
    assert settings.require_token_secret() == TOKEN_SECRET


def test_secret_name_works_like_arn(admin: Any) -> None:
    arn = create_secret(admin, TOKEN_SECRET)
    name = admin.describe_secret(SecretId=arn)["Name"]
    settings = secrets.resolve_secrets(aws_settings(token_secret_arn=name))
    assert settings.require_token_secret() == TOKEN_SECRET


def test_without_secrets_settings_unchanged() -> None:
    settings = aws_settings(mysql_url="mysql+pymysql://root:@127.0.0.1:3306/other")
    assert secrets.resolve_secrets(settings) is settings
    assert settings.mysql_url == "mysql+pymysql://root:@127.0.0.1:3306/other"


def test_get_settings_reads_environment(admin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    mysql = create_secret(admin, credentials("admin", "secret"))
    rabbitmq = create_secret(admin, credentials("broker", "secret"))
    token = create_secret(admin, TOKEN_SECRET)
    monkeypatch.delenv("LIVEQUIZ_MYSQL_URL", raising=False)
    monkeypatch.delenv("LIVEQUIZ_RABBITMQ_URL", raising=False)
    environment = {
        "LIVEQUIZ_MYSQL_HOST": "db",
        "LIVEQUIZ_MYSQL_PORT": "3306",
        "LIVEQUIZ_MYSQL_DATABASE": "livequiz",
        "LIVEQUIZ_MYSQL_SECRET_ARN": mysql,
        "LIVEQUIZ_RABBITMQ_HOST": "broker",
        "LIVEQUIZ_RABBITMQ_SECRET_ARN": rabbitmq,
        "LIVEQUIZ_TOKEN_SECRET_ARN": token,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        settings = get_settings()
    finally:
        # The other tests of the session read the settings of the unchanged environment.
        monkeypatch.undo()
        get_settings.cache_clear()
    assert settings.mysql_url == "mysql+pymysql://admin:secret@db:3306/livequiz"
    assert settings.rabbitmq_url == "amqps://broker:secret@broker:5671/%2F"
    assert settings.require_token_secret() == TOKEN_SECRET


def test_one_read_per_secret(admin: Any) -> None:
    arn = create_secret(admin, credentials("admin", "secret"))
    token = create_secret(admin, TOKEN_SECRET)
    reads = count_reads()
    values = {
        "mysql_host": "db",
        "mysql_database": "livequiz",
        "mysql_secret_arn": arn,
        # The same secret for both services, which is still read once.
        "rabbitmq_host": "broker",
        "rabbitmq_secret_arn": arn,
        "token_secret_arn": token,
    }
    first = secrets.resolve_secrets(aws_settings(**values))
    assert reads == [arn, token]
    # Gone from Secrets Manager, but already in this process: no call, the same values.
    admin.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    second = secrets.resolve_secrets(aws_settings(**values))
    assert reads == [arn, token]
    assert second.mysql_url == first.mysql_url
    assert second.rabbitmq_url == first.rabbitmq_url
    assert second.require_token_secret() == TOKEN_SECRET


def test_clear_cache_reads_again(admin: Any) -> None:
    token = create_secret(admin, TOKEN_SECRET)
    reads = count_reads()
    secrets.resolve_secrets(aws_settings(token_secret_arn=token))
    assert reads == [token]
    secrets.clear_cache()
    # clear_cache drops the client too, so the hook goes on the new one.
    reads_after = count_reads()
    secrets.resolve_secrets(aws_settings(token_secret_arn=token))
    assert reads_after == [token]


def test_read_logs_arn_not_value(admin: Any, caplog: pytest.LogCaptureFixture) -> None:
    arn = create_secret(admin, credentials("admin", PASSWORD))
    with caplog.at_level(logging.INFO, logger="livequiz.secrets"):
        secrets.resolve_secrets(
            aws_settings(mysql_host="db", mysql_database="livequiz", mysql_secret_arn=arn)
        )
    messages = [
        record.getMessage() for record in caplog.records if record.name == "livequiz.secrets"
    ]
    assert messages == [f"read the secret {arn} named by LIVEQUIZ_MYSQL_SECRET_ARN"]
    assert PASSWORD not in caplog.text


def test_missing_secret(admin: Any) -> None:
    arn = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:livequiz-test/absent-AbCdEf"
    with pytest.raises(ConfigError) as raised:
        secrets.resolve_secrets(
            aws_settings(mysql_host="db", mysql_database="livequiz", mysql_secret_arn=arn)
        )
    assert str(raised.value) == (
        f"the secret {arn} named by LIVEQUIZ_MYSQL_SECRET_ARN was not found: "
        "check the ARN and that the secret exists in its region"
    )


def test_secret_not_json(admin: Any) -> None:
    arn = create_secret(admin, "admin:secret")
    with pytest.raises(ConfigError) as raised:
        secrets.resolve_secrets(aws_settings(rabbitmq_host="broker", rabbitmq_secret_arn=arn))
    assert str(raised.value) == (
        f"the secret {arn} named by LIVEQUIZ_RABBITMQ_SECRET_ARN is not JSON: "
        'store {"username": "...", "password": "..."}'
    )


def test_secret_not_object(admin: Any) -> None:
    arn = create_secret(admin, '["admin", "secret"]')
    with pytest.raises(ConfigError) as raised:
        secrets.resolve_secrets(aws_settings(rabbitmq_host="broker", rabbitmq_secret_arn=arn))
    assert str(raised.value) == (
        f"the secret {arn} named by LIVEQUIZ_RABBITMQ_SECRET_ARN is not a JSON object: "
        'store {"username": "...", "password": "..."}'
    )


@pytest.mark.parametrize(
    ("document", "key"),
    [
        ({"password": "secret"}, "username"),
        ({"username": "", "password": "secret"}, "username"),
        ({"username": "admin"}, "password"),
        ({"username": "admin", "password": 1234}, "password"),
    ],
)
def test_secret_lacks_key(admin: Any, document: dict[str, Any], key: str) -> None:
    arn = create_secret(admin, json.dumps(document))
    with pytest.raises(ConfigError) as raised:
        secrets.resolve_secrets(
            aws_settings(mysql_host="db", mysql_database="livequiz", mysql_secret_arn=arn)
        )
    assert str(raised.value) == (
        f"the secret {arn} named by LIVEQUIZ_MYSQL_SECRET_ARN has no {key!r} string: "
        'store {"username": "...", "password": "..."}'
    )


def test_binary_secret(admin: Any) -> None:
    arn = create_secret(admin, TOKEN_SECRET, binary=True)
    with pytest.raises(ConfigError) as raised:
        secrets.resolve_secrets(aws_settings(token_secret_arn=arn))
    assert str(raised.value) == (
        f"the secret {arn} named by LIVEQUIZ_TOKEN_SECRET_ARN has a binary value: "
        "store the value as a secret string"
    )


def test_short_token_secret(admin: Any) -> None:
    arn = create_secret(admin, "too short")
    with pytest.raises(ConfigError) as raised:
        secrets.resolve_secrets(aws_settings(token_secret_arn=arn))
    assert str(raised.value) == (
        f"the secret {arn} named by LIVEQUIZ_TOKEN_SECRET_ARN has 9 bytes: "
        "store a random string of at least 32 bytes"
    )


def test_host_without_secret() -> None:
    with pytest.raises(ConfigError) as raised:
        secrets.resolve_secrets(aws_settings(mysql_host="db", mysql_database="livequiz"))
    assert str(raised.value) == (
        "LIVEQUIZ_MYSQL_SECRET_ARN is not set: set it to the secret with the MySQL username "
        "and password, or unset LIVEQUIZ_MYSQL_HOST"
    )


def test_secret_without_host(admin: Any) -> None:
    arn = create_secret(admin, credentials("broker", "secret"))
    with pytest.raises(ConfigError) as raised:
        secrets.resolve_secrets(aws_settings(rabbitmq_secret_arn=arn))
    assert str(raised.value) == (
        "LIVEQUIZ_RABBITMQ_HOST is not set: LIVEQUIZ_RABBITMQ_SECRET_ARN needs the broker's host"
    )


def test_secret_without_database(admin: Any) -> None:
    arn = create_secret(admin, credentials("admin", "secret"))
    with pytest.raises(ConfigError) as raised:
        secrets.resolve_secrets(aws_settings(mysql_host="db", mysql_secret_arn=arn))
    assert str(raised.value) == (
        "LIVEQUIZ_MYSQL_DATABASE is not set: LIVEQUIZ_MYSQL_SECRET_ARN needs the database name"
    )


def test_explicit_url_and_secret(admin: Any) -> None:
    arn = create_secret(admin, credentials("admin", "secret"))
    with pytest.raises(ConfigError) as raised:
        secrets.resolve_secrets(
            aws_settings(
                mysql_url="mysql+pymysql://root:@127.0.0.1:3306/test",
                mysql_host="db",
                mysql_database="livequiz",
                mysql_secret_arn=arn,
            )
        )
    assert str(raised.value) == (
        "both LIVEQUIZ_MYSQL_URL and LIVEQUIZ_MYSQL_SECRET_ARN are set: set only one of them"
    )


def test_explicit_token_and_secret(admin: Any) -> None:
    arn = create_secret(admin, TOKEN_SECRET)
    with pytest.raises(ConfigError) as raised:
        secrets.resolve_secrets(Settings(token_secret=SecretStr("x" * 40), token_secret_arn=arn))
    assert str(raised.value) == (
        "both LIVEQUIZ_TOKEN_SECRET and LIVEQUIZ_TOKEN_SECRET_ARN are set: set only one of them"
    )


def test_region_taken_from_arn(admin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    arn = create_secret(admin, TOKEN_SECRET)
    regions: list[str] = []
    original = secrets.secrets_manager_client

    def client(region: str) -> Any:
        regions.append(region)
        return original(region)

    monkeypatch.setattr(secrets, "secrets_manager_client", client)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    secrets.resolve_secrets(aws_settings(token_secret_arn=arn))
    assert arn.startswith(f"arn:aws:secretsmanager:{REGION}:")
    assert regions == [REGION]
