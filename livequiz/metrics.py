"""The metrics of livequiz, defined once for Prometheus and for CloudWatch.

``METRICS`` is the only definition of each metric. Code records through the module functions::

    metrics.count("answers_total", result="rejected", reason="too_late")
    metrics.observe("answer_seconds", 0.012)

Every value goes to ``REGISTRY``, a prometheus-client registry of this module that the local
runtime serves at ``/metrics``, where each name has the prefix ``livequiz_``
(``livequiz_answers_total``). On Lambda (``AWS_LAMBDA_FUNCTION_NAME`` is set) it also goes to
Powertools' Metrics as CloudWatch embedded metric format (EMF), namespace ``livequiz``, with the
label values as dimensions. ``flush()`` prints the EMF documents, once per invocation.

Each label has a closed set of values, and a value outside it raises ValueError, so no player,
game or connection id can become a label. A label left out of a call is exported as the empty
string in Prometheus (which Prometheus treats as no label) and as no dimension in EMF.
"""

import os
import re
import threading
from collections.abc import Callable, Mapping
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

from livequiz.fanout import FRAME_OUTCOMES
from livequiz.play import REJECTIONS

NAMESPACE = "livequiz"
# Prometheus metric and label names (Prometheus data model), without the reserved "__" prefix.
METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")

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
            "Events the persist function wrote to MySQL, each as one game_events row.",
            MetricUnit.Count,
        ),
        MetricDefinition(
            "dead_lettered_total",
            Kind.COUNTER,
            "Messages moved to a dead-letter queue, by the role of the queue they came from.",
            MetricUnit.Count,
            {"queue": frozenset({"persist", "broadcast", "deadline"})},
        ),
        MetricDefinition(
            "function_errors_total",
            Kind.COUNTER,
            "Exceptions that escaped a Lambda function's handler, by function.",
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
            name: _collector(definition, self.registry) for name, definition in table.items()
        }
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
        """Set a gauge to ``value``."""
        collector = self._labelled(name, Kind.GAUGE, labels)
        assert isinstance(collector, Gauge)
        collector.set(value)
        self._record_emf(name, value, labels)

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
            allowed = definition.labels.get(label)
            if allowed is None:
                raise ValueError(
                    f"metric {name!r} has no label {label!r}: "
                    f"its labels are {sorted(definition.labels)}"
                )
            if value not in allowed:
                raise ValueError(
                    f"invalid value {value!r} of label {label!r} of metric {name!r}: "
                    f"expected one of {sorted(allowed)}"
                )
        collector = self._collectors[name]
        if not definition.labels:
            return collector
        return collector.labels(**{label: labels.get(label, "") for label in definition.labels})

    def _record_emf(self, name: str, value: float, labels: Mapping[str, str]) -> None:
        if not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
            return
        dimensions = tuple(sorted(labels.items()))
        with self._emf_lock:
            document = self._emf.get(dimensions)
            if document is None:
                provider = AmazonCloudWatchEMFProvider(namespace=NAMESPACE)
                document = Metrics(namespace=NAMESPACE, provider=provider)
                # add_dimension, because add_dimensions would start a second dimension set.
                for label, label_value in dimensions:
                    document.add_dimension(label, label_value)
                self._emf[dimensions] = document
            # A repeated name within one document adds a value to the list of that metric.
            document.add_metric(name, self.table[name].unit, value)


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


RECORDER = MetricsRecorder(METRICS)
REGISTRY = RECORDER.registry
count = RECORDER.count
observe = RECORDER.observe
set_gauge = RECORDER.set_gauge
flush = RECORDER.flush
flush_after = RECORDER.flush_after
count_errors = RECORDER.count_errors
