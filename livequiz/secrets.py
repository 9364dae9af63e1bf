"""Connection settings read from AWS Secrets Manager once per process, at cold start.

On AWS each function gets the secrets' ARNs and the hosts, never the credentials themselves:

    LIVEQUIZ_MYSQL_SECRET_ARN     RDS-managed secret: JSON with username and password
    LIVEQUIZ_MYSQL_HOST           with LIVEQUIZ_MYSQL_PORT (3306) and LIVEQUIZ_MYSQL_DATABASE
    LIVEQUIZ_RABBITMQ_SECRET_ARN  JSON with username and password
    LIVEQUIZ_RABBITMQ_HOST        the broker's AMQPS host, on port 5671 with vhost /
    LIVEQUIZ_TOKEN_SECRET_ARN     the token signing key, stored as the plain secret string

``resolve_secrets`` turns them into ``mysql_url``, ``rabbitmq_url`` and ``token_secret``.
Without them the explicit ``LIVEQUIZ_MYSQL_URL``, ``LIVEQUIZ_RABBITMQ_URL`` and
``LIVEQUIZ_TOKEN_SECRET`` apply as before. A ``*_SECRET_ARN`` may also hold a secret's name,
which Secrets Manager accepts in place of the ARN.

The client takes its endpoint from boto3's own ``AWS_ENDPOINT_URL`` or
``AWS_ENDPOINT_URL_SECRETS_MANAGER`` variables, so the same code reads LocalStack or moto.
"""

import json
import logging
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import SecretStr

from livequiz.errors import ConfigError, ServiceError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

    from livequiz.config import Settings

logger = logging.getLogger(__name__)

MIN_TOKEN_SECRET_BYTES = 32

# Secret values by secret id, kept for the life of the process. Lambda reuses a process for
# many invocations, so each secret costs one GetSecretValue call per execution environment.
# NOTE: after Secrets Manager rotates the RDS-managed secret, a warm process keeps the old
# password until its next cold start, and its new MySQL connections fail with access denied.
_values: dict[str, str] = {}
_values_lock = threading.Lock()


def clear_cache() -> None:
    """Forget every secret read so far, so that the next read calls Secrets Manager again."""
    with _values_lock:
        _values.clear()
    secrets_manager_client.cache_clear()


@lru_cache(maxsize=4)
def secrets_manager_client(region: str) -> "SecretsManagerClient":
    client: SecretsManagerClient = boto3.client("secretsmanager", region_name=region)
    return client


def _region(secret_id: str, settings: "Settings") -> str:
    # An ARN names its region (arn:aws:secretsmanager:eu-west-1:123456789012:secret:name),
    # so a function reads its secret even where LIVEQUIZ_AWS_REGION is not set.
    parts = secret_id.split(":")
    if len(parts) >= 7 and parts[0] == "arn" and parts[3]:
        return parts[3]
    return boto3.session.Session().region_name or settings.aws_region


def read_secret(variable: str, secret_id: str, settings: "Settings") -> str:
    """Return the string value of the secret that ``variable`` names, read once per process."""
    with _values_lock:
        if secret_id in _values:
            return _values[secret_id]
        client = secrets_manager_client(_region(secret_id, settings))
        try:
            response = client.get_secret_value(SecretId=secret_id)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "ResourceNotFoundException":
                raise ConfigError(
                    f"the secret {secret_id} named by {variable} was not found: "
                    "check the ARN and that the secret exists in its region"
                ) from error
            raise ConfigError(
                f"reading the secret {secret_id} named by {variable} failed with {code}: "
                f"{error}. Check that the function's role may call "
                "secretsmanager:GetSecretValue on it"
            ) from error
        except BotoCoreError as error:
            raise ServiceError(
                f"reading the secret {secret_id} named by {variable} failed: {error}"
            ) from error
        value = response.get("SecretString")
        if value is None:
            raise ConfigError(
                f"the secret {secret_id} named by {variable} has a binary value: "
                "store the value as a secret string"
            )
        logger.info("read the secret %s named by %s", secret_id, variable)
        _values[secret_id] = value
        return value


def read_credentials(variable: str, secret_id: str, settings: "Settings") -> tuple[str, str]:
    """Return the ``username`` and ``password`` of a JSON secret such as RDS stores."""
    value = read_secret(variable, secret_id, settings)
    expected = 'store {"username": "...", "password": "..."}'
    try:
        document: Any = json.loads(value)
    except ValueError as error:
        raise ConfigError(
            f"the secret {secret_id} named by {variable} is not JSON: {expected}"
        ) from error
    if not isinstance(document, dict):
        raise ConfigError(
            f"the secret {secret_id} named by {variable} is not a JSON object: {expected}"
        )
    credentials = []
    for key in ("username", "password"):
        field = document.get(key)
        if not isinstance(field, str) or (key == "username" and not field):
            raise ConfigError(
                f"the secret {secret_id} named by {variable} has no {key!r} string: {expected}"
            )
        credentials.append(field)
    return credentials[0], credentials[1]


def _reject_both(settings: "Settings", url_field: str, secret_field: str) -> None:
    if url_field in settings.model_fields_set:
        raise ConfigError(
            f"both LIVEQUIZ_{url_field.upper()} and LIVEQUIZ_{secret_field.upper()} are set: "
            "set only one of them"
        )


def _require(value: str | None, variable: str, action: str) -> str:
    if not value:
        raise ConfigError(f"{variable} is not set: {action}")
    return value


def _mysql_url(settings: "Settings") -> str:
    variable = "LIVEQUIZ_MYSQL_SECRET_ARN"
    secret_id = _require(
        settings.mysql_secret_arn,
        variable,
        "set it to the secret with the MySQL username and password, or unset LIVEQUIZ_MYSQL_HOST",
    )
    _reject_both(settings, "mysql_url", "mysql_secret_arn")
    host = _require(
        settings.mysql_host, "LIVEQUIZ_MYSQL_HOST", f"{variable} needs the database's host"
    )
    database = _require(
        settings.mysql_database, "LIVEQUIZ_MYSQL_DATABASE", f"{variable} needs the database name"
    )
    username, password = read_credentials(variable, secret_id, settings)
    return (
        f"mysql+pymysql://{quote(username, safe='')}:{quote(password, safe='')}"
        f"@{host}:{settings.mysql_port}/{quote(database, safe='')}"
    )


def _rabbitmq_url(settings: "Settings") -> str:
    variable = "LIVEQUIZ_RABBITMQ_SECRET_ARN"
    secret_id = _require(
        settings.rabbitmq_secret_arn,
        variable,
        "set it to the secret with the broker's username and password, "
        "or unset LIVEQUIZ_RABBITMQ_HOST",
    )
    _reject_both(settings, "rabbitmq_url", "rabbitmq_secret_arn")
    host = _require(
        settings.rabbitmq_host, "LIVEQUIZ_RABBITMQ_HOST", f"{variable} needs the broker's host"
    )
    username, password = read_credentials(variable, secret_id, settings)
    scheme = "amqps" if settings.rabbitmq_tls else "amqp"
    # %2F is the default virtual host "/", which Amazon MQ for RabbitMQ creates.
    return (
        f"{scheme}://{quote(username, safe='')}:{quote(password, safe='')}"
        f"@{host}:{settings.rabbitmq_port}/%2F"
    )


def _token_secret(settings: "Settings") -> SecretStr:
    variable = "LIVEQUIZ_TOKEN_SECRET_ARN"
    secret_id = settings.token_secret_arn or ""
    _reject_both(settings, "token_secret", "token_secret_arn")
    value = read_secret(variable, secret_id, settings)
    size = len(value.encode())
    if size < MIN_TOKEN_SECRET_BYTES:
        raise ConfigError(
            f"the secret {secret_id} named by {variable} has {size} bytes: "
            f"store a random string of at least {MIN_TOKEN_SECRET_BYTES} bytes"
        )
    return SecretStr(value)


def resolve_secrets(settings: "Settings") -> "Settings":
    """Return ``settings`` with the URLs and token secret built from Secrets Manager.

    Raises ``ConfigError`` when a secret is missing, is not JSON or lacks a key, when a host
    is set without its secret or the other way round, and when an explicit value and a
    secret are both set.
    """
    update: dict[str, Any] = {}
    if settings.mysql_secret_arn or settings.mysql_host:
        update["mysql_url"] = _mysql_url(settings)
    if settings.rabbitmq_secret_arn or settings.rabbitmq_host:
        update["rabbitmq_url"] = _rabbitmq_url(settings)
    if settings.token_secret_arn:
        update["token_secret"] = _token_secret(settings)
    if not update:
        return settings
    return settings.model_copy(update=update)
