"""The metrics of livequiz, defined once for Prometheus and for CloudWatch.

``METRICS`` is the only definition of each metric. Code records through the module functions::

    metrics.count("answers_total", result="rejected", reason="too_late")
    metrics.observe("answer_seconds", 0.012)

Every value goes to ``REGISTRY``, a prometheus-client registry of this module that the local
runtime serves at ``/metrics``, where each name has the prefix ``livequiz_``
(``livequiz_answers_total``). On Lambda (``AWS_LAMBDA_FUNCTION_NAME`` is set) it also goes to
Powertools' Metrics as CloudWatch embedded metric format (EMF), namespace ``livequiz`` unless
``POWERTOOLS_METRICS_NAMESPACE`` names another, with the label values as dimensions, plus
Powertools' ``service`` dimension when ``POWERTOOLS_SERVICE_NAME`` is set. ``flush()`` prints
the EMF documents, once per invocation.

Each label has a closed set of values, and a value outside it raises ValueError, so no player
or connection id can become a label. The one exception is a label declared ``GAME_ID``: it
takes a game id, for gauges of live games only, whose series vanish with the game. In EMF a
game id goes into the document as a property, not a dimension, so CloudWatch keeps one series.
A label left out of a call is exported as the empty string in Prometheus (which Prometheus
treats as no label) and as no dimension in EMF.

A gauge defined with ``collected=True`` is read when Prometheus scrapes: the process that can
read it registers a source with ``collect_from``, and a process without one exports no
sample of it. ``set_gauge`` on such a gauge records EMF only.
"""

import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from livequiz.config import get_settings
from livequiz.fanout import FRAME_OUTCOMES
from livequiz.play import REJECTIONS

logger = logging.getLogger(__name__)

NAMESPACE = "livequiz"
# Powertools' variable for the CloudWatch namespace of the EMF documents; NAMESPACE when unset.
EMF_NAMESPACE_VARIABLE = "POWERTOOLS_METRICS_NAMESPACE"
# Prometheus metric and label names (Prometheus data model), without the reserved "__" prefix.
METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")

# The header in which a quorum queue counts a message's earlier deliveries.
DELIVERY_COUNT_HEADER = "x-delivery-count"

Params = ParamSpec("Params")
Result = TypeVar("Result")


class Kind(StrEnum):
    COUNTER = "counter"
    HISTOGRAM = "histogram"
    GAUGE = "gauge"


@dataclass(frozen=True)
class MetricDefinition:
    """One metric: its name, kind, help text, unit, labels and, for a histogram, buckets."""

    name: str
    kind: Kind
    help: str
    unit: MetricUnit
    # Label name to the closed set of values it may take.
    labels: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Upper bounds of the histogram buckets, in the metric's unit. Empty for other kinds.
    buckets: tuple[float, ...] = ()
    # A gauge whose value a source reads at scrape time (see collect_from).
    collected: bool = False
    # The label sets of a counter that are exported at 0 from the start, so that rate() sees
    # the first count. Empty means every value of a counter's only label, or none.
    series: tuple[Mapping[str, str], ...] = ()


class _GameIds(frozenset[str]):
    """The value set of a label that takes a game id: checked by shape, not by membership."""


def outcome_series(reasons: frozenset[str]) -> tuple[Mapping[str, str], ...]:
    """Return the result/reason label sets of a counter: accepted, and each rejection."""
    accepted: Mapping[str, str] = {"result": "accepted"}
    rejected = tuple({"result": "rejected", "reason": reason} for reason in sorted(reasons))
    return (accepted, *rejected)


# The label value set of a label that takes a game id (see the module docstring).
GAME_ID = _GameIds()
GAME_ID_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")

# The roles of the work queues (Settings' persist_queue, broadcast_queue, deadline_queue).
QUEUE_ROLES = frozenset({"persist", "broadcast", "deadline"})


# The error codes with which the answer function rejects an answer message: the store's
# rejections, the rules' and the grader's errors, and the handler's input errors. The handler
# counts a code missing here as "other", so a new error code cannot raise ValueError there.
ANSWER_REJECTION_REASONS = frozenset(REJECTIONS) | {
    "paused",
    "unknown_question",
    "unknown_game",
    "game_ended",
    "state_changed",
    "invalid_answer",
    "invalid_choice",
    "missing_field",
    "invalid_field",
    "not_a_player",
    "not_connected",
    "other",
}

# The error codes with which the connect function rejects a WebSocket handshake: the token
# check's codes, the game store's unknown_game and the connect path's own checks. The handler
# counts a code missing here as "other".
CONNECT_REJECTION_REASONS = frozenset(
    {
        "missing_token",
        "expired_token",
        "invalid_token",
        "wrong_token_kind",
        "unknown_game",
        "not_host",
        "game_ended",
        "kicked",
        "unknown_player",
        "other",
    }
)

# The Lambda functions of livequiz, as named in their loggers.
FUNCTIONS = frozenset({"auth", "connect", "answer", "deadline", "broadcast", "persist"})

METRICS: dict[str, MetricDefinition] = {
    definition.name: definition
    for definition in (
        MetricDefinition(
            "answers_total",
            Kind.COUNTER,
            "Answer messages, accepted or rejected with the error code as reason.",
            MetricUnit.Count,
            {
                "result": frozenset({"accepted", "rejected"}),
                "reason": ANSWER_REJECTION_REASONS,
            },
            series=outcome_series(ANSWER_REJECTION_REASONS),
        ),
        MetricDefinition(
            "answer_seconds",
            Kind.HISTOGRAM,
            "Time the answer function takes to handle an answer message, in seconds.",
            MetricUnit.Seconds,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        ),
        MetricDefinition(
            "connects_total",
            Kind.COUNTER,
            "WebSocket handshakes, accepted or rejected with the error code as reason.",
            MetricUnit.Count,
            {
                "result": frozenset({"accepted", "rejected"}),
                "reason": CONNECT_REJECTION_REASONS,
            },
            series=outcome_series(CONNECT_REJECTION_REASONS),
        ),
        MetricDefinition(
            "disconnects_total",
            Kind.COUNTER,
            "WebSocket disconnects, including those of connections already replaced or expired.",
            MetricUnit.Count,
        ),
        MetricDefinition(
            "broadcast_seconds",
            Kind.HISTOGRAM,
            "Time the broadcast function takes to post a batch's frames to every connection.",
            MetricUnit.Seconds,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        ),
        MetricDefinition(
            "frames_sent_total",
            Kind.COUNTER,
            "Frames of the broadcast function by outcome: sent, connection gone (410), "
            "throttled (429), failed, or dropped after an earlier frame of its connection "
            "did not go out.",
            MetricUnit.Count,
            {"outcome": frozenset(FRAME_OUTCOMES)},
        ),
        MetricDefinition(
            "persist_batch_size",
            Kind.HISTOGRAM,
            "Messages in one batch that the persist function receives from the persist queue.",
            MetricUnit.Count,
            buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000),
        ),
        MetricDefinition(
            "persist_rows_total",
            Kind.COUNTER,
            "Events the persist function wrote to MySQL as new game_events rows. A repeat of "
            "an event already stored adds no row and is not counted.",
            MetricUnit.Count,
        ),
        MetricDefinition(
            "dead_lettered_total",
            Kind.COUNTER,
            "Messages moved to a dead-letter queue, by the role of the queue they came from: "
            "those a consumer function moved itself because it can never process them, and "
            "those of a batch whose handler raised on their last delivery allowed by the "
            "queue's delivery limit, which the broker moves.",
            MetricUnit.Count,
            {"queue": QUEUE_ROLES},
        ),
        MetricDefinition(
            "redeliveries_total",
            Kind.COUNTER,
            "Messages that RabbitMQ delivered again to a consumer function, because an earlier "
            "delivery was not acknowledged, by the role of their queue.",
            MetricUnit.Count,
            {"queue": QUEUE_ROLES},
        ),
        MetricDefinition(
            "persist_lag_seconds",
            Kind.HISTOGRAM,
            "Time from an event's creation to its write to MySQL by the persist function.",
            MetricUnit.Seconds,
            buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
        ),
        MetricDefinition(
            "queue_messages",
            Kind.GAUGE,
            "Messages ready in a RabbitMQ queue, read when scraped, by the role of the queue: "
            "a work queue or its dead-letter queue (<role>_dead).",
            MetricUnit.Count,
            {"queue": QUEUE_ROLES | {f"{role}_dead" for role in QUEUE_ROLES}},
            collected=True,
        ),
        MetricDefinition(
            "connections_open",
            Kind.GAUGE,
            "Open WebSocket connections of the gateway, read when scraped.",
            MetricUnit.Count,
            collected=True,
        ),
        MetricDefinition(
            "game_connections_open",
            Kind.GAUGE,
            "Open WebSocket connections of each live game, hosts included.",
            MetricUnit.Count,
            {"game": GAME_ID},
            collected=True,
        ),
        MetricDefinition(
            "function_errors_total",
            Kind.COUNTER,
            "Exceptions that escaped a Lambda function's handler, by function. For the REST "
            "function (auth), the exceptions that became a 500 response and the Redis or "
            "MySQL failures that became a 503 response.",
            MetricUnit.Count,
            {"function": FUNCTIONS},
        ),
    )
}


class MetricsRecorder:
    """Records the metrics of a table to a Prometheus registry and, on Lambda, to EMF."""

    def __init__(self, table: Mapping[str, MetricDefinition]) -> None:
        self.table = dict(table)
        self.registry = CollectorRegistry()
        self._collectors = {
            name: _collector(definition, self.registry)
            for name, definition in table.items()
            if not definition.collected
        }
        # Name of a collected gauge to the function that reads its samples.
        self._sources: dict[str, Source] = {}
        self.registry.register(_CollectedGauges(self))
        for name, definition in table.items():
            if definition.kind is Kind.COUNTER:
                for labels in _initial_series(definition):
                    self._labelled(name, Kind.COUNTER, labels)
        # One EMF provider per set of dimensions, because every metric of an EMF document
        # shares the document's dimensions. The label sets are closed, so this stays small.
        self._emf: dict[tuple[tuple[str, str], ...], Metrics] = {}
        self._emf_lock = threading.Lock()

    def count(self, name: str, amount: float = 1, **labels: str) -> None:
        """Add ``amount`` to a counter."""
        collector = self._labelled(name, Kind.COUNTER, labels)
        assert isinstance(collector, Counter)
        collector.inc(amount)
        self._record_emf(name, amount, labels)

    def observe(self, name: str, value: float, **labels: str) -> None:
        """Record one value of a histogram, in the metric's unit."""
        collector = self._labelled(name, Kind.HISTOGRAM, labels)
        assert isinstance(collector, Histogram)
        collector.observe(value)
        self._record_emf(name, value, labels)

    def set_gauge(self, name: str, value: float, **labels: str) -> None:
        """Set a gauge to ``value``. On a collected gauge this records EMF only."""
        collector = self._labelled(name, Kind.GAUGE, labels)
        if collector is not None:
            assert isinstance(collector, Gauge)
            collector.set(value)
        self._record_emf(name, value, labels)

    def collect_from(self, name: str, source: "Source | None") -> None:
        """Read the collected gauge ``name`` from ``source`` at each scrape, until it is None.

        ``source`` returns label values (in the order of the definition's labels) to values.
        A sample with a label value outside the label's set is left out and logged.
        """
        definition = self.table.get(name)
        if definition is None or not definition.collected:
            raise ValueError(f"{name!r} is not a collected gauge of livequiz.metrics.METRICS")
        if source is None:
            self._sources.pop(name, None)
        else:
            self._sources[name] = source

    def flush(self) -> None:
        """Print the EMF documents recorded since the last flush. Off Lambda there are none."""
        with self._emf_lock:
            pending = list(self._emf.values())
            self._emf.clear()
        for document in pending:
            document.flush_metrics()

    def flush_after(self, function: Callable[Params, Result]) -> Callable[Params, Result]:
        """Wrap a Lambda handler so that each invocation ends with ``flush()``."""

        @wraps(function)
        def wrapper(*args: Params.args, **kwargs: Params.kwargs) -> Result:
            try:
                return function(*args, **kwargs)
            finally:
                self.flush()

        return wrapper

    def count_errors(
        self, function_name: str
    ) -> Callable[[Callable[Params, Result]], Callable[Params, Result]]:
        """Wrap a handler so that an exception escaping it adds 1 to ``function_errors_total``.

        The exception is raised again unchanged. Put ``flush_after`` outside this wrapper, so
        that the count is flushed on Lambda.
        """
        self._labelled("function_errors_total", Kind.COUNTER, {"function": function_name})

        def decorate(function: Callable[Params, Result]) -> Callable[Params, Result]:
            @wraps(function)
            def wrapper(*args: Params.args, **kwargs: Params.kwargs) -> Result:
                try:
                    return function(*args, **kwargs)
                except Exception:
                    self.count("function_errors_total", function=function_name)
                    raise

            return wrapper

        return decorate

    def _labelled(self, name: str, kind: Kind, labels: Mapping[str, str]) -> Any:
        definition = self.table.get(name)
        if definition is None:
            raise ValueError(f"unknown metric {name!r}: define it in livequiz.metrics.METRICS")
        if definition.kind is not kind:
            raise ValueError(f"metric {name!r} is a {definition.kind}, not a {kind}")
        for label, value in labels.items():
            check_label(definition, label, value)
        collector = self._collectors.get(name)
        if collector is None or not definition.labels:
            return collector
        return collector.labels(**{label: labels.get(label, "") for label in definition.labels})

    def _record_emf(self, name: str, value: float, labels: Mapping[str, str]) -> None:
        if not on_lambda():
            return
        dimensions = tuple(sorted(labels.items()))
        with self._emf_lock:
            document = self._emf.get(dimensions)
            if document is None:
                namespace = emf_namespace()
                # Powertools adds a "service" dimension to every dimension set when
                # POWERTOOLS_SERVICE_NAME is set, as template.yaml does.
                provider = AmazonCloudWatchEMFProvider(namespace=namespace)
                document = Metrics(namespace=namespace, provider=provider)
                # add_dimension, because add_dimensions would start a second dimension set.
                # A game id is a property, so that it does not multiply the series.
                for label, label_value in dimensions:
                    if self.table[name].labels.get(label) is GAME_ID:
                        document.add_metadata(label, label_value)
                    else:
                        document.add_dimension(label, label_value)
                self._emf[dimensions] = document
            # A repeated name within one document adds a value to the list of that metric.
            document.add_metric(name, self.table[name].unit, value)


Source = Callable[[], Mapping[tuple[str, ...], float]]


def emf_namespace() -> str:
    """Return the CloudWatch namespace of the EMF documents: POWERTOOLS_METRICS_NAMESPACE, or
    ``livequiz`` when it is unset or empty. The Prometheus prefix stays ``livequiz_``."""
    return os.environ.get(EMF_NAMESPACE_VARIABLE) or NAMESPACE


def on_lambda() -> bool:
    """Tell whether this process is a Lambda function, where metrics go out as EMF."""
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def check_label(definition: MetricDefinition, label: str, value: str) -> None:
    """Raise ValueError unless ``value`` is a value of ``label`` of the metric."""
    allowed = definition.labels.get(label)
    if allowed is None:
        raise ValueError(
            f"metric {definition.name!r} has no label {label!r}: "
            f"its labels are {sorted(definition.labels)}"
        )
    if allowed is GAME_ID:
        if not GAME_ID_SHAPE.fullmatch(value):
            raise ValueError(
                f"invalid value {value!r} of label {label!r} of metric {definition.name!r}: "
                "expected a game id"
            )
    elif value not in allowed:
        raise ValueError(
            f"invalid value {value!r} of label {label!r} of metric {definition.name!r}: "
            f"expected one of {sorted(allowed)}"
        )


class _CollectedGauges(Collector):
    """The collected gauges of a recorder, read from their sources at each scrape."""

    def __init__(self, recorder: MetricsRecorder) -> None:
        self.recorder = recorder

    def describe(self) -> Iterable[Metric]:
        # No description, so that registering does not read the sources.
        return ()

    def collect(self) -> Iterable[Metric]:
        for name, source in list(self.recorder._sources.items()):
            definition = self.recorder.table[name]
            labels = list(definition.labels)
            family = GaugeMetricFamily(
                f"{NAMESPACE}_{name}", definition.help, labels=labels or None
            )
            try:
                samples = source()
            except Exception:
                logger.exception("reading the gauge %s failed, so it has no sample", name)
                continue
            for values, value in samples.items():
                try:
                    for label, label_value in zip(labels, values, strict=True):
                        check_label(definition, label, label_value)
                except ValueError as error:
                    logger.warning("left a sample of %s out: %s", name, error)
                    continue
                family.add_metric(list(values), value)
            yield family


def _initial_series(definition: MetricDefinition) -> tuple[Mapping[str, str], ...]:
    if definition.series:
        return definition.series
    if len(definition.labels) == 1:
        ((label, values),) = definition.labels.items()
        if values is not GAME_ID:
            return tuple({label: value} for value in sorted(values))
    return ()


def _collector(definition: MetricDefinition, registry: CollectorRegistry) -> Any:
    labels = list(definition.labels)
    if definition.kind is Kind.COUNTER:
        # prometheus-client adds the "_total" suffix of a counter's samples itself.
        return Counter(
            definition.name.removesuffix("_total"),
            definition.help,
            labels,
            namespace=NAMESPACE,
            registry=registry,
        )
    if definition.kind is Kind.HISTOGRAM:
        return Histogram(
            definition.name,
            definition.help,
            labels,
            namespace=NAMESPACE,
            registry=registry,
            buckets=definition.buckets,
        )
    return Gauge(definition.name, definition.help, labels, namespace=NAMESPACE, registry=registry)


def count_redeliveries(event: Mapping[str, Any], queue: str) -> int:
    """Count the redelivered messages of an ``aws:rmq`` event from the ``queue`` role's queue."""
    redelivered = sum(
        1
        for messages in event.get("rmqMessagesByQueue", {}).values()
        for message in messages
        if message.get("redelivered")
    )
    if redelivered:
        RECORDER.count("redeliveries_total", redelivered, queue=queue)
    return redelivered


def delivery_count(message: Mapping[str, Any]) -> int:
    """Return how often RabbitMQ delivered an ``aws:rmq`` message before this delivery.

    A quorum queue sets the ``x-delivery-count`` header on each redelivery. A message without
    it is on its first delivery.
    """
    headers = (message.get("basicProperties") or {}).get("headers") or {}
    count = headers.get(DELIVERY_COUNT_HEADER, 0)
    return count if isinstance(count, int) else 0


def count_broker_dead_letters(
    queue: str,
) -> Callable[[Callable[Params, Result]], Callable[Params, Result]]:
    """Wrap a consumer handler of the ``queue`` role's queue so that, when it raises, the
    messages of its batch on their last allowed delivery add to ``dead_lettered_total``.

    The handler's exception leaves the batch unacknowledged, so RabbitMQ returns its messages
    to the quorum queue. A message whose delivery count has reached the queue's
    ``x-delivery-limit`` (``Settings.delivery_limit``) then goes to the dead-letter queue
    instead (RabbitMQ 3.10 to 3.13; the limit counts each return, whether by a nack or by a
    closed channel). The exception is raised again unchanged.

    NOTE: a batch whose invocation times out on Lambda raises nothing here, so its messages
    at the limit are not counted. The dead-letter queue gauge still shows them.
    """

    def decorate(function: Callable[Params, Result]) -> Callable[Params, Result]:
        @wraps(function)
        def wrapper(*args: Params.args, **kwargs: Params.kwargs) -> Result:
            try:
                return function(*args, **kwargs)
            except Exception:
                event = args[0] if args else kwargs.get("event")
                if isinstance(event, Mapping):
                    _count_last_deliveries(event, queue)
                raise

        return wrapper

    return decorate


def _count_last_deliveries(event: Mapping[str, Any], queue: str) -> None:
    limit = get_settings().delivery_limit
    last = [
        message
        for messages in event.get("rmqMessagesByQueue", {}).values()
        for message in messages
        if delivery_count(message) >= limit
    ]
    if not last:
        return
    logger.error(
        "the %s handler failed on the last allowed delivery of %d messages, so RabbitMQ moves "
        "them to the dead-letter queue; message ids: %s",
        queue,
        len(last),
        [(message.get("basicProperties") or {}).get("messageId") for message in last],
    )
    RECORDER.count("dead_lettered_total", len(last), queue=queue)


RECORDER = MetricsRecorder(METRICS)
REGISTRY = RECORDER.registry
count = RECORDER.count
observe = RECORDER.observe
set_gauge = RECORDER.set_gauge
collect_from = RECORDER.collect_from
flush = RECORDER.flush
flush_after = RECORDER.flush_after
count_errors = RECORDER.count_errors
