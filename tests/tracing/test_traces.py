"""With tracing on, a short game reports its transactions and spans to a fake APM intake."""

from collections import Counter
from typing import Any

import pytest

from functions.logs import entry_point, function_logger
from livequiz import tracing
from livequiz.config import Settings, get_settings
from livequiz.errors import ConfigError
from livequiz.events import delay_queue_name
from livequiz.local.routes import LambdaContext
from tests.tracing.conftest import play_short_game
from tests.tracing.servers import FakeIntake

PLAYERS = 4
QUESTIONS = 2


def by_name(transactions: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for transaction in transactions:
        grouped.setdefault(transaction["name"], []).append(transaction)
    return grouped


@pytest.mark.timeout(240)
def test_game_reports_transactions_and_spans(switch_on, intake: FakeIntake) -> None:
    # A long flush interval: everything goes out in the requests at close, which waits for them.
    settings = switch_on(
        intake.url, LIVEQUIZ_APM_FLUSH_INTERVAL_S="30", LIVEQUIZ_APM_ENVIRONMENT="test"
    )
    game = play_short_game(settings, PLAYERS, QUESTIONS)
    tracing.close()
    assert game.check.passed, game.check.problems
    assert game.tally.accepted == PLAYERS * QUESTIONS

    metadata = intake.of_kind("metadata")
    assert metadata
    assert {item["service"]["name"] for item in metadata} == {"livequiz"}
    assert {item["service"]["environment"] for item in metadata} == {"test"}
    assert all("cloud" not in item for item in metadata)
    assert intake.of_kind("error") == []

    transactions = intake.of_kind("transaction")
    named = by_name(transactions)
    # WebSocket routes and queue batches, by function, route and queue.
    assert len(named["connect $connect"]) == PLAYERS + 1
    assert len(named["answer answer"]) == PLAYERS * QUESTIONS
    assert len(named["answer start"]) == 1
    assert "answer next" in named
    broadcast = f"broadcast RabbitMQ RECEIVE from {settings.broadcast_queue}"
    persist = f"persist RabbitMQ RECEIVE from {settings.persist_queue}"
    assert broadcast in named
    assert persist in named
    # REST requests, by route template.
    for route in ("POST /auth/register", "POST /quizzes", "GET /quizzes/{quiz_id}", "POST /games"):
        assert len(named[route]) == 1, route
    assert len(named["POST /games/join"]) == PLAYERS

    for answer in named["answer answer"]:
        assert answer["type"] == "request"
        assert answer["result"] == "HTTP 2xx"
        assert answer["outcome"] == "success"
        assert answer["context"]["tags"]["game_id"] == game.game_id
        assert answer["context"]["tags"]["player_id"]
        assert answer["context"]["tags"]["connection_id"]
    roles = Counter(item["context"]["tags"]["role"] for item in named["connect $connect"])
    assert roles == Counter({"player": PLAYERS, "host": 1})
    for connect in named["connect $connect"]:
        assert connect["context"]["tags"]["game_id"] == game.game_id
        assert connect["result"] == "HTTP 2xx"
    for batch in named[persist] + named[broadcast]:
        assert batch["type"] == "messaging"
        assert batch["result"] == "success"
    answer_players = {item["context"]["tags"]["player_id"] for item in named["answer answer"]}
    assert len(answer_players) == PLAYERS
    # One cold start per function in this process.
    cold = Counter(
        item["faas"]["name"] for item in transactions if item.get("faas", {}).get("coldstart")
    )
    assert cold == Counter({"connect": 1, "answer": 1, "broadcast": 1, "persist": 1}) + Counter(
        {"deadline": cold["deadline"]}
    )
    assert cold["deadline"] <= 1

    spans = intake.of_kind("span")
    transaction_ids = {item["id"]: item for item in transactions}
    for span in spans:
        owner = transaction_ids[span["transaction_id"]]
        assert span["trace_id"] == owner["trace_id"]
    kinds = {(span["type"], span["subtype"]) for span in spans}
    assert ("db", "redis") in kinds
    assert ("db", "mysql") in kinds
    assert ("messaging", "rabbitmq") in kinds

    owners = {span["id"]: transaction_ids[span["transaction_id"]]["name"] for span in spans}
    mysql_owners = {owners[span["id"]] for span in spans if span["subtype"] == "mysql"}
    assert persist in mysql_owners
    assert "POST /auth/register" in mysql_owners
    redis_owners = {owners[span["id"]] for span in spans if span["subtype"] == "redis"}
    assert {"answer answer", "connect $connect", broadcast} <= redis_owners

    sends = [span for span in spans if span["subtype"] == "rabbitmq"]
    exchange_sends = [
        span for span in sends if span["name"] == f"RabbitMQ SEND to {settings.exchange}"
    ]
    routing_keys = {span["context"]["message"]["routing_key"] for span in exchange_sends}
    assert {"answer.accepted", "question.opened", "game.ended"} <= routing_keys
    for span in exchange_sends:
        assert span["action"] == "send"
        assert span["context"]["message"]["queue"]["name"] == settings.exchange
        assert span["context"]["tags"]["game_id"] == game.game_id
        assert span["outcome"] == "success"
    # Question deadlines go through the default exchange to the 5 s delay queue.
    deadline_sends = [span for span in sends if span["name"] == "RabbitMQ SEND to <default>"]
    delay_queue = delay_queue_name(settings.exchange, 5000)
    assert deadline_sends
    assert {span["context"]["message"]["routing_key"] for span in deadline_sends} == {delay_queue}
    assert {owners[span["id"]] for span in exchange_sends} >= {"answer answer", "answer start"}

    # The fan-out's posts run on a thread pool in copies of the broadcast's context.
    posts = {owners[span["id"]] for span in spans if "PostToConnection" in span["name"]}
    assert posts == {broadcast}, sorted({span["name"] for span in spans})

    # A consumer's batch links to the spans that published its messages.
    send_ids = {span["id"] for span in sends}
    links = [link for batch in named[persist] for link in batch.get("links", [])]
    assert links
    assert {link["span_id"] for link in links} <= send_ids


@pytest.mark.timeout(60)
def test_escaping_exception_recorded(switch_on, intake: FakeIntake) -> None:
    switch_on(intake.url, LIVEQUIZ_APM_FLUSH_INTERVAL_S="30")
    logger = function_logger("probe")

    # A handler of the answer function that fails, since metrics accept only known functions.
    @entry_point("answer", logger)
    def failing(event: dict[str, Any], context: Any) -> None:
        raise RuntimeError("probe failed on purpose")

    event = {"requestContext": {"routeKey": "sync", "connectionId": "Probe0Conn="}}
    with pytest.raises(RuntimeError):
        failing(event, LambdaContext("answer", 30.0, "us-east-1"))
    tracing.close()
    [transaction] = intake.of_kind("transaction")
    assert transaction["name"] == "answer sync"
    assert transaction["result"] == "failure"
    assert transaction["outcome"] == "failure"
    assert transaction["context"]["tags"] == {"connection_id": "Probe0Conn="}
    [error] = intake.of_kind("error")
    assert error["exception"]["type"] == "RuntimeError"
    assert error["exception"]["message"] == "RuntimeError: probe failed on purpose"
    assert error["exception"]["handled"] is False
    assert error["transaction_id"] == transaction["id"]
    # The frames keep their source lines but not their local variables.
    frames = error["exception"]["stacktrace"]
    assert any(frame["function"] == "failing" for frame in frames)
    assert all("vars" not in frame for frame in frames)


def test_agent_variable_rejected(switch_on, monkeypatch: pytest.MonkeyPatch) -> None:
    switch_on("http://127.0.0.1:9")
    monkeypatch.setenv("ELASTIC_APM_CLOUD_PROVIDER", "auto")
    monkeypatch.setenv("ELASTIC_APM_SERVER_URL", "http://127.0.0.1:8200")
    with pytest.raises(ConfigError, match="ELASTIC_APM_CLOUD_PROVIDER, ELASTIC_APM_SERVER_URL"):
        tracing.client("answer")
    assert tracing._client is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ELASTIC_APM_COLLECT_LOCAL_VARIABLES", "errors"),
        ("ELASTIC_APM_PROCESSORS", "elasticapm.processors.sanitize_http_headers"),
        ("ELASTIC_APM_SANITIZE_FIELD_NAMES", "password"),
        ("ELASTIC_APM_INCLUDE_PROCESS_ARGS", "true"),
        ("ELASTIC_APM_TRACE_CONTINUATION_STRATEGY", "continue"),
        ("ELASTIC_APM_SKIP_SERVER_INFO", "false"),
        ("ELASTIC_APM_TRANSPORT_CLASS", "elasticapm.transport.http.Transport"),
    ],
)
def test_secret_keeping_variable_rejected(
    switch_on, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    switch_on("http://127.0.0.1:9")
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        tracing.client("answer")
    assert tracing._client is None


def test_agent_options_pin_traffic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "livequiz-AnswerFunction-Ab12")
    settings = Settings(apm_server_url="http://127.0.0.1:8200", apm_sample_rate=0.25)
    options = tracing.agent_options(settings, "answer")
    assert options["service_name"] == "livequiz-answer"
    assert options["server_url"] == "http://127.0.0.1:8200"
    assert options["transaction_sample_rate"] == 0.25
    assert options["central_config"] is False
    assert options["cloud_provider"] == "none"
    assert options["metrics_interval"] == "0ms"
    assert options["server_timeout"] == "5000ms"
    assert options["api_request_time"] == "1000ms"
    assert options["skip_server_info"] is True
    assert options["collect_local_variables"] == "off"
    assert options["capture_body"] == "off"
    assert options["include_process_args"] is False
    assert options["trace_continuation_strategy"] == "restart"
    assert options["transport_class"] == "livequiz.tracing.BoundedTransport"
    # The agent's own processors first, then the one that masks what they leave.
    assert options["processors"][0] == "elasticapm.processors.sanitize_stacktrace_locals"
    assert options["processors"][-2:] == [
        "elasticapm.processors.add_context_lines_to_frames",
        "livequiz.tracing.mask_secrets",
    ]
    named = Settings(apm_server_url="http://127.0.0.1:8200", apm_service_name="quiz night")
    assert tracing.agent_options(named, "answer")["service_name"] == "quiz night"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LIVEQUIZ_APM_SERVER_URL", "127.0.0.1:8200"),
        ("LIVEQUIZ_APM_SERVICE_NAME", "livequiz/answer"),
        ("LIVEQUIZ_APM_SAMPLE_RATE", "1.5"),
    ],
)
def test_invalid_setting_rejected(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError, match=variable.removeprefix("LIVEQUIZ_").lower()):
            get_settings()
    finally:
        monkeypatch.delenv(variable)
        get_settings.cache_clear()
