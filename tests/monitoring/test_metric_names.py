"""Every metric that a dashboard panel or an alert rule reads is one of ``METRICS``."""

import json
from pathlib import Path

import pytest
import yaml
from aws_lambda_powertools.metrics import MetricUnit

from livequiz.metrics import GAME_ID, METRICS, Kind, MetricDefinition
from scripts.render_dashboard import expand_variables
from tests.monitoring.promql import check_expression, exported_samples

MONITORING = Path(__file__).resolve().parents[2] / "monitoring"
DASHBOARD = MONITORING / "grafana" / "dashboards" / "livequiz.json"
ALERTS = MONITORING / "prometheus" / "alerts.yml"
PROMETHEUS_CONFIG = MONITORING / "prometheus" / "prometheus.yml"


def scrape_jobs() -> list[str]:
    document = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    return [job["job_name"] for job in document["scrape_configs"]]


def panel_expressions() -> list[tuple[str, str]]:
    """Return (panel title, expression) of every query of the dashboard."""
    dashboard = json.loads(DASHBOARD.read_text())
    return [
        (panel["title"], expand_variables(target["expr"], step_s=15, scrape_interval_s=15))
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def rule_expressions() -> list[tuple[str, str]]:
    rules = yaml.safe_load(ALERTS.read_text())
    return [
        (rule.get("alert") or rule["record"], rule["expr"])
        for group in rules["groups"]
        for rule in group["rules"]
    ]


@pytest.mark.parametrize(("name", "expression"), panel_expressions() + rule_expressions())
def test_expression_reads_table_metrics(name: str, expression: str) -> None:
    check = check_expression(expression, exported_samples(METRICS), scrape_jobs())
    assert check.problems == [], f"{name}: {expression}"


def test_every_metric_has_a_panel() -> None:
    samples = exported_samples(METRICS)
    shown: set[str] = set()
    for _, expression in panel_expressions():
        shown |= check_expression(expression, samples, scrape_jobs()).metrics
    assert set(METRICS) - shown == set(), "metrics that no panel shows"


def test_every_panel_has_queries() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]


# The checker itself, on a table of its own, so that a pass above means something.
TABLE = {
    "jobs_total": MetricDefinition(
        "jobs_total",
        Kind.COUNTER,
        "Jobs.",
        MetricUnit.Count,
        {"queue": frozenset({"persist", "broadcast"})},
    ),
    "job_seconds": MetricDefinition(
        "job_seconds", Kind.HISTOGRAM, "Job time.", MetricUnit.Seconds, buckets=(0.1, 1.0)
    ),
    "open": MetricDefinition("open", Kind.GAUGE, "Open.", MetricUnit.Count, {"game": GAME_ID}),
}
JOBS = ["livequiz-runtime"]


def problems_of(expression: str) -> list[str]:
    return check_expression(expression, exported_samples(TABLE), JOBS).problems


@pytest.mark.parametrize(
    "expression",
    [
        'sum by (queue) (rate(livequiz_jobs_total{queue=~"persist|broadcast"}[5m]))',
        "histogram_quantile(0.99, sum by (le) (rate(livequiz_job_seconds_bucket[5m])))",
        "rate(livequiz_job_seconds_sum[5m]) / rate(livequiz_job_seconds_count[5m])",
        'livequiz_open{game="3f092440c7764bd0ae10df6007a739ca"}',
        'livequiz_jobs_total{queue=~".+st"} and on () up{job="livequiz-runtime"} == 1',
        '{__name__="livequiz_open", instance="127.0.0.1:8766"}',
    ],
)
def test_checker_accepts(expression: str) -> None:
    assert problems_of(expression) == []


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("rate(livequiz_job_total[5m])", "unknown metric livequiz_job_total"),
        ("rate(livequiz_jobs_total_bucket[5m])", "unknown metric livequiz_jobs_total_bucket"),
        ("livequiz_job_seconds", "unknown metric livequiz_job_seconds:"),
        ("jobs_total", "unknown metric jobs_total"),
        ('livequiz_jobs_total{reason="x"}', "has no label 'reason'"),
        ('livequiz_jobs_total{queue="deadline"}', "expected one of ['broadcast', 'persist']"),
        ('livequiz_jobs_total{queue=~"persist|dedline"}', "['dedline'] not in"),
        ('livequiz_jobs_total{queue=~"dead.*"}', "matches none of"),
        ('livequiz_open{game="not a game id"}', "expected one of"),
        ('up{job="livequiz-worker"}', "expected one of ['livequiz-runtime']"),
        ("sum by (le) (livequiz_jobs_total)", "groups by 'le'"),
        ('{instance="127.0.0.1:8766"}', "names no metric"),
        ("sum(rate(livequiz_jobs_total[5m])", "invalid PromQL"),
    ],
)
def test_checker_rejects(expression: str, problem: str) -> None:
    found = problems_of(expression)
    assert len(found) == 1, found
    assert problem in found[0]
