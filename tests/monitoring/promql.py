"""Check the metrics that PromQL expressions select against ``livequiz.metrics.METRICS``.

An expression is parsed with promql-parser, and every vector selector in it must name a sample
that the table exports: a counter's or gauge's own name, or a histogram's ``_bucket``, ``_sum``
or ``_count``, each with the ``livequiz_`` prefix. Label matchers and ``by``/``without`` labels
must be labels of the selected metrics, and a matcher's value one the label can take.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import promql_parser

from livequiz.metrics import GAME_ID, GAME_ID_SHAPE, NAMESPACE, Kind, MetricDefinition

# Labels that Prometheus adds to every scraped sample.
TARGET_LABELS = frozenset({"job", "instance"})
# Series that Prometheus records itself for each scrape target.
PROMETHEUS_SERIES = frozenset({"up"})
# Characters after which a regular expression is more than a list of alternatives.
REGEX_SYNTAX = re.compile(r"[.*+?()\[\]{}^$\\]")


@dataclass(frozen=True)
class ExportedSample:
    """A sample name that the table exports, the metric it belongs to and its label names."""

    definition: MetricDefinition | None
    labels: frozenset[str]


def exported_samples(table: Mapping[str, MetricDefinition]) -> dict[str, ExportedSample]:
    """Return every sample name a table exports, with Prometheus's series of a target."""
    samples = {name: ExportedSample(None, TARGET_LABELS) for name in PROMETHEUS_SERIES}
    for definition in table.values():
        family = f"{NAMESPACE}_{definition.name}"
        labels = frozenset(definition.labels) | TARGET_LABELS
        if definition.kind is Kind.HISTOGRAM:
            samples[f"{family}_bucket"] = ExportedSample(definition, labels | {"le"})
            samples[f"{family}_sum"] = ExportedSample(definition, labels)
            samples[f"{family}_count"] = ExportedSample(definition, labels)
        else:
            samples[family] = ExportedSample(definition, labels)
    return samples


def selectors(expression: promql_parser.Expr) -> list[promql_parser.VectorSelector]:
    """Return the vector selectors of an expression in order, those of range vectors included
    (walk() visits a matrix selector's vector selector as its child)."""
    found: list[promql_parser.VectorSelector] = []

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)

    promql_parser.walk(expression, visit)
    return found


def aggregations(expression: promql_parser.Expr) -> list[promql_parser.AggregateExpr]:
    found: list[promql_parser.AggregateExpr] = []

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.AggregateExpr):
            found.append(node)

    promql_parser.walk(expression, visit)
    return found


def selected_name(selector: promql_parser.VectorSelector) -> str | None:
    """Return the metric name a selector selects, by name or by an exact ``__name__``."""
    if selector.name:
        return str(selector.name)
    for matcher in selector.matchers.matchers:
        if matcher.name == "__name__" and matcher.op == promql_parser.MatchOp.Equal:
            return str(matcher.value)
    return None


@dataclass
class ExpressionCheck:
    """The problems of one expression and the table metrics it reads."""

    problems: list[str]
    metrics: set[str]


def check_expression(
    expression: str, samples: Mapping[str, ExportedSample], jobs: Iterable[str]
) -> ExpressionCheck:
    """Parse ``expression`` and check every selector, matcher and grouping label in it.

    ``jobs`` are the scrape job names, the values that a ``job`` matcher may select.
    """
    check = ExpressionCheck([], set())
    try:
        parsed = promql_parser.parse(expression)
    except ValueError as error:
        check.problems.append(f"invalid PromQL: {error}")
        return check
    known_jobs = frozenset(jobs)
    for selector in selectors(parsed):
        name = selected_name(selector)
        if name is None:
            check.problems.append(f"selector {selector} names no metric")
            continue
        sample = samples.get(name)
        if sample is None:
            check.problems.append(f"unknown metric {name}: not exported by METRICS")
            continue
        if sample.definition is not None:
            check.metrics.add(sample.definition.name)
        for matcher in selector.matchers.matchers:
            if matcher.name == "__name__":
                continue
            check.problems += matcher_problems(name, sample, matcher, known_jobs)
    for aggregation in aggregations(parsed):
        modifier = aggregation.modifier
        if modifier is None:
            continue
        inner = [samples.get(selected_name(item) or "") for item in selectors(aggregation.expr)]
        available = frozenset().union(*(item.labels for item in inner if item is not None))
        for label in modifier.labels:
            if label not in available:
                check.problems.append(
                    f"{aggregation.op} groups by {label!r}, which none of its metrics has: "
                    f"their labels are {sorted(available)}"
                )
    return check


def matcher_problems(
    name: str,
    sample: ExportedSample,
    matcher: promql_parser.Matcher,
    jobs: frozenset[str],
) -> list[str]:
    label = str(matcher.name)
    if label not in sample.labels:
        return [f"{name} has no label {label!r}: its labels are {sorted(sample.labels)}"]
    allowed = allowed_values(sample, label, jobs)
    if allowed is None or matcher.op not in (promql_parser.MatchOp.Equal, promql_parser.MatchOp.Re):
        return []
    value = str(matcher.value)
    if matcher.op == promql_parser.MatchOp.Equal:
        # label="" selects the series without the label, which every label allows.
        if value and not value_allowed(allowed, value):
            return [f"{name}{{{label}={value!r}}}: expected one of {sorted(allowed)}"]
        return []
    if allowed is GAME_ID:
        # A game id pattern cannot be checked against a closed set.
        return []
    if REGEX_SYNTAX.search(value):
        pattern = re.compile(value)
        if not any(pattern.fullmatch(item) for item in allowed):
            return [f"{name}{{{label}=~{value!r}}} matches none of {sorted(allowed)}"]
        return []
    unknown = [item for item in value.split("|") if not value_allowed(allowed, item)]
    if unknown:
        return [f"{name}{{{label}=~{value!r}}}: {unknown} not in {sorted(allowed)}"]
    return []


def allowed_values(
    sample: ExportedSample, label: str, jobs: frozenset[str]
) -> frozenset[str] | None:
    """Return the values a label can take, or None where any value may occur."""
    if label == "job":
        return jobs
    if sample.definition is None or label not in sample.definition.labels:
        # instance and le take any value.
        return None
    return sample.definition.labels[label]


def value_allowed(allowed: frozenset[str], value: str) -> bool:
    if allowed is GAME_ID:
        return GAME_ID_SHAPE.fullmatch(value) is not None
    return value in allowed
