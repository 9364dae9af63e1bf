"""Settings read from environment variables prefixed ``LIVEQUIZ_``.

Every default points at a service on 127.0.0.1 on its standard port, so a developer machine
with Redis, RabbitMQ and MySQL running needs no configuration except the token secret.
"""

import os
from functools import lru_cache

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from livequiz.errors import ConfigError
from livequiz.secrets import resolve_secrets


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIVEQUIZ_", extra="ignore")

    redis_url: str = "redis://127.0.0.1:6379/0"
    rabbitmq_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    mysql_url: str = "mysql+pymysql://root:@127.0.0.1:3306/test"

    # On AWS the URLs and the token secret are built from these and Secrets Manager at cold
    # start instead (livequiz.secrets). Each *_secret_arn takes a secret's ARN or name.
    mysql_host: str | None = None
    mysql_port: int = Field(default=3306, gt=0, lt=65536)
    mysql_database: str | None = None
    mysql_secret_arn: str | None = None
    rabbitmq_host: str | None = None
    # Amazon MQ for RabbitMQ accepts only AMQPS on 5671. A local broker without TLS needs
    # LIVEQUIZ_RABBITMQ_PORT=5672 and LIVEQUIZ_RABBITMQ_TLS=false.
    rabbitmq_port: int = Field(default=5671, gt=0, lt=65536)
    rabbitmq_tls: bool = True
    rabbitmq_secret_arn: str | None = None
    token_secret_arn: str | None = None

    # HS256 signing key for every token. No default: a key in code would let anyone mint tokens.
    token_secret: SecretStr | None = None
    access_token_ttl_s: int = Field(default=3600, gt=0)
    # A player token must outlive the longest game, reconnects included.
    player_token_ttl_s: int = Field(default=6 * 3600, gt=0)

    # API Gateway closes a WebSocket connection after 2 hours. The record lives 10 minutes
    # longer, so that it is still there for that connection's $disconnect.
    connection_ttl_s: int = Field(default=2 * 3600 + 600, gt=0)
    # Live game state in Redis expires a day after its last write. MySQL keeps the results.
    game_ttl_s: int = Field(default=24 * 3600, gt=0)

    # Origins whose pages may call the REST API (CORS), comma separated, or * for any. The
    # default is the web app of the local runtime on its default port, which the runtime
    # replaces with its actual web port when the variable is unset.
    cors_origins: str = "http://127.0.0.1:8080,http://localhost:8080"

    # Base URL of the API Gateway Management API, for example
    # https://abc123.execute-api.eu-west-1.amazonaws.com/prod or the local runtime's URL.
    management_url: str | None = None
    # Lambda sets AWS_REGION in every function; LIVEQUIZ_AWS_REGION takes precedence.
    aws_region: str = Field(default_factory=lambda: os.environ.get("AWS_REGION") or "us-east-1")
    broadcast_concurrency: int = Field(default=32, gt=0)
    broadcast_timeout_s: float = Field(default=3.0, gt=0)

    exchange: str = "livequiz"
    persist_queue: str = "livequiz.persist"
    broadcast_queue: str = "livequiz.broadcast"
    deadline_queue: str = "livequiz.deadline"
    # The broker deletes a question-deadline delay queue that has been unused this long.
    delay_queue_expires_s: int = Field(default=24 * 3600, gt=0)
    # A message redelivered this many times goes to the queue's dead-letter queue.
    delivery_limit: int = Field(default=5, gt=0)

    # When the host's last connection has been gone this long, the game pauses and players are
    # told; when the host is still gone host_abandon_s later, the game ends.
    host_grace_s: int = Field(default=30, ge=1)
    host_abandon_s: int = Field(default=300, ge=1)
    # When a player's connection closes during a question and every player still connected
    # has answered, the question closes this long later unless the player is back by then and
    # has not answered: a phone that reloads or changes network returns within a few seconds.
    # 0 closes it at once.
    player_grace_s: int = Field(default=5, ge=0)
    # Words no nickname may hold, comma separated, on top of nicknames.DEFAULT_BLOCKED.
    blocked_words: str = ""

    # Largest WebSocket message the answer function parses. Larger ones get an error frame.
    max_message_bytes: int = Field(default=4096, gt=0)

    # Elastic APM tracing (livequiz.tracing) is off while apm_server_url is unset or empty.
    # There is no default server: the agent sends only to the URL given here.
    apm_server_url: str | None = Field(default=None, pattern=r"^(https?://\S+)?$")
    # Unset: livequiz-<function> on Lambda, livequiz in the local runtime. The agent accepts
    # only these characters and would otherwise drop every event.
    apm_service_name: str | None = Field(default=None, pattern=r"^[a-zA-Z0-9 _-]+$")
    apm_environment: str | None = None
    # Fraction of invocations traced with their spans, in steps of 0.0001.
    apm_sample_rate: float = Field(default=1.0, ge=0, le=1)
    # The agent's background thread gives up on one request to the APM server after this long.
    apm_server_timeout_s: float = Field(default=5.0, ge=0.001)
    # The agent sends what it has buffered at least this often, and waits at most this long
    # for its last request when the process exits.
    apm_flush_interval_s: float = Field(default=1.0, ge=0.001)

    def require_token_secret(self) -> str:
        if self.token_secret is None or not self.token_secret.get_secret_value():
            raise ConfigError(
                "LIVEQUIZ_TOKEN_SECRET is not set: set it to a random string of at least 32 bytes"
            )
        secret = self.token_secret.get_secret_value()
        if len(secret.encode()) < 32:
            raise ConfigError("LIVEQUIZ_TOKEN_SECRET is too short: use at least 32 bytes")
        return secret

    def require_management_url(self) -> str:
        if not self.management_url:
            raise ConfigError(
                "LIVEQUIZ_MANAGEMENT_URL is not set: set it to the WebSocket API's "
                "https://{api-id}.execute-api.{region}.amazonaws.com/{stage} URL"
            )
        return self.management_url.rstrip("/")

    def cors_origin_list(self) -> list[str]:
        origins = (origin.strip().rstrip("/") for origin in self.cors_origins.split(","))
        return [origin for origin in origins if origin]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as error:
        raise ConfigError(f"invalid livequiz setting: {error}") from error
    return resolve_secrets(settings)
