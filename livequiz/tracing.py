"""Elastic APM tracing: a transaction per invocation, with Redis, MySQL and RabbitMQ spans.

Tracing is off unless ``LIVEQUIZ_APM_SERVER_URL`` is set. While it is off this module never
imports ``elasticapm``, so there is no agent client, no agent thread, no socket and no
instrumented library. When it is on, the first invocation in a process creates that process's
one ``elasticapm.Client`` and instruments the libraries elasticapm supports (redis-py, PyMySQL,
botocore and urllib3 among them). RabbitMQ has no elasticapm instrumentation, so
``livequiz.events`` opens its publishing spans through ``publish_span``.

No handler waits for the APM server. Transactions, spans and errors go into an in-memory
queue, and the agent's own thread sends them. A full queue (10,000 events in elasticapm
6.26) drops new events. Nothing here flushes that queue at the end of an invocation. That is
unlike elasticapm's ``capture_serverless``, whose flush waits up to the agent's
``api_request_time`` for the server on every invocation.

What leaves the process is narrowed in ``agent_options``: no local variables, no request
bodies, no trace continued from an HTTP client and no ``GET /`` for the server's version.
``mask_secrets`` then masks URL passwords, livequiz's tokens and the values of query
parameters such as ``token`` in every event.
"""

import functools
import logging
import os
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Receive, Scope, Send

from livequiz.config import Settings, get_settings
from livequiz.errors import ConfigError

if TYPE_CHECKING:
    from elasticapm.base import Client
    from urllib3.response import BaseHTTPResponse

logger = logging.getLogger(__name__)

# The logger keys that also label a transaction: the ids that find one game's invocations.
LABEL_KEYS = ("game_id", "player_id", "connection_id", "role")
# The span-link limit of Elastic's messaging spec: at most 1000 messages of a batch are read.
MAX_LINKS = 1000
# pydantic-settings reads it whatever its case, and so does client().
SERVER_URL_VARIABLE = "LIVEQUIZ_APM_SERVER_URL"
TRACEPARENT_HEADER = "traceparent"
TRACESTATE_HEADER = "tracestate"

# The most of an intake reply's body that BoundedTransport reads. elasticapm 6.26 keeps the
# first 10,000 characters of an error reply for its log message.
MAX_REPLY_BYTES = 10_000
# The agent's own mask (elasticapm.conf.constants.MASK in 6.26).
MASK = "[REDACTED]"
# Shorter secrets are masked only where they are a URL's password, because masking every
# occurrence of a short string would garble the rest of the event.
MIN_MASKED_SECRET_LENGTH = 4
# The password of a URL's user information: ``scheme://user:password@host``.
URL_PASSWORD = re.compile(r"(?P<prefix>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s]*:)[^@/?#\s'\"]+(?=@)")
# One ``name=value`` parameter of a query string.
QUERY_PARAMETER = re.compile(r"(?P<prefix>[?&](?P<name>[^=&#?\s'\"]+)=)(?P<value>[^&#\s'\"]*)")
# A JWT, the format of every livequiz token: a header and a payload that are both base64url
# JSON objects (so they start with ``eyJ``) and a signature.
JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")

_lock = threading.Lock()
_client: "Client | None" = None
# The secret values that mask_secrets masks wherever they occur, set when the client starts.
_secrets: tuple[str, ...] = ()
# Functions invoked at least once in this process, for the cold start flag.
_warm: set[str] = set()


def agent_options(settings: Settings, function: str) -> dict[str, Any]:
    """Build the elasticapm options that livequiz sets itself, for the client of ``function``.

    Besides the LIVEQUIZ_APM_* settings, they switch off every request of the agent other
    than its events: central configuration polling, cloud metadata lookups (sent to the
    cloud's metadata address), the server version and the agent's metrics. The metrics would
    also need a thread of their own, and livequiz.metrics covers them. The other options
    keep secrets out of the events.
    """
    assert settings.apm_server_url
    from elasticapm.conf import Config, constants

    service_name = settings.apm_service_name
    if not service_name:
        on_lambda = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))
        service_name = f"livequiz-{function}" if on_lambda else "livequiz"
    return {
        "server_url": settings.apm_server_url,
        "service_name": service_name,
        "environment": settings.apm_environment,
        "transaction_sample_rate": settings.apm_sample_rate,
        "server_timeout": f"{max(1, round(settings.apm_server_timeout_s * 1000))}ms",
        "api_request_time": f"{max(1, round(settings.apm_flush_interval_s * 1000))}ms",
        "central_config": False,
        "cloud_provider": "none",
        "metrics_interval": "0ms",
        "metrics_sets": [],
        "breakdown_metrics": False,
        # Request bodies contain passwords, and the REST function logs no bodies either.
        "capture_body": "off",
        # An error's frames would otherwise carry their local variables, such as the
        # settings with the service URLs and their passwords.
        "collect_local_variables": "off",
        # The command line would go into the metadata, and processors do not run on it.
        "include_process_args": False,
        # mask_secrets runs last, after the source lines that the agent adds to frames.
        "processors": [
            *Config.processors,
            *constants.HARDCODED_PROCESSORS,
            f"{__name__}.mask_secrets",
        ],
        # The agent's default list. mask_secrets masks the query parameters it names, so an
        # ELASTIC_APM_SANITIZE_FIELD_NAMES that dropped a name would send their values.
        "sanitize_field_names": list(constants.BASE_SANITIZE_FIELD_NAMES_UNPROCESSED),
        # The agent would otherwise continue the trace of an HTTP client's traceparent header,
        # with the trace id and sampling decision that the client chose. With "restart",
        # each request starts a trace of its own, sampled at the sample rate, and the
        # client's trace becomes a span link.
        "trace_continuation_strategy": "restart",
        # elasticapm 6.26 reads the reply to its GET / with no limit on size or time, and a
        # body that is not UTF-8 ends its thread. Without a version, the agent assumes a
        # current server (Client.check_server_version returns True).
        "skip_server_info": True,
        # The agent would otherwise replace the logging module's record factory for good.
        "disable_log_record_factory": True,
        "transport_class": f"{__name__}.BoundedTransport",
    }


def _reject_agent_variables(options: Mapping[str, Any]) -> None:
    # elasticapm reads ELASTIC_APM_<OPTION> variables before the options passed to its
    # client, so one of these would override the server URL or switch on metadata lookups.
    names = sorted(f"ELASTIC_APM_{option.upper()}" for option in options)
    overriding = [name for name in names if name in os.environ]
    if overriding:
        raise ConfigError(
            f"{', '.join(overriding)} would override livequiz's own APM settings: unset "
            "them and use the LIVEQUIZ_APM_* settings instead"
        )


def secret_values(settings: Settings, apm: "Client") -> tuple[str, ...]:
    """Collect the secret values of the settings: the URLs' passwords and the signing key.

    A URL's password is taken both as written and percent-decoded, because libraries quote
    either form in their messages. The agent's own secret token and API key are included.
    """
    found: set[str] = set()
    for url in (settings.redis_url, settings.rabbitmq_url, settings.mysql_url):
        password = urllib.parse.urlsplit(url).password
        if password:
            found.update((password, urllib.parse.unquote(password)))
    if settings.token_secret is not None:
        found.add(settings.token_secret.get_secret_value())
    found.update((apm.config.secret_token or "", apm.config.api_key or ""))
    # The longest first, so that a secret containing another one is masked whole.
    masked = (value for value in found if len(value) >= MIN_MASKED_SECRET_LENGTH)
    return tuple(sorted(masked, key=len, reverse=True))


def mask_secrets(apm: "Client", event: Any) -> Any:
    """Mask the secrets in every string of an event, as an elasticapm processor.

    It masks the values from ``secret_values``, URL passwords, JWTs and the values of query
    parameters whose names match the agent's ``sanitize_field_names`` (``token``,
    ``password``, ``*key`` ...). The agent runs its processors on its own thread, and it
    drops an event whose processor raises.
    """
    return _mask(event, apm.config.sanitize_field_names)


def _mask(value: Any, field_names: list[re.Pattern[str]]) -> Any:
    if isinstance(value, str):
        return mask_text(value, field_names)
    if isinstance(value, dict):
        return {key: _mask(item, field_names) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask(item, field_names) for item in value]
    return value


def mask_text(text: str, field_names: list[re.Pattern[str]]) -> str:
    """Mask the known secrets, URL passwords, JWTs and sensitive query values of ``text``."""
    for secret in _secrets:
        text = text.replace(secret, MASK)
    if "://" in text:
        text = URL_PASSWORD.sub(lambda match: match["prefix"] + MASK, text)
    if "eyJ" in text:
        text = JWT.sub(MASK, text)
    if "=" in text:

        def mask_value(match: re.Match[str]) -> str:
            name = urllib.parse.unquote_plus(match["name"]).strip().lower()
            if match["value"] and any(field.match(name) for field in field_names):
                return match["prefix"] + MASK
            return match[0]

        text = QUERY_PARAMETER.sub(mask_value, text)
    return text


def client(function: str) -> "Client | None":
    """Return this process's agent client, created on the first call while tracing is on.

    ``function`` names the service (``livequiz-<function>``) on Lambda, where a process runs
    one function. Returns None while ``LIVEQUIZ_APM_SERVER_URL`` is unset or empty.

    Raises:
        ConfigError: an ELASTIC_APM_* variable overrides a setting, or the agent rejects one.
    """
    global _client
    current = _client
    if current is not None:
        return current
    # Checked before the settings, so that tracing adds no settings read, and no secret
    # resolution, to an invocation while it is off.
    if not any(name.upper() == SERVER_URL_VARIABLE and value for name, value in os.environ.items()):
        return None
    settings = get_settings()
    if not settings.apm_server_url:
        return None
    with _lock:
        if _client is None:
            _client = _start(settings, function)
        return _client


def _start(settings: Settings, function: str) -> "Client":
    options = agent_options(settings, function)
    _reject_agent_variables(options)
    import elasticapm

    global _secrets
    created = elasticapm.Client(**options)
    errors = dict(created.config.errors)
    if errors:
        created.close()
        raise ConfigError(f"invalid Elastic APM setting: {'; '.join(errors.values())}")
    _secrets = secret_values(settings, created)
    if created.config.instrument and created.config.enabled:
        elasticapm.instrument()
    logger.info(
        "started Elastic APM tracing to %s as service %s, sampling %s of invocations",
        options["server_url"],
        options["service_name"],
        options["transaction_sample_rate"],
    )
    return created


@functools.cache
def _bounded_transport_class() -> type:
    import urllib3
    from elasticapm.transport.exceptions import TransportException
    from elasticapm.transport.http import Transport

    class BoundedTransport(Transport):
        """elasticapm's HTTP transport, reading each intake reply within limits on size and time.

        elasticapm 6.26 reads the whole body of an intake reply, however large or slow, and
        follows redirects. This transport reads at most ``MAX_REPLY_BYTES`` of the body
        within about the server timeout, then closes the connection. A redirect is a failed
        request, so the events go to the configured server only.

        NOTE: a server that sends its status line and headers a byte at a time still keeps
        the agent's thread waiting for as long as it goes on, because each read waits up to
        the server timeout afresh. Handlers do not wait for that thread, and the agent's
        queue stays bounded.
        """

        _cut_replies = 0

        def send(
            self,
            data: Any,
            forced_flush: bool = False,
            custom_url: str | None = None,
            custom_headers: dict[bytes, bytes] | None = None,
        ) -> str | None:
            headers = dict(self._headers or {})
            headers.update(self.auth_headers)
            headers.update(
                custom_headers
                or {b"Content-Type": b"application/x-ndjson", b"Content-Encoding": b"gzip"}
            )
            url = custom_url or self._url
            if forced_flush:
                url = f"{url}?flushed=true"

            try:
                response = self.http.urlopen(
                    "POST",
                    url,
                    body=data,
                    headers=headers,
                    timeout=self._timeout,
                    preload_content=False,
                    redirect=False,
                )
            except urllib3.exceptions.HTTPError as error:
                raise TransportException(
                    f"sending events to the APM server at {self._url} failed: {error}", data
                ) from error

            body, complete = _read_reply(response, MAX_REPLY_BYTES, float(self._timeout))
            if not complete:
                # The rest of the body is never read, so the connection cannot serve another
                # request. The pool gets it back closed, and reconnects on the next request.
                response.close()
                self._log_cut_reply(response.status, len(body))
            response.release_conn()

            if 300 <= response.status < 400:
                raise TransportException(
                    f"the APM server at {self._url} replied HTTP {response.status}, a "
                    "redirect, which is not followed: set LIVEQUIZ_APM_SERVER_URL to the "
                    "server's own address",
                    data,
                )
            if response.status >= 400:
                text = body.decode("utf-8", errors="replace")
                raise TransportException(
                    f"the APM server at {self._url} rejected the events with HTTP "
                    f"{response.status}: {text}",
                    data,
                )
            location = response.headers.get("Location")
            return location if isinstance(location, str) else None

        def _log_cut_reply(self, status: int, read: int) -> None:
            self._cut_replies += 1
            # A hostile or broken server does this on every request, so the log gets the
            # first time and then every hundredth.
            if self._cut_replies == 1 or self._cut_replies % 100 == 0:
                logger.warning(
                    "stopped reading the reply (HTTP %s) of the APM server at %s after %d "
                    "bytes, because it is larger than %d bytes or slower than %s s; "
                    "%d replies cut so far",
                    status,
                    self._url,
                    read,
                    MAX_REPLY_BYTES,
                    self._timeout,
                    self._cut_replies,
                )

    return BoundedTransport


def _read_reply(response: "BaseHTTPResponse", limit: int, timeout_s: float) -> tuple[bytes, bool]:
    """Read at most ``limit`` bytes of a reply's body, for about ``timeout_s`` in all.

    Returns the bytes and whether the body ended. The body is not decompressed. Each read
    waits for the socket up to its own timeout, so a read that starts just before the
    deadline can end up to that long after it.
    """
    import urllib3

    deadline = time.monotonic() + timeout_s
    body = bytearray()
    try:
        while len(body) < limit and time.monotonic() < deadline:
            chunk = response.read1(limit - len(body), decode_content=False)
            if not chunk:
                return bytes(body), True
            body += chunk
    except urllib3.exceptions.HTTPError as error:
        logger.debug("reading the APM server's reply failed: %s", error)
    return bytes(body), False


def __getattr__(name: str) -> Any:
    # elasticapm imports the transport_class option by its dotted name. BoundedTransport
    # derives from the agent's class, so it is built on that request, which comes only
    # while tracing is on.
    if name == "BoundedTransport":
        return _bounded_transport_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def close() -> None:
    """Stop this process's agent and remove its instrumentation; a later call starts anew.

    Waits until the agent's thread has sent what is left, for at most twice
    ``LIVEQUIZ_APM_FLUSH_INTERVAL_S``; events that a hung APM server keeps longer are lost.
    """
    global _client
    with _lock:
        current, _client = _client, None
        _warm.clear()
    if current is None:
        return
    import elasticapm

    # Client.close() waits up to the flush interval, but elasticapm 6.26 signals the end of any
    # flush, so a flush that ends meanwhile lets it return before the last request. The
    # thread itself ends after that request, so it is waited for as well.
    current.close()
    sender = getattr(current._transport, "_thread", None)
    if isinstance(sender, threading.Thread):
        sender.join(current.config.api_request_time.total_seconds())
        if sender.is_alive():
            logger.warning("the Elastic APM agent's last request did not finish, so it is dropped")
    elasticapm.uninstrument()
    logger.info("stopped Elastic APM tracing")


def label(**keys: object) -> None:
    """Label the current transaction with those of ``keys`` that are in ``LABEL_KEYS``."""
    if _client is None:
        return
    from elasticapm.traces import execution_context

    transaction = execution_context.get_transaction()
    if transaction is None:
        return
    labels = {key: str(keys[key]) for key in LABEL_KEYS if keys.get(key) is not None}
    if labels:
        transaction.label(**labels)


@dataclass
class Invocation:
    """The transaction of one Lambda invocation."""

    client: "Client"
    trace_id: str
    transaction_id: str

    def finish(self, result: object) -> None:
        """Take the result and outcome from what the handler returned."""
        import elasticapm

        status = result.get("statusCode") if isinstance(result, dict) else None
        if isinstance(status, int):
            elasticapm.set_transaction_result(f"HTTP {status // 100}xx", override=False)
            outcome = "failure" if status >= 500 else "success"
        else:
            elasticapm.set_transaction_result("success", override=False)
            outcome = "success"
        elasticapm.set_transaction_outcome(outcome, override=False)


@contextmanager
def invocation(function: str, event: object, context: object) -> Iterator[Invocation | None]:
    """Trace one invocation of ``function`` as a transaction, or yield None while tracing is off.

    A WebSocket event makes a ``request`` transaction named ``<function> <route key>``. An
    ``aws:rmq`` batch makes a ``messaging`` transaction named ``<function> RabbitMQ RECEIVE
    from <queue>``, linked to the span that published each message. An exception that
    escapes is captured as an error, and the transaction's outcome is failure.
    """
    apm = client(function)
    if apm is None:
        yield None
        return
    import elasticapm

    details = event if isinstance(event, dict) else {}
    kind, name, links, message = _describe(function, details)
    transaction = apm.begin_transaction(kind, links=links)
    if transaction is None:
        # The agent is not recording (ELASTIC_APM_RECORDING=false).
        yield None
        return
    elasticapm.set_transaction_name(name)
    with _lock:
        cold_start = function not in _warm
        _warm.add(function)
    faas: dict[str, Any] = {
        "name": function,
        "coldstart": cold_start,
        "trigger": {"type": "pubsub" if kind == "messaging" else "http"},
    }
    request_id = getattr(context, "aws_request_id", None)
    if isinstance(request_id, str):
        faas["execution"] = request_id
    elasticapm.set_context(faas, "faas")
    if message:
        elasticapm.set_context(message, "message")
    connection_id = (details.get("requestContext") or {}).get("connectionId")
    label(connection_id=connection_id)
    trace_id = transaction.trace_parent.trace_id if transaction.trace_parent else ""
    try:
        yield Invocation(apm, trace_id, transaction.id)
    except BaseException:
        apm.capture_exception(handled=False)  # type: ignore[no-untyped-call]
        elasticapm.set_transaction_result("failure", override=False)
        elasticapm.set_transaction_outcome("failure", override=False)
        raise
    finally:
        apm.end_transaction()  # type: ignore[no-untyped-call]


def _describe(function: str, event: dict[str, Any]) -> tuple[str, str, list[Any], dict[str, Any]]:
    """Return the transaction type, name, span links and message context of ``event``."""
    batches = event.get("rmqMessagesByQueue")
    if isinstance(batches, dict):
        queues = sorted({str(source).split("::", 1)[0] for source in batches})
        messages = [item for batch in batches.values() if isinstance(batch, list) for item in batch]
        name = f"{function} RabbitMQ RECEIVE from {', '.join(queues)}"
        context = {"queue": {"name": ", ".join(queues)}} if queues else {}
        return "messaging", name, _links(messages), context
    route = (event.get("requestContext") or {}).get("routeKey")
    return "request", f"{function} {route}" if route else function, [], {}


def _links(messages: list[Any]) -> list[Any]:
    from elasticapm.utils.disttracing import TraceParent

    links = []
    for message in messages[:MAX_LINKS]:
        headers = (message.get("basicProperties") or {}).get("headers") or {}
        value = _header_text(headers.get(TRACEPARENT_HEADER))
        parent = TraceParent.from_string(value) if value else None
        if parent is not None:
            links.append(parent)
    return links


def _header_text(value: object) -> str | None:
    """Decode a string header of an ``aws:rmq`` message: AWS sends it as signed bytes."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("bytes"), list):
        try:
            return bytes(byte % 256 for byte in value["bytes"]).decode("ascii")
        except (TypeError, UnicodeDecodeError):
            return None
    return None


@contextmanager
def publish_span(
    exchange: str, routing_key: str, labels: Mapping[str, str]
) -> Iterator[dict[str, str] | None]:
    """Trace one publish and its confirm as a ``messaging``/``rabbitmq`` span.

    Yields the AMQP headers that carry the span's trace context to the consumer, or None
    while no transaction is being recorded, so that untraced messages stay as they were.
    """
    if _client is None:
        yield None
        return
    import elasticapm
    from elasticapm.traces import DroppedSpan, execution_context
    from elasticapm.utils.disttracing import TracingOptions

    transaction = execution_context.get_transaction()
    if transaction is None or transaction.trace_parent is None:
        yield None
        return
    target = exchange or "<default>"
    # On the default exchange the routing key is the queue's name.
    queue = exchange or routing_key
    with elasticapm.capture_span(
        f"RabbitMQ SEND to {target}",
        span_type="messaging",
        span_subtype="rabbitmq",
        span_action="send",
        leaf=True,
        labels=dict(labels),
        extra={"message": {"queue": {"name": queue}, "routing_key": routing_key}},
    ) as span:
        if span is not None and not isinstance(span, DroppedSpan):
            # The consumer links to this span, so span compression must keep it.
            span.dist_tracing_propagated = True
            parent = transaction.trace_parent.copy_from(span_id=span.id)
        else:
            parent = transaction.trace_parent.copy_from(
                span_id=transaction.id, trace_options=TracingOptions(recorded=False)
            )
        headers = {TRACEPARENT_HEADER: parent.to_string()}
        if parent.tracestate:
            headers[TRACESTATE_HEADER] = parent.tracestate
        yield headers


class TracingMiddleware:
    """ASGI middleware that traces each HTTP request through elasticapm's Starlette middleware.

    It is added to the app in any case and creates that middleware on the first request
    while tracing is on, so that turning tracing off leaves the app as it was.
    """

    def __init__(self, app: ASGIApp, function: str) -> None:
        self.app = app
        self.function = function
        self._traced: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        apm = client(self.function) if scope["type"] == "http" else None
        if apm is None:
            await self.app(scope, receive, send)
            return
        if self._traced is None or self._traced.client is not apm:
            from elasticapm.contrib.starlette import ElasticAPM

            self._traced = ElasticAPM(self.app, client=apm)
        try:
            await self._traced(scope, receive, send)
        finally:
            # elasticapm ends the transaction in its instrumentation of Starlette's
            # ServerErrorMiddleware, which a request already inside that middleware when the
            # client started never reaches. Ending it here covers that first request, and
            # leaves nothing for the instrumentation to end.
            apm.end_transaction()
